/*
 * results.h - turning stored runs into result tables: the per-layer report of
 * a run and the comparison of two runs. Reads only the database, so any report
 * can be rebuilt later, on another machine.
 */
#ifndef SB_RESULTS_H
#define SB_RESULTS_H

#include <sqlite3.h>
#include <stdint.h>
#include "table.h"

/* CV above which a case is flagged as noisy in reports. */
#define SB_NOISY_CV 0.10

/*
 * Resolve a run spec: a full run id, a unique prefix of one (4+ hex digits),
 * or "latest". Writes the full id into out (33 bytes).
 */
sb_status sb_run_resolve(sqlite3 *db, const char *spec, char out[33], char *err, size_t errlen);

/* The same for a calibration (sorabench calibrate): its id, a unique prefix, or "latest". */
sb_status sb_calib_resolve(sqlite3 *db, const char *spec, char out[33], char *err,
                           size_t errlen);

/*
 * The rows of calibration calib_id as a table: each probe, level and thread count with its
 * median, best and MAD rate; notes give the host, the date and whether it was emulated.
 */
sb_status sb_calib_table(sqlite3 *db, const char *calib_id, sb_table *out, char *err,
                         size_t errlen);

/*
 * The measured peaks of the machine that ran a run (analysis/calibration.c): from the
 * calibrations of hosts with the run's hostname, CPU brand and ISA features.
 */
typedef struct sb_peaks sb_peaks;
typedef enum {
    SB_PEAK_COMPUTE, /* multiply-adds of a dtype: GFLOP/s (GOP/s for int8) */
    SB_PEAK_DRAM,    /* the triad from memory beyond the caches: GB/s */
} sb_peak_kind;
sb_status sb_peaks_open(sqlite3 *db, const char *run_id, sb_peaks **out);
/*
 * The peak of a kind at threads threads, in G operations or GB per second: the median rate of the
 * fastest probe of that kind and thread count (compute: of dtype f32, bf16 or int8; DRAM: any
 * dtype, dtype is not read) in the machine's latest calibration that has one; probe and calib_id
 * name it. 0 when none was measured.
 */
double sb_peaks_get(sb_peaks *p, sb_peak_kind kind, const char *dtype, long threads,
                    char probe[64], char calib_id[33]);
void sb_peaks_close(sb_peaks *p);

/*
 * Per-layer table of one run: per case (and, for block/step cases, per layer
 * inside them): workload, layer, shape, variant, kernel, threads, median/MAD/
 * min ns per iteration, GFLOP/s, GB/s, share of the block's time, and against the machine's
 * calibrated peaks (sb_peaks): %peak, %bw (of the DRAM triad) and the roofline bound.
 */
sb_status sb_results_layers(sqlite3 *db, const char *run_id, sb_table *out, char *err,
                            size_t errlen);

/*
 * Per-iteration ns of case_id's repetitions into v (at most cap), from st, a prepared
 * "SELECT ns, iters[, start_ns] FROM sample WHERE case_id = ? ORDER BY rep". span (may be NULL:
 * start_ns is then not read) gets the first and last start_ns, both 0 when any is unknown.
 */
size_t sb_results_samples(sqlite3_stmt *st, sqlite3_int64 case_id, double *v, size_t cap,
                          int64_t span[2]);

/* One side of a comparison. */
typedef struct sb_compare_side {
    const char *run;       /* run id */
    const char *kernel;    /* kernel choice: "auto" or a kernel named by run --kernel */
    const char *variant;   /* only this variant, or NULL: the other side's (any, if both NULL) */
} sb_compare_side;

/*
 * Per-case comparison of the cases of side a and those of side b, joined on
 * the case key's fields (workload, model, resolution, aspect, duration, batch,
 * layer, threads, pinning) and the variant (the same on both sides, or the
 * two the sides name), with a geomean; a paired ratio and its interval where
 * the two cases' repetitions alternated. a and b may be the same run.
 */
sb_status sb_results_compare(sqlite3 *db, const sb_compare_side *a, const sb_compare_side *b,
                             sb_table *out, char *err, size_t errlen);

#endif
