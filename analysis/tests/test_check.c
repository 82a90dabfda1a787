/*
 * test_check.c - sb_check_runs on runs stored with known samples: each verdict (slower, faster,
 * same, undecided, missing), the outcome, the stored check; with several runs a side, each
 * run's median as one observation; and the runs it refuses (a run on both sides, an emulated
 * CPU, another CPU, a baseline without cases).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "check.h"
#include "store.h"

#define HOST "{\"hostname\":\"h\",\"arch\":\"x86_64\",\"cpu_brand\":\"EPYC\",\"uarch\":\"zen4\""
static const char host_json[] = HOST "}";
static const char build_json[] = "{\"buildtype\":\"release\",\"sanitize\":\"none\"}";

typedef struct spec {
    const char *layer;
    double scale;   /* times of the case: the base pattern times scale; 0: the case is absent */
    int reps;
} spec;

/* A run with one case per spec (key: the layer) on host; its id into id. */
static void put_run(sb_store *s, const char *host, int emulated, const spec *sp, size_t n,
                    char id[33])
{
    const sb_run_info info = {.host_json = host, .build_json = build_json, .argv_json = "[]",
                              .env_json = "{}", .config_json = "{}", .seed = 1,
                              .emulated = emulated};
    assert_int_equal(sb_store_run_begin(s, &info, id), SB_OK);
    for (size_t i = 0; i < n; i++) {
        uint64_t ns[12];
        if (sp[i].scale == 0)
            continue;
        for (int r = 0; r < sp[i].reps; r++)   /* 1000..1033 in a shuffled order */
            ns[r] = (uint64_t)(sp[i].scale * (1000.0 + (double)((r * 5 + 3 * (int)i) % 12) * 3.0));
        sb_case_record c = {.case_key = sp[i].layer, .kernel_choice = "auto", .workload = "layer",
                            .model = "tiny", .res = "144p", .aspect = "9:16", .dur = "2s",
                            .batch = 2, .layer = sp[i].layer, .variant = "fp32", .dtype = "f32",
                            .kernel = "k", .threads = 1, .pin = "none", .inner_iters = 1,
                            .reps = sp[i].reps, .sample_ns = ns};
        assert_int_equal(sb_store_put_case(s, id, &c, NULL), SB_OK);
    }
    assert_int_equal(sb_store_run_end(s, id, "done"), SB_OK);
}

static long count(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    long v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Options for one run against one baseline run. */
static sb_check_opts one(const char *const *run, const char *const *base, double threshold)
{
    return (sb_check_opts){run, 1, base, 1, threshold, 0.95};
}

/* A new, empty database /tmp/sb_check_<name>_<pid>.db; its path into path. */
static sb_store *fresh_store(const char *name, char path[64])
{
    char err[256] = "";
    sb_store *s = NULL;
    snprintf(path, 64, "/tmp/sb_check_%s_%d.db", name, (int)getpid());
    unlink(path);
    assert_int_equal(sb_store_open(&s, path, SB_STORE_WRITE, err, sizeof(err)), SB_OK);
    return s;
}

/* Free what one sb_check_runs call gave. */
static void release(sb_check_result *res, sb_table *t)
{
    sb_check_result_free(res);
    sb_table_free(t);
}

static const char *verdict_of(const sb_check_result *r, size_t i) { return r->rec.verdicts[i].verdict; }

static void test_verdicts(void **state)
{
    char path[64], base[33], run[33], base4[33], ok[33], err[256] = "";
    sb_store *s = NULL;
    sb_table t;
    sb_check_result res;
    (void)state;
    s = fresh_store("test", path);
    const spec b[] = {{"a", 1.0, 12}, {"b", 1.0, 12}, {"c", 1.0, 12}, {"d", 1.0, 12},
                      {"e", 1.0, 3}, {"f", 1.0, 12}};
    const spec r[] = {{"a", 1.2, 12},   /* 20% slower, beyond the spread: slower */
                      {"b", 1.01, 12},  /* 1% slower: within 5% */
                      {"c", 0.7, 12},   /* faster */
                      {"d", 1.04, 12},  /* significant, but under the threshold: same */
                      {"e", 1.5, 3},    /* 3 + 3 repetitions: undecided */
                      {"f", 0, 0},      /* missing */
                      {"g", 1.0, 12}};  /* no baseline */
    put_run(s, host_json, 0, b, 6, base);
    put_run(s, host_json, 0, r, 7, run);
    sqlite3 *db = sb_store_db(s);
    const char *rp[] = {run}, *bp[] = {base};
    sb_check_opts o = one(rp, bp, 0.05);
    assert_int_equal(sb_check_runs(db, &o, &t, &res, err, sizeof(err)), SB_OK);
    assert_int_equal(t.nrows, 6);
    const char *want[] = {"slower", "same", "faster", "same", "undecided", "missing"};
    for (size_t i = 0; i < 6; i++)
        assert_string_equal(verdict_of(&res, i), want[i]);
    assert_true(res.rec.verdicts[0].ratio > 1.19 && res.rec.verdicts[0].ratio < 1.21);
    assert_true(res.rec.verdicts[3].lo > 1.0);          /* significant, yet under 1.05 */
    assert_string_equal(res.rec.verdicts[5].case_key, "f");
    assert_true(isnan(res.rec.verdicts[5].ratio));
    assert_int_equal(res.extra, 1);
    assert_string_equal(res.rec.outcome, "regression");
    int64_t id = 0;
    assert_int_equal(sb_store_put_check(s, &res.rec, &id), SB_OK);
    assert_int_equal(count(db, "SELECT count(*) FROM verdict WHERE verdict = 'slower'"), 1);
    assert_int_equal(count(db, "SELECT count(*) FROM verdict WHERE case_key = 'f' AND ratio IS"
                               " NULL AND verdict = 'missing'"), 1);
    assert_int_equal(count(db, "SELECT count(*) FROM baseline WHERE outcome = 'regression' AND"
                               " threshold = 0.05 AND level = 0.95 AND unit = 'repetition'"), 1);
    assert_int_equal(count(db, "SELECT count(*) FROM check_run"), 2);
    release(&res, &t);

    /* a wider threshold: nothing slower, but e and f keep the outcome incomplete */
    o.threshold = 0.25;
    assert_int_equal(sb_check_runs(db, &o, &t, &res, err, sizeof(err)), SB_OK);
    assert_string_equal(verdict_of(&res, 0), "same");
    assert_string_equal(res.rec.outcome, "incomplete");
    release(&res, &t);

    /* the same times again, four cases of 12 repetitions: ok */
    put_run(s, host_json, 0, b, 4, base4);
    put_run(s, host_json, 0, b, 4, ok);
    const char *okp[] = {ok}, *b4p[] = {base4};
    o = one(okp, b4p, 0.05);
    assert_int_equal(sb_check_runs(db, &o, &t, &res, err, sizeof(err)), SB_OK);
    assert_string_equal(res.rec.outcome, "ok");
    assert_int_equal(res.count[SB_V_SAME], 4);
    release(&res, &t);
    sb_store_close(s);
    unlink(path);
}

static void test_refusals(void **state)
{
    char path[64], base[33], emu[33], other[33], empty[33], err[256] = "";
    sb_store *s = NULL;
    sb_table t;
    sb_check_result res;
    (void)state;
    s = fresh_store("refuse", path);
    const spec a[] = {{"a", 1.0, 12}};
    put_run(s, host_json, 0, a, 1, base);
    put_run(s, host_json, 1, a, 1, emu);
    put_run(s, "{\"hostname\":\"h\",\"arch\":\"x86_64\",\"cpu_brand\":\"Xeon\",\"uarch\":\"spr\"}",
            0, a, 1, other);
    put_run(s, host_json, 0, a, 0, empty);
    sqlite3 *db = sb_store_db(s);
    const struct { const char *run, *baseline, *why; } bad[] = {
        {base, base, "named twice"},
        {emu, base, "emulated CPU"},
        {base, emu, "emulated CPU"},
        {other, base, "compare sets two machines side by side"},
        {base, empty, "has no cases"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sb_check_opts o = one(&bad[i].run, &bad[i].baseline, 0.05);
        err[0] = '\0';
        assert_int_equal(sb_check_runs(db, &o, &t, &res, err, sizeof(err)), SB_EINVAL);
        if (!strstr(err, bad[i].why))
            fail_msg("case %zu: '%s' does not say '%s'", i, err, bad[i].why);
        release(&res, &t);
    }
    sb_store_close(s);
    unlink(path);
}

/* Several runs a side: each run's median is one observation, so the spread between runs counts. */
static void test_runs_as_observations(void **state)
{
    char path[64], ids[14][33], err[256] = "";
    sb_store *s = NULL;
    sb_table t;
    sb_check_result res;
    (void)state;
    s = fresh_store("runs", path);
    /* run-to-run factors: baselines, then runs of the same program, then slower runs */
    const double scale[12] = {1.0, 1.1, 0.9, 1.05, 1.0, 1.08, 0.95, 1.02, 1.5, 1.6, 1.45, 1.55};
    for (int i = 0; i < 12; i++) {
        const spec sp[] = {{"a", scale[i], 12}};
        put_run(s, host_json, 0, sp, 1, ids[i]);
    }
    const char *bp[4] = {ids[0], ids[1], ids[2], ids[3]};
    const char *same[4] = {ids[4], ids[5], ids[6], ids[7]};
    const char *slow[4] = {ids[8], ids[9], ids[10], ids[11]};
    sqlite3 *db = sb_store_db(s);
    sb_check_opts o = {same, 4, bp, 4, 0.05, 0.95};
    assert_int_equal(sb_check_runs(db, &o, &t, &res, err, sizeof(err)), SB_OK);
    assert_string_equal(verdict_of(&res, 0), "same");
    assert_string_equal(res.rec.unit, "run");
    release(&res, &t);
    /* the same pair of runs alone: their repetitions say slower (1.08 against 0.9) */
    o = one(&same[1], &bp[2], 0.05);
    assert_int_equal(sb_check_runs(db, &o, &t, &res, err, sizeof(err)), SB_OK);
    assert_string_equal(verdict_of(&res, 0), "slower");
    release(&res, &t);
    o = (sb_check_opts){slow, 4, bp, 4, 0.05, 0.95};
    assert_int_equal(sb_check_runs(db, &o, &t, &res, err, sizeof(err)), SB_OK);
    assert_string_equal(verdict_of(&res, 0), "slower");
    assert_true(res.rec.verdicts[0].ratio > 1.4 && res.rec.verdicts[0].ratio < 1.6);
    int64_t id = 0;
    assert_int_equal(sb_store_put_check(s, &res.rec, &id), SB_OK);
    assert_int_equal(count(db, "SELECT count(*) FROM check_run WHERE role = 'baseline'"), 4);
    assert_int_equal(count(db, "SELECT count(*) FROM check_run WHERE role = 'run'"), 4);
    release(&res, &t);
    o = (sb_check_opts){slow, 2, bp, 2, 0.05, 0.95};       /* 2 + 2: no 95% interval */
    assert_int_equal(sb_check_runs(db, &o, &t, &res, err, sizeof(err)), SB_OK);
    assert_string_equal(verdict_of(&res, 0), "undecided");
    assert_string_equal(res.rec.outcome, "incomplete");
    release(&res, &t);
    const char *twice[2] = {ids[8], ids[0]};
    o = (sb_check_opts){twice, 2, bp, 4, 0.05, 0.95};
    assert_int_equal(sb_check_runs(db, &o, &t, &res, err, sizeof(err)), SB_EINVAL);
    assert_non_null(strstr(err, "named twice"));
    release(&res, &t);
    sb_store_close(s);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_verdicts),
                                       cmocka_unit_test(test_refusals),
                                       cmocka_unit_test(test_runs_as_observations)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
