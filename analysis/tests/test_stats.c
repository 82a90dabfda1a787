/*
 * test_stats.c - median, MAD, CV, the median's confidence interval and the
 * geometric mean on hand-computed cases.
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

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_summary), cmocka_unit_test(test_geomean),
                                       cmocka_unit_test(test_median_ci)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
