/* test_grammar.c - the list/range grammar: values, order, bounds and error messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "grammar.h"

static void expect_list(const char *s, const long *want, size_t n)
{
    long *v = NULL;
    size_t nv = 0;
    char err[256] = "";
    assert_int_equal(sb_intlist_parse(s, 0, 1000, &v, &nv, err, sizeof(err)), SB_OK);
    assert_int_equal(nv, n);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(v[i], want[i]);
    free(v);
}

static void expect_error(const char *s, const char *fragment)
{
    long *v = NULL;
    size_t nv = 0;
    char err[256] = "";
    assert_int_equal(sb_intlist_parse(s, 1, 64, &v, &nv, err, sizeof(err)), SB_EINVAL);
    assert_null(v);
    assert_non_null(strstr(err, fragment));
}

static void test_lists(void **state)
{
    (void)state;
    expect_list("1,2,4", (long[]){1, 2, 4}, 3);
    expect_list("3", (long[]){3}, 1);
    expect_list("1-4", (long[]){1, 2, 3, 4}, 4);
    expect_list("1-64*2", (long[]){1, 2, 4, 8, 16, 32, 64}, 7);
    expect_list("1-8*2", (long[]){1, 2, 4, 8}, 4);
    expect_list("1-10*3", (long[]){1, 3, 9}, 3);
    expect_list("2-8+2", (long[]){2, 4, 6, 8}, 4);
    expect_list("2-9+3,1", (long[]){2, 5, 8, 1}, 4);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("", "empty");
    expect_error("1,,2", "empty item");
    expect_error("1,", "empty item");
    expect_error("a", "malformed item 'a'");
    expect_error("1-", "malformed item '1-'");
    expect_error("4-2", "malformed item '4-2'");
    expect_error("1-8*1", "malformed item '1-8*1'");
    expect_error("2x", "malformed item '2x'");
    expect_error("0", "value 0 in '0' is outside 1..64");
    expect_error("1-128*2", "value 128");
    expect_error(" 1", "malformed");
}

static void test_strlist(void **state)
{
    char **v = NULL, err[128] = "";
    size_t n = 0;
    (void)state;
    assert_int_equal(sb_strlist_parse("fp32,bf16", &v, &n, err, sizeof(err)), SB_OK);
    assert_int_equal(n, 2);
    assert_string_equal(v[0], "fp32");
    assert_string_equal(v[1], "bf16");
    sb_strlist_free(v, n);
    assert_int_equal(sb_strlist_parse("a,,b", &v, &n, err, sizeof(err)), SB_EINVAL);
    assert_non_null(strstr(err, "empty item"));
    assert_int_equal(sb_strlist_parse(",", &v, &n, err, sizeof(err)), SB_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lists),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_strlist),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
