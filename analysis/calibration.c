/* calibration.c - a stored calibration (sorabench calibrate) as a table (see results.h). */
#include "results.h"

#include <stdio.h>
#include <stdlib.h>

enum { K_PROBE, K_LEVEL, K_KIB, K_THREADS, K_UNIT, K_MEDIAN, K_BEST, K_MAD, K_ITERS, K_COUNT };

static const sb_column calib_cols[] = {
    [K_PROBE] = {"probe", "probe", SB_COL_TEXT, 0},
    [K_LEVEL] = {"level", "level", SB_COL_TEXT, 0},
    [K_KIB] = {"kib_per_thread", "KiB/thr", SB_COL_INT, 0},
    [K_THREADS] = {"threads", "thr", SB_COL_INT, 0},
    [K_UNIT] = {"unit", "unit", SB_COL_TEXT, 0},
    [K_MEDIAN] = {"median", "median", SB_COL_REAL, 1},
    [K_BEST] = {"best", "best", SB_COL_REAL, 1},
    [K_MAD] = {"mad", "MAD", SB_COL_REAL, 2},
    [K_ITERS] = {"iters", "iters/rep", SB_COL_INT, 0},
};
_Static_assert(SB_ARRAY_LEN(calib_cols) == K_COUNT, "one definition per column");

static const char calib_sql[] =
    "SELECT c.probe, c.level, c.bytes, c.threads, c.unit, c.median, c.best, c.mad, c.iters,"
    " c.measured_at, c.emulated, h.cpu_brand, h.hostname, json_array_length(c.samples)"
    " FROM calibration c JOIN host h USING (host_id) WHERE c.calib_id = ?"
    " ORDER BY c.rowid";

sb_status sb_calib_table(sqlite3 *db, const char *calib_id, sb_table *out, char *err,
                         size_t errlen)
{
    sqlite3_stmt *st = NULL;
    sb_status ret = SB_OK;
    char title[160], when[32] = "", brand[128] = "", host[96] = "";
    int emulated = 0, reps = 0;
    long n = 0;

    snprintf(title, sizeof(title), "calibration %.8s", calib_id);
    sb_table_init(out, calib_cols, K_COUNT, title);
    if (sqlite3_prepare_v2(db, calib_sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "cannot query the calibration: %s", sqlite3_errmsg(db));
        ret = SB_EDB;
        goto out;
    }
    sqlite3_bind_text(st, 1, calib_id, -1, SQLITE_TRANSIENT);
    while (sqlite3_step(st) == SQLITE_ROW) {
        long row = sb_table_add_row(out);
        sb_table_set_text(out, row, K_PROBE, (const char *)sqlite3_column_text(st, 0));
        sb_table_set_text(out, row, K_LEVEL, (const char *)sqlite3_column_text(st, 1));
        if (sqlite3_column_int64(st, 2) > 0)
            sb_table_set_num(out, row, K_KIB, (double)sqlite3_column_int64(st, 2) / 1024.0);
        sb_table_set_num(out, row, K_THREADS, (double)sqlite3_column_int(st, 3));
        sb_table_set_text(out, row, K_UNIT, (const char *)sqlite3_column_text(st, 4));
        for (int c = K_MEDIAN; c <= K_ITERS; c++)
            sb_table_set_num(out, row, (size_t)c, sqlite3_column_double(st, c));
        if (n++ == 0) {
            snprintf(when, sizeof(when), "%s", (const char *)sqlite3_column_text(st, 9));
            emulated = sqlite3_column_int(st, 10);
            const unsigned char *b = sqlite3_column_text(st, 11), *h = sqlite3_column_text(st, 12);
            snprintf(brand, sizeof(brand), "%s", b ? (const char *)b : "CPU unknown");
            snprintf(host, sizeof(host), "%s", h ? (const char *)h : "?");
            reps = sqlite3_column_int(st, 13);
        }
    }
    if (n == 0) {
        snprintf(err, errlen, "calibration %.8s has no measurements", calib_id);
        ret = SB_ENOTFOUND;
        goto out;
    }
    sb_table_add_note(out, "%s on %s (%s), %d repetition(s) a row: rates are all threads "
                      "together; GB/s counts a triad's 3 arrays once (STREAM), not the "
                      "write-allocate reads", when, host, brand, reps);
    if (emulated)
        sb_table_add_note(out, "EMULATED CPU: these rates are not performance");
out:
    sqlite3_finalize(st);
    return ret;
}

/* ==== peaks for the report ==== */

struct sb_peaks {
    sqlite3_stmt *st;
};

/* Each kind's rows in table calibration: compute probes of a dtype, or triads at the DRAM level. */
static const char *const peak_kinds[] = {
    [SB_PEAK_COMPUTE] = "compute",
    [SB_PEAK_DRAM] = "bandwidth",
};

/*
 * The machine that ran ?1: the hosts with its hostname, CPU brand and ISA features (a host record
 * also holds what changes on one machine: memory, governor). Of its calibrations the latest with
 * a probe of kind ?4 at ?3 threads (compute: of dtype ?2; bandwidth: at the DRAM level), and in it
 * the fastest such probe's median.
 */
static const char peak_sql[] =
    "WITH mine AS (SELECT c.calib_id, c.probe, c.median, c.measured_at, c.rowid AS rid"
    "  FROM calibration c JOIN host h USING (host_id), run r JOIN host rh ON rh.host_id = r.host_id"
    "  WHERE r.run_id = ?1 AND h.hostname IS rh.hostname AND h.cpu_brand IS rh.cpu_brand"
    "  AND h.isa IS rh.isa AND c.kind = ?4 AND c.threads = ?3"
    "  AND CASE ?4 WHEN 'compute' THEN c.dtype = ?2 ELSE c.level = 'DRAM' END),"
    " latest AS (SELECT calib_id FROM mine ORDER BY measured_at DESC, rid DESC LIMIT 1)"
    " SELECT max(median), probe, calib_id FROM mine WHERE calib_id = (SELECT calib_id FROM latest)";

sb_status sb_peaks_open(sqlite3 *db, const char *run_id, sb_peaks **out)
{
    sb_peaks *p = calloc(1, sizeof(*p));
    *out = NULL;
    if (!p)
        return SB_ENOMEM;
    if (sqlite3_prepare_v2(db, peak_sql, -1, &p->st, NULL) != SQLITE_OK) {
        free(p);
        return SB_EDB;
    }
    sqlite3_bind_text(p->st, 1, run_id, -1, SQLITE_TRANSIENT);
    *out = p;
    return SB_OK;
}

double sb_peaks_get(sb_peaks *p, sb_peak_kind kind, const char *dtype, long threads,
                    char probe[64], char calib_id[33])
{
    double peak = 0;
    sqlite3_reset(p->st);
    sqlite3_bind_text(p->st, 2, dtype, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(p->st, 3, threads);
    sqlite3_bind_text(p->st, 4, peak_kinds[kind], -1, SQLITE_STATIC);
    if (sqlite3_step(p->st) == SQLITE_ROW && sqlite3_column_type(p->st, 0) != SQLITE_NULL) {
        peak = sqlite3_column_double(p->st, 0);
        snprintf(probe, 64, "%s", (const char *)sqlite3_column_text(p->st, 1));
        snprintf(calib_id, 33, "%s", (const char *)sqlite3_column_text(p->st, 2));
    }
    return peak;
}

void sb_peaks_close(sb_peaks *p)
{
    if (!p)
        return;
    sqlite3_finalize(p->st);
    free(p);
}
