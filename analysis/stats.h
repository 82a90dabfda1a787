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

/* Geometric mean of n positive values; 0 if n == 0 or any value <= 0. */
double sb_geomean(const double *v, size_t n);

#endif
