/*
 * rusage.c - the "rusage" collector: getrusage(RUSAGE_SELF) around a region.
 * Faults and context switches are deltas over the region, for the whole
 * process (every pool worker); peak RSS is the high-water mark at stop.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include "collector.h"
#include "collectors_impl.h"

typedef struct rusage_state {
    struct rusage r0, r1;  /* at start and stop */
} rusage_state;

static sb_status ru_probe(char *reason, size_t len)
{
    struct rusage r;
    (void)reason, (void)len;
    return getrusage(RUSAGE_SELF, &r) == 0 ? SB_OK : SB_ENOSUPP;
}

static sb_status ru_open(void **state, const sb_collector_cfg *cfg, char *err, size_t errlen)
{
    (void)cfg, (void)err, (void)errlen;
    return (*state = calloc(1, sizeof(rusage_state))) ? SB_OK : SB_ENOMEM;
}

static void ru_start(void *state) { getrusage(RUSAGE_SELF, &((rusage_state *)state)->r0); }
static void ru_stop(void *state) { getrusage(RUSAGE_SELF, &((rusage_state *)state)->r1); }

static size_t ru_read(void *state, sb_counter *out, size_t cap)
{
    const rusage_state *s = state;
    const struct {
        const char *name, *unit;
        double value;
    } v[] = {
        {"rusage.max_rss", "KiB", (double)s->r1.ru_maxrss},
        {"rusage.minor_faults", "count", (double)(s->r1.ru_minflt - s->r0.ru_minflt)},
        {"rusage.major_faults", "count", (double)(s->r1.ru_majflt - s->r0.ru_majflt)},
        {"rusage.vol_ctx_switches", "count", (double)(s->r1.ru_nvcsw - s->r0.ru_nvcsw)},
        {"rusage.invol_ctx_switches", "count", (double)(s->r1.ru_nivcsw - s->r0.ru_nivcsw)},
    };
    for (size_t i = 0; i < SB_ARRAY_LEN(v) && i < cap; i++) {
        memset(&out[i], 0, sizeof(out[i]));
        strncpy(out[i].name, v[i].name, sizeof(out[i].name) - 1);
        strncpy(out[i].unit, v[i].unit, sizeof(out[i].unit) - 1);
        out[i].value = v[i].value;
        out[i].status = SB_OK;
        out[i].mux_ratio = 1.0;
    }
    return SB_ARRAY_LEN(v);
}

static void ru_close(void *state) { free(state); }

const sb_collector_ops sb_collector_rusage = {
    .name = "rusage", .desc = "process peak RSS, page faults, context switches (getrusage)",
    .probe = ru_probe, .open = ru_open, .start = ru_start, .stop = ru_stop, .read = ru_read,
    .close = ru_close,
};
