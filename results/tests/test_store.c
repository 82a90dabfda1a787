/*
 * test_store.c - the SQLite store: a case round-trips with all its rows, and one stored
 * round by round (sb_store_case_extend) ends with the same rows; a
 * newer schema, a foreign SQLite file, a non-SQLite file and an unwritable path
 * are refused with a message naming the file, and the files are left untouched.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "store.h"

static char dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/sb_store_test_XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[300];
    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void path_of(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", dir, name);
}

static long count(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    long n = -1;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static const sb_run_info info = {
    .host_json = "{\"hostname\":\"h\",\"arch\":\"x86_64\",\"cores\":2,\"governor\":null}",
    .build_json = "{\"version\":\"0.1.0\",\"git\":\"abc\"}",
    .argv_json = "[\"sorabench\",\"run\"]", .env_json = "{}", .config_json = "{\"model\":\"tiny\"}",
    .seed = 1};

static void put_case(sb_store *s, const char *run, const char *key)
{
    uint64_t samples[3] = {100, 110, 90}, starts[3] = {1000, 2000, 3000};
    uint64_t node_ns[6] = {60, 40, 70, 40, 50, 40};
    sb_node_record nodes[2] = {{"spatial.norm1", 0, "ln_modulate", "ln_modulate.f32.ref", 0, 8},
                               {"final", -1, "linear", "linear.f32.ref", 1e6, 16}};
    sb_counter_record ctr[2] = {
        {.rep = 0, .collector = "rusage",
         .c = {.name = "rusage.minor_faults", .unit = "count", .value = 3, .status = SB_OK, .mux_ratio = 1}},
        {.rep = 0, .collector = "papi",
         .c = {.name = "papi.cycles", .unit = "count", .status = SB_ENOSUPP,
               .reason = "no hardware PMU", .mux_ratio = 1}}};
    sb_case_record c = {.case_key = key, .workload = "block", .model = "tiny", .res = "144p",
                        .aspect = "9:16", .dur = "2s", .batch = 2, .layer = "block",
                        .variant = "fp32", .dtype = "f32", .fused = 0, .flops = 1e6, .bytes = 24,
                        .threads = 2, .pin = "compact", .pus = "0;1", .warmup_iters = 1,
                        .warmup_ns = 10, .inner_iters = 1, .reps = 3, .setup_ns = 5,
                        .mem_bytes = 1024, .sample_ns = samples, .start_ns = starts, .nnodes = 2, .nodes = nodes,
                        .node_ns = node_ns, .ncounters = 2, .counters = ctr};
    assert_int_equal(sb_store_put_case(s, run, &c, NULL), SB_OK);
}

static void test_round_trip(void **state)
{
    char path[300], err[512] = "", run[33];
    sb_store *s = NULL;
    (void)state;
    path_of(path, sizeof(path), "rt.db");
    assert_int_equal(sb_store_open(&s, path, SB_STORE_WRITE, err, sizeof(err)), SB_OK);
    assert_int_equal(sb_store_run_begin(s, &info, run), SB_OK);
    assert_int_equal(strlen(run), 32);
    put_case(s, run, "k1");
    /* the same case key twice in one run is refused, and the first copy is intact */
    uint64_t one = 5;
    sb_case_record dup = {.case_key = "k1", .workload = "layer", .model = "tiny", .res = "144p",
                          .aspect = "9:16", .dur = "2s", .batch = 2, .layer = "x", .variant = "fp32",
                          .dtype = "f32", .threads = 1, .pin = "none", .inner_iters = 1, .reps = 1,
                          .sample_ns = &one};
    assert_int_equal(sb_store_put_case(s, run, &dup, NULL), SB_EDB);
    assert_non_null(strstr(sb_store_errmsg(s), path));
    assert_int_equal(sb_store_run_end(s, run, "done"), SB_OK);
    sb_store_close(s);

    assert_int_equal(sb_store_open(&s, path, SB_STORE_READ, err, sizeof(err)), SB_OK);
    sqlite3 *db = sb_store_db(s);
    assert_int_equal(count(db, "SELECT count(*) FROM \"case\""), 1);
    assert_int_equal(count(db, "SELECT sum(ns) FROM sample"), 300);
    assert_int_equal(count(db, "SELECT sum(start_ns) FROM sample WHERE start_ns = 1000 * (rep + 1)"),
                     6000);
    assert_int_equal(count(db, "SELECT count(*) FROM node WHERE block IS NULL"), 1);
    assert_int_equal(count(db, "SELECT sum(ns) FROM node_sample WHERE idx = 0"), 180);
    assert_int_equal(count(db, "SELECT count(*) FROM counter WHERE status = 'counted' AND value = 3"), 1);
    assert_int_equal(count(db, "SELECT count(*) FROM counter WHERE status = 'unavailable'"
                               " AND value IS NULL AND reason = 'no hardware PMU'"), 1);
    assert_int_equal(count(db, "SELECT count(*) FROM run WHERE status = 'done'"
                               " AND finished_at IS NOT NULL"), 1);
    assert_int_equal(count(db, "SELECT count(*) FROM host WHERE hostname = 'h' AND cores = 2"
                               " AND governor IS NULL"), 1);
    assert_int_equal(count(db, "PRAGMA user_version"), SB_SCHEMA_VERSION);
    assert_int_equal(count(db, "PRAGMA application_id"), SB_APPLICATION_ID);
    sb_store_close(s);

    /* a second run from the same host and build reuses their rows */
    assert_int_equal(sb_store_open(&s, path, SB_STORE_WRITE, err, sizeof(err)), SB_OK);
    assert_int_equal(sb_store_run_begin(s, &info, run), SB_OK);
    put_case(s, run, "k1");
    assert_int_equal(count(sb_store_db(s), "SELECT count(*) FROM host"), 1);
    assert_int_equal(count(sb_store_db(s), "SELECT count(*) FROM run"), 2);
    sb_store_close(s);
}

/* Read a whole file for before/after comparisons. */
static char *slurp(const char *path, size_t *len);

/*
 * A version 1 file (schema.sql alone, as sorabench 1 wrote it) with a counter
 * row and a sample is upgraded on open, for writing and for reading alike:
 * the rows are kept (event NULL, start_ns NULL) and the later tables exist.
 */
/* A case stored with its first repetition, then extended round by round, has every row once. */
static void test_extend(void **state)
{
    char path[300], err[512] = "", run[33];
    sb_store *s = NULL;
    int64_t id = -1;
    uint64_t samples[3] = {100, 110, 90}, starts[3] = {1000, 2000, 3000};
    uint64_t node_ns[6] = {60, 40, 70, 40, 50, 40};
    sb_node_record nodes[2] = {{"spatial.norm1", 0, "ln_modulate", "ln_modulate.f32.ref", 0, 8},
                               {"final", -1, "linear", "linear.f32.ref", 1e6, 16}};
    sb_counter_record ctr[3];
    for (int r = 0; r < 3; r++)
        ctr[r] = (sb_counter_record){.rep = r, .collector = "rusage",
                                     .c = {.name = "rusage.minor_faults", .unit = "count",
                                           .value = r + 1, .status = SB_OK, .mux_ratio = 1}};
    sb_case_record c = {.case_key = "k", .workload = "block", .model = "tiny", .res = "144p",
                        .aspect = "9:16", .dur = "2s", .batch = 2, .layer = "block",
                        .variant = "fp32", .dtype = "f32", .threads = 2, .pin = "compact",
                        .pus = "0;1", .inner_iters = 1, .reps = 1, .sample_ns = samples,
                        .start_ns = starts, .nnodes = 2, .nodes = nodes, .node_ns = node_ns,
                        .ncounters = 3, .counters = ctr,
                        .accuracy = {.reference = "f32 ref kernels", .elements = 4}};
    (void)state;
    path_of(path, sizeof(path), "ext.db");
    assert_int_equal(sb_store_open(&s, path, SB_STORE_WRITE, err, sizeof(err)), SB_OK);
    assert_int_equal(sb_store_run_begin(s, &info, run), SB_OK);
    assert_int_equal(sb_store_put_case(s, run, &c, &id), SB_OK);
    assert_true(id > 0);
    sqlite3 *db = sb_store_db(s);
    assert_int_equal(count(db, "SELECT count(*) FROM counter"), 1); /* rep 0's only */
    for (int to = 2; to <= 3; to++) {
        c.reps = to;
        c.pus = to == 3 ? "0;1|1;0" : "0;1";
        assert_int_equal(sb_store_case_extend(s, id, &c, to - 1), SB_OK);
    }
    assert_int_equal(count(db, "SELECT reps FROM \"case\" WHERE pus = '0;1|1;0'"), 3);
    assert_int_equal(count(db, "SELECT sum(ns) FROM sample"), 300);
    assert_int_equal(count(db, "SELECT sum(start_ns) FROM sample WHERE start_ns = 1000 * (rep + 1)"),
                     6000);
    assert_int_equal(count(db, "SELECT count(*) FROM node"), 2);
    assert_int_equal(count(db, "SELECT sum(ns) FROM node_sample WHERE idx = 0"), 180);
    assert_int_equal(count(db, "SELECT sum(value) FROM counter WHERE value = rep + 1"), 6);
    assert_int_equal(count(db, "SELECT count(*) FROM accuracy"), 1);
    /* a repetition count that is not the stored one is refused, naming the file; nothing changes */
    assert_int_equal(sb_store_case_extend(s, id, &c, 2), SB_EINVAL);
    assert_non_null(strstr(sb_store_errmsg(s), path));
    assert_int_equal(sb_store_case_extend(s, id + 1, &c, 3), SB_EINVAL);
    assert_int_equal(count(db, "SELECT count(*) FROM sample"), 3);
    assert_int_equal(count(db, "SELECT reps FROM \"case\""), 3);
    sb_store_close(s);
}

static void test_migrate_v1(void **state)
{
    char path[300], schema[512], err[512] = "";
    const char *root = getenv("SB_SOURCE_ROOT");
    sqlite3 *db = NULL;
    sb_store *s = NULL;
    size_t len;
    (void)state;
    if (!root)
        skip();
    snprintf(schema, sizeof(schema), "%s/results/schema.sql", root);
    char *v1 = slurp(schema, &len);
    assert_non_null(v1);
    for (int mode = 0; mode < 2; mode++) {
        path_of(path, sizeof(path), mode ? "v1r.db" : "v1w.db");
        assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
        assert_int_equal(sqlite3_exec(db, v1, NULL, NULL, NULL), SQLITE_OK);
        char pragma[128];
        snprintf(pragma, sizeof(pragma), "PRAGMA application_id=%d; PRAGMA user_version=1;",
                 SB_APPLICATION_ID);
        assert_int_equal(sqlite3_exec(db, pragma, NULL, NULL, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_exec(db,
            "INSERT INTO host(host_id, record) VALUES('h', '{}');"
            "INSERT INTO build(build_id, record) VALUES('b', '{}');"
            "INSERT INTO run(run_id, host_id, build_id, started_at, status, argv, env, seed, config)"
            " VALUES('r', 'h', 'b', '2026', 'done', '[]', '{}', 1, '{}');"
            "INSERT INTO \"case\"(case_id, run_id, case_key, kernel_choice, workload, model, res,"
            " aspect, dur, batch, layer, variant, dtype, fused, flops, bytes, threads, pin, warmup_iters,"
            " warmup_ns, inner_iters, reps, setup_ns, finished_at) VALUES(1, 'r', 'k', 'auto',"
            " 'layer', 'tiny', '144p', '9:16', '2s', 2, 'l', 'fp32', 'f32', 0, 1, 1, 1, 'none', 1, 1,"
            " 1, 1, 1, '2026');"
            "INSERT INTO counter(case_id, rep, collector, name, unit, value, status, reason, mux_ratio)"
            " VALUES(1, 0, 'rusage', 'rusage.minor_faults', 'count', 7, 'counted', NULL, 1);"
            "INSERT INTO sample(case_id, rep, ns, iters) VALUES(1, 0, 50, 1);",
            NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(db);
        assert_int_equal(sb_store_open(&s, path, mode ? SB_STORE_READ : SB_STORE_WRITE, err,
                                       sizeof(err)), SB_OK);
        db = sb_store_db(s);
        assert_int_equal(count(db, "PRAGMA user_version"), SB_SCHEMA_VERSION);
        assert_int_equal(count(db, "SELECT count(*) FROM counter WHERE value = 7 AND event IS NULL"
                                   " AND collector = 'rusage'"), 1);
        assert_int_equal(count(db, "SELECT count(*) FROM collector_use"), 0);
        assert_int_equal(count(db, "SELECT count(*) FROM metric_def"), 0);
        assert_int_equal(count(db, "SELECT count(*) FROM sample WHERE ns = 50 AND start_ns IS NULL"), 1);
        assert_int_equal(count(db, "SELECT count(*) FROM meta WHERE key = 'application'"), 1);
        assert_int_equal(count(db, "SELECT count(*) FROM baseline"), 0);
        assert_int_equal(count(db, "SELECT count(*) FROM verdict"), 0);
        sb_store_close(s);
        db = NULL;
    }
    free(v1);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc(*len + 1);
    assert_int_equal(fread(buf, 1, *len, f), *len);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

static void expect_refused(const char *path, sb_store_mode mode, sb_status want, const char *fragment)
{
    size_t n0, n1;
    char err[512] = "", *before = slurp(path, &n0), *after;
    sb_store *s = NULL;
    assert_int_equal(sb_store_open(&s, path, mode, err, sizeof(err)), want);
    assert_null(s);
    assert_non_null(strstr(err, path));
    if (!strstr(err, fragment))
        fail_msg("message '%s' lacks '%s'", err, fragment);
    after = slurp(path, &n1);
    assert_int_equal(n0, n1);
    assert_memory_equal(before, after, n0); /* never damaged */
    free(before);
    free(after);
}

static void test_refusals(void **state)
{
    char path[300], err[512] = "";
    sqlite3 *db = NULL;
    sb_store *s = NULL;
    (void)state;

    path_of(path, sizeof(path), "notes.txt");
    FILE *f = fopen(path, "w");
    fputs("this is not a database, but some user's notes\n", f);
    fclose(f);
    expect_refused(path, SB_STORE_WRITE, SB_EFORMAT, "not a SQLite database");
    expect_refused(path, SB_STORE_READ, SB_EFORMAT, "not a SQLite database");

    path_of(path, sizeof(path), "other.db");
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES(1)", 0, 0, 0), SQLITE_OK);
    sqlite3_close(db);
    expect_refused(path, SB_STORE_WRITE, SB_EFORMAT, "not a sorabench database");

    path_of(path, sizeof(path), "future.db");
    assert_int_equal(sb_store_open(&s, path, SB_STORE_WRITE, err, sizeof(err)), SB_OK);
    sqlite3_exec(sb_store_db(s), "PRAGMA user_version = 99", 0, 0, 0);
    sb_store_close(s);
    expect_refused(path, SB_STORE_WRITE, SB_EVERSION, "schema version 99");
    expect_refused(path, SB_STORE_READ, SB_EVERSION, "newer than this sorabench");

    path_of(path, sizeof(path), "missing.db");
    assert_int_equal(sb_store_open(&s, path, SB_STORE_READ, err, sizeof(err)), SB_ENOTFOUND);
    assert_non_null(strstr(err, path));
    assert_int_not_equal(access(path, F_OK), 0); /* reading never creates */

    assert_int_equal(sb_store_open(&s, "/proc/sorabench/x.db", SB_STORE_WRITE, err, sizeof(err)),
                     SB_EDB);
    assert_non_null(strstr(err, "/proc/sorabench/x.db"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_extend),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_migrate_v1),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
