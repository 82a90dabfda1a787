/* results.c - report and compare tables from the database (see results.h). */
#include "results.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "counters.h"
#include "stats.h"

/* ==== run ids ==== */

/* What an id spec can name: runs and calibrations, each with a random 128-bit id. */
static const struct {
    const char *what, *plural, *latest, *prefix;
} id_kinds[] = {
    {"run", "runs", "SELECT run_id FROM run ORDER BY started_at DESC, rowid DESC LIMIT 1",
     "SELECT run_id FROM run WHERE substr(run_id, 1, length(?1)) = ?1"},
    {"calibration", "calibrations",
     "SELECT calib_id FROM calibration ORDER BY measured_at DESC, rowid DESC LIMIT 1",
     "SELECT DISTINCT calib_id FROM calibration WHERE substr(calib_id, 1, length(?1)) = ?1"},
};

static sb_status id_resolve(sqlite3 *db, size_t kind, const char *spec, char out[33], char *err,
                            size_t errlen)
{
    sqlite3_stmt *st = NULL;
    int n = 0;
    const char *what = id_kinds[kind].what;
    bool latest = strcmp(spec, "latest") == 0;
    if (!latest && strlen(spec) < 4) {
        snprintf(err, errlen, "%s '%s': give at least 4 digits of the %s id, or 'latest'", what,
                 spec, what);
        return SB_EINVAL;
    }
    if (sqlite3_prepare_v2(db, latest ? id_kinds[kind].latest : id_kinds[kind].prefix, -1, &st,
                           NULL) != SQLITE_OK) {
        snprintf(err, errlen, "cannot query %s: %s", id_kinds[kind].plural, sqlite3_errmsg(db));
        return SB_EDB;
    }
    if (!latest)
        sqlite3_bind_text(st, 1, spec, -1, SQLITE_TRANSIENT);
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (n++ == 0)
            snprintf(out, 33, "%s", (const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    if (n == 1)
        return SB_OK;
    if (n == 0 && latest)
        snprintf(err, errlen, "the database holds no %s", id_kinds[kind].plural);
    else if (n == 0)
        snprintf(err, errlen, "no %s matches '%s'", what, spec);
    else
        snprintf(err, errlen, "%s '%s' is ambiguous: %d %s match; give more digits", what, spec,
                 n, id_kinds[kind].plural);
    return n == 0 ? SB_ENOTFOUND : SB_EINVAL;
}

sb_status sb_run_resolve(sqlite3 *db, const char *spec, char out[33], char *err, size_t errlen)
{
    return id_resolve(db, 0, spec, out, err, errlen);
}

sb_status sb_calib_resolve(sqlite3 *db, const char *spec, char out[33], char *err, size_t errlen)
{
    return id_resolve(db, 1, spec, out, err, errlen);
}

/* ==== per-layer report ==== */

enum { C_WORKLOAD, C_LAYER, C_SHAPE, C_VARIANT, C_KERNEL, C_THREADS, C_REPS, C_MEDIAN, C_MAD,
       C_MIN, C_GFLOPS, C_PEAK, C_GBPS, C_BW, C_BOUND, C_SHARE, C_REL_L2, C_MAX_ABS, C_COSINE, C_COUNT };

static const sb_column layer_cols[] = {
    [C_WORKLOAD] = {"workload", "workload", SB_COL_TEXT, 0},
    [C_LAYER] = {"layer", "layer", SB_COL_TEXT, 0},
    [C_SHAPE] = {"shape", "shape", SB_COL_TEXT, 0},
    [C_VARIANT] = {"variant", "variant", SB_COL_TEXT, 0},
    [C_KERNEL] = {"kernel", "kernel", SB_COL_TEXT, 0},
    [C_THREADS] = {"threads", "thr", SB_COL_INT, 0},
    [C_REPS] = {"reps", "reps", SB_COL_INT, 0},
    [C_MEDIAN] = {"median_ns", "median ns", SB_COL_INT, 0},
    [C_MAD] = {"mad_ns", "MAD ns", SB_COL_INT, 0},
    [C_MIN] = {"min_ns", "min ns", SB_COL_INT, 0},
    [C_GFLOPS] = {"gflops", "GFLOP/s", SB_COL_REAL, 2},
    [C_PEAK] = {"peak_pct", "%peak", SB_COL_REAL, 1},
    [C_GBPS] = {"gbps", "GB/s", SB_COL_REAL, 2},
    [C_BW] = {"bw_pct", "%bw", SB_COL_REAL, 1},
    [C_BOUND] = {"bound", "bound", SB_COL_TEXT, 0},
    [C_SHARE] = {"share_pct", "share %", SB_COL_REAL, 1},
    [C_REL_L2] = {"rel_l2", "rel L2", SB_COL_SCI, 1},
    [C_MAX_ABS] = {"max_abs", "max abs", SB_COL_SCI, 1},
    [C_COSINE] = {"cosine", "cosine", SB_COL_REAL, 6},
};
_Static_assert(SB_ARRAY_LEN(layer_cols) == C_COUNT, "one definition per column");

/*
 * Per-iteration ns from the (ns, iters[, start_ns]) rows of a prepared, bound
 * statement. span (may be NULL; then start_ns is not read) gets the first and
 * last start_ns, both 0 when any is unknown (samples stored before schema v3).
 */
static size_t per_iter_ns(sqlite3_stmt *st, double *v, size_t cap, int64_t span[2])
{
    size_t n = 0;
    bool known = true;
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    while (sqlite3_step(st) == SQLITE_ROW && n < cap) {
        double iters = (double)sqlite3_column_int64(st, 1);
        v[n++] = (double)sqlite3_column_int64(st, 0) / (iters > 0 ? iters : 1);
        if (span) {
            int64_t t = sqlite3_column_int64(st, 2);
            known &= sqlite3_column_type(st, 2) != SQLITE_NULL;
            lo = t < lo ? t : lo;
            hi = t > hi ? t : hi;
        }
    }
    if (span) {
        span[0] = known && n ? lo : 0;
        span[1] = known && n ? hi : 0;
    }
    return n;
}

size_t sb_results_samples(sqlite3_stmt *st, sqlite3_int64 case_id, double *v, size_t cap,
                          int64_t span[2])
{
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, case_id);
    return per_iter_ns(st, v, cap, span);
}

/* Fill the timing columns of a row from samples; returns the summary. */
static sb_summary fill_timing(sb_table *t, long row, const double *v, size_t n, double flops,
                              double bytes)
{
    sb_summary s;
    sb_summarize(v, n, &s);
    sb_table_set_num(t, row, C_REPS, (double)n);
    sb_table_set_num(t, row, C_MEDIAN, s.median);
    sb_table_set_num(t, row, C_MAD, s.mad);
    sb_table_set_num(t, row, C_MIN, s.min);
    if (flops > 0 && s.median > 0)
        sb_table_set_num(t, row, C_GFLOPS, flops / s.median);
    if (bytes > 0 && s.median > 0)
        sb_table_set_num(t, row, C_GBPS, bytes / s.median);
    return s;
}

/* The machine's peaks (sb_peaks) and what the notes say of them, per sb_peak_kind. */
typedef struct roof {
    sb_peaks *peaks;
    struct {
        size_t with, without;      /* rows with work of this kind: with a measured peak, without */
        char probe[64], calib[33]; /* one peak used, for the notes */
    } k[2];
} roof;

/* The column of each kind's fraction: GFLOP/s of the compute peak, GB/s of the DRAM triad. */
static const size_t roof_col[] = {[SB_PEAK_COMPUTE] = C_PEAK, [SB_PEAK_DRAM] = C_BW};

/*
 * %peak, %bw and bound of a row that did flops and moved bytes (minimum traffic) in median ns
 * per iteration at threads threads: its GFLOP/s over the compute peak of dtype, its GB/s over
 * the DRAM triad, and whether its FLOPs per byte are below the machine's ridge point (the peak
 * over the triad: memory) or not (compute). Cells stay blank where a peak was not measured.
 */
static void fill_roof(sb_table *t, long row, roof *r, const char *dtype, long threads,
                      double flops, double bytes, double median)
{
    double work[2] = {[SB_PEAK_COMPUTE] = flops, [SB_PEAK_DRAM] = bytes}, peak[2] = {0.0, 0.0};
    if (median <= 0)
        return;
    for (size_t k = 0; k < 2; k++) {
        if (work[k] <= 0)
            continue;
        peak[k] = sb_peaks_get(r->peaks, (sb_peak_kind)k, dtype, threads, r->k[k].probe,
                               r->k[k].calib);
        if (peak[k] > 0)
            sb_table_set_num(t, row, roof_col[k], 100.0 * work[k] / median / peak[k]);
        r->k[k].with += peak[k] > 0;
        r->k[k].without += peak[k] <= 0;
    }
    double p = peak[SB_PEAK_COMPUTE], bw = peak[SB_PEAK_DRAM];
    if (bw > 0 && (flops <= 0 || p > 0))
        sb_table_set_text(t, row, C_BOUND,
                          flops <= 0 || flops / bytes < p / bw ? "memory" : "compute");
}

/* The group whose total a layer case's share is relative to: its block, or "top". */
static void share_group(const char *layer, const char *variant, long threads, const char *choice,
                        char *buf, size_t len)
{
    const char *scope = strncmp(layer, "spatial.", 8) == 0    ? "spatial"
                        : strncmp(layer, "temporal.", 9) == 0 ? "temporal"
                                                              : "top";
    snprintf(buf, len, "%s|%s|%ld|%s", scope, variant, threads, choice);
}

static const char layer_cases_sql[] =
    "SELECT c.case_id, workload, layer, shape, variant, kernel, threads, flops, bytes, reps,"
    " model, res, dur, batch, a.rel_l2, a.max_abs, a.cosine, a.reason, kernel_choice, dtype FROM \"case\" c"
    " LEFT JOIN accuracy a USING (case_id) WHERE run_id = ? ORDER BY case_id";

static const char node_groups_sql[] =
    "SELECT n.layer, group_concat(DISTINCT n.kernel), sum(n.flops) / count(DISTINCT s.rep),"
    " sum(n.bytes) / count(DISTINCT s.rep), min(n.idx) AS first FROM node n JOIN node_sample s"
    " USING (case_id, idx) WHERE n.case_id = ?1 GROUP BY n.layer ORDER BY first";

static const char node_samples_sql[] =
    "SELECT sum(s.ns), c.inner_iters FROM node n JOIN node_sample s USING (case_id, idx)"
    " JOIN \"case\" c USING (case_id) WHERE n.case_id = ?1 AND n.layer = ?2 GROUP BY s.rep"
    " ORDER BY s.rep";

/* Rows for the layers inside a block/step case of dtype, shares relative to the whole. */
static int add_node_rows(sqlite3 *db, sb_table *t, sqlite3_int64 id, const char *variant,
                         const char *dtype, long threads, double whole, roof *rf, double *v,
                         size_t cap)
{
    sqlite3_stmt *g = NULL, *s = NULL;
    int rc = sqlite3_prepare_v2(db, node_groups_sql, -1, &g, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(db, node_samples_sql, -1, &s, NULL);
    if (rc == SQLITE_OK)
        sqlite3_bind_int64(g, 1, id);
    while (rc == SQLITE_OK && sqlite3_step(g) == SQLITE_ROW) {
        const char *layer = (const char *)sqlite3_column_text(g, 0);
        long row = sb_table_add_row(t);
        sqlite3_reset(s);
        sqlite3_bind_int64(s, 1, id);
        sqlite3_bind_text(s, 2, layer, -1, SQLITE_TRANSIENT);
        size_t n = per_iter_ns(s, v, cap, NULL);
        char name[96];
        snprintf(name, sizeof(name), "  %s", layer);
        sb_table_set_text(t, row, C_WORKLOAD, "");
        sb_table_set_text(t, row, C_LAYER, name);
        sb_table_set_text(t, row, C_VARIANT, variant);
        sb_table_set_text(t, row, C_KERNEL, (const char *)sqlite3_column_text(g, 1));
        sb_table_set_num(t, row, C_THREADS, (double)threads);
        double flops = sqlite3_column_double(g, 2), bytes = sqlite3_column_double(g, 3);
        sb_summary sm = fill_timing(t, row, v, n, flops, bytes);
        fill_roof(t, row, rf, dtype, threads, flops, bytes, sm.median);
        if (whole > 0)
            sb_table_set_num(t, row, C_SHARE, 100.0 * sm.median / whole);
    }
    sqlite3_finalize(g);
    sqlite3_finalize(s);
    return rc;
}

/*
 * A note per distinct reason why cases of the run have no accuracy (the reference could not be
 * built, say for memory), with how many cases gave it and one of them, so that report says why
 * a blank rel L2 is blank where the reason is not the kernel being the reference itself.
 */
static sb_status accuracy_notes(sqlite3 *db, const char *run_id, sb_table *out)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT a.reason, count(*), min(c.layer || ' ' || c.variant || ' t'"
                               " || c.threads) FROM accuracy a JOIN \"case\" c USING (case_id)"
                               " WHERE c.run_id = ? AND a.reason IS NOT NULL GROUP BY a.reason"
                               " ORDER BY min(c.case_id)", -1, &st, NULL) != SQLITE_OK)
        return SB_EDB;
    sqlite3_bind_text(st, 1, run_id, -1, SQLITE_TRANSIENT);
    while (sqlite3_step(st) == SQLITE_ROW) {
        int n = sqlite3_column_int(st, 1);
        sb_table_add_note(out, "accuracy not measured for %d case(s) (%s%s): %s", n,
                          (const char *)sqlite3_column_text(st, 2), n > 1 ? ", ..." : "",
                          (const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return SB_OK;
}

sb_status sb_results_layers(sqlite3 *db, const char *run_id, sb_table *out, char *err,
                            size_t errlen)
{
    sqlite3_stmt *cs = NULL, *ss = NULL, *rs = NULL;
    sb_status ret = SB_OK;
    double *v = NULL;
    size_t cap = 1 << 16, noisy = 0, ncases = 0, unmeasured = 0, cut = 0;
    char group[128], status[16] = "";
    bool emulated = false;
    long asked = 0; /* repetitions per case the run asked for; 0 if its config does not say */
    /* per layer case: its group key and median, for the shares */
    struct { char group[128]; long row; double median; } *lc = NULL;
    size_t nlc = 0;
    roof rf = {0};

    sb_table_init(out, layer_cols, C_COUNT, "");
    if ((v = malloc(cap * sizeof(*v))) == NULL)
        return SB_ENOMEM;
    if (sqlite3_prepare_v2(db, layer_cases_sql, -1, &cs, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT ns, iters FROM sample WHERE case_id = ? ORDER BY rep", -1,
                           &ss, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT status, emulated, json_extract(config, '$.reps') FROM run"
                               " WHERE run_id = ?", -1, &rs, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "cannot query the database: %s", sqlite3_errmsg(db));
        ret = SB_EDB;
        goto out;
    }
    sqlite3_bind_text(rs, 1, run_id, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(rs) == SQLITE_ROW) {
        snprintf(status, sizeof(status), "%s", (const char *)sqlite3_column_text(rs, 0));
        emulated = sqlite3_column_int(rs, 1) != 0;
        asked = (long)sqlite3_column_int64(rs, 2);
    }
    if (sb_peaks_open(db, run_id, &rf.peaks) != SB_OK) {
        snprintf(err, errlen, "cannot query the calibrations: %s", sqlite3_errmsg(db));
        ret = SB_EDB;
        goto out;
    }
    sqlite3_bind_text(cs, 1, run_id, -1, SQLITE_TRANSIENT);
    while (sqlite3_step(cs) == SQLITE_ROW) {
        sqlite3_int64 id = sqlite3_column_int64(cs, 0);
        const char *wl = (const char *)sqlite3_column_text(cs, 1);
        const char *layer = (const char *)sqlite3_column_text(cs, 2);
        const char *variant = (const char *)sqlite3_column_text(cs, 4);
        const char *dtype = (const char *)sqlite3_column_text(cs, 19);
        long threads = (long)sqlite3_column_int64(cs, 6);
        if (ncases++ == 0) {
            snprintf(out->title, sizeof(out->title), "run %.8s: %s at %s %s, B=%d", run_id,
                     (const char *)sqlite3_column_text(cs, 10), (const char *)sqlite3_column_text(cs, 11),
                     (const char *)sqlite3_column_text(cs, 12), sqlite3_column_int(cs, 13));
        }
        long row = sb_table_add_row(out);
        const char *cols[] = {[C_WORKLOAD] = wl, [C_LAYER] = layer,
                              [C_SHAPE] = (const char *)sqlite3_column_text(cs, 3),
                              [C_VARIANT] = variant,
                              [C_KERNEL] = (const char *)sqlite3_column_text(cs, 5)};
        for (size_t c = 0; c < SB_ARRAY_LEN(cols); c++)
            if (cols[c])
                sb_table_set_text(out, row, c, cols[c]);
        sb_table_set_num(out, row, C_THREADS, (double)threads);
        size_t n = sb_results_samples(ss, id, v, cap, NULL);
        double flops = sqlite3_column_double(cs, 7), bytes = sqlite3_column_double(cs, 8);
        sb_summary sm = fill_timing(out, row, v, n, flops, bytes);
        fill_roof(out, row, &rf, dtype, threads, flops, bytes, sm.median);
        if (sm.cv > SB_NOISY_CV)
            noisy++;
        cut += (long)n < asked;
        for (int i = 0; i < 3; i++)
            if (sqlite3_column_type(cs, 14 + i) != SQLITE_NULL)
                sb_table_set_num(out, row, (size_t)(C_REL_L2 + i), sqlite3_column_double(cs, 14 + i));
        if (sqlite3_column_type(cs, 17) != SQLITE_NULL)
            unmeasured++;
        if (strcmp(wl, "layer") == 0) {
            void *p = realloc(lc, (nlc + 1) * sizeof(*lc));
            if (!p) {
                ret = SB_ENOMEM;
                goto out;
            }
            lc = p;
            share_group(layer, variant, threads, (const char *)sqlite3_column_text(cs, 18), group,
                        sizeof(group));
            snprintf(lc[nlc].group, sizeof(lc[nlc].group), "%s", group);
            lc[nlc].row = row;
            lc[nlc++].median = sm.median;
        } else {
            sb_table_set_num(out, row, C_SHARE, 100.0);
            if (add_node_rows(db, out, id, variant, dtype, threads, sm.median, &rf, v, cap) !=
                SQLITE_OK) {
                snprintf(err, errlen, "cannot read the nodes: %s", sqlite3_errmsg(db));
                ret = SB_EDB;
                goto out;
            }
        }
    }
    if (ncases == 0) {
        snprintf(err, errlen, "run %s has no stored cases", run_id);
        ret = SB_ENOTFOUND;
        goto out;
    }
    for (size_t i = 0; i < nlc; i++) {
        double total = 0.0;
        for (size_t j = 0; j < nlc; j++)
            if (strcmp(lc[i].group, lc[j].group) == 0)
                total += lc[j].median;
        if (total > 0)
            sb_table_set_num(out, lc[i].row, C_SHARE, 100.0 * lc[i].median / total);
    }
    if (nlc)
        sb_table_add_note(out, "share %%: a layer's median over the sum of the medians of the layers"
                               " measured in the same block (spatial, temporal, or top level)");
    sb_table_add_note(out, "times are per iteration; GFLOP/s counts matmul FLOPs only; GB/s counts"
                           " the minimum FP32 traffic");
    if (rf.k[SB_PEAK_COMPUTE].with)
        sb_table_add_note(out, "%%peak: GFLOP/s over the median rate of the fastest compute probe of"
                               " the row's dtype and thread count in this machine's latest"
                               " calibration (e.g. %s: sorabench calibrate --show %.8s)",
                          rf.k[SB_PEAK_COMPUTE].probe, rf.k[SB_PEAK_COMPUTE].calib);
    if (rf.k[SB_PEAK_DRAM].with)
        sb_table_add_note(out, "%%bw: GB/s over the median DRAM triad at the row's thread count"
                               " (e.g. %s: sorabench calibrate --show %.8s); bound: memory where"
                               " the row's FLOPs per byte are below the machine's peak over that"
                               " triad (the roofline's ridge point), else compute; the fraction"
                               " of the roof is the larger of %%peak and %%bw",
                          rf.k[SB_PEAK_DRAM].probe, rf.k[SB_PEAK_DRAM].calib);
    if (rf.k[SB_PEAK_COMPUTE].without || rf.k[SB_PEAK_DRAM].without)
        sb_table_add_note(out, "%zu row(s) without %%peak, %zu without %%bw: this machine has no"
                               " calibration of their dtype (compute) or DRAM triad at their"
                               " thread count (sorabench calibrate)", rf.k[SB_PEAK_COMPUTE].without,
                          rf.k[SB_PEAK_DRAM].without);
    sb_table_add_note(out, "rel L2 / max abs / cosine: output against the FP32 reference kernels on"
                           " the same inputs (blank: the case runs the reference itself)");
    if (unmeasured && (ret = accuracy_notes(db, run_id, out)) != SB_OK) {
        snprintf(err, errlen, "cannot read the accuracy reasons: %s", sqlite3_errmsg(db));
        goto out;
    }
    if (noisy)
        sb_table_add_note(out, "%zu case(s) noisy: coefficient of variation above %.0f%%", noisy,
                          100 * SB_NOISY_CV);
    if (cut)
        sb_table_add_note(out, "%zu case(s) have fewer repetitions than the %ld asked: the run was"
                               " stopped during them (see the reps column)", cut, asked);
    if (status[0] && strcmp(status, "done") != 0)
        sb_table_add_note(out, "run status '%s': %zu case(s) stored, the sweep did not finish",
                          status, ncases);
    if (emulated)
        sb_table_add_note(out, "EMULATED CPU: these timings are not performance");
    ret = sb_results_overhead_notes(db, run_id, out);
    if (sb_run_has_counters(db, run_id))
        sb_table_add_note(out, "this run counted events: sorabench report --counters shows them");
out:
    sqlite3_finalize(cs);
    sqlite3_finalize(ss);
    sqlite3_finalize(rs);
    sb_peaks_close(rf.peaks);
    free(v);
    free(lc);
    return ret;
}

/* ==== compare ==== */

enum { K_CASE, K_VARIANT, K_THREADS, K_A, K_B, K_SPEEDUP, K_PAIRED, K_PLO, K_PHI, K_COUNT };

static const sb_column cmp_cols[] = {
    [K_CASE] = {"case", "case", SB_COL_TEXT, 0},
    [K_VARIANT] = {"variant", "variant", SB_COL_TEXT, 0},
    [K_THREADS] = {"threads", "thr", SB_COL_INT, 0},
    [K_A] = {"a_median_ns", "A median ns", SB_COL_INT, 0},
    [K_B] = {"b_median_ns", "B median ns", SB_COL_INT, 0},
    [K_SPEEDUP] = {"speedup", "A/B", SB_COL_REAL, 3},
    [K_PAIRED] = {"paired", "paired A/B", SB_COL_REAL, 3},
    [K_PLO] = {"paired_lo", "95% CI lo", SB_COL_REAL, 3},
    [K_PHI] = {"paired_hi", "95% CI hi", SB_COL_REAL, 3},
};
_Static_assert(SB_ARRAY_LEN(cmp_cols) == K_COUNT, "one definition per column");

/*
 * The paired A/B of two cases whose repetitions were interleaved (cases of one
 * run whose start spans overlap, the same count of each): the median of
 * a[r] / b[r] and its 95% interval in the row. Returns the median, or 0 when
 * not paired. The caller passes spans only for cases of the same run: start_ns
 * is one process's clock, so two runs that happened to overlap (two processes,
 * or two hosts) are not pairs.
 */
static double set_paired(sb_table *t, long row, const double *a, size_t na, const int64_t ta[2],
                         const double *b, size_t nb, const int64_t tb[2], double *r)
{
    double lo, hi;
    if (na != nb || na == 0 || ta[1] == 0 || tb[1] == 0 || ta[1] < tb[0] || tb[1] < ta[0])
        return 0.0;
    for (size_t i = 0; i < na; i++) {
        if (!(a[i] > 0 && b[i] > 0))
            return 0.0;
        r[i] = a[i] / b[i];
    }
    double m = sb_median(r, na);
    sb_table_set_num(t, row, K_PAIRED, m);
    if (sb_median_ci(r, na, 0.95, &lo, &hi) == 0) {
        sb_table_set_num(t, row, K_PLO, lo);
        sb_table_set_num(t, row, K_PHI, hi);
    }
    return m;
}

/* ?5 / ?6: A's / B's variant, or NULL for the other side's */
static const char cmp_sql[] =
    "SELECT a.case_id, b.case_id, a.layer, a.variant, a.threads, a.res, a.dur, b.variant"
    " FROM \"case\" a JOIN \"case\" b ON a.workload = b.workload AND a.model = b.model"
    " AND a.res = b.res AND a.aspect = b.aspect AND a.dur = b.dur AND a.batch = b.batch"
    " AND a.layer = b.layer AND a.threads = b.threads AND a.pin = b.pin"
    " AND a.variant = coalesce(?5, b.variant) AND b.variant = coalesce(?6, a.variant)"
    " WHERE a.run_id = ?1 AND b.run_id = ?2 AND a.kernel_choice = ?3 AND b.kernel_choice = ?4"
    " ORDER BY a.case_id";

/* Bind the two sides to ?1..?6 of st (cmp_sql's numbering). */
static void bind_sides(sqlite3_stmt *st, const sb_compare_side *a, const sb_compare_side *b)
{
    sqlite3_bind_text(st, 1, a->run, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, b->run, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, a->kernel, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, b->kernel, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, a->variant, -1, SQLITE_TRANSIENT); /* NULL binds NULL */
    sqlite3_bind_text(st, 6, b->variant, -1, SQLITE_TRANSIENT);
}

sb_status sb_results_compare(sqlite3 *db, const sb_compare_side *sa, const sb_compare_side *sb,
                             sb_table *out, char *err, size_t errlen)
{
    const char *run_a = sa->run, *run_b = sb->run;
    sqlite3_stmt *cs = NULL, *ss = NULL, *cnt = NULL;
    sb_status ret = SB_OK;
    size_t cap = 1 << 16, nr = 0, np = 0;
    double *v = malloc(3 * cap * sizeof(*v)), *ratios = NULL, *paired = NULL;
    char title[320], va[80] = "", vb[80] = "";

    if (sa->variant || sb->variant) {
        snprintf(va, sizeof(va), " %s", sa->variant ? sa->variant : sb->variant);
        snprintf(vb, sizeof(vb), " %s", sb->variant ? sb->variant : sa->variant);
    }
    snprintf(title, sizeof(title), "compare A = run %.8s [%s%s], B = run %.8s [%s%s] (A/B > 1: B is "
             "faster)", run_a, sa->kernel, va, run_b, sb->kernel, vb);
    sb_table_init(out, cmp_cols, K_COUNT, title);
    if (!v)
        return SB_ENOMEM;
    if (sqlite3_prepare_v2(db, cmp_sql, -1, &cs, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT ns, iters, start_ns FROM sample WHERE case_id = ?"
                           " ORDER BY rep", -1, &ss, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT (SELECT count(*) FROM \"case\" WHERE run_id = ?1 AND"
                           " kernel_choice = ?3 AND variant = coalesce(?5, ?6, variant)),"
                           " (SELECT count(*) FROM \"case\" WHERE run_id = ?2 AND kernel_choice = ?4"
                           " AND variant = coalesce(?6, ?5, variant))", -1, &cnt, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "cannot query the database: %s", sqlite3_errmsg(db));
        ret = SB_EDB;
        goto out;
    }
    bind_sides(cs, sa, sb);
    while (sqlite3_step(cs) == SQLITE_ROW) {
        int64_t ta[2], tb[2];
        double *a = v, *b = v + cap;
        size_t na = sb_results_samples(ss, sqlite3_column_int64(cs, 0), a, cap, ta);
        size_t nb = sb_results_samples(ss, sqlite3_column_int64(cs, 1), b, cap, tb);
        double ma = sb_median(a, na), mb = sb_median(b, nb);
        long row = sb_table_add_row(out);
        char name[160];
        snprintf(name, sizeof(name), "%s @ %s %s", (const char *)sqlite3_column_text(cs, 2),
                 (const char *)sqlite3_column_text(cs, 5), (const char *)sqlite3_column_text(cs, 6));
        sb_table_set_text(out, row, K_CASE, name);
        char vname[80];
        const char *v_a = (const char *)sqlite3_column_text(cs, 3);
        const char *v_b = (const char *)sqlite3_column_text(cs, 7);
        snprintf(vname, sizeof(vname), "%s%s%s", v_a, strcmp(v_a, v_b) ? " / " : "",
                 strcmp(v_a, v_b) ? v_b : "");
        sb_table_set_text(out, row, K_VARIANT, vname);
        sb_table_set_num(out, row, K_THREADS, (double)sqlite3_column_int64(cs, 4));
        sb_table_set_num(out, row, K_A, ma);
        sb_table_set_num(out, row, K_B, mb);
        if (ma > 0 && mb > 0) {
            double *p = realloc(ratios, (nr + 1) * sizeof(*p));
            if (!p) {
                ret = SB_ENOMEM;
                goto out;
            }
            ratios = p;
            ratios[nr++] = ma / mb;
            sb_table_set_num(out, row, K_SPEEDUP, ma / mb);
        }
        static const int64_t apart[2] = {0, 0};
        double pm = set_paired(out, row, a, na, ta, b, nb, strcmp(run_a, run_b) == 0 ? tb : apart,
                               v + 2 * cap);
        if (pm > 0) {
            double *p = realloc(paired, (np + 1) * sizeof(*p));
            if (!p) {
                ret = SB_ENOMEM;
                goto out;
            }
            paired = p;
            paired[np++] = pm;
        }
    }
    bind_sides(cnt, sa, sb);
    if (sqlite3_step(cnt) == SQLITE_ROW) {
        long na = (long)sqlite3_column_int64(cnt, 0), nb = (long)sqlite3_column_int64(cnt, 1);
        if ((long)out->nrows < na || (long)out->nrows < nb)
            sb_table_add_note(out, "%ld case(s) of A and %ld of B have no counterpart and are left out",
                              na - (long)out->nrows, nb - (long)out->nrows);
    }
    if (nr == 0) {
        snprintf(err, errlen, "runs %.8s and %.8s have no case in common", run_a, run_b);
        ret = SB_ENOTFOUND;
        goto out;
    }
    long row = sb_table_add_row(out);
    sb_table_set_text(out, row, K_CASE, "geomean");
    sb_table_set_num(out, row, K_SPEEDUP, sb_geomean(ratios, nr));
    sb_table_add_note(out, "geomean of A/B over %zu matched case(s): %.3f", nr, sb_geomean(ratios, nr));
    if (np > 0) {
        if (np == nr)
            sb_table_set_num(out, row, K_PAIRED, sb_geomean(paired, np));
        sb_table_add_note(out, "paired A/B: the repetitions of A and B alternated (run --interleave);"
                          " the median of A[r]/B[r] over repetitions r, and its distribution-free 95%% "
                          "interval (blank below 6 repetitions); %zu of %zu case(s) paired",
                          np, nr);
    }
out:
    sqlite3_finalize(cs);
    sqlite3_finalize(ss);
    sqlite3_finalize(cnt);
    free(v);
    free(ratios);
    free(paired);
    return ret;
}
