/*
 * cmd_report.c - `sorabench sysinfo`, `report`, `compare` and `check`: the commands that
 * describe and read, never measure (check also stores its verdicts).
 *
 *   $ sorabench report --run latest --format csv -o run.csv
 *   $ sorabench compare 3f2a9c1d 77e0b2aa --format md
 *   $ sorabench check --baseline 3f2a9c1d --threshold 5%
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "catalog.h"
#include "check.h"
#include "grammar.h"
#include "cli.h"
#include "counters.h"
#include "cpu.h"
#include "results.h"
#include "store.h"
#include "sysinfo.h"
#include "table.h"

enum { O_DB = 256, O_RUN, O_FORMAT, O_OUT, O_JSON, O_AKERN, O_BKERN, O_AVAR, O_BVAR, O_COUNTERS,
       O_BASE, O_THRESH, O_LEVEL };

#define OPT_DB {"db", required_argument, O_DB, "FILE", "database (default ./" SB_DEFAULT_DB ")"}
#define OPT_FORMAT {"format", required_argument, O_FORMAT, "F", "table, md, csv or json (default table)"}
#define OPT_OUT {"output", required_argument, 'o', "FILE", "write to FILE instead of stdout"}
#define OPT_HELP {"help", no_argument, 'h', NULL, "this help"}

/* Each command accepts only its own options: one it does not use is refused, not ignored. */
static const sb_opt report_opts[] = {
    OPT_DB,
    {"run", required_argument, O_RUN, "ID", "run id, a unique prefix of one, or latest (default)"},
    OPT_FORMAT, OPT_OUT,
    {"counters", no_argument, O_COUNTERS, NULL, "the counters and derived metrics of each case (run --events)"},
    OPT_HELP,
};

static const sb_opt compare_opts[] = {
    OPT_DB, OPT_FORMAT, OPT_OUT,
    {"a-kernel", required_argument, O_AKERN, "K", "A's cases with this kernel choice (default auto)"},
    {"b-kernel", required_argument, O_BKERN, "K", "B's cases with this kernel choice (default auto)"},
    {"a-variant", required_argument, O_AVAR, "V", "A's cases of this variant (default: B's)"},
    {"b-variant", required_argument, O_BVAR, "V", "B's cases of this variant (default: A's)"},
    OPT_HELP,
};

static const sb_opt check_opts[] = {
    OPT_DB,
    {"run", required_argument, O_RUN, "IDS", "the runs checked: ids, unique prefixes or latest (default)"},
    {"baseline", required_argument, O_BASE, "IDS", "the runs they are held to (required)"},
    {"threshold", required_argument, O_THRESH, "P", "slowdown tolerated: 5% or 0.05 (default 5%)"},
    {"level", required_argument, O_LEVEL, "L", "confidence level of each case's interval, 0.5-0.99999 (default 0.95)"},
    OPT_FORMAT, OPT_OUT, OPT_HELP,
};

static const sb_opt sysinfo_opts[] = {
    {"json", no_argument, O_JSON, NULL, "print the records as JSON"},
    {"help", no_argument, 'h', NULL, "this help"},
};

typedef struct read_cfg {
    const char *db, *run, *out, *akern, *bkern, *avar, *bvar, *baseline;
    double threshold, level;     /* check: fraction; confidence level */
    bool counters;
    sb_format format;
} read_cfg;

/* --threshold: "5%" (a percentage) or "0.05" (a fraction), from 0 up to 100%. */
static int parse_threshold(const char *cmd, const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    bool pct = end != s && *end == '%' && end[1] == '\0';
    if (end == s || (*end && !pct) || errno || !(v >= 0.0))
        return sb_cli_error(cmd, SB_EXIT_USAGE, "--threshold '%s': give a percentage (5%%) or a "
                            "fraction (0.05)", s);
    if (pct)
        v /= 100.0;
    else if (v >= 1.0)
        return sb_cli_error(cmd, SB_EXIT_USAGE, "--threshold '%s': a fraction is below 1; for a "
                            "percentage write %s%%", s, s);
    if (v >= 1.0)
        return sb_cli_error(cmd, SB_EXIT_USAGE, "--threshold '%s': at most 100%%", s);
    *out = v;
    return SB_EXIT_OK;
}

/* Parse the options of cmd (opts: the n it accepts); returns -1 after --help, else an exit code. */
static int parse_read(const char *cmd, const sb_opt *opts, size_t n, const char *synopsis,
                      const char *desc, int argc, char **argv, read_cfg *c)
{
    struct option lo[16];
    int ch;
    *c = (read_cfg){.db = SB_DEFAULT_DB, .run = "latest", .format = SB_FMT_TABLE, .akern = "auto",
                    .bkern = "auto", .threshold = 0.05, .level = 0.95};
    if (n >= SB_ARRAY_LEN(lo))
        return sb_cli_error(cmd, SB_EXIT_FAIL, "too many options");
    sb_cli_longopts(opts, n, lo);
    optind = 1;
    while ((ch = getopt_long(argc, argv, "o:h", lo, NULL)) != -1) {
        switch (ch) {
        case O_DB: c->db = optarg; break;
        case O_RUN: c->run = optarg; break;
        case 'o': c->out = optarg; break;
        case O_AKERN: c->akern = optarg; break;
        case O_BKERN: c->bkern = optarg; break;
        case O_AVAR: c->avar = optarg; break;
        case O_BVAR: c->bvar = optarg; break;
        case O_COUNTERS: c->counters = true; break;
        case O_BASE: c->baseline = optarg; break;
        case O_THRESH:
            if (parse_threshold(cmd, optarg, &c->threshold) != SB_EXIT_OK)
                return SB_EXIT_USAGE;
            break;
        case O_LEVEL:
            if (sb_cli_double(cmd, "level", optarg, 0.5, &c->level) != SB_EXIT_OK)
                return SB_EXIT_USAGE;
            if (c->level > 0.99999)
                return sb_cli_error(cmd, SB_EXIT_USAGE, "--level %s: above 0.99999", optarg);
            break;
        case O_FORMAT:
            if (sb_format_find(optarg, &c->format) != SB_OK)
                return sb_cli_error(cmd, SB_EXIT_USAGE, "unknown format '%s' (table, md, csv, json)",
                                    optarg);
            break;
        case 'h':
            sb_cli_help(stdout, synopsis, desc, opts, n);
            return -1;
        default:
            return sb_cli_error(cmd, SB_EXIT_USAGE, "bad option (see sorabench %s --help)", cmd);
        }
    }
    return SB_EXIT_OK;
}

/* Render t to c->out (or stdout); the file is written whole or not at all. */
static int emit(const char *cmd, const read_cfg *c, const sb_table *t)
{
    char tmp[4096];
    FILE *f = stdout;
    if (c->out) {
        snprintf(tmp, sizeof(tmp), "%s.tmp", c->out);
        if ((f = fopen(tmp, "w")) == NULL)
            return sb_cli_error(cmd, SB_EXIT_USAGE, "cannot write %s: %s", c->out, strerror(errno));
    }
    sb_status st = sb_table_render(t, c->format, f);
    if (c->out) {
        if (fclose(f) != 0 || st != SB_OK || rename(tmp, c->out) != 0) {
            remove(tmp);
            return sb_cli_error(cmd, SB_EXIT_FAIL, "cannot write %s", c->out);
        }
    }
    return st == SB_OK ? SB_EXIT_OK : SB_EXIT_FAIL;
}

int sb_cmd_report(int argc, char **argv)
{
    read_cfg c;
    sb_store *s = NULL;
    sb_table t = {0};
    char err[512], id[33];
    int rc = parse_read("report", report_opts, SB_ARRAY_LEN(report_opts), "sorabench report [--run ID] [--counters] [--format F] [-o FILE]",
                        "Per-layer table of a stored run: for each case (and each layer inside a\n"
                        "block or step case) the variant, kernel, threads, repetitions stored,\n"
                        "median/MAD/min ns per iteration, GFLOP/s, GB/s and share of the block's\n"
                        "time; against this machine's latest 'sorabench calibrate': %peak (of\n"
                        "the dtype's compute peak), %bw (of the DRAM triad) and bound (memory\n"
                        "or compute, by the roofline's ridge point); a note counts the cases a\n"
                        "stop cut short. With --counters:\n"
                        "each case's counters per iteration (summed over threads) and the derived\n"
                        "metrics of its event groups, or why each is missing. Reads the database\n"
                        "only; runs nothing.", argc, argv, &c);
    if (rc)
        return rc < 0 ? SB_EXIT_OK : rc;
    if (optind < argc)
        return sb_cli_error("report", SB_EXIT_USAGE, "unexpected argument '%s'", argv[optind]);
    if (sb_store_open(&s, c.db, SB_STORE_READ, err, sizeof(err)) != SB_OK)
        return sb_cli_error("report", SB_EXIT_USAGE, "%s", err);
    if (sb_run_resolve(sb_store_db(s), c.run, id, err, sizeof(err)) != SB_OK ||
        (c.counters ? sb_results_counters(sb_store_db(s), id, &t, err, sizeof(err))
                    : sb_results_layers(sb_store_db(s), id, &t, err, sizeof(err))) != SB_OK)
        rc = sb_cli_error("report", SB_EXIT_USAGE, "%s", err);
    else
        rc = emit("report", &c, &t);
    sb_table_free(&t);
    sb_store_close(s);
    return rc;
}

int sb_cmd_compare(int argc, char **argv)
{
    read_cfg c;
    sb_store *s = NULL;
    sb_table t = {0};
    char err[512], a[33], b[33];
    int rc = parse_read("compare", compare_opts, SB_ARRAY_LEN(compare_opts), "sorabench compare A B [--format F] [-o FILE]",
                        "Compares two stored runs case by case (joined on the case key: workload,\n"
                        "model, resolution, duration, batch, layer, variant, threads, pinning): the\n"
                        "median per iteration of each, their ratio A/B (above 1: B is faster) and\n"
                        "the geometric mean of the ratios. A and B are run ids, unique prefixes of\n"
                        "them, or latest; they may be the same run, with --a-kernel / --b-kernel\n"
                        "picking the cases of a kernel named by run --kernel (e.g. ours against\n"
                        "linear.f32.onednn measured in one run), and --a-variant / --b-variant\n"
                        "those of two variants (e.g. fp32-fused against fp32). Where the two\n"
                        "cases' repetitions alternated (run --interleave), it adds the median of\n"
                        "the per-repetition ratios and its 95% confidence interval.", argc, argv, &c);
    if (rc)
        return rc < 0 ? SB_EXIT_OK : rc;
    if (argc - optind != 2)
        return sb_cli_error("compare", SB_EXIT_USAGE, "expected two runs A and B (see --help)");
    const char *vars[2] = {c.avar, c.bvar};
    for (int i = 0; i < 2; i++)
        if (vars[i] && !sb_variant_find(vars[i]))
            return sb_cli_error("compare", SB_EXIT_USAGE, "--%c-variant: unknown variant '%s' "
                                "(sorabench list variants shows them)", "ab"[i], vars[i]);
    if (sb_store_open(&s, c.db, SB_STORE_READ, err, sizeof(err)) != SB_OK)
        return sb_cli_error("compare", SB_EXIT_USAGE, "%s", err);
    if (sb_run_resolve(sb_store_db(s), argv[optind], a, err, sizeof(err)) != SB_OK ||
        sb_run_resolve(sb_store_db(s), argv[optind + 1], b, err, sizeof(err)) != SB_OK ||
        sb_results_compare(sb_store_db(s), &(sb_compare_side){a, c.akern, c.avar},
                           &(sb_compare_side){b, c.bkern, c.bvar}, &t, err, sizeof(err)) != SB_OK)
        rc = sb_cli_error("compare", SB_EXIT_USAGE, "%s", err);
    else
        rc = emit("compare", &c, &t);
    sb_table_free(&t);
    sb_store_close(s);
    return rc;
}

/* Exit codes of check (design.md section 4). */
enum { CHECK_OK = 0, CHECK_REGRESSION = 1, CHECK_ERROR = 2 };

/*
 * Resolve a comma-separated list of run specs into full ids: *ids gets n pointers to them, in
 * one malloc'd block (free(*ids) frees all). Explains on stderr and returns CHECK_ERROR when
 * one does not resolve.
 */
static int resolve_runs(sb_store *s, const char *opt, const char *list, const char ***ids,
                        size_t *n)
{
    char **specs = NULL, err[512];
    size_t ns = 0;
    int rc = CHECK_OK;
    *ids = NULL;
    if (sb_strlist_parse(list, &specs, &ns, err, sizeof(err)) != SB_OK)
        return sb_cli_error("check", CHECK_ERROR, "--%s: %s", opt, err);
    char *blk = calloc(ns, sizeof(char *) + 33);   /* the pointers, then the ids they point to */
    if (!blk) {
        rc = sb_cli_error("check", CHECK_ERROR, "out of memory");
        goto out;
    }
    *ids = (const char **)(void *)blk;
    for (size_t i = 0; i < ns && rc == CHECK_OK; i++) {
        char *id = blk + ns * sizeof(char *) + 33 * i;
        (*ids)[i] = id;
        if (sb_run_resolve(sb_store_db(s), specs[i], id, err, sizeof(err)) != SB_OK)
            rc = sb_cli_error("check", CHECK_ERROR, "--%s: %s", opt, err);
    }
    *n = ns;
out:
    sb_strlist_free(specs, ns);
    return rc;
}

int sb_cmd_check(int argc, char **argv)
{
    read_cfg c;
    sb_store *s = NULL;
    sb_table t = {0};
    sb_check_result res = {0};
    int64_t check_id = 0;
    char err[512];
    const char **runs = NULL, **bases = NULL;
    size_t nr = 0, nb = 0;
    int rc = parse_read("check", check_opts, SB_ARRAY_LEN(check_opts),
                        "sorabench check --baseline IDS [--run IDS] [--threshold P] [--format F]",
                        "Holds runs (default: the latest) to baseline runs of the same database,\n"
                        "case by case (same case key and kernel choice), for CI regression gates.\n"
                        "Each case's ratio is the runs' time per iteration over the baselines'\n"
                        "(Hodges-Lehmann: the median ratio over all pairs of observations) with a\n"
                        "distribution-free interval (Mann-Whitney). With one run a side, the\n"
                        "observations are the repetitions; with more, each run's median, so the\n"
                        "interval holds the spread between runs, which on a shared machine is\n"
                        "the larger (4 runs a side at least, at 95%). A case is slower when the\n"
                        "ratio exceeds 1 + threshold and its interval lies above 1; faster\n"
                        "likewise below; undecided with too few observations; missing when a\n"
                        "run lacks it. The verdicts are stored (tables baseline, check_run,\n"
                        "verdict). Runs on an emulated CPU, or on different CPUs, are refused.\n"
                        "To gate a change, run the same sweep with each build into one database,\n"
                        "alternating builds (docs/harness.md). Exit 0: ok; 1: a case is slower;\n"
                        "2: an error, or a case undecided or missing (none slower).",
                        argc, argv, &c);
    if (rc)
        return rc < 0 ? CHECK_OK : CHECK_ERROR;
    if (optind < argc)
        return sb_cli_error("check", CHECK_ERROR, "unexpected argument '%s'", argv[optind]);
    if (!c.baseline)
        return sb_cli_error("check", CHECK_ERROR, "--baseline IDS is required (sorabench list runs "
                            "shows the runs)");
    if (access(c.db, F_OK) != 0)
        return sb_cli_error("check", CHECK_ERROR, "%s: %s", c.db, strerror(errno));
    if (sb_store_open(&s, c.db, SB_STORE_WRITE, err, sizeof(err)) != SB_OK)
        return sb_cli_error("check", CHECK_ERROR, "%s", err);
    if ((rc = resolve_runs(s, "run", c.run, &runs, &nr)) != CHECK_OK ||
        (rc = resolve_runs(s, "baseline", c.baseline, &bases, &nb)) != CHECK_OK)
        goto out;
    sb_check_opts o = {runs, nr, bases, nb, c.threshold, c.level};
    if (sb_check_runs(sb_store_db(s), &o, &t, &res, err, sizeof(err)) != SB_OK) {
        rc = sb_cli_error("check", CHECK_ERROR, "%s", err);
        goto out;
    }
    if (sb_store_put_check(s, &res.rec, &check_id) != SB_OK) {
        rc = sb_cli_error("check", CHECK_ERROR, "%s", sb_store_errmsg(s));
        goto out;
    }
    if (emit("check", &c, &t) != SB_EXIT_OK) {
        rc = CHECK_ERROR;
        goto out;
    }
    rc = strcmp(res.rec.outcome, "ok") == 0 ? CHECK_OK
         : strcmp(res.rec.outcome, "regression") == 0 ? CHECK_REGRESSION : CHECK_ERROR;
    fprintf(stderr, "sorabench check: %s: %zu of %zu case(s) slower, %zu undecided, %zu missing "
            "(check %lld stored in %s)\n", res.rec.outcome, res.count[SB_V_SLOWER],
            res.rec.nverdicts, res.count[SB_V_UNDECIDED], res.count[SB_V_MISSING],
            (long long)check_id, c.db);
out:
    sb_check_result_free(&res);
    sb_table_free(&t);
    sb_store_close(s);
    free(runs);
    free(bases);
    return rc;
}

static void print_text(const char *section, json_t *o)
{
    const char *key;
    json_t *v;
    printf("%s\n", section);
    json_object_foreach(o, key, v) {
        char *s = json_is_string(v) ? NULL : json_dumps(v, JSON_ENCODE_ANY);
        printf("  %-20s %s\n", key, json_is_null(v) ? "(unknown)" : s ? s : json_string_value(v));
        free(s);
    }
}

int sb_cmd_sysinfo(int argc, char **argv)
{
    struct option lo[SB_ARRAY_LEN(sysinfo_opts) + 1];
    bool as_json = false;
    int ch, rc = SB_EXIT_OK;
    sb_topo *topo = NULL;
    sb_cpu cpu;
    char err[256];

    sb_cli_longopts(sysinfo_opts, SB_ARRAY_LEN(sysinfo_opts), lo);
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        if (ch == O_JSON) {
            as_json = true;
        } else if (ch == 'h') {
            sb_cli_help(stdout, "sorabench sysinfo [--json]",
                        "Prints the host and build records every run stores (design section 5).\n"
                        "A field this machine cannot tell is shown as (unknown) / null.",
                        sysinfo_opts, SB_ARRAY_LEN(sysinfo_opts));
            return SB_EXIT_OK;
        } else {
            return sb_cli_error("sysinfo", SB_EXIT_USAGE, "bad option (see sorabench sysinfo --help)");
        }
    }
    if (sb_cpu_detect(&cpu, err, sizeof(err)) != SB_OK)
        return sb_cli_error("sysinfo", SB_EXIT_USAGE, "%s", err);
    if (sb_topo_open(&topo) != SB_OK)
        return sb_cli_error("sysinfo", SB_EXIT_FAIL, "cannot read the machine topology (hwloc)");
    json_t *root = json_object();
    json_object_set_new(root, "host", sb_sysinfo_host(topo, &cpu));
    json_object_set_new(root, "build", sb_sysinfo_build());
    json_object_set_new(root, "env", sb_sysinfo_env());
    if (as_json) {
        if (json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0)
            rc = SB_EXIT_FAIL;
        putchar('\n');
    } else {
        print_text("host", json_object_get(root, "host"));
        print_text("build", json_object_get(root, "build"));
        print_text("environment", json_object_get(root, "env"));
    }
    json_decref(root);
    sb_topo_close(topo);
    return rc;
}
