/* stats.c - median, MAD and friends (see stats.h). */
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double sorted_median(const double *s, size_t n)
{
    if (n == 0)
        return 0.0;
    return n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}

double sb_median(const double *v, size_t n)
{
    double *s;
    double m;
    if (n == 0 || (s = malloc(n * sizeof(*s))) == NULL)
        return 0.0;
    memcpy(s, v, n * sizeof(*s));
    qsort(s, n, sizeof(*s), cmp_double);
    m = sorted_median(s, n);
    free(s);
    return m;
}

void sb_summarize(const double *v, size_t n, sb_summary *out)
{
    double *dev;
    memset(out, 0, sizeof(*out));
    if (n == 0)
        return;
    out->n = n;
    out->min = out->max = v[0];
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        sum += v[i];
        out->min = v[i] < out->min ? v[i] : out->min;
        out->max = v[i] > out->max ? v[i] : out->max;
    }
    out->mean = sum / (double)n;
    out->median = sb_median(v, n);
    if ((dev = malloc(n * sizeof(*dev))) != NULL) {
        for (size_t i = 0; i < n; i++)
            dev[i] = fabs(v[i] - out->median);
        out->mad = sb_median(dev, n);
        free(dev);
    }
    if (n > 1 && out->mean != 0.0) {
        double ss = 0.0;
        for (size_t i = 0; i < n; i++)
            ss += (v[i] - out->mean) * (v[i] - out->mean);
        out->cv = sqrt(ss / (double)(n - 1)) / fabs(out->mean);
    }
}

int sb_median_ci(const double *v, size_t n, double level, double *lo, double *hi)
{
    double *s, tail = 0.0, p = ldexp(1.0, -(int)(n < 1000 ? n : 1000)); /* P(B = 0) */
    size_t k = 0;
    if (n == 0 || n >= 1000 || !(level > 0.0 && level < 1.0))
        return -1;
    /* the largest k with 2 P(B <= k - 1) <= 1 - level */
    for (size_t i = 0; i < n / 2; i++) {
        tail += p;                                   /* P(B <= i) */
        if (2.0 * tail > 1.0 - level)
            break;
        k = i + 1;
        p = p * (double)(n - i) / (double)(i + 1);   /* P(B = i + 1) */
    }
    if (k == 0 || (s = malloc(n * sizeof(*s))) == NULL)
        return -1;
    memcpy(s, v, n * sizeof(*s));
    qsort(s, n, sizeof(*s), cmp_double);
    *lo = s[k - 1];
    *hi = s[n - k];
    free(s);
    return 0;
}

double sb_geomean(const double *v, size_t n)
{
    double s = 0.0;
    if (n == 0)
        return 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!(v[i] > 0.0))
            return 0.0;
        s += log(v[i]);
    }
    return exp(s / (double)n);
}
