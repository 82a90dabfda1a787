/*
 * store.c - opening, creating and writing the sorabench database (store.h).
 * Reading is analysis/ and report/'s business, through sb_store_db().
 */
#include "store.h"

#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <jansson.h>

extern const char sb_schema_sql[];

struct sb_store {
    sqlite3 *db;
    char path[512];
    char msg[1280];          /* detail of the last failure */
};

const char *sb_store_errmsg(const sb_store *s) { return s ? s->msg : "no store"; }
sqlite3 *sb_store_db(sb_store *s) { return s->db; }

static sb_status db_fail(sb_store *s, const char *what)
{
    snprintf(s->msg, sizeof(s->msg), "%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
    return SB_EDB;
}

/* End the transaction the caller began: COMMIT when rc is SQLITE_OK; else, or when the commit
   fails, ROLLBACK, and the handle's message says what could not be done and SQLite's reason. */
static sb_status end_txn(sb_store *s, int rc, const char *what)
{
    if (rc == SQLITE_OK && sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
        return SB_OK;
    sb_status st = db_fail(s, what);
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return st;
}

/* One integer from a query without parameters; -1 and msg on error. */
static sb_status query_int(sb_store *s, const char *sql, long *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
        *out = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW)
        return SB_OK;
    return rc == SQLITE_NOTADB ? SB_EFORMAT : SB_EDB;
}

/* Check what is in the file before anything is written to it. */
static sb_status check_existing(sb_store *s, long *version, long *tables)
{
    long app = 0;
    sb_status st;
    if ((st = query_int(s, "SELECT count(*) FROM sqlite_schema", tables)) != SB_OK ||
        (st = query_int(s, "PRAGMA application_id", &app)) != SB_OK ||
        (st = query_int(s, "PRAGMA user_version", version)) != SB_OK) {
        if (st == SB_EFORMAT)
            snprintf(s->msg, sizeof(s->msg), "%s is not a SQLite database (left untouched)", s->path);
        else
            db_fail(s, "cannot read the database header");
        return st == SB_EFORMAT ? SB_EFORMAT : SB_EDB;
    }
    if (*tables > 0 && app != SB_APPLICATION_ID) {
        snprintf(s->msg, sizeof(s->msg),
                 "%s is a SQLite database but not a sorabench database (left untouched)", s->path);
        return SB_EFORMAT;
    }
    if (*version > SB_SCHEMA_VERSION) {
        snprintf(s->msg, sizeof(s->msg),
                 "%s has schema version %ld, newer than this sorabench (%d): use a newer sorabench",
                 s->path, *version, SB_SCHEMA_VERSION);
        return SB_EVERSION;
    }
    return SB_OK;
}

/* Forward-only migrations: migrations[i] takes version i + 1 to i + 2. */
extern const char sb_migrate_v2_sql[], sb_migrate_v3_sql[], sb_migrate_v4_sql[],
    sb_migrate_v5_sql[];
static const char *const migrations[] = {sb_migrate_v2_sql, sb_migrate_v3_sql, sb_migrate_v4_sql,
                                         sb_migrate_v5_sql};
_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == SB_SCHEMA_VERSION - 1,
               "one migration per version above 1");

/* Run sql (may be NULL) and the migrations from version `from`, in one transaction. */
static sb_status apply_schema(sb_store *s, const char *sql, long from, const char *what)
{
    char *emsg = NULL;
    char pragma[96];
    int rc;
    snprintf(pragma, sizeof(pragma), "PRAGMA application_id=%d; PRAGMA user_version=%d;",
             SB_APPLICATION_ID, SB_SCHEMA_VERSION);
    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(s, "cannot start the schema transaction");
    rc = sql ? sqlite3_exec(s->db, sql, NULL, NULL, &emsg) : SQLITE_OK;
    for (long v = from; rc == SQLITE_OK && v < SB_SCHEMA_VERSION; v++)
        rc = sqlite3_exec(s->db, migrations[v - 1], NULL, NULL, &emsg);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(s->db, pragma, NULL, NULL, &emsg);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, &emsg);
    if (rc != SQLITE_OK) {
        snprintf(s->msg, sizeof(s->msg), "%s: cannot %s: %s", s->path, what,
                 emsg ? emsg : sqlite3_errmsg(s->db));
        sqlite3_free(emsg);
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return SB_EDB;
    }
    return SB_OK;
}

static sb_status create_schema(sb_store *s)
{
    if (sqlite3_exec(s->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(s, "cannot enable WAL");
    return apply_schema(s, sb_schema_sql, 1, "create the schema");
}

sb_status sb_store_open(sb_store **out, const char *path, sb_store_mode mode, char *err,
                        size_t errlen)
{
    sb_status st = SB_OK;
    sb_store *s = calloc(1, sizeof(*s));
    long version = 0, tables = 0;
    struct stat sbuf;
    int flags = mode == SB_STORE_READ ? SQLITE_OPEN_READONLY
                                      : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;

    *out = NULL;
    if (!s)
        return SB_ENOMEM;
    snprintf(s->path, sizeof(s->path), "%s", path);
    if (mode == SB_STORE_READ && stat(path, &sbuf) != 0) {
        snprintf(s->msg, sizeof(s->msg), "%s: %s", path, strerror(errno));
        st = SB_ENOTFOUND;
        goto out;
    }
    if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
        snprintf(s->msg, sizeof(s->msg), "%s: cannot open: %s", path,
                 s->db ? sqlite3_errmsg(s->db) : "out of memory");
        st = SB_EDB;
        goto out;
    }
    sqlite3_busy_timeout(s->db, 10000);
    if ((st = check_existing(s, &version, &tables)) != SB_OK)
        goto out;
    if (tables == 0) {
        if (mode == SB_STORE_READ) {
            snprintf(s->msg, sizeof(s->msg), "%s is empty, not a sorabench database", path);
            st = SB_EFORMAT;
            goto out;
        }
        if ((st = create_schema(s)) != SB_OK)
            goto out;
    } else if (version < 1) {
        snprintf(s->msg, sizeof(s->msg), "%s has no schema version: not a sorabench database", path);
        st = SB_EFORMAT;
        goto out;
    }
    if (tables > 0 && version < SB_SCHEMA_VERSION) {
        /* forward-only, in one transaction; a reader upgrades the file too */
        if (mode == SB_STORE_READ) {
            sqlite3_close(s->db);
            s->db = NULL;
            if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
                snprintf(s->msg, sizeof(s->msg), "%s has schema version %ld and cannot be upgraded"
                         " to %d here: %s", path, version, SB_SCHEMA_VERSION,
                         s->db ? sqlite3_errmsg(s->db) : "out of memory");
                st = SB_EDB;
                goto out;
            }
            sqlite3_busy_timeout(s->db, 10000);
        }
        if ((st = apply_schema(s, NULL, version, "upgrade the schema")) != SB_OK)
            goto out;
    }
    if (sqlite3_exec(s->db, "PRAGMA foreign_keys=ON", NULL, NULL, NULL) != SQLITE_OK) {
        st = db_fail(s, "cannot enable foreign keys");
        goto out;
    }
    *out = s;
    s = NULL;
out:
    if (s) {
        snprintf(err, errlen, "%s", s->msg);
        sb_store_close(s);
    }
    return st;
}

void sb_store_close(sb_store *s)
{
    if (!s)
        return;
    sqlite3_close(s->db);
    free(s);
}

/* ==== runs ==== */

static void iso_now(char *buf, size_t len)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* FNV-1a 64-bit of a text, as 16 hex digits (an id for a record). */
static void fnv_hex(const char *text, char out[17])
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        h = (h ^ *p) * 0x100000001b3ull;
    snprintf(out, 17, "%016llx", (unsigned long long)h);
}

static sb_status exec_bound(sb_store *s, const char *sql, const char *what, int n, const char **text)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    for (int i = 0; rc == SQLITE_OK && i < n; i++)
        rc = sqlite3_bind_text(st, i + 1, text[i], -1, SQLITE_TRANSIENT);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? SB_OK : db_fail(s, what);
}

static const char host_sql[] =
    "INSERT OR IGNORE INTO host(host_id, record, hostname, arch, cpu_vendor, cpu_brand,"
    " cpu_family, cpu_model, midr, uarch, isa, sve_bits, packages, cores, pus, numa_nodes,"
    " l1d_bytes, l2_bytes, l3_bytes, mem_bytes, kernel, os, governor, thp, perf_event_paranoid,"
    " virtualization, instance_type, emulated) SELECT ?1, ?2, r->>'hostname', r->>'arch',"
    " r->>'cpu_vendor', r->>'cpu_brand', r->>'cpu_family', r->>'cpu_model', r->>'midr',"
    " r->>'uarch', r->>'isa', r->>'sve_bits', r->>'packages', r->>'cores', r->>'pus',"
    " r->>'numa_nodes', r->>'l1d_bytes', r->>'l2_bytes', r->>'l3_bytes', r->>'mem_bytes',"
    " r->>'kernel', r->>'os', r->>'governor', r->>'thp', r->>'perf_event_paranoid',"
    " r->>'virtualization', r->>'instance_type', coalesce(r->>'emulated', 0)"
    " FROM (SELECT json(?2) AS r)";

static const char build_sql[] =
    "INSERT OR IGNORE INTO build(build_id, record, version, git, git_dirty, compiler, buildtype,"
    " sanitize, isas, collectors, providers) SELECT ?1, ?2, r->>'version', r->>'git',"
    " r->>'git_dirty', r->>'compiler', r->>'buildtype', r->>'sanitize', r->>'isas',"
    " r->>'collectors', r->>'providers' FROM (SELECT json(?2) AS r)";

/* A new random 128-bit id as 32 hex digits. */
static sb_status new_id(sb_store *s, char id[33])
{
    unsigned char rnd[16];
    if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
        snprintf(s->msg, sizeof(s->msg), "getrandom failed: %s", strerror(errno));
        return SB_ESYS;
    }
    for (int i = 0; i < 16; i++)
        snprintf(id + 2 * i, 3, "%02x", rnd[i]);
    return SB_OK;
}

/* Store the host and build records unless there; their ids (content hashes) into the buffers. */
static sb_status put_host_build(sb_store *s, const char *host_json, const char *build_json,
                                char host_id[17], char build_id[17])
{
    sb_status ret;
    fnv_hex(host_json, host_id);
    fnv_hex(build_json, build_id);
    const char *h[] = {host_id, host_json}, *b[] = {build_id, build_json};
    if ((ret = exec_bound(s, host_sql, "cannot store the host record", 2, h)) != SB_OK)
        return ret;
    return exec_bound(s, build_sql, "cannot store the build record", 2, b);
}

sb_status sb_store_run_begin(sb_store *s, const sb_run_info *info, char run_id[33])
{
    char host_id[17], build_id[17], now[32];
    sqlite3_stmt *st = NULL;
    sb_status ret;
    int rc;

    if ((ret = new_id(s, run_id)) != SB_OK ||
        (ret = put_host_build(s, info->host_json, info->build_json, host_id, build_id)) != SB_OK)
        return ret;
    iso_now(now, sizeof(now));
    rc = sqlite3_prepare_v2(s->db,
                            "INSERT INTO run(run_id, host_id, build_id, started_at, status, argv,"
                            " env, seed, emulated, config) VALUES(?,?,?,?, 'running', json(?),"
                            " json(?), ?, ?, json(?))", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, run_id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, host_id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, build_id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 4, now, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 5, info->argv_json, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 6, info->env_json, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 7, (sqlite3_int64)info->seed);
        sqlite3_bind_int(st, 8, info->emulated);
        sqlite3_bind_text(st, 9, info->config_json, -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(st);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? SB_OK : db_fail(s, "cannot store the run");
}

sb_status sb_store_run_end(sb_store *s, const char *run_id, const char *status)
{
    char now[32];
    iso_now(now, sizeof(now));
    const char *v[] = {status, now, run_id};
    return exec_bound(s, "UPDATE run SET status = ?1, finished_at = ?2 WHERE run_id = ?3",
                      "cannot finish the run", 3, v);
}

static char *column_dup(sqlite3_stmt *st, int i)
{
    const char *t = (const char *)sqlite3_column_text(st, i);
    return t ? strdup(t) : NULL;
}

sb_status sb_store_run_get(sb_store *s, const char *run_id, sb_run_record *out)
{
    sqlite3_stmt *st = NULL;
    sb_status ret = SB_OK;
    *out = (sb_run_record){0};
    int rc = sqlite3_prepare_v2(s->db, "SELECT r.status, h.record, b.record, r.env, r.argv FROM run r"
                                " JOIN host h USING (host_id) JOIN build b USING (build_id)"
                                " WHERE r.run_id = ?", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, run_id, -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(st);
    }
    if (rc == SQLITE_ROW) {
        snprintf(out->status, sizeof(out->status), "%s", (const char *)sqlite3_column_text(st, 0));
        out->host_json = column_dup(st, 1);
        out->build_json = column_dup(st, 2);
        out->env_json = column_dup(st, 3);
        out->argv_json = column_dup(st, 4);
        if (!out->host_json || !out->build_json || !out->env_json || !out->argv_json) {
            snprintf(s->msg, sizeof(s->msg), "out of memory reading run %s", run_id);
            ret = SB_ENOMEM;
        }
    } else if (rc == SQLITE_DONE) {
        snprintf(s->msg, sizeof(s->msg), "%s: no run %s", s->path, run_id);
        ret = SB_ENOTFOUND;
    } else {
        ret = db_fail(s, "cannot read the run");
    }
    sqlite3_finalize(st);
    if (ret != SB_OK)
        sb_run_record_free(out);
    return ret;
}

void sb_run_record_free(sb_run_record *r)
{
    free(r->host_json);
    free(r->build_json);
    free(r->env_json);
    free(r->argv_json);
    *r = (sb_run_record){0};
}

sb_status sb_store_run_reopen(sb_store *s, const char *run_id)
{
    const char *v[] = {run_id};
    return exec_bound(s, "UPDATE run SET status = 'running', finished_at = NULL WHERE run_id = ?1",
                      "cannot reopen the run", 1, v);
}

sb_status sb_store_case_reps(sb_store *s, const char *run_id, const char *case_key,
                             const char *kernel_choice, int *reps)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "SELECT reps FROM \"case\" WHERE run_id = ?1 AND"
                                " case_key = ?2 AND kernel_choice = ?3", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, run_id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, case_key, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, kernel_choice, -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(st);
    }
    *reps = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? SB_OK : db_fail(s, "cannot read the cases");
}

/* ==== cases ==== */

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

static int insert_case_row(sb_store *s, const char *run_id, const sb_case_record *c,
                           sqlite3_int64 *case_id)
{
    static const char sql[] =
        "INSERT INTO \"case\"(run_id, case_key, kernel_choice, workload, model, res, aspect, dur, batch, layer,"
        " op, variant, dtype, fused, kernel, isa, shape, m, n, k, flops, bytes, threads, pin, pus,"
        " warmup_iters, warmup_ns, inner_iters, reps, setup_ns, mem_bytes, finished_at)"
        " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
    sqlite3_stmt *st = NULL;
    char now[32];
    int i = 1, rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    iso_now(now, sizeof(now));
    const char *t1[] = {run_id, c->case_key, c->kernel_choice ? c->kernel_choice : "auto", c->workload, c->model, c->res, c->aspect, c->dur};
    for (size_t j = 0; j < SB_ARRAY_LEN(t1); j++)
        bind_text_or_null(st, i++, t1[j]);
    sqlite3_bind_int(st, i++, c->batch);
    const char *t2[] = {c->layer, c->op, c->variant, c->dtype};
    for (size_t j = 0; j < SB_ARRAY_LEN(t2); j++)
        bind_text_or_null(st, i++, t2[j]);
    sqlite3_bind_int(st, i++, c->fused);
    const char *t3[] = {c->kernel, c->isa, c->shape};
    for (size_t j = 0; j < SB_ARRAY_LEN(t3); j++)
        bind_text_or_null(st, i++, t3[j]);
    sqlite3_bind_int64(st, i++, c->m);
    sqlite3_bind_int64(st, i++, c->n);
    sqlite3_bind_int64(st, i++, c->k);
    sqlite3_bind_double(st, i++, c->flops);
    sqlite3_bind_double(st, i++, c->bytes);
    sqlite3_bind_int(st, i++, c->threads);
    bind_text_or_null(st, i++, c->pin);
    bind_text_or_null(st, i++, c->pus);
    sqlite3_bind_int64(st, i++, c->warmup_iters);
    sqlite3_bind_int64(st, i++, (sqlite3_int64)c->warmup_ns);
    sqlite3_bind_int64(st, i++, c->inner_iters);
    sqlite3_bind_int(st, i++, c->reps);
    sqlite3_bind_int64(st, i++, (sqlite3_int64)c->setup_ns);
    sqlite3_bind_double(st, i++, c->mem_bytes);
    sqlite3_bind_text(st, i++, now, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    *case_id = sqlite3_last_insert_rowid(s->db);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* The rows of repetitions [from, c->reps): samples, node times and counters. */
static int insert_reps(sb_store *s, sqlite3_int64 id, const sb_case_record *c, int from)
{
    sqlite3_stmt *smp = NULL, *nsm = NULL, *cnt = NULL;
    int rc = sqlite3_prepare_v2(s->db, "INSERT INTO sample(case_id, rep, ns, iters, start_ns)"
                                " VALUES(?,?,?,?,?)",
                                -1, &smp, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(s->db, "INSERT INTO node_sample(case_id, idx, rep, ns)"
                                " VALUES(?,?,?,?)", -1, &nsm, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(s->db, "INSERT INTO counter(case_id, rep, collector, name, event,"
                                " unit, value, status, reason, mux_ratio)"
                                " VALUES(?,?,?,?,?,?,?,?,?,?)", -1, &cnt, NULL);
    for (int r = from; rc == SQLITE_OK && r < c->reps; r++) {
        sqlite3_bind_int64(smp, 1, id);
        sqlite3_bind_int(smp, 2, r);
        sqlite3_bind_int64(smp, 3, (sqlite3_int64)c->sample_ns[r]);
        sqlite3_bind_int64(smp, 4, c->inner_iters);
        if (c->start_ns)
            sqlite3_bind_int64(smp, 5, (sqlite3_int64)c->start_ns[r]);
        else
            sqlite3_bind_null(smp, 5);
        rc = sqlite3_step(smp) == SQLITE_DONE ? sqlite3_reset(smp) : sqlite3_errcode(s->db);
        for (size_t i = 0; rc == SQLITE_OK && i < c->nnodes; i++) {
            sqlite3_bind_int64(nsm, 1, id);
            sqlite3_bind_int64(nsm, 2, (sqlite3_int64)i);
            sqlite3_bind_int(nsm, 3, r);
            sqlite3_bind_int64(nsm, 4, (sqlite3_int64)c->node_ns[(size_t)r * c->nnodes + i]);
            rc = sqlite3_step(nsm) == SQLITE_DONE ? sqlite3_reset(nsm) : sqlite3_errcode(s->db);
        }
    }
    for (size_t i = 0; rc == SQLITE_OK && i < c->ncounters; i++) {
        const sb_counter_record *k = &c->counters[i];
        if (k->rep < from || k->rep >= c->reps)
            continue;
        const char *status = k->c.status == SB_OK ? "counted"
                             : k->c.status == SB_ENOTFOUND ? "unknown" : "unavailable";
        sqlite3_bind_int64(cnt, 1, id);
        sqlite3_bind_int(cnt, 2, k->rep);
        sqlite3_bind_text(cnt, 3, k->collector, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(cnt, 4, k->c.name, -1, SQLITE_TRANSIENT);
        bind_text_or_null(cnt, 5, k->c.event[0] ? k->c.event : NULL);
        sqlite3_bind_text(cnt, 6, k->c.unit, -1, SQLITE_TRANSIENT);
        if (k->c.status == SB_OK)
            sqlite3_bind_double(cnt, 7, k->c.value);
        else
            sqlite3_bind_null(cnt, 7);
        sqlite3_bind_text(cnt, 8, status, -1, SQLITE_STATIC);
        bind_text_or_null(cnt, 9, k->c.status == SB_OK ? NULL : k->c.reason);
        sqlite3_bind_double(cnt, 10, k->c.mux_ratio);
        rc = sqlite3_step(cnt) == SQLITE_DONE ? sqlite3_reset(cnt) : sqlite3_errcode(s->db);
    }
    sqlite3_finalize(smp);
    sqlite3_finalize(nsm);
    sqlite3_finalize(cnt);
    return rc;
}

/* The rows a case has once, whatever its repetitions: nodes, collector uses, accuracy. */
static int insert_once(sb_store *s, sqlite3_int64 id, const sb_case_record *c)
{
    sqlite3_stmt *nod = NULL;
    int rc = sqlite3_prepare_v2(s->db, "INSERT INTO node(case_id, idx, layer, block, op, kernel,"
                                " flops, bytes) VALUES(?,?,?,?,?,?,?,?)", -1, &nod, NULL);
    for (size_t i = 0; rc == SQLITE_OK && i < c->nnodes; i++) {
        const sb_node_record *n = &c->nodes[i];
        sqlite3_bind_int64(nod, 1, id);
        sqlite3_bind_int64(nod, 2, (sqlite3_int64)i);
        sqlite3_bind_text(nod, 3, n->layer, -1, SQLITE_TRANSIENT);
        if (n->block >= 0)
            sqlite3_bind_int(nod, 4, n->block);
        else
            sqlite3_bind_null(nod, 4);
        sqlite3_bind_text(nod, 5, n->op, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(nod, 6, n->kernel, -1, SQLITE_TRANSIENT);
        sqlite3_bind_double(nod, 7, n->flops);
        sqlite3_bind_double(nod, 8, n->bytes);
        rc = sqlite3_step(nod) == SQLITE_DONE ? sqlite3_reset(nod) : sqlite3_errcode(s->db);
    }
    sqlite3_finalize(nod);
    if (rc == SQLITE_OK && c->nuses) {
        sqlite3_stmt *use = NULL;
        rc = sqlite3_prepare_v2(s->db, "INSERT INTO collector_use(case_id, collector, status, reason,"
                                " overhead_ns) VALUES(?,?,?,?,?)", -1, &use, NULL);
        for (size_t i = 0; rc == SQLITE_OK && i < c->nuses; i++) {
            const sb_collector_use_record *u = &c->uses[i];
            sqlite3_bind_int64(use, 1, id);
            sqlite3_bind_text(use, 2, u->collector, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(use, 3, u->reason ? "unavailable" : "used", -1, SQLITE_STATIC);
            bind_text_or_null(use, 4, u->reason);
            if (u->reason)
                sqlite3_bind_null(use, 5);
            else
                sqlite3_bind_double(use, 5, u->overhead_ns);
            rc = sqlite3_step(use) == SQLITE_DONE ? sqlite3_reset(use) : sqlite3_errcode(s->db);
        }
        sqlite3_finalize(use);
    }
    if (rc == SQLITE_OK && c->accuracy.reference) {
        sqlite3_stmt *acc = NULL;
        const sb_accuracy_record *a = &c->accuracy;
        rc = sqlite3_prepare_v2(s->db, "INSERT INTO accuracy(case_id, reference, status, reason,"
                                " elements, rel_l2, max_abs, cosine) VALUES(?,?,?,?,?,?,?,?)", -1,
                                &acc, NULL);
        if (rc == SQLITE_OK) {
            sqlite3_bind_int64(acc, 1, id);
            sqlite3_bind_text(acc, 2, a->reference, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(acc, 3, a->reason ? "unavailable" : "measured", -1, SQLITE_STATIC);
            bind_text_or_null(acc, 4, a->reason);
            if (!a->reason) {
                sqlite3_bind_int64(acc, 5, a->elements);
                sqlite3_bind_double(acc, 6, a->rel_l2);   /* SQLite stores inf; NaN as NULL */
                sqlite3_bind_double(acc, 7, a->max_abs);
                sqlite3_bind_double(acc, 8, a->cosine);
            }
            rc = sqlite3_step(acc) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(s->db);
        }
        sqlite3_finalize(acc);
    }
    return rc;
}

sb_status sb_store_put_metrics(sb_store *s, const char *run_id, const sb_metric_def *m, size_t n)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(s, "cannot start the metrics transaction");
    rc = sqlite3_prepare_v2(s->db, "INSERT INTO metric_def(run_id, grp, name, expr) VALUES(?,?,?,?)",
                            -1, &st, NULL);
    for (size_t i = 0; rc == SQLITE_OK && i < n; i++) {
        sqlite3_bind_text(st, 1, run_id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, m[i].grp, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, m[i].name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 4, m[i].expr, -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(st) == SQLITE_DONE ? sqlite3_reset(st) : sqlite3_errcode(s->db);
    }
    sqlite3_finalize(st);
    return end_txn(s, rc, "cannot store the metric definitions");
}

sb_status sb_store_put_case(sb_store *s, const char *run_id, const sb_case_record *c,
                            int64_t *case_id)
{
    sqlite3_int64 id = 0;
    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(s, "cannot start the case transaction");
    int rc = insert_case_row(s, run_id, c, &id);
    if (rc == SQLITE_OK)
        rc = insert_once(s, id, c);
    if (rc == SQLITE_OK)
        rc = insert_reps(s, id, c, 0);
    sb_status st = end_txn(s, rc, "cannot store the case");
    if (st == SB_OK && case_id)
        *case_id = (int64_t)id;
    return st;
}

sb_status sb_store_case_extend(sb_store *s, int64_t case_id, const sb_case_record *c, int from)
{
    sqlite3_stmt *st = NULL;
    char now[32];
    int rc;
    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(s, "cannot start the repetitions' transaction");
    iso_now(now, sizeof(now));
    rc = sqlite3_prepare_v2(s->db, "UPDATE \"case\" SET reps = ?1, pus = ?2, finished_at = ?3"
                            " WHERE case_id = ?4 AND reps = ?5", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int(st, 1, c->reps);
        bind_text_or_null(st, 2, c->pus);
        sqlite3_bind_text(st, 3, now, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 4, (sqlite3_int64)case_id);
        sqlite3_bind_int(st, 5, from);
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(s->db);
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_OK && sqlite3_changes(s->db) != 1) {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        snprintf(s->msg, sizeof(s->msg), "%s: case %lld has no %d stored repetitions to extend",
                 s->path, (long long)case_id, from);
        return SB_EINVAL;
    }
    if (rc == SQLITE_OK)
        rc = insert_reps(s, (sqlite3_int64)case_id, c, from);
    return end_txn(s, rc, "cannot store the repetitions");
}

/* ==== regression checks ==== */

/* v into parameter i, NULL when it is not a number (NAN: not measured). */
static void bind_real_or_null(sqlite3_stmt *st, int i, double v)
{
    if (v == v)
        sqlite3_bind_double(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

/* c's runs in their roles, then its verdicts, under check id (inside the caller's transaction). */
static int insert_check_rows(sb_store *s, const sb_check_record *c, sqlite3_int64 id)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "INSERT INTO check_run(check_id, run_id, role)"
                                " VALUES(?,?,?)", -1, &st, NULL);
    for (size_t i = 0; rc == SQLITE_OK && i < c->nbaselines + c->nruns; i++) {
        bool base = i < c->nbaselines;
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_text(st, 2, base ? c->baselines[i] : c->runs[i - c->nbaselines], -1,
                          SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, base ? "baseline" : "run", -1, SQLITE_STATIC);
        rc = sqlite3_step(st) == SQLITE_DONE ? sqlite3_reset(st) : sqlite3_errcode(s->db);
    }
    sqlite3_finalize(st);
    st = NULL;
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(s->db, "INSERT INTO verdict(check_id, case_key, kernel_choice,"
                                " ratio, lo, hi, verdict) VALUES(?,?,?,?,?,?,?)", -1, &st, NULL);
    for (size_t i = 0; rc == SQLITE_OK && i < c->nverdicts; i++) {
        const sb_verdict_record *v = &c->verdicts[i];
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_text(st, 2, v->case_key, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, v->kernel_choice, -1, SQLITE_TRANSIENT);
        bind_real_or_null(st, 4, v->ratio);
        bind_real_or_null(st, 5, v->lo);
        bind_real_or_null(st, 6, v->hi);
        sqlite3_bind_text(st, 7, v->verdict, -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(st) == SQLITE_DONE ? sqlite3_reset(st) : sqlite3_errcode(s->db);
    }
    sqlite3_finalize(st);
    return rc;
}

sb_status sb_store_put_check(sb_store *s, const sb_check_record *c, int64_t *check_id)
{
    sqlite3_stmt *st = NULL;
    sqlite3_int64 id = 0;
    char now[32];
    int rc;
    iso_now(now, sizeof(now));
    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(s, "cannot start the check's transaction");
    rc = sqlite3_prepare_v2(s->db, "INSERT INTO baseline(unit, threshold, level, checked_at,"
                            " outcome) VALUES(?,?,?,?,?)", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, c->unit, -1, SQLITE_TRANSIENT);
        sqlite3_bind_double(st, 2, c->threshold);
        sqlite3_bind_double(st, 3, c->level);
        sqlite3_bind_text(st, 4, now, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 5, c->outcome, -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(s->db);
        id = sqlite3_last_insert_rowid(s->db);
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_OK)
        rc = insert_check_rows(s, c, id);
    if (rc == SQLITE_OK && check_id)
        *check_id = id;
    return end_txn(s, rc, "cannot store the check");
}

/* ==== calibrations ==== */

sb_status sb_store_calib_begin(sb_store *s, const char *host_json, const char *build_json,
                               int emulated, sb_calib_session *cs)
{
    sb_status ret;
    memset(cs, 0, sizeof(*cs));
    cs->emulated = emulated;
    if ((ret = new_id(s, cs->id)) != SB_OK)
        return ret;
    return put_host_build(s, host_json, build_json, cs->host_id, cs->build_id);
}

sb_status sb_store_put_calib(sb_store *s, const sb_calib_session *cs, const sb_calib_record *r)
{
    sqlite3_stmt *st = NULL;
    json_t *a = json_array();
    char now[32], *samples = NULL;
    int rc = SQLITE_NOMEM;

    for (size_t i = 0; a && i < r->nrates; i++)
        json_array_append_new(a, json_real(r->rates[i]));
    if (!a || (samples = json_dumps(a, JSON_COMPACT)) == NULL) {
        snprintf(s->msg, sizeof(s->msg), "out of memory");
        json_decref(a);
        return SB_ENOMEM;
    }
    iso_now(now, sizeof(now));
    rc = sqlite3_prepare_v2(s->db,
                            "INSERT INTO calibration(calib_id, host_id, build_id, measured_at,"
                            " emulated, probe, kind, dtype, isa, level, bytes, threads, pus, iters,"
                            " unit, median, best, mad, samples) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,"
                            "?,?,?,?, json(?))", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        const char *text[] = {cs->id, cs->host_id, cs->build_id, now};
        for (int i = 0; i < 4; i++)
            sqlite3_bind_text(st, i + 1, text[i], -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(st, 5, cs->emulated);
        const char *what[] = {r->probe, r->kind, r->dtype, r->isa, r->level};
        for (int i = 0; i < 5; i++)
            sqlite3_bind_text(st, 6 + i, what[i], -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 11, r->bytes);
        sqlite3_bind_int(st, 12, r->threads);
        if (r->pus)
            sqlite3_bind_text(st, 13, r->pus, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 14, r->iters);
        sqlite3_bind_text(st, 15, r->unit, -1, SQLITE_TRANSIENT);
        sqlite3_bind_double(st, 16, r->median);
        sqlite3_bind_double(st, 17, r->best);
        sqlite3_bind_double(st, 18, r->mad);
        sqlite3_bind_text(st, 19, samples, -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(st);
    }
    sqlite3_finalize(st);
    json_decref(a);
    free(samples);
    return rc == SQLITE_DONE ? SB_OK : db_fail(s, "cannot store the calibration");
}
