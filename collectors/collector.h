/*
 * collector.h - the collector interface: something that measures a region.
 *
 * A collector is a row of ops (sb_collector_ops). probe() says whether it can
 * work on this host and, when it cannot, why (the reason is stored, never a 0).
 * open() prepares it for a case, start()/stop() bracket one repetition, read()
 * reports what the last start/stop pair measured, close() frees it.
 * Implemented here: "time" (CLOCK_MONOTONIC_RAW), "rusage" (getrusage of
 * the process: peak RSS, page faults, context switches), and the counter
 * collectors "perf" (perf_event_open + libpfm4 encodings) and "papi" (PAPI
 * native events). Counter collectors count the events they are given on every
 * pool worker's own thread and report the sum; each event ends counted,
 * unavailable (with the reason) or unknown, never a silent 0.
 */
#ifndef SB_COLLECTOR_H
#define SB_COLLECTOR_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "sb_status.h"

/* One measured value. */
typedef struct sb_counter {
    char name[96];         /* "rusage.minor_faults", or an event's alias: "cycles" */
    char event[192];       /* the native event counted ("perf::CYCLES"); "" for built-ins */
    char unit[16];         /* "ns", "count", "KiB" */
    double value;          /* meaningful only when status == SB_OK; scaled for multiplexing */
    sb_status status;      /* SB_OK counted; SB_ENOTFOUND unknown name; other: unavailable */
    char reason[192];      /* why not counted; "" when counted */
    double mux_ratio;      /* time running / time enabled, summed over threads; 1 when not multiplexed */
} sb_counter;

/* One event a counter collector is asked to count. */
typedef struct sb_event_req {
    const char *alias;     /* name stored and used by metric expressions: "cycles" */
    const char *event;     /* native name (libpfm4 / PAPI): "perf::CYCLES" */
} sb_event_req;

/* Runs fn(ctx, worker) once on each of the case's worker threads, on that thread. */
typedef void (*sb_each_fn)(void *ctx, int worker);

/* What a collector is opened for. */
typedef struct sb_collector_cfg {
    const sb_event_req *events;  /* counter collectors: what to count */
    size_t nevents;
    int threads;                 /* workers in the pool (>= 1) */
    void (*each)(void *pool, sb_each_fn fn, void *ctx);  /* run on every worker */
    void *pool;
} sb_collector_cfg;

typedef struct sb_collector_ops {
    const char *name;
    const char *desc;
    int counts_events;     /* 1: a counter collector, opened only when events are asked for */
    /* 0 if usable here, else a status and a reason. */
    sb_status (*probe)(char *reason, size_t len);
    /* Per-event problems are not errors: read() reports them. cfg, and what it points to,
       must stay valid until close(): a collector may keep the pointer (papi does). */
    sb_status (*open)(void **state, const sb_collector_cfg *cfg, char *err, size_t errlen);
    void (*start)(void *state);
    void (*stop)(void *state);
    /* Values of the last start/stop: writes at most cap, returns the count. */
    size_t (*read)(void *state, sb_counter *out, size_t cap);
    void (*close)(void *state);
} sb_collector_ops;

/* All collectors known to this build. */
const sb_collector_ops *const *sb_collectors(size_t *count);
const sb_collector_ops *sb_collector_find(const char *name);

/*
 * Report every event of ev as not counted (status st) because the collector
 * named cannot work on this host for the reason given.
 */
void sb_counters_unavailable(const char *collector, const char *reason, sb_status st,
                             const sb_event_req *ev, size_t n, sb_counter *out);

/*
 * Try events with a counter collector on the calling thread alone: open,
 * start, stop, read (into out[n]), close. For `list events` and the tests;
 * a collector that cannot work here reports every event unavailable.
 */
sb_status sb_collector_try(const sb_collector_ops *ops, const sb_event_req *ev, size_t n,
                           sb_counter *out, char *err, size_t errlen);

/* Now, in ns, from CLOCK_MONOTONIC_RAW (the clock the time collector uses). */
static inline uint64_t sb_clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif
