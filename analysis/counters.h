/*
 * counters.h - counters and derived metrics of stored runs. A metric is an
 * SQLite expression (from the run's event groups, table metric_def) evaluated
 * by SQLite over one case's counters of one collector: each alias is the sum
 * over repetitions of that counter (NULL when any repetition was not counted),
 * beside ns (sum of the samples), iters (sum of iterations), threads and
 * vl_scale (SVE bits / 128 of the host, 1 without SVE).
 */
#ifndef SB_COUNTERS_H
#define SB_COUNTERS_H

#include <sqlite3.h>
#include "table.h"

/* Share of a repetition above which a collector's cost is reported. */
#define SB_OVERHEAD_LIMIT 0.01

/*
 * Evaluate expr for (case_id, collector). SB_OK with *value, or SB_ENOTFOUND
 * with why (an input was not counted, and its reason), or SB_EINVAL when the
 * expression does not compile (why: SQLite's message).
 */
sb_status sb_metric_eval(sqlite3 *db, sqlite3_int64 case_id, const char *collector, const char *expr,
                         double *value, char *why, size_t len);

/*
 * Check that expr compiles as one SQLite expression over the names given plus
 * ns, iters, threads and vl_scale (for group file tests).
 */
sb_status sb_metric_check(const char *expr, const char *const *names, size_t n, char *err, size_t len);

/*
 * Counters and metrics of a run: per case and counter collector, each counter
 * per iteration (or why it is missing) and each metric of the run's groups.
 * Notes name the cases where a collector's cost exceeded SB_OVERHEAD_LIMIT.
 */
sb_status sb_results_counters(sqlite3 *db, const char *run_id, sb_table *out, char *err, size_t len);

/* Did the run use a counter collector (perf, papi) in any case? */
bool sb_run_has_counters(sqlite3 *db, const char *run_id);

/* Add to t a note per (case, collector) whose cost exceeded SB_OVERHEAD_LIMIT of a repetition. */
sb_status sb_results_overhead_notes(sqlite3 *db, const char *run_id, sb_table *t);

#endif
