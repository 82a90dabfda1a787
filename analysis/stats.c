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

/* Phi^-1(p) for 0 < p < 1, by bisection on erfc (ample for critical values). */
static double normal_quantile(double p)
{
    double lo = -40.0, hi = 40.0;
    for (int i = 0; i < 200; i++) {
        double mid = 0.5 * (lo + hi);
        if (0.5 * erfc(-mid / sqrt(2.0)) < p)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

/*
 * The exact null distribution of U (pairs with the a value above the b value) for samples of
 * na and nb into p[0 .. na*nb]: the largest of the na+nb values is an a with probability
 * na/(na+nb), and then it is above all nb b values. Returns -1 on no memory.
 */
static int mw_exact(size_t na, size_t nb, double *p)
{
    size_t len = na * nb + 1;
    double *prev = calloc((nb + 1) * len, sizeof(*prev)), *cur = calloc((nb + 1) * len, sizeof(*cur));
    if (!prev || !cur) {
        free(prev);
        free(cur);
        return -1;
    }
    for (size_t j = 0; j <= nb; j++)
        prev[j * len] = 1.0;                             /* f(0, j) = delta at 0 */
    for (size_t i = 1; i <= na; i++) {
        memset(cur, 0, (nb + 1) * len * sizeof(*cur));
        cur[0] = 1.0;                                    /* f(i, 0) */
        for (size_t j = 1; j <= nb; j++) {
            double wa = (double)i / (double)(i + j), wb = (double)j / (double)(i + j);
            double *f = cur + j * len;
            const double *fa = prev + j * len, *fb = cur + (j - 1) * len;
            for (size_t u = 0; u <= i * (j - 1); u++)
                f[u] = wb * fb[u];
            for (size_t u = 0; u <= (i - 1) * j; u++)
                f[u + j] += wa * fa[u];
        }
        double *t = prev;
        prev = cur;
        cur = t;
    }
    memcpy(p, prev + nb * len, len * sizeof(*p));
    free(prev);
    free(cur);
    return 0;
}

size_t sb_mw_rank(size_t na, size_t nb, double level)
{
    double tail = 0.5 * (1.0 - level);
    size_t k = 0;
    if (na == 0 || nb == 0 || !(level > 0.0 && level < 1.0))
        return 0;
    if (na <= 50 && nb <= 50) {
        double *p = malloc((na * nb + 1) * sizeof(*p)), cum = 0.0;
        if (!p || mw_exact(na, nb, p) != 0) {
            free(p);
            return 0;
        }
        for (size_t u = 0; u <= na * nb / 2; u++) {
            cum += p[u];
            if (cum > tail * (1.0 + 1e-9))
                break;
            k = u + 1;
        }
        free(p);
        return k;
    }
    double mu = 0.5 * (double)na * (double)nb;
    double sd = sqrt((double)na * (double)nb * (double)(na + nb + 1) / 12.0);
    double u = floor(mu - normal_quantile(1.0 - tail) * sd - 0.5);
    return u < 0.0 ? 0 : (size_t)u + 1;
}

int sb_ratio_ci(const double *a, size_t na, const double *b, size_t nb, double level, double *est,
                double *lo, double *hi)
{
    size_t n = na * nb, c = sb_mw_rank(na, nb, level);
    double *d;
    if (c == 0 || n > SB_RATIO_MAX_PAIRS || (d = malloc(n * sizeof(*d))) == NULL)
        return -1;
    for (size_t i = 0; i < na; i++)
        for (size_t j = 0; j < nb; j++) {
            if (!(a[i] > 0.0 && b[j] > 0.0)) {
                free(d);
                return -1;
            }
            d[i * nb + j] = log(a[i]) - log(b[j]);
        }
    qsort(d, n, sizeof(*d), cmp_double);
    *est = exp(sorted_median(d, n));
    *lo = exp(d[c - 1]);
    *hi = exp(d[n - c]);
    free(d);
    return 0;
}
