/*
 * check.h - runs held to baseline runs (sorabench check): each case of the baseline against
 * the runs' cases with the same case key and kernel choice, by the ratio of their per-iteration
 * times with a distribution-free confidence interval, and a verdict per case and overall.
 * Reads only the database; the caller stores the outcome (sb_store_put_check).
 */
#ifndef SB_CHECK_H
#define SB_CHECK_H

#include <sqlite3.h>
#include "store.h"
#include "table.h"

typedef struct sb_check_opts {
    const char *const *runs;       /* full run ids of the runs checked */
    size_t nruns;
    const char *const *baselines;  /* full run ids of the baseline runs; the first's cases are judged */
    size_t nbaselines;
    double threshold;         /* fraction, > 0: 0.05 tolerates slowdowns up to 5% */
    double level;             /* confidence level of the intervals, in (0.5, 1) */
} sb_check_opts;

/* Indices of sb_check_result.count. */
enum { SB_V_SLOWER, SB_V_FASTER, SB_V_SAME, SB_V_UNDECIDED, SB_V_MISSING, SB_V_COUNT };

typedef struct sb_check_result {
    sb_check_record rec;      /* what sb_store_put_check stores; its ids are the opts' strings */
    size_t count[SB_V_COUNT]; /* verdicts by kind */
    size_t extra;             /* the most cases of any run with no counterpart in the first baseline */
} sb_check_result;

/*
 * Check o->runs against o->baselines. The observations of a side are, with one run a side, the
 * repetitions of its case (an interval that knows only the spread within a run), else the
 * median of each of its runs (one per run: the spread between runs, which on a shared machine
 * is the larger). Per case of the first baseline run, with r the Hodges-Lehmann ratio of the
 * runs' time to the baselines' and [lo, hi] its interval at o->level (sb_ratio_ci):
 *   slower    r > 1 + threshold and lo > 1   (a slowdown beyond the threshold, and significant)
 *   faster    r < 1 / (1 + threshold) and hi < 1
 *   same      neither
 *   undecided too few observations for an interval at that level (4 + 4 at 95%)
 *   missing   a run has no such case
 * Outcome: regression if any case is slower; else incomplete if any is undecided or missing;
 * else ok. out gets one row per case and notes. Refused (SB_EINVAL, err says why): a run checked
 * against itself, a run on an emulated CPU, runs on different CPUs (architecture, brand or
 * microarchitecture), a baseline without cases. Free res with sb_check_result_free.
 */
sb_status sb_check_runs(sqlite3 *db, const sb_check_opts *o, sb_table *out, sb_check_result *res,
                        char *err, size_t errlen);

void sb_check_result_free(sb_check_result *res);

#endif
