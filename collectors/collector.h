/*
 * collector.h - the collector interface: something that measures a region.
 *
 * A collector is a row of ops (sb_collector_ops). probe() says whether it can
 * work on this host and, when it cannot, why (the reason is stored, never a 0).
 * open() prepares it for a case, start()/stop() bracket one repetition, read()
 * reports what the last start/stop pair measured, close() frees it.
 * Implemented here: "time" (CLOCK_MONOTONIC_RAW) and "rusage" (getrusage of
 * the process: peak RSS, page faults, context switches). PAPI and perf_event
 * collectors plug in as further rows.
 */
#ifndef SB_COLLECTOR_H
#define SB_COLLECTOR_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "sb_status.h"

/* One measured value. */
typedef struct sb_counter {
    char name[48];         /* "rusage.minor_faults", ... */
    char unit[16];         /* "ns", "count", "KiB" */
    double value;          /* meaningful only when status == SB_OK */
    sb_status status;      /* SB_OK counted; SB_ENOSUPP / SB_EPERM / SB_ENOTFOUND not */
    char reason[96];       /* why not counted; "" when counted */
    double mux_ratio;      /* time running / time enabled; 1 when not multiplexed */
} sb_counter;

typedef struct sb_collector_ops {
    const char *name;
    const char *desc;
    /* 0 if usable here, else a status and a reason. */
    sb_status (*probe)(char *reason, size_t len);
    sb_status (*open)(void **state, char *err, size_t errlen);
    void (*start)(void *state);
    void (*stop)(void *state);
    /* Values of the last start/stop: writes at most cap, returns the count. */
    size_t (*read)(void *state, sb_counter *out, size_t cap);
    void (*close)(void *state);
} sb_collector_ops;

/* All collectors known to this build. */
const sb_collector_ops *const *sb_collectors(size_t *count);
const sb_collector_ops *sb_collector_find(const char *name);

/* Now, in ns, from CLOCK_MONOTONIC_RAW (the clock the time collector uses). */
static inline uint64_t sb_clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif
