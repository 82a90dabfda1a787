/*
 * merge.c - copy another sorabench database's runs into an open store (sorabench merge).
 *
 * Runs carry random 128-bit ids and hosts and builds content hashes, so they keep their keys;
 * the integer keys (case_id, check_id) are shifted past the store's largest. A run the store has
 * already gets the cases it lacks, and a later end (a run resumed after an earlier merge).
 * Everything is plain SQL over the attached file, table by table in the order of their foreign
 * keys, with the column lists read from the schema, in one transaction per file.
 */
#include "store.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How each table is copied: which integer key it shifts, and which of its rows are new. */
typedef enum shift { NO_SHIFT, CASE_SHIFT, CHECK_SHIFT } shift;

#define NEW_RUN "run_id IN (SELECT run_id FROM temp.merge_run)"
#define NEW_CASE "case_id IN (SELECT case_id FROM temp.merge_case)"
/* a check comes with the runs it held, unless every one of them was there already */
#define NEW_CHECK "check_id IN (SELECT check_id FROM src.check_run WHERE " NEW_RUN ")"

static const struct {
    const char *table;
    const char *key;       /* the shifted column, or NULL */
    shift shift;
    const char *rows;      /* WHERE clause over src, or NULL: every row not there yet */
} tables[] = {
    {"host", NULL, NO_SHIFT, NULL},
    {"build", NULL, NO_SHIFT, NULL},
    {"run", NULL, NO_SHIFT, NEW_RUN},
    {"metric_def", NULL, NO_SHIFT, NEW_RUN},
    {"case", "case_id", CASE_SHIFT, NEW_CASE},
    {"sample", "case_id", CASE_SHIFT, NEW_CASE},
    {"node", "case_id", CASE_SHIFT, NEW_CASE},
    {"node_sample", "case_id", CASE_SHIFT, NEW_CASE},
    {"counter", "case_id", CASE_SHIFT, NEW_CASE},
    {"accuracy", "case_id", CASE_SHIFT, NEW_CASE},
    {"collector_use", "case_id", CASE_SHIFT, NEW_CASE},
    {"baseline", "check_id", CHECK_SHIFT, NEW_CHECK},
    {"check_run", "check_id", CHECK_SHIFT, NEW_CHECK},
    {"verdict", "check_id", CHECK_SHIFT, NEW_CHECK},
    {"calibration", NULL, NO_SHIFT, NULL}, /* keyed by a random id: every row not there yet */
};
/* tables that hold no results: the file's own marks */
static const char *const skipped[] = {"meta"};

static sb_status fail(sqlite3 *db, const char *what, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s: %s", what, sqlite3_errmsg(db));
    return SB_EDB;
}

/* One integer from sql (no parameters); false on error. */
static bool query_int(sqlite3 *db, const char *sql, long long *out)
{
    sqlite3_stmt *st = NULL;
    bool ok = sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
              sqlite3_step(st) == SQLITE_ROW;
    if (ok)
        *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return ok;
}

/* Every table of main is in tables[] or skipped[], so no result is left behind unnoticed. */
static sb_status check_tables_known(sqlite3 *db, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    sb_status rc = SB_OK;
    if (sqlite3_prepare_v2(db, "SELECT name FROM main.sqlite_schema WHERE type = 'table' AND "
                           "name NOT LIKE 'sqlite_%'", -1, &st, NULL) != SQLITE_OK)
        return fail(db, "cannot list the tables", err, errlen);
    while (rc == SB_OK && sqlite3_step(st) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        bool known = false;
        for (size_t i = 0; i < SB_ARRAY_LEN(tables) && !known; i++)
            known = strcmp(tables[i].table, name) == 0;
        for (size_t i = 0; i < SB_ARRAY_LEN(skipped) && !known; i++)
            known = strcmp(skipped[i], name) == 0;
        if (!known) {
            snprintf(err, errlen, "merge does not know table '%s' of schema version %d", name,
                     SB_SCHEMA_VERSION);
            rc = SB_EINVAL;
        }
    }
    sqlite3_finalize(st);
    return rc;
}

/*
 * The INSERT that copies table i's new rows from src, malloc'd into *sql: its shifted key plus
 * parameter ?1. Identifiers cannot be bound, so the table's name (from tables[]) and its columns'
 * (from main's own schema) are written in, quoted.
 */
static sb_status copy_sql(sqlite3 *db, size_t i, char **sql, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    size_t cap = 4096, ncols = 0, ins = 0, sel = 0;
    char *cols = malloc(cap), *exprs = malloc(cap), pragma[96];
    sb_status rc = SB_OK;

    *sql = NULL;
    snprintf(pragma, sizeof(pragma), "PRAGMA main.table_info(\"%s\")", tables[i].table);
    if (!cols || !exprs) {
        rc = SB_ENOMEM;
        goto out;
    }
    cols[0] = exprs[0] = '\0';
    if (sqlite3_prepare_v2(db, pragma, -1, &st, NULL) != SQLITE_OK) {
        rc = fail(db, "cannot read the schema", err, errlen);
        goto out;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *c = (const char *)sqlite3_column_text(st, 1);
        bool key = tables[i].key && strcmp(c, tables[i].key) == 0;
        ins += (size_t)snprintf(cols + ins, cap - ins, "%s\"%s\"", ncols ? ", " : "", c);
        sel += (size_t)snprintf(exprs + sel, cap - sel, "%s\"%s\"%s", ncols ? ", " : "", c,
                                key ? " + ?1" : "");
        ncols++;
        if (ins >= cap || sel >= cap) {
            snprintf(err, errlen, "table %s has too many columns", tables[i].table);
            rc = SB_EINVAL;
            goto out;
        }
    }
    size_t len = 2 * cap + 256;
    if ((*sql = malloc(len)) == NULL) {
        rc = SB_ENOMEM;
        goto out;
    }
    snprintf(*sql, len, "INSERT %sINTO main.\"%s\" (%s) SELECT %s FROM src.\"%s\" WHERE %s",
             tables[i].rows ? "" : "OR IGNORE ", tables[i].table, cols, exprs, tables[i].table,
             tables[i].rows ? tables[i].rows : "1");
out:
    sqlite3_finalize(st);
    free(cols);
    free(exprs);
    return rc;
}

/* Copy every table's new rows, in tables[] order; counts the cases copied into n. */
static sb_status copy_tables(sqlite3 *db, sb_merge_counts *n, char *err, size_t errlen)
{
    long long off[3] = {0, 0, 0};
    sb_status rc = SB_OK;
    if (!query_int(db, "SELECT coalesce(max(case_id), 0) FROM main.\"case\"", &off[CASE_SHIFT]) ||
        !query_int(db, "SELECT coalesce(max(check_id), 0) FROM main.baseline", &off[CHECK_SHIFT]))
        return fail(db, "cannot read the largest keys", err, errlen);
    for (size_t i = 0; i < SB_ARRAY_LEN(tables) && rc == SB_OK; i++) {
        char *sql = NULL, what[96];
        sqlite3_stmt *st = NULL;
        if ((rc = copy_sql(db, i, &sql, err, errlen)) != SB_OK)
            break;
        bool ok = sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
                  (!tables[i].key || sqlite3_bind_int64(st, 1, off[tables[i].shift]) == SQLITE_OK) &&
                  sqlite3_step(st) == SQLITE_DONE;
        sqlite3_finalize(st);
        if (!ok) {
            snprintf(what, sizeof(what), "cannot copy table %s", tables[i].table);
            rc = fail(db, what, err, errlen);
        } else if (strcmp(tables[i].table, "case") == 0) {
            n->cases = sqlite3_changes(db);
        } else if (strcmp(tables[i].table, "baseline") == 0) {
            n->checks = sqlite3_changes(db);
        }
        free(sql);
    }
    return rc;
}

/* Cases a and b are one case of one run: "case" is unique by run, case key and kernel choice. */
#define SAME_CASE(a, b)                                                                            \
    a ".run_id = " b ".run_id AND " a ".case_key = " b ".case_key AND " a ".kernel_choice IS " b \
    ".kernel_choice"

/*
 * What src brings: merge_run, its runs main lacks; merge_case, their cases and the cases main
 * lacks of runs main has.
 */
static const char new_sql[] =
    "CREATE TEMP TABLE merge_run AS SELECT run_id FROM src.run"
    " WHERE run_id NOT IN (SELECT run_id FROM main.run);"
    "CREATE TEMP TABLE merge_case AS SELECT c.case_id, c.run_id FROM src.\"case\" c"
    " WHERE c.run_id IN (SELECT run_id FROM temp.merge_run) OR NOT EXISTS (SELECT 1 FROM"
    " main.\"case\" m WHERE " SAME_CASE("m", "c") ")";

/*
 * A run main has takes src's status and end when src's end is later (a run that was still
 * running, or was stopped, when main got it, and was resumed in src) and src holds every case
 * main has of it; where each holds cases the other lacks, main's record stays.
 */
static const char ended_sql[] =
    "UPDATE main.run SET status = s.status, finished_at = s.finished_at FROM src.run s"
    " WHERE main.run.run_id = s.run_id AND s.finished_at > coalesce(main.run.finished_at, '')"
    " AND NOT EXISTS (SELECT 1 FROM main.\"case\" m WHERE m.run_id = s.run_id AND NOT EXISTS"
    " (SELECT 1 FROM src.\"case\" c WHERE " SAME_CASE("c", "m") "))";

sb_status sb_store_merge(sb_store *s, const char *path, sb_merge_counts *n, char *err,
                         size_t errlen)
{
    sqlite3 *db = sb_store_db(s);
    sb_store *in = NULL;
    sqlite3_stmt *st = NULL;
    sb_status rc;
    bool attached = false, began = false;

    memset(n, 0, sizeof(*n));
    /* checks the file (and upgrades an older schema, as any reader does) before touching it */
    if ((rc = sb_store_open(&in, path, SB_STORE_READ, err, errlen)) != SB_OK)
        return rc;
    sb_store_close(in);
    if ((rc = check_tables_known(db, err, errlen)) != SB_OK)
        return rc;
    if (sqlite3_prepare_v2(db, "ATTACH DATABASE ?1 AS src", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_DONE) {
        rc = fail(db, path, err, errlen);
        goto out;
    }
    attached = true;
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        rc = fail(db, "cannot begin", err, errlen);
        goto out;
    }
    began = true;
    if (sqlite3_exec(db, new_sql, NULL, NULL, NULL) != SQLITE_OK ||
        !query_int(db, "SELECT count(*) FROM temp.merge_run", &n->runs) ||
        !query_int(db, "SELECT count(*) FROM src.run", &n->present) ||
        !query_int(db, "SELECT count(DISTINCT run_id) FROM temp.merge_case WHERE run_id NOT IN"
                       " (SELECT run_id FROM temp.merge_run)", &n->grown)) {
        rc = fail(db, "cannot list the new runs and cases", err, errlen);
        goto out;
    }
    n->present -= n->runs;
    if ((rc = copy_tables(db, n, err, errlen)) != SB_OK)
        goto out;
    if (sqlite3_exec(db, ended_sql, NULL, NULL, NULL) != SQLITE_OK) {
        rc = fail(db, "cannot update the runs that ended later", err, errlen);
        goto out;
    }
    n->ended = sqlite3_changes(db);
    if (sqlite3_exec(db, "DROP TABLE temp.merge_run; DROP TABLE temp.merge_case; COMMIT", NULL,
                     NULL, NULL) != SQLITE_OK) {
        rc = fail(db, "cannot commit", err, errlen);
        goto out;
    }
    began = false;
out:
    sqlite3_finalize(st);
    if (began)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_exec(db, "DROP TABLE IF EXISTS temp.merge_run; DROP TABLE IF EXISTS temp.merge_case",
                 NULL, NULL, NULL);
    if (attached)
        sqlite3_exec(db, "DETACH DATABASE src", NULL, NULL, NULL);
    return rc;
}
