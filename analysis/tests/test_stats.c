/*
 * test_stats.c - median, MAD, CV, the median's confidence interval and the
 * geometric mean on hand-computed cases; the ratio interval's Mann-Whitney ranks
 * against published tables and a brute-force count, and its estimate on scaled samples.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include "stats.h"

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void test_summary(void **state)
{
    const double v[] = {5, 1, 4, 2, 3, 100};
    sb_summary s;
    (void)state;
    sb_summarize(v, 6, &s);
    assert_int_equal(s.n, 6);
    assert_true(s.median == 3.5);      /* (3 + 4) / 2 */
    assert_true(s.mad == 1.5);         /* |dev| = 1.5 2.5 0.5 1.5 0.5 96.5 -> median 1.5 */
    assert_true(s.min == 1 && s.max == 100);
    assert_true(fabs(s.mean - 115.0 / 6) < 1e-12);
    assert_true(s.cv > 1.0);           /* one outlier dominates the stddev, not the median */
    const double odd[] = {7, 3, 5};
    sb_summarize(odd, 3, &s);
    assert_true(s.median == 5 && s.mad == 2);
    sb_summarize(v, 0, &s);
    assert_int_equal(s.n, 0);
    assert_true(s.median == 0);
    sb_summarize(odd, 1, &s);
    assert_true(s.median == 7 && s.mad == 0 && s.cv == 0);
}

static void test_geomean(void **state)
{
    const double v[] = {2, 8}, bad[] = {1, 0};
    (void)state;
    assert_true(fabs(sb_geomean(v, 2) - 4.0) < 1e-12);
    assert_true(sb_geomean(bad, 2) == 0.0);
    assert_true(sb_geomean(v, 0) == 0.0);
}

/*
 * Ranks from the binomial table: n = 6 -> 1 and 6 (coverage 1 - 2/64 = 96.9%),
 * n = 10 -> 2 and 9 (1 - 22/1024 = 97.9%), n = 20 -> 6 and 15
 * (1 - 2 * 21700/2^20 = 95.9%; rank 7 would give 88.5%).
 */
static void test_median_ci(void **state)
{
    double v[20], lo = 0, hi = 0;
    (void)state;
    for (int i = 0; i < 20; i++)
        v[i] = (double)((i * 7) % 20 + 1); /* 1..20, shuffled */
    assert_int_equal(sb_median_ci(v, 6, 0.95, &lo, &hi), 0);
    double six[6];
    for (int i = 0; i < 6; i++)
        six[i] = v[i];
    qsort(six, 6, sizeof(*six), cmp);
    assert_true(lo == six[0] && hi == six[5]);
    assert_int_equal(sb_median_ci(v, 20, 0.95, &lo, &hi), 0);
    assert_true(lo == 6 && hi == 15);
    assert_int_equal(sb_median_ci(v, 20, 0.80, &lo, &hi), 0);
    assert_true(lo == 7 && hi == 14);     /* 88.5% >= 80%; rank 8: 1 - 2 * 0.1316 = 73.7% */
    double ten[10];
    for (int i = 0; i < 10; i++)
        ten[i] = 10.0 - i;                  /* 10..1 */
    assert_int_equal(sb_median_ci(ten, 10, 0.95, &lo, &hi), 0);
    assert_true(lo == 2 && hi == 9);
    assert_int_equal(sb_median_ci(v, 5, 0.95, &lo, &hi), -1);   /* 1 - 2/32 = 93.75% < 95% */
    assert_int_equal(sb_median_ci(v, 0, 0.95, &lo, &hi), -1);
    assert_int_equal(sb_median_ci(v, 10, 1.0, &lo, &hi), -1);
}

/* Brute force: the rank sb_mw_rank should give, by counting U over every way to
 * choose which of the na+nb ordered positions are a's (na + nb <= 20). */
static size_t brute_rank(int na, int nb, double level)
{
    int n = na + nb;
    long total = 0, *count = calloc((size_t)(na * nb + 1), sizeof(*count));
    for (unsigned m = 0; m < (1u << n); m++) {
        if (__builtin_popcount(m) != na)
            continue;
        int u = 0, below = 0;                 /* positions ascending: b values seen so far */
        for (int i = 0; i < n; i++) {
            if (m & (1u << i))
                u += below;
            else
                below++;
        }
        count[u]++;
        total++;
    }
    size_t k = 0;
    long cum = 0;
    for (int u = 0; u <= na * nb / 2; u++) {
        cum += count[u];
        if ((double)cum / (double)total > 0.5 * (1.0 - level) * (1.0 + 1e-9))
            break;
        k = (size_t)u + 1;
    }
    free(count);
    return k;
}

static void test_mw_rank(void **state)
{
    (void)state;
    /* two-sided 5% critical values of U for equal samples (reject when U <= crit), as tabled */
    static const struct { size_t n, crit; } table[] = {
        {4, 0}, {5, 2}, {6, 5}, {7, 8}, {8, 13}, {9, 17}, {10, 23}, {12, 37}, {15, 64}, {20, 127}};
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        assert_int_equal(sb_mw_rank(table[i].n, table[i].n, 0.95), table[i].crit + 1);
    assert_int_equal(sb_mw_rank(3, 3, 0.95), 0);      /* 2/20 = 10% > 5%: no interval */
    assert_int_equal(sb_mw_rank(3, 4, 0.95), 0);      /* 2/35 */
    assert_int_equal(sb_mw_rank(3, 5, 0.95), 1);      /* 2/56 */
    for (int na = 1; na <= 10; na++)
        for (int nb = 1; na + nb <= 16; nb++) {
            assert_int_equal(sb_mw_rank((size_t)na, (size_t)nb, 0.95), brute_rank(na, nb, 0.95));
            assert_int_equal(sb_mw_rank((size_t)na, (size_t)nb, 0.80), brute_rank(na, nb, 0.80));
        }
    /* exact at 50 + 50, the normal approximation above: they meet (966 is the approximation's) */
    size_t exact = sb_mw_rank(50, 50, 0.95);
    assert_true(exact >= 965 && exact <= 967);
    assert_int_equal(sb_mw_rank(60, 60, 0.95), 1427);  /* floor(1800 - 1.95996 * 190.53 - 0.5) + 1 */
    assert_int_equal(sb_mw_rank(10, 10, 1.0), 0);
}

static void test_ratio_ci(void **state)
{
    double b[12], a[12], est = 0, lo = 0, hi = 0;
    (void)state;
    for (int i = 0; i < 12; i++) {
        b[i] = 1000.0 + (double)((i * 5) % 12) * 3.0;   /* 1000..1033, shuffled */
        a[(i + 7) % 12] = 1.2 * b[i];                     /* the same values, 20% slower */
    }
    assert_int_equal(sb_ratio_ci(a, 12, b, 12, 0.95, &est, &lo, &hi), 0);
    assert_true(fabs(est - 1.2) < 1e-12);
    assert_true(lo > 1.1 && lo < 1.2 && hi > 1.2 && hi < 1.3);
    assert_int_equal(sb_ratio_ci(b, 12, b, 12, 0.95, &est, &lo, &hi), 0);
    assert_true(fabs(est - 1.0) < 1e-12 && lo < 1.0 && hi > 1.0);
    /* the interval is the ranked ratios: 4 + 4 at 95% spans all 16, from min/max to max/min */
    assert_int_equal(sb_ratio_ci(a, 4, b, 4, 0.95, &est, &lo, &hi), 0);
    double amin = a[0], amax = a[0], bmin = b[0], bmax = b[0];
    for (int i = 1; i < 4; i++) {
        amin = fmin(amin, a[i]); amax = fmax(amax, a[i]);
        bmin = fmin(bmin, b[i]); bmax = fmax(bmax, b[i]);
    }
    assert_true(fabs(lo - amin / bmax) < 1e-12 && fabs(hi - amax / bmin) < 1e-12);
    assert_int_equal(sb_ratio_ci(a, 3, b, 3, 0.95, &est, &lo, &hi), -1);   /* too few */
    b[3] = 0.0;
    assert_int_equal(sb_ratio_ci(a, 12, b, 12, 0.95, &est, &lo, &hi), -1);  /* a zero time */
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_summary), cmocka_unit_test(test_geomean),
                                       cmocka_unit_test(test_median_ci), cmocka_unit_test(test_mw_rank),
                                       cmocka_unit_test(test_ratio_ci)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
