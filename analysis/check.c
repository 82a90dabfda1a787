/* check.c - a run held to a baseline run, case by case (see check.h). */
#include "check.h"

#include <math.h>
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

/* Refuse pairs of runs whose times cannot be held to each other; note what weakens them. */
static sb_status vet_runs(sqlite3 *db, const sb_check_opts *o, sb_table *out, char *err,
                          size_t errlen)
{
    run_facts f[2];
    const char *id[2] = {o->baseline, o->run}, *who[2] = {"baseline", "run"};
    sb_status st;
    if (strcmp(o->run, o->baseline) == 0) {
        snprintf(err, errlen, "run %.8s is its own baseline: name an earlier run with --baseline",
                 o->run);
        return SB_EINVAL;
    }
    for (int i = 0; i < 2; i++) {
        if ((st = run_facts_get(db, id[i], &f[i], err, errlen)) != SB_OK)
            return st;
        if (f[i].emulated) {
            snprintf(err, errlen, "%s %.8s ran on an emulated CPU: its times are not performance",
                     who[i], id[i]);
            return SB_EINVAL;
        }
        if (strcmp(f[i].buildtype, "debug") == 0 || (f[i].sanitize[0] && strcmp(f[i].sanitize, "none")))
            sb_table_add_note(out, "the %s is a %s build%s%s: its times are not those of a release",
                              who[i], f[i].buildtype, f[i].sanitize[0] ? ", sanitizer " : "",
                              f[i].sanitize);
        if (strcmp(f[i].status, "done"))
            sb_table_add_note(out, "the %s's status is '%s', not done", who[i], f[i].status);
    }
    if (strcmp(f[0].arch, f[1].arch) || strcmp(f[0].brand, f[1].brand) ||
        strcmp(f[0].uarch, f[1].uarch)) {
        snprintf(err, errlen, "the baseline ran on %s '%s' (%s) and the run on %s '%s' (%s): a "
                 "check holds one machine to itself; compare sets two machines side by side",
                 f[0].arch, f[0].brand, f[0].uarch[0] ? f[0].uarch : "uarch unknown", f[1].arch,
                 f[1].brand, f[1].uarch[0] ? f[1].uarch : "uarch unknown");
        return SB_EINVAL;
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

static const char pair_sql[] =
    "SELECT b.case_id, r.case_id, b.layer, b.res, b.dur, b.variant, b.kernel_choice, b.threads,"
    " b.kernel, r.kernel FROM \"case\" b LEFT JOIN \"case\" r ON r.run_id = ?2"
    " AND r.case_key = b.case_key AND r.kernel_choice = b.kernel_choice"
    " WHERE b.run_id = ?1 ORDER BY b.case_id";

/* One baseline case (the current row of ps) into a table row and a verdict. */
static int judge_case(const sb_check_opts *o, sqlite3_stmt *ps, sqlite3_stmt *ss,
                            double *v, size_t cap, sb_table *out, sb_verdict_record *rec)
{
    double *a = v, *b = v + cap, r = NAN, lo = NAN, hi = NAN;
    long row = sb_table_add_row(out);
    char name[192];
    int k;
    snprintf(name, sizeof(name), "%s @ %s %s", (const char *)sqlite3_column_text(ps, 2),
             (const char *)sqlite3_column_text(ps, 3), (const char *)sqlite3_column_text(ps, 4));
    sb_table_set_text(out, row, K_CASE, name);
    sb_table_set_text(out, row, K_VARIANT, (const char *)sqlite3_column_text(ps, 5));
    sb_table_set_text(out, row, K_CHOICE, (const char *)sqlite3_column_text(ps, 6));
    sb_table_set_num(out, row, K_THREADS, (double)sqlite3_column_int64(ps, 7));
    *rec = (sb_verdict_record){.baseline_case_id = sqlite3_column_int64(ps, 0),
                               .case_id = sqlite3_column_int64(ps, 1)};
    size_t nb = sb_results_samples(ss, rec->baseline_case_id, b, cap, NULL);
    sb_table_set_num(out, row, K_BASE, sb_median(b, nb));
    if (sqlite3_column_type(ps, 1) == SQLITE_NULL) {
        k = SB_V_MISSING;
        rec->case_id = 0;
    } else {
        size_t na = sb_results_samples(ss, rec->case_id, a, cap, NULL);
        sb_table_set_num(out, row, K_RUN, sb_median(a, na));
        if (sb_ratio_ci(a, na, b, nb, o->level, &r, &lo, &hi) == 0) {
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

/* The notes that say what the verdicts rest on and what is not judged. */
static void add_notes(sqlite3 *db, const sb_check_opts *o, sb_check_result *res,
                      size_t changed, const char *example, sb_table *out)
{
    sqlite3_stmt *st = NULL;
    sb_table_add_note(out, "ratio: the run's time per iteration over the baseline's, the median of "
                      "all ratios of one repetition of each (Hodges-Lehmann), with its %.0f%% "
                      "distribution-free interval (Mann-Whitney); slower: ratio above %.3g and "
                      "interval above 1; faster: ratio below %.3g and interval below 1",
                      100.0 * o->level, 1.0 + o->threshold, 1.0 / (1.0 + o->threshold));
    if (res->count[SB_V_UNDECIDED])
        sb_table_add_note(out, "%zu case(s) undecided: too few repetitions for a %.0f%% interval "
                          "(at 95%%, 4 of each at least; run --reps sets them)",
                          res->count[SB_V_UNDECIDED], 100.0 * o->level);
    if (res->count[SB_V_MISSING])
        sb_table_add_note(out, "%zu case(s) of the baseline are missing from the run",
                          res->count[SB_V_MISSING]);
    if (changed)
        sb_table_add_note(out, "%zu case(s) ran another kernel than in the baseline (%s)", changed,
                          example);
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM \"case\" r WHERE r.run_id = ?2 AND NOT EXISTS"
                           " (SELECT 1 FROM \"case\" b WHERE b.run_id = ?1 AND b.case_key ="
                           " r.case_key AND b.kernel_choice = r.kernel_choice)", -1, &st, NULL)
        == SQLITE_OK) {
        sqlite3_bind_text(st, 1, o->baseline, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, o->run, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) == SQLITE_ROW)
            res->extra = (size_t)sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    if (res->extra)
        sb_table_add_note(out, "%zu case(s) of the run have no baseline and are not judged",
                          res->extra);
    sb_table_add_note(out, "outcome: %s (%zu slower, %zu faster, %zu same, %zu undecided, %zu "
                      "missing)", res->rec.outcome, res->count[SB_V_SLOWER],
                      res->count[SB_V_FASTER], res->count[SB_V_SAME], res->count[SB_V_UNDECIDED],
                      res->count[SB_V_MISSING]);
}

sb_status sb_check_runs(sqlite3 *db, const sb_check_opts *o, sb_table *out, sb_check_result *res,
                        char *err, size_t errlen)
{
    sqlite3_stmt *ps = NULL, *ss = NULL;
    sb_verdict_record *recs = NULL;
    size_t cap = 1 << 16, n = 0, changed = 0;
    double *v = NULL;
    char title[160], example[160] = "";
    sb_status ret;

    memset(res, 0, sizeof(*res));
    snprintf(title, sizeof(title), "check run %.8s against baseline %.8s (threshold %.3g%%, %.0f%% "
             "intervals)", o->run, o->baseline, 100.0 * o->threshold, 100.0 * o->level);
    sb_table_init(out, check_cols, K_COUNT, title);
    if ((ret = vet_runs(db, o, out, err, errlen)) != SB_OK)
        goto out;
    if ((v = malloc(2 * cap * sizeof(*v))) == NULL) {
        ret = SB_ENOMEM;
        goto out;
    }
    if (sqlite3_prepare_v2(db, pair_sql, -1, &ps, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT ns, iters FROM sample WHERE case_id = ? ORDER BY rep", -1,
                           &ss, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "cannot query the database: %s", sqlite3_errmsg(db));
        ret = SB_EDB;
        goto out;
    }
    sqlite3_bind_text(ps, 1, o->baseline, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ps, 2, o->run, -1, SQLITE_TRANSIENT);
    while (sqlite3_step(ps) == SQLITE_ROW) {
        sb_verdict_record *p = realloc(recs, (n + 1) * sizeof(*p));
        if (!p) {
            ret = SB_ENOMEM;
            goto out;
        }
        recs = p;
        res->count[judge_case(o, ps, ss, v, cap, out, &recs[n])]++;
        const char *kb = (const char *)sqlite3_column_text(ps, 8);
        const char *kr = (const char *)sqlite3_column_text(ps, 9);
        if (kb && kr && strcmp(kb, kr) && changed++ == 0)
            snprintf(example, sizeof(example), "%s: %s, was %s",
                     (const char *)sqlite3_column_text(ps, 2), kr, kb);
        n++;
    }
    if (n == 0) {
        snprintf(err, errlen, "baseline %.8s has no cases", o->baseline);
        ret = SB_EINVAL;
        goto out;
    }
    res->rec = (sb_check_record){
        .run_id = o->run, .baseline_id = o->baseline, .threshold = o->threshold,
        .level = o->level, .nverdicts = n, .verdicts = recs,
        .outcome = res->count[SB_V_SLOWER] ? "regression"
                   : res->count[SB_V_UNDECIDED] + res->count[SB_V_MISSING] ? "incomplete" : "ok"};
    recs = NULL;
    add_notes(db, o, res, changed, example, out);
out:
    sqlite3_finalize(ps);
    sqlite3_finalize(ss);
    free(recs);
    free(v);
    return ret;
}

void sb_check_result_free(sb_check_result *res)
{
    free((void *)res->rec.verdicts);
    memset(res, 0, sizeof(*res));
}
