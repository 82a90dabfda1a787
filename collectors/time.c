/* time.c - the "time" collector: elapsed ns on CLOCK_MONOTONIC_RAW. */
#include <stdio.h>
#include <stdlib.h>
#include "collector.h"
#include "collectors_impl.h"

typedef struct time_state {
    uint64_t t0, t1;       /* ns at start and stop */
} time_state;

static sb_status time_probe(char *reason, size_t len)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC_RAW, &ts) != 0) {
        snprintf(reason, len, "CLOCK_MONOTONIC_RAW is not available");
        return SB_ENOSUPP;
    }
    return SB_OK;
}

static sb_status time_open(void **state, const sb_collector_cfg *cfg, char *err, size_t errlen)
{
    (void)cfg, (void)err, (void)errlen;
    return (*state = calloc(1, sizeof(time_state))) ? SB_OK : SB_ENOMEM;
}

static void time_start(void *state) { ((time_state *)state)->t0 = sb_clock_ns(); }
static void time_stop(void *state) { ((time_state *)state)->t1 = sb_clock_ns(); }

static size_t time_read(void *state, sb_counter *out, size_t cap)
{
    const time_state *s = state;
    if (cap < 1)
        return 1;
    *out = (sb_counter){.name = "time.ns", .unit = "ns", .value = (double)(s->t1 - s->t0),
                        .status = SB_OK, .mux_ratio = 1.0};
    return 1;
}

static void time_close(void *state) { free(state); }

const sb_collector_ops sb_collector_time = {
    .name = "time", .desc = "elapsed time, CLOCK_MONOTONIC_RAW",
    .probe = time_probe, .open = time_open, .start = time_start, .stop = time_stop,
    .read = time_read, .close = time_close,
};
