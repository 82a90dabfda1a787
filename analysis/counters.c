/* counters.c - counters and derived metrics of stored runs (see counters.h). */
#include "counters.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Does expr mention name as a whole identifier? */
static bool mentions(const char *expr, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = strstr(expr, name); p; p = strstr(p + 1, name)) {
        bool before = p == expr || !(isalnum((unsigned char)p[-1]) || p[-1] == '_');
        bool after = !(isalnum((unsigned char)p[n]) || p[n] == '_');
        if (before && after)
            return true;
    }
    return false;
}

/*
 * Compile "SELECT (expr) FROM (<from>)" and free from. A metric is an SQL
 * expression by design (it is compiled, so it cannot be a bound parameter;
 * every value it reads is bound): what does not compile as one read-only
 * statement is refused.
 */
static sb_status compile(sqlite3 *db, sqlite3_str *from, const char *expr, sqlite3_stmt **st,
                         char *err, size_t len)
{
    char *f = sqlite3_str_finish(from);
    char *sql = f ? sqlite3_mprintf("SELECT (%s) FROM (%s)", expr, f) : NULL;
    const char *tail = NULL;
    sb_status rc = SB_OK;
    *st = NULL;
    if (!sql) {
        rc = SB_ENOMEM;
    } else if (sqlite3_prepare_v2(db, sql, -1, st, &tail) != SQLITE_OK) {
        snprintf(err, len, "metric '%s': %s", expr, sqlite3_errmsg(db));
        rc = SB_EINVAL;
    } else if ((tail && strspn(tail, " \t\n;") != strlen(tail)) || !sqlite3_stmt_readonly(*st)) {
        snprintf(err, len, "metric '%s' is not one read-only expression", expr);
        rc = SB_EINVAL;
    }
    if (rc != SB_OK) {
        sqlite3_finalize(*st);
        *st = NULL;
    }
    sqlite3_free(f);
    sqlite3_free(sql);
    return rc;
}

static const char builtins_sql[] =
    "(SELECT sum(ns) FROM sample WHERE case_id = ?1) AS ns,"
    " (SELECT sum(iters) FROM sample WHERE case_id = ?1) AS iters,"
    " (SELECT threads FROM \"case\" WHERE case_id = ?1) AS threads,"
    " coalesce((SELECT nullif(h.sve_bits, 0) / 128.0 FROM \"case\" c JOIN run r USING (run_id)"
    " JOIN host h USING (host_id) WHERE c.case_id = ?1), 1.0) AS vl_scale";

sb_status sb_metric_check(const char *expr, const char *const *names, size_t n, char *err, size_t len)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    sb_status rc = SB_ENOMEM;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK)
        goto out;
    sqlite3_str *from = sqlite3_str_new(db);
    sqlite3_str_appendall(from, "SELECT 1.0 AS ns, 1.0 AS iters, 1.0 AS threads, 1.0 AS vl_scale");
    for (size_t i = 0; i < n; i++)
        sqlite3_str_appendf(from, ", 1.0 AS \"%w\"", names[i]); /* %w: quoted identifier */
    rc = compile(db, from, expr, &st, err, len);
    if (rc == SB_OK && sqlite3_step(st) != SQLITE_ROW) {
        snprintf(err, len, "metric '%s' does not evaluate: %s", expr, sqlite3_errmsg(db));
        rc = SB_EINVAL;
    }
out:
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}

sb_status sb_metric_eval(sqlite3 *db, sqlite3_int64 case_id, const char *collector, const char *expr,
                         double *value, char *why, size_t len)
{
    sqlite3_stmt *names = NULL, *st = NULL;
    sqlite3_str *from = sqlite3_str_new(db);
    char bound[32][96];    /* counter names the expression uses, bound as ?3, ?4, ... */
    int nb = 0;
    sb_status rc = SB_ENOMEM;

    why[0] = '\0';
    /* one column per counter name of this case and collector: the sum over reps, NULL if any rep is missing */
    sqlite3_str_appendall(from, "SELECT ");
    sqlite3_str_appendall(from, builtins_sql);
    if (sqlite3_prepare_v2(db, "SELECT DISTINCT name FROM counter WHERE case_id = ?1 AND collector = ?2",
                           -1, &names, NULL) != SQLITE_OK) {
        snprintf(why, len, "cannot read counters: %s", sqlite3_errmsg(db));
        rc = SB_EDB;
        goto out;
    }
    sqlite3_bind_int64(names, 1, case_id);
    sqlite3_bind_text(names, 2, collector, -1, SQLITE_TRANSIENT);
    while (sqlite3_step(names) == SQLITE_ROW) {
        const char *n = (const char *)sqlite3_column_text(names, 0);
        if (!n || !mentions(expr, n) || nb == (int)SB_ARRAY_LEN(bound))
            continue;
        snprintf(bound[nb], sizeof(bound[nb]), "%s", n);
        sqlite3_str_appendf(from, ", (SELECT CASE WHEN count(*) = count(value) THEN sum(value) END"
                            " FROM counter WHERE case_id = ?1 AND collector = ?2 AND name = ?%d)"
                            " AS \"%w\"", 3 + nb++, n);
    }
    rc = compile(db, from, expr, &st, why, len);
    from = NULL;
    if (rc != SB_OK) {
        if (strstr(why, "no such column"))
            rc = SB_ENOTFOUND; /* an input was not asked for with this collector */
        goto out;
    }
    sqlite3_bind_int64(st, 1, case_id);
    sqlite3_bind_text(st, 2, collector, -1, SQLITE_TRANSIENT);
    for (int i = 0; i < nb; i++)
        sqlite3_bind_text(st, 3 + i, bound[i], -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
        *value = sqlite3_column_double(st, 0);
        rc = SB_OK;
        goto out;
    }
    /* NULL: say which input is missing, with its reason */
    rc = SB_ENOTFOUND;
    snprintf(why, len, "not computable (division by zero or an input not counted)");
    sqlite3_reset(names);
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT name, reason FROM counter WHERE case_id = ?1 AND collector = ?2"
                           " AND status <> 'counted' ORDER BY rep, name", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, case_id);
        sqlite3_bind_text(st, 2, collector, -1, SQLITE_TRANSIENT);
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *n = (const char *)sqlite3_column_text(st, 0);
            const char *r = (const char *)sqlite3_column_text(st, 1);
            if (n && mentions(expr, n)) {
                snprintf(why, len, "%s not counted: %s", n, r ? r : "?");
                break;
            }
        }
    }
out:
    sqlite3_finalize(names);
    sqlite3_finalize(st);
    sqlite3_free(sqlite3_str_finish(from)); /* NULL after compile() took it */
    return rc;
}

/* ==== the counters report ==== */

enum { K_LAYER, K_VARIANT, K_KERNEL, K_THREADS, K_COLLECTOR, K_NAME, K_SOURCE, K_VALUE, K_UNIT,
       K_MUX, K_STATUS, K_COUNT };

static const sb_column counter_cols[] = {
    [K_LAYER] = {"layer", "layer", SB_COL_TEXT, 0},
    [K_VARIANT] = {"variant", "variant", SB_COL_TEXT, 0},
    [K_KERNEL] = {"kernel", "kernel", SB_COL_TEXT, 0},
    [K_THREADS] = {"threads", "thr", SB_COL_INT, 0},
    [K_COLLECTOR] = {"collector", "collector", SB_COL_TEXT, 0},
    [K_NAME] = {"name", "counter / metric", SB_COL_TEXT, 0},
    [K_SOURCE] = {"source", "event / expression", SB_COL_TEXT, 0},
    [K_VALUE] = {"value", "value", SB_COL_SCI, 3},
    [K_UNIT] = {"unit", "unit", SB_COL_TEXT, 0},
    [K_MUX] = {"mux_ratio", "running", SB_COL_REAL, 2},
    [K_STATUS] = {"status", "status", SB_COL_TEXT, 0},
};
_Static_assert(SB_ARRAY_LEN(counter_cols) == K_COUNT, "one definition per column");

static const char pairs_sql[] =
    "SELECT c.case_id, c.layer, c.variant, coalesce(c.kernel, c.kernel_choice), c.threads,"
    " u.collector, u.reason FROM \"case\" c JOIN collector_use u USING (case_id)"
    " WHERE c.run_id = ?1 AND u.collector NOT IN ('time', 'rusage') ORDER BY c.case_id, u.rowid";

static const char case_counters_sql[] =
    "SELECT k.name, k.event, CASE WHEN count(*) = count(k.value) THEN sum(k.value) END"
    " / (SELECT sum(iters) FROM sample s WHERE s.case_id = ?1), min(k.mux_ratio),"
    " coalesce(max(CASE WHEN k.status <> 'counted' THEN k.status END), 'counted'), max(k.reason)"
    " FROM counter k WHERE k.case_id = ?1 AND k.collector = ?2 GROUP BY k.name ORDER BY min(k.rowid)";

static const char metrics_sql[] = "SELECT grp, name, expr FROM metric_def WHERE run_id = ?1 ORDER BY rowid";

static void set_text_col(sb_table *t, long row, size_t col, sqlite3_stmt *st, int i)
{
    const unsigned char *v = sqlite3_column_text(st, i);
    if (v)
        sb_table_set_text(t, row, col, (const char *)v);
}

/* The identity columns of a row, from pairs_sql. */
static long add_case_row(sb_table *t, sqlite3_stmt *pair)
{
    long row = sb_table_add_row(t);
    if (row < 0)
        return row;
    set_text_col(t, row, K_LAYER, pair, 1);
    set_text_col(t, row, K_VARIANT, pair, 2);
    set_text_col(t, row, K_KERNEL, pair, 3);
    sb_table_set_num(t, row, K_THREADS, (double)sqlite3_column_int(pair, 4));
    set_text_col(t, row, K_COLLECTOR, pair, 5);
    return row;
}

sb_status sb_results_counters(sqlite3 *db, const char *run_id, sb_table *out, char *err, size_t len)
{
    sqlite3_stmt *pair = NULL, *cnt = NULL, *met = NULL;
    sb_status rc = SB_OK;
    long pairs = 0;
    char title[200];

    snprintf(title, sizeof(title), "counters of run %.8s (per iteration, summed over threads)", run_id);
    sb_table_init(out, counter_cols, K_COUNT, title);
    if (sqlite3_prepare_v2(db, pairs_sql, -1, &pair, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, case_counters_sql, -1, &cnt, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, metrics_sql, -1, &met, NULL) != SQLITE_OK) {
        snprintf(err, len, "cannot query counters: %s", sqlite3_errmsg(db));
        rc = SB_EDB;
        goto out;
    }
    sqlite3_bind_text(pair, 1, run_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(met, 1, run_id, -1, SQLITE_TRANSIENT);
    while (rc == SB_OK && sqlite3_step(pair) == SQLITE_ROW) {
        sqlite3_int64 case_id = sqlite3_column_int64(pair, 0);
        const char *collector = (const char *)sqlite3_column_text(pair, 5);
        pairs++;
        sqlite3_reset(cnt);
        sqlite3_bind_int64(cnt, 1, case_id);
        sqlite3_bind_text(cnt, 2, collector, -1, SQLITE_TRANSIENT);
        while (sqlite3_step(cnt) == SQLITE_ROW) {
            long row = add_case_row(out, pair);
            const char *status = (const char *)sqlite3_column_text(cnt, 4);
            const char *reason = (const char *)sqlite3_column_text(cnt, 5);
            char buf[320];
            if (row < 0) {
                rc = SB_ENOMEM;
                break;
            }
            set_text_col(out, row, K_NAME, cnt, 0);
            set_text_col(out, row, K_SOURCE, cnt, 1);
            if (sqlite3_column_type(cnt, 2) != SQLITE_NULL) {
                sb_table_set_num(out, row, K_VALUE, sqlite3_column_double(cnt, 2));
                sb_table_set_num(out, row, K_MUX, sqlite3_column_double(cnt, 3));
            }
            sb_table_set_text(out, row, K_UNIT, "count/iter");
            snprintf(buf, sizeof(buf), "%s%s%s", status, reason ? ": " : "", reason ? reason : "");
            sb_table_set_text(out, row, K_STATUS, buf);
        }
        sqlite3_reset(met);
        while (rc == SB_OK && sqlite3_step(met) == SQLITE_ROW) {
            long row = add_case_row(out, pair);
            const char *grp = (const char *)sqlite3_column_text(met, 0);
            const char *expr = (const char *)sqlite3_column_text(met, 2);
            char name[160], why[320];
            double v = 0.0;
            if (row < 0) {
                rc = SB_ENOMEM;
                break;
            }
            snprintf(name, sizeof(name), "%s (%s)", (const char *)sqlite3_column_text(met, 1), grp);
            sb_table_set_text(out, row, K_NAME, name);
            sb_table_set_text(out, row, K_SOURCE, expr);
            sb_table_set_text(out, row, K_UNIT, "metric");
            if (sb_metric_eval(db, case_id, collector, expr, &v, why, sizeof(why)) == SB_OK) {
                sb_table_set_num(out, row, K_VALUE, v);
                sb_table_set_text(out, row, K_STATUS, "computed");
            } else {
                sb_table_set_text(out, row, K_STATUS, why);
            }
        }
    }
    if (rc == SB_OK && pairs == 0)
        sb_table_add_note(out, "run %.8s counted no events (run it with --events, e.g. --events "
                          "software or core)", run_id);
    if (rc == SB_OK)
        rc = sb_results_overhead_notes(db, run_id, out);
out:
    sqlite3_finalize(pair);
    sqlite3_finalize(cnt);
    sqlite3_finalize(met);
    return rc;
}

bool sb_run_has_counters(sqlite3 *db, const char *run_id)
{
    sqlite3_stmt *st = NULL;
    bool yes = false;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM \"case\" c JOIN collector_use u USING (case_id)"
                           " WHERE c.run_id = ?1 AND u.collector NOT IN ('time', 'rusage') LIMIT 1",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, run_id, -1, SQLITE_TRANSIENT);
        yes = sqlite3_step(st) == SQLITE_ROW;
    }
    sqlite3_finalize(st);
    return yes;
}

sb_status sb_results_overhead_notes(sqlite3 *db, const char *run_id, sb_table *t)
{
    /* the collectors run once per repetition: compare with the median repetition */
    static const char sql[] =
        "WITH rep AS (SELECT case_id, ns, row_number() OVER (PARTITION BY case_id ORDER BY ns) AS i,"
        " count(*) OVER (PARTITION BY case_id) AS n FROM sample),"
        " med AS (SELECT case_id, ns FROM rep WHERE i = (n + 1) / 2)"
        " SELECT c.layer, c.variant, c.threads, u.collector, u.overhead_ns, m.ns"
        " FROM \"case\" c JOIN collector_use u USING (case_id) JOIN med m USING (case_id)"
        " WHERE c.run_id = ?1 AND u.overhead_ns > ?2 * m.ns ORDER BY c.case_id, u.rowid";
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return SB_EDB;
    sqlite3_bind_text(st, 1, run_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(st, 2, SB_OVERHEAD_LIMIT);
    while (sqlite3_step(st) == SQLITE_ROW) {
        double cost = sqlite3_column_double(st, 4), rep = sqlite3_column_double(st, 5);
        sb_table_add_note(t, "collector %s: start+stop+read costs %.1f us, %.1f%% of %s %s t%d's "
                          "repetition (%.2f ms); outside the timed region, but it disturbs caches",
                          (const char *)sqlite3_column_text(st, 3), cost / 1e3, 100.0 * cost / rep,
                          (const char *)sqlite3_column_text(st, 0),
                          (const char *)sqlite3_column_text(st, 1), sqlite3_column_int(st, 2),
                          rep / 1e6);
    }
    sqlite3_finalize(st);
    return SB_OK;
}
