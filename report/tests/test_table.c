/* test_table.c - renderers: CSV quoting (RFC 4180), JSON that parses back, Markdown shape. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "table.h"

static const sb_column cols[] = {{"name", "name", SB_COL_TEXT, 0},
                                 {"count", "count", SB_COL_INT, 0},
                                 {"rate", "rate", SB_COL_REAL, 2}};

static void fill(sb_table *t)
{
    sb_table_init(t, cols, 3, "title");
    long r = sb_table_add_row(t);
    sb_table_set_text(t, r, 0, "plain");
    sb_table_set_num(t, r, 1, 42);
    sb_table_set_num(t, r, 2, 1.5);
    r = sb_table_add_row(t);
    sb_table_set_text(t, r, 0, "a, \"quoted\" name");
    sb_table_set_num(t, r, 2, NAN); /* not finite: stored as no value */
    sb_table_add_note(t, "a note %d", 7);
}

static char *render(const sb_table *t, sb_format f)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    assert_int_equal(sb_table_render(t, f, m), SB_OK);
    fclose(m);
    return buf;
}

static void test_csv(void **state)
{
    sb_table t;
    (void)state;
    fill(&t);
    char *s = render(&t, SB_FMT_CSV);
    assert_string_equal(s, "name,count,rate\r\nplain,42,1.5\r\n\"a, \"\"quoted\"\" name\",,\r\n");
    free(s);
    sb_table_free(&t);
}

static void test_json(void **state)
{
    sb_table t;
    json_error_t e;
    (void)state;
    fill(&t);
    char *s = render(&t, SB_FMT_JSON);
    json_t *root = json_loads(s, 0, &e);
    assert_non_null(root);
    json_t *rows = json_object_get(root, "rows");
    assert_int_equal(json_array_size(rows), 2);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(rows, 0), "count")), 42);
    assert_true(json_real_value(json_object_get(json_array_get(rows, 0), "rate")) == 1.5);
    assert_true(json_is_null(json_object_get(json_array_get(rows, 1), "rate")));
    assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 1), "name")),
                        "a, \"quoted\" name");
    assert_string_equal(json_string_value(json_array_get(json_object_get(root, "notes"), 0)), "a note 7");
    json_decref(root);
    free(s);
    sb_table_free(&t);
}

static void test_text_and_md(void **state)
{
    sb_table t;
    (void)state;
    fill(&t);
    char *s = render(&t, SB_FMT_MD);
    assert_non_null(strstr(s, "| name "));
    assert_non_null(strstr(s, "|:"));      /* text column left-aligned */
    assert_non_null(strstr(s, "-:|"));     /* numbers right-aligned */
    assert_non_null(strstr(s, "- a note 7"));
    free(s);
    s = render(&t, SB_FMT_TABLE);
    assert_non_null(strstr(s, "1.50"));
    assert_non_null(strstr(s, "  -"));     /* a missing value is a dash, never 0 */
    free(s);
    sb_table_free(&t);
    sb_format f;
    assert_int_equal(sb_format_find("csv", &f), SB_OK);
    assert_int_equal(f, SB_FMT_CSV);
    assert_int_equal(sb_format_find("xml", &f), SB_ENOTFOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_csv), cmocka_unit_test(test_json),
                                       cmocka_unit_test(test_text_and_md)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
