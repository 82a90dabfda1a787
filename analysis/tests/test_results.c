/*
 * test_results.c - the per-layer report of a stored run says what its numbers rest on: each
 * row's repetition count, a note counting the cases with fewer repetitions than the run asked
 * for (a stop cut them short), and a note per distinct reason why a case has no accuracy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "results.h"
#include "store.h"

/* The note of t that contains text, or NULL. */
static const char *note_with(const sb_table *t, const char *text)
{
    for (size_t i = 0; i < t->nnotes; i++)
        if (strstr(t->notes[i], text))
            return t->notes[i];
    return NULL;
}

/* The column of t whose key is key. */
static size_t col(const sb_table *t, const char *key)
{
    for (size_t c = 0; c < t->ncols; c++)
        if (strcmp(t->cols[c].key, key) == 0)
            return c;
    fail_msg("no column %s", key);
    return 0;
}

static void test_reps_and_accuracy_reasons(void **state)
{
    char path[64], run[33], err[256] = "";
    sb_store *s = NULL;
    sb_table t;
    (void)state;
    static const sb_run_info info = {.host_json = "{\"hostname\":\"h\"}", .build_json = "{}",
                                     .argv_json = "[]", .env_json = "{}",
                                     .config_json = "{\"reps\":3}", .seed = 1};
    snprintf(path, sizeof(path), "/tmp/sb_results_test_%d.db", (int)getpid());
    unlink(path);
    assert_int_equal(sb_store_open(&s, path, SB_STORE_WRITE, err, sizeof(err)), SB_OK);
    assert_int_equal(sb_store_run_begin(s, &info, run), SB_OK);

    uint64_t ns[3] = {1000, 1100, 1050};
    const char *big = "the reference could not be built: needs about 14.8 GiB";
    const struct { const char *layer; int reps; const char *reason; } cases[] = {
        {"spatial.mlp.fc1", 3, big},
        {"spatial.mlp.gelu", 2, big},  /* stopped after its second repetition */
        {"spatial.mlp.fc2", 3, NULL},  /* measured */
        {"temporal.attn.core", 3, "another reason"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char key[64];
        snprintf(key, sizeof(key), "k%zu", i);
        sb_case_record c = {.case_key = key, .kernel_choice = "auto", .workload = "layer",
                            .model = "tiny", .res = "144p", .aspect = "9:16", .dur = "2s",
                            .batch = 2, .layer = cases[i].layer, .variant = "bf16",
                            .dtype = "bf16", .threads = 2, .pin = "compact", .inner_iters = 1,
                            .reps = cases[i].reps, .sample_ns = ns,
                            .accuracy = {.reference = "f32 reference kernels",
                                         .reason = cases[i].reason, .elements = 10,
                                         .rel_l2 = 1e-3, .max_abs = 1e-2, .cosine = 0.99}};
        assert_int_equal(sb_store_put_case(s, run, &c, NULL), SB_OK);
    }

    assert_int_equal(sb_results_layers(sb_store_db(s), run, &t, err, sizeof(err)), SB_OK);
    assert_int_equal(t.nrows, 4);
    size_t reps = col(&t, "reps"), rel = col(&t, "rel_l2");
    for (size_t r = 0; r < 4; r++) {
        assert_true(t.cells[r * t.ncols + reps].num == cases[r].reps);
        assert_int_equal(t.cells[r * t.ncols + rel].null, cases[r].reason != NULL);
    }
    assert_non_null(note_with(&t, "1 case(s) have fewer repetitions than the 3 asked"));
    const char *n = note_with(&t, big);
    assert_non_null(n);
    assert_non_null(strstr(n, "2 case(s) (spatial.mlp.fc1 bf16 t2, ...)"));
    n = note_with(&t, "another reason");
    assert_non_null(n);
    assert_non_null(strstr(n, "1 case(s) (temporal.attn.core bf16 t2)"));
    sb_table_free(&t);
    sb_store_close(s);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_reps_and_accuracy_reasons)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
