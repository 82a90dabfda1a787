/* test_stats.c - median, MAD, CV and geometric mean on hand-computed cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include "stats.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_summary), cmocka_unit_test(test_geomean)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
