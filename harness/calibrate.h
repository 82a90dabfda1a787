/*
 * calibrate.h - what the host delivers (sorabench calibrate): each peak probe (kernels/peak.h)
 * run on every worker of a pool at once, over repetitions long enough to time, and the memory
 * levels a triad is sized for.
 */
#ifndef SB_CALIBRATE_H
#define SB_CALIBRATE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "peak.h"
#include "pool.h"
#include "topo.h"

typedef struct sb_calib_opts {
    int reps;                     /* timed repetitions, >= 1 */
    double min_time_s;            /* each repetition lasts at least this, seconds */
    volatile sig_atomic_t *stop;  /* may be NULL; once set, no further repetition starts */
} sb_calib_opts;

typedef struct sb_calib_result {
    uint64_t iters;          /* per thread per repetition: probe iterations or whole triads */
    double ops;              /* per thread per iteration: operations, or bytes for a triad */
    int reps;                /* repetitions measured: fewer than asked only when stopped */
    double *rate;            /* [reps] all threads together: ops per ns (G/s), malloc'd */
    double median, best, mad; /* of rate */
} sb_calib_result;

/*
 * Measure probe p on every worker of pool (NULL: the calling thread) at once: iterations are
 * grown (x2 to x1000 a step) until one repetition lasts min_time_s (that also warms the units
 * and caches up), then o->reps repetitions are timed. A bandwidth probe's arrays (three of bytes / 12 floats per
 * thread) are allocated and first touched by the worker that uses them. Free *out with
 * sb_calib_result_free.
 */
sb_status sb_calib_measure(sb_pool *pool, const sb_probe *p, size_t bytes,
                           const sb_calib_opts *o, sb_calib_result *out, char *err,
                           size_t errlen);
void sb_calib_result_free(sb_calib_result *r);

/* A memory level a triad is sized for. */
typedef struct sb_calib_level {
    const char *name;        /* L1, L2, L3, DRAM */
    size_t bytes;            /* working set per thread, bytes; 0: not measured (why says why) */
    char why[96];
} sb_calib_level;

enum { SB_CALIB_LEVELS = 4 };

/*
 * The working set per thread of each level for threads threads: half of L1d and of L2 (per
 * core), half of L3 shared among the threads, and DRAM at 4x L3 or 256 MiB in all, whichever is
 * larger. A level is not measured when hwloc does not know its size, when its share is not
 * larger than the level below it, or (DRAM) when it exceeds a quarter of the memory available.
 */
void sb_calib_levels(sb_topo *topo, int threads, sb_calib_level out[SB_CALIB_LEVELS]);

#endif
