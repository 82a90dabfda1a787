/*
 * stats.h - robust summary statistics of repetition samples.
 * The median and MAD (median absolute deviation, unscaled) describe a case;
 * min/max/mean and the coefficient of variation are kept for reference.
 */
#ifndef SB_STATS_H
#define SB_STATS_H

#include <stddef.h>

typedef struct sb_summary {
    size_t n;              /* samples */
    double median, mad;    /* same unit as the samples */
    double min, max, mean;
    double cv;             /* stddev / mean; 0 for n < 2 */
} sb_summary;

/* Summarise n values (the array is not modified). n == 0 gives all zeros. */
void sb_summarize(const double *v, size_t n, sb_summary *out);

/* Median of n values (copied and sorted internally); 0 for n == 0. */
double sb_median(const double *v, size_t n);

/*
 * Distribution-free confidence interval of the median of n values: the order
 * statistics [x(k), x(n+1-k)] (1-based) with the largest k whose coverage,
 * 1 - 2 P(Binomial(n, 1/2) < k), is at least `level` (e.g. 0.95). Assumes only
 * independent draws from one distribution. Returns 0 and sets *lo, *hi, or
 * -1 when n is too small for that level (n < 6 at 0.95) or on no memory.
 */
int sb_median_ci(const double *v, size_t n, double level, double *lo, double *hi);

/*
 * The ratio of two independent samples' locations, a over b, with a distribution-free
 * confidence interval: the Hodges-Lehmann estimate (the median of the na*nb ratios a[i]/b[j])
 * and the interval [R(c), R(na*nb + 1 - c)] of those ratios sorted, where c - 1 is the
 * largest Mann-Whitney U whose lower tail is at most (1 - level) / 2: exact for na, nb <= 50,
 * the normal approximation (continuity-corrected) above. Assumes independent draws and that a
 * and b differ by a factor (a shift of log times), as timings of one op on one machine do.
 * All values must be > 0. Returns 0 and sets *est, *lo, *hi; -1 when the samples are too
 * small for that level (3 + 3 at 0.95: no interval can reach it), when na*nb exceeds
 * SB_RATIO_MAX_PAIRS, on a value <= 0, or on no memory.
 */
#define SB_RATIO_MAX_PAIRS ((size_t)1 << 22)
int sb_ratio_ci(const double *a, size_t na, const double *b, size_t nb, double level, double *est,
                double *lo, double *hi);

/*
 * The 1-based rank c of sb_ratio_ci's interval for samples of na and nb at level; 0 when no
 * interval reaches the level. Exposed for tests against published Mann-Whitney tables.
 */
size_t sb_mw_rank(size_t na, size_t nb, double level);

/* Geometric mean of n positive values; 0 if n == 0 or any value <= 0. */
double sb_geomean(const double *v, size_t n);

#endif
