/* check.c - runs held to baseline runs, case by case (see check.h). */
#include "check.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "results.h"
#include "stats.h"

enum { K_CASE, K_VARIANT, K_CHOICE, K_THREADS, K_BASE, K_RUN, K_RATIO, K_LO, K_HI, K_VERDICT,
       K_COUNT };

static const sb_column check_cols[] = {
    [K_CASE] = {"case", "case", SB_COL_TEXT, 0},
    [K_VARIANT] = {"variant", "variant", SB_COL_TEXT, 0},
    [K_CHOICE] = {"kernel_choice", "kernel", SB_COL_TEXT, 0},
    [K_THREADS] = {"threads", "thr", SB_COL_INT, 0},
    [K_BASE] = {"baseline_median_ns", "baseline ns", SB_COL_INT, 0},
    [K_RUN] = {"run_median_ns", "run ns", SB_COL_INT, 0},
    [K_RATIO] = {"ratio", "run/base", SB_COL_REAL, 3},
    [K_LO] = {"ratio_lo", "CI lo", SB_COL_REAL, 3},
    [K_HI] = {"ratio_hi", "CI hi", SB_COL_REAL, 3},
    [K_VERDICT] = {"verdict", "verdict", SB_COL_TEXT, 0},
};
_Static_assert(SB_ARRAY_LEN(check_cols) == K_COUNT, "one definition per column");

static const char *const verdict_names[SB_V_COUNT] = {
    [SB_V_SLOWER] = "slower", [SB_V_FASTER] = "faster", [SB_V_SAME] = "same",
    [SB_V_UNDECIDED] = "undecided", [SB_V_MISSING] = "missing",
};

/* What check needs to know of a run: whether its times are performance, and its machine. */
typedef struct run_facts {
    int emulated;
    char arch[32], brand[128], uarch[64], buildtype[32], sanitize[64], status[16];
} run_facts;

static void copy_col(sqlite3_stmt *st, int i, char *buf, size_t len)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    snprintf(buf, len, "%s", t ? (const char *)t : "");
}

static sb_status run_facts_get(sqlite3 *db, const char *run, run_facts *f, char *err,
                               size_t errlen)
{
    sqlite3_stmt *st = NULL;
    sb_status ret = SB_OK;
    if (sqlite3_prepare_v2(db, "SELECT r.emulated OR h.emulated, h.arch, h.cpu_brand, h.uarch,"
                           " b.buildtype, b.sanitize, r.status FROM run r JOIN host h USING (host_id)"
                           " JOIN build b USING (build_id) WHERE r.run_id = ?", -1, &st, NULL)
        != SQLITE_OK) {
        snprintf(err, errlen, "cannot query the database: %s", sqlite3_errmsg(db));
        ret = SB_EDB;
        goto out;
    }
    sqlite3_bind_text(st, 1, run, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_ROW) {
        snprintf(err, errlen, "no run %.8s", run);
        ret = SB_ENOTFOUND;
        goto out;
    }
    f->emulated = sqlite3_column_int(st, 0);
    copy_col(st, 1, f->arch, sizeof(f->arch));
    copy_col(st, 2, f->brand, sizeof(f->brand));
    copy_col(st, 3, f->uarch, sizeof(f->uarch));
    copy_col(st, 4, f->buildtype, sizeof(f->buildtype));
    copy_col(st, 5, f->sanitize, sizeof(f->sanitize));
    copy_col(st, 6, f->status, sizeof(f->status));
out:
    sqlite3_finalize(st);
    return ret;
}

/* One run a side: the observations are repetitions, not runs' medians. */
static bool one_run_a_side(const sb_check_opts *o) { return o->nruns == 1 && o->nbaselines == 1; }

/* Run i of the check: the baselines first, then the runs. */
static const char *run_at(const sb_check_opts *o, size_t i)
{
    return i < o->nbaselines ? o->baselines[i] : o->runs[i - o->nbaselines];
}

/* Refuse runs whose times cannot be held to each other; note what weakens them. */
static sb_status vet_runs(sqlite3 *db, const sb_check_opts *o, sb_table *out, char *err,
                          size_t errlen)
{
    run_facts first, f;
    size_t n = o->nbaselines + o->nruns;
    sb_status st;
    for (size_t i = 0; i < n; i++) {
        const char *id = run_at(o, i), *who = i < o->nbaselines ? "baseline" : "run";
        for (size_t j = 0; j < i; j++)
            if (strcmp(id, run_at(o, j)) == 0) {
                snprintf(err, errlen, "run %.8s is named twice: each run is a baseline or a run "
                         "checked, once", id);
                return SB_EINVAL;
            }
        if ((st = run_facts_get(db, id, i ? &f : &first, err, errlen)) != SB_OK)
            return st;
        const run_facts *r = i ? &f : &first;
        if (r->emulated) {
            snprintf(err, errlen, "%s %.8s ran on an emulated CPU: its times are not performance",
                     who, id);
            return SB_EINVAL;
        }
        if (strcmp(r->buildtype, "debug") == 0 || (r->sanitize[0] && strcmp(r->sanitize, "none")))
            sb_table_add_note(out, "%s %.8s is a %s build%s%s: its times are not those of a "
                              "release", who, id, r->buildtype, r->sanitize[0] ? ", sanitizer " : "",
                              r->sanitize);
        if (strcmp(r->status, "done"))
            sb_table_add_note(out, "%s %.8s's status is '%s', not done", who, id, r->status);
        if (i && (strcmp(first.arch, f.arch) || strcmp(first.brand, f.brand) ||
                  strcmp(first.uarch, f.uarch))) {
            snprintf(err, errlen, "baseline %.8s ran on %s '%s' (%s) and %s %.8s on %s '%s' (%s): a "
                     "check holds one machine to itself; compare sets two machines side by side",
                     o->baselines[0], first.arch, first.brand,
                     first.uarch[0] ? first.uarch : "uarch unknown", who, id, f.arch, f.brand,
                     f.uarch[0] ? f.uarch : "uarch unknown");
            return SB_EINVAL;
        }
    }
    return SB_OK;
}

/* The verdict on one case from its ratio estimate and interval (see check.h). */
static int judge(const sb_check_opts *o, double r, double lo, double hi)
{
    if (r > 1.0 + o->threshold && lo > 1.0)
        return SB_V_SLOWER;
    if (r < 1.0 / (1.0 + o->threshold) && hi < 1.0)
        return SB_V_FASTER;
    return SB_V_SAME;
}

/* The statements and buffers one case's observations are gathered with. */
typedef struct gather {
    sqlite3_stmt *find;     /* the case of (run, case key, kernel choice) */
    sqlite3_stmt *samples;  /* a case's samples */
    double *v;              /* [cap] samples of one case */
    size_t cap;
    double *obs[2];         /* [side] observations: [cap] with one run a side, else [runs] */
    size_t nobs[2];
    char kernel[96];        /* the first kernel that differs from the baseline's, or "" */
} gather;

/*
 * The observations of side (0: baselines, 1: runs) for a case: one run a side, its repetitions;
 * else each run's median. Returns the runs of the side that lack the case.
 */
static size_t gather_side(const sb_check_opts *o, gather *g, int side, const char *key,
                          const char *choice, const char *base_kernel)
{
    const char *const *ids = side ? o->runs : o->baselines;
    size_t n = side ? o->nruns : o->nbaselines, lacking = 0;
    bool reps = one_run_a_side(o);
    g->nobs[side] = 0;
    for (size_t i = 0; i < n; i++) {
        sqlite3_reset(g->find);
        sqlite3_bind_text(g->find, 1, ids[i], -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(g->find, 2, key, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(g->find, 3, choice, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(g->find) != SQLITE_ROW) {
            lacking++;
            continue;
        }
        const char *k = (const char *)sqlite3_column_text(g->find, 1);
        if (side && k && base_kernel && strcmp(k, base_kernel) && !g->kernel[0])
            snprintf(g->kernel, sizeof(g->kernel), "%s, was %s", k, base_kernel);
        sqlite3_int64 id = sqlite3_column_int64(g->find, 0);
        if (reps) {
            g->nobs[side] = sb_results_samples(g->samples, id, g->obs[side], g->cap, NULL);
        } else {
            size_t ns = sb_results_samples(g->samples, id, g->v, g->cap, NULL);
            if (ns > 0)
                g->obs[side][g->nobs[side]++] = sb_median(g->v, ns);
        }
    }
    return lacking;
}

static const char case_sql[] =
    "SELECT case_key, kernel_choice, layer, res, dur, variant, threads, kernel FROM \"case\""
    " WHERE run_id = ? ORDER BY case_id";

/* One case of the first baseline (the current row of cs) into a table row and a verdict. */
static int judge_case(const sb_check_opts *o, sqlite3_stmt *cs, gather *g, sb_table *out,
                      sb_verdict_record *rec)
{
    double r = NAN, lo = NAN, hi = NAN;
    long row = sb_table_add_row(out);
    const char *key = (const char *)sqlite3_column_text(cs, 0);
    const char *choice = (const char *)sqlite3_column_text(cs, 1);
    const char *kernel = (const char *)sqlite3_column_text(cs, 7);
    char name[192];
    int k;
    snprintf(name, sizeof(name), "%s @ %s %s", (const char *)sqlite3_column_text(cs, 2),
             (const char *)sqlite3_column_text(cs, 3), (const char *)sqlite3_column_text(cs, 4));
    sb_table_set_text(out, row, K_CASE, name);
    sb_table_set_text(out, row, K_VARIANT, (const char *)sqlite3_column_text(cs, 5));
    sb_table_set_text(out, row, K_CHOICE, choice);
    sb_table_set_num(out, row, K_THREADS, (double)sqlite3_column_int64(cs, 6));
    *rec = (sb_verdict_record){.case_key = strdup(key), .kernel_choice = strdup(choice)};
    gather_side(o, g, 0, key, choice, kernel);
    sb_table_set_num(out, row, K_BASE, sb_median(g->obs[0], g->nobs[0]));
    if (gather_side(o, g, 1, key, choice, kernel) > 0) {
        k = SB_V_MISSING;
    } else {
        sb_table_set_num(out, row, K_RUN, sb_median(g->obs[1], g->nobs[1]));
        if (sb_ratio_ci(g->obs[1], g->nobs[1], g->obs[0], g->nobs[0], o->level, &r, &lo, &hi) == 0) {
            k = judge(o, r, lo, hi);
            sb_table_set_num(out, row, K_RATIO, r);
            sb_table_set_num(out, row, K_LO, lo);
            sb_table_set_num(out, row, K_HI, hi);
        } else {
            k = SB_V_UNDECIDED;
        }
    }
    rec->ratio = r;
    rec->lo = lo;
    rec->hi = hi;
    rec->verdict = verdict_names[k];
    sb_table_set_text(out, row, K_VERDICT, verdict_names[k]);
    return k;
}

/* The runs' cases with no counterpart in the first baseline: the most of any one run. */
static size_t count_extra(sqlite3 *db, const sb_check_opts *o)
{
    sqlite3_stmt *st = NULL;
    size_t most = 0;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM \"case\" r WHERE r.run_id = ?2 AND NOT EXISTS"
                           " (SELECT 1 FROM \"case\" b WHERE b.run_id = ?1 AND b.case_key ="
                           " r.case_key AND b.kernel_choice = r.kernel_choice)", -1, &st, NULL)
        != SQLITE_OK)
        return 0;
    for (size_t i = 0; i < o->nruns; i++) {
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, o->baselines[0], -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, o->runs[i], -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) == SQLITE_ROW && (size_t)sqlite3_column_int64(st, 0) > most)
            most = (size_t)sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    return most;
}

/* The notes that say what the verdicts rest on and what is not judged. */
static void add_notes(const sb_check_opts *o, const sb_check_result *res, size_t changed,
                      const char *example, sb_table *out)
{
    bool reps = one_run_a_side(o);
    sb_table_add_note(out, "ratio: the runs' time per iteration over the baselines', the median of "
                      "all ratios of one %s of each side (Hodges-Lehmann), with its %.0f%% "
                      "distribution-free interval (Mann-Whitney); slower: ratio above %.3g and "
                      "interval above 1; faster: ratio below %.3g and interval below 1",
                      reps ? "repetition" : "run's median", 100.0 * o->level, 1.0 + o->threshold,
                      1.0 / (1.0 + o->threshold));
    if (reps)
        sb_table_add_note(out, "one run a side: the intervals know only the spread within each "
                          "run, not between runs, which on a shared machine is larger; for a gate, "
                          "give several runs a side (--baseline A,B,C,D --run E,F,G,H)");
    if (res->rec.nverdicts > 1)
        sb_table_add_note(out, "each case is judged on its own: when nothing changed, about %.2g of "
                          "the %zu are expected significantly slower by chance (before the "
                          "threshold); --level %.6g holds the chance of any to 5%% (Bonferroni), "
                          "and needs more runs a side", 0.5 * (1.0 - o->level) *
                          (double)res->rec.nverdicts, res->rec.nverdicts,
                          1.0 - 0.05 / (double)res->rec.nverdicts);
    if (res->count[SB_V_UNDECIDED])
        sb_table_add_note(out, "%zu case(s) undecided: too few %s for a %.0f%% interval (4 a "
                          "side at 95%%)", res->count[SB_V_UNDECIDED],
                          reps ? "repetitions" : "runs", 100.0 * o->level);
    if (res->count[SB_V_MISSING])
        sb_table_add_note(out, "%zu case(s) of the baseline are missing from a run",
                          res->count[SB_V_MISSING]);
    if (changed)
        sb_table_add_note(out, "%zu case(s) ran another kernel than in the baseline (%s)", changed,
                          example);
    if (res->extra)
        sb_table_add_note(out, "%zu case(s) of a run have no baseline and are not judged",
                          res->extra);
    sb_table_add_note(out, "outcome: %s (%zu slower, %zu faster, %zu same, %zu undecided, %zu "
                      "missing)", res->rec.outcome, res->count[SB_V_SLOWER],
                      res->count[SB_V_FASTER], res->count[SB_V_SAME], res->count[SB_V_UNDECIDED],
                      res->count[SB_V_MISSING]);
}

sb_status sb_check_runs(sqlite3 *db, const sb_check_opts *o, sb_table *out, sb_check_result *res,
                        char *err, size_t errlen)
{
    sqlite3_stmt *cs = NULL;
    sb_verdict_record *recs = NULL;
    gather g = {.cap = 1 << 16};
    size_t n = 0, changed = 0;
    char title[200], example[200] = "";
    sb_status ret;

    memset(res, 0, sizeof(*res));
    snprintf(title, sizeof(title), "check %zu run(s) from %.8s against %zu baseline run(s) from "
             "%.8s (threshold %.3g%%, %.0f%% intervals)", o->nruns, o->runs[0], o->nbaselines,
             o->baselines[0], 100.0 * o->threshold, 100.0 * o->level);
    sb_table_init(out, check_cols, K_COUNT, title);
    if ((ret = vet_runs(db, o, out, err, errlen)) != SB_OK)
        goto out;
    g.v = malloc(g.cap * sizeof(*g.v));
    g.obs[0] = malloc(g.cap * sizeof(*g.obs[0]));
    g.obs[1] = malloc(g.cap * sizeof(*g.obs[1]));
    if (!g.v || !g.obs[0] || !g.obs[1] || o->nruns > g.cap || o->nbaselines > g.cap) {
        ret = SB_ENOMEM;
        goto out;
    }
    if (sqlite3_prepare_v2(db, case_sql, -1, &cs, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT case_id, kernel FROM \"case\" WHERE run_id = ? AND"
                           " case_key = ? AND kernel_choice = ?", -1, &g.find, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT ns, iters FROM sample WHERE case_id = ? ORDER BY rep", -1,
                           &g.samples, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "cannot query the database: %s", sqlite3_errmsg(db));
        ret = SB_EDB;
        goto out;
    }
    sqlite3_bind_text(cs, 1, o->baselines[0], -1, SQLITE_TRANSIENT);
    while (sqlite3_step(cs) == SQLITE_ROW) {
        sb_verdict_record *p = realloc(recs, (n + 1) * sizeof(*p));
        if (!p) {
            ret = SB_ENOMEM;
            goto out;
        }
        recs = p;
        g.kernel[0] = '\0';
        res->count[judge_case(o, cs, &g, out, &recs[n++])]++;
        if (g.kernel[0] && changed++ == 0)
            snprintf(example, sizeof(example), "%s: %s", (const char *)sqlite3_column_text(cs, 2),
                     g.kernel);
    }
    res->rec = (sb_check_record){
        .runs = o->runs, .nruns = o->nruns, .baselines = o->baselines,
        .nbaselines = o->nbaselines, .unit = one_run_a_side(o) ? "repetition" : "run",
        .threshold = o->threshold, .level = o->level, .nverdicts = n, .verdicts = recs,
        .outcome = res->count[SB_V_SLOWER] ? "regression"
                   : res->count[SB_V_UNDECIDED] + res->count[SB_V_MISSING] ? "incomplete" : "ok"};
    recs = NULL;
    if (n == 0) {
        snprintf(err, errlen, "baseline %.8s has no cases", o->baselines[0]);
        ret = SB_EINVAL;
        goto out;
    }
    res->extra = count_extra(db, o);
    add_notes(o, res, changed, example, out);
out:
    for (size_t i = 0; recs && i < n; i++) {
        free((void *)recs[i].case_key);
        free((void *)recs[i].kernel_choice);
    }
    free(recs);
    sqlite3_finalize(cs);
    sqlite3_finalize(g.find);
    sqlite3_finalize(g.samples);
    free(g.v);
    free(g.obs[0]);
    free(g.obs[1]);
    return ret;
}

void sb_check_result_free(sb_check_result *res)
{
    for (size_t i = 0; i < res->rec.nverdicts; i++) {
        free((void *)res->rec.verdicts[i].case_key);
        free((void *)res->rec.verdicts[i].kernel_choice);
    }
    free((void *)res->rec.verdicts);
    memset(res, 0, sizeof(*res));
}
