/* collector.c - the table of collectors (add a row to add a collector). */
#include <stdio.h>
#include <string.h>
#include "collector.h"
#include "collectors_impl.h"
#include "sb_config.h"

/* time first: the runner takes its value as the sample. */
static const sb_collector_ops *const table[] = {
    &sb_collector_time,
    &sb_collector_rusage,
#if SB_HAVE_LIBPFM
    &sb_collector_perf,
#endif
#if SB_HAVE_PAPI
    &sb_collector_papi,
#endif
};

const sb_collector_ops *const *sb_collectors(size_t *count)
{
    *count = SB_ARRAY_LEN(table);
    return table;
}

const sb_collector_ops *sb_collector_find(const char *name)
{
    for (size_t i = 0; name && i < SB_ARRAY_LEN(table); i++)
        if (strcmp(table[i]->name, name) == 0)
            return table[i];
    return NULL;
}

static void each_here(void *pool, sb_each_fn fn, void *ctx)
{
    (void)pool;
    fn(ctx, 0);
}

void sb_counters_unavailable(const char *collector, const char *reason, sb_status st,
                             const sb_event_req *ev, size_t n, sb_counter *out)
{
    for (size_t i = 0; i < n; i++) {
        sb_counter_init(&out[i], &ev[i]);
        out[i].status = st;
        snprintf(out[i].reason, sizeof(out[i].reason), "the %s collector cannot work here: %s",
                 collector, reason);
    }
}

sb_status sb_collector_try(const sb_collector_ops *ops, const sb_event_req *ev, size_t n,
                           sb_counter *out, char *err, size_t errlen)
{
    sb_collector_cfg cfg = {.events = ev, .nevents = n, .threads = 1, .each = each_here};
    char reason[160] = "";
    void *state = NULL;
    sb_status st = ops->probe(reason, sizeof(reason));
    if (st != SB_OK) {
        sb_counters_unavailable(ops->name, reason, st, ev, n, out);
        return SB_OK;
    }
    if ((st = ops->open(&state, &cfg, err, errlen)) != SB_OK)
        return st;
    ops->start(state);
    ops->stop(state);
    ops->read(state, out, n);
    ops->close(state);
    return SB_OK;
}
