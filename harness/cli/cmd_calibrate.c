/*
 * cmd_calibrate.c - `sorabench calibrate`: measure the host's peaks, per probe (kernels/peak.c)
 * and thread count: FP32, BF16 and INT8 multiply-add rates and the triad's bandwidth at each
 * memory level, stored per host (table calibration) so that kernels can be held to them.
 *
 *   $ sorabench calibrate --threads 1 --probes fma,triad
 *   $ sorabench calibrate --show latest --format md
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <jansson.h>
#include "calibrate.h"
#include "cli.h"
#include "cpu.h"
#include "grammar.h"
#include "results.h"
#include "store.h"
#include "sysinfo.h"

enum { O_THREADS = 256, O_PROBES, O_LEVELS, O_PIN, O_ISA, O_REPS, O_MINTIME, O_DB, O_FORMAT,
       O_SHOW };

static const sb_opt opts[] = {
    {"probes", required_argument, O_PROBES, "LIST", "probes by name, dotted prefix (fma, triad), dtype (f32 bf16 int8), ISA or kind (compute, bandwidth); default all the host can run"},
    {"levels", required_argument, O_LEVELS, "LIST", "memory levels of the bandwidth probes: L1 L2 L3 DRAM (default all)"},
    {"threads", required_argument, O_THREADS, "LIST", "thread counts, e.g. 1,2 (default 1 and all PUs)"},
    {"pin", required_argument, O_PIN, "P", "compact, scatter, none or a cpu list (default compact)"},
    {"isa", required_argument, O_ISA, "ISA", "cap the probes' ISA as run --isa does (default: all the host has)"},
    {"reps", required_argument, O_REPS, "N", "timed repetitions per measurement (default 10)"},
    {"min-time", required_argument, O_MINTIME, "S", "minimum seconds per repetition (default 0.05)"},
    {"show", required_argument, O_SHOW, "ID", "print a stored calibration (its id, a prefix, or latest) instead of measuring"},
    {"db", required_argument, O_DB, "FILE", "SQLite database (default ./" SB_DEFAULT_DB ")"},
    {"format", required_argument, O_FORMAT, "F", "format of the table: table md csv json"},
    {"quiet", no_argument, 'q', NULL, "do not print the table"},
    {"help", no_argument, 'h', NULL, "this help"},
};

static const char *const level_names[SB_CALIB_LEVELS] = {"L1", "L2", "L3", "DRAM"};

typedef struct calib_cfg {
    const char *threads, *probes, *levels, *pin, *isa, *db, *show;
    int nmeasure;            /* options given that shape a measurement (all but --db, --format) */
    bool quiet;
    sb_format format;
    sb_calib_opts co;
} calib_cfg;

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
    signal(SIGINT, SIG_DFL); /* a second ^C kills at once */
}

static int parse_args(int argc, char **argv, calib_cfg *c)
{
    struct option lo[SB_ARRAY_LEN(opts) + 1];
    long v;
    int ch, rc;

    *c = (calib_cfg){.pin = "compact", .db = SB_DEFAULT_DB, .format = SB_FMT_TABLE,
                     .co = {.reps = 10, .min_time_s = 0.05}};
    sb_cli_longopts(opts, SB_ARRAY_LEN(opts), lo);
    optind = 1;
    while ((ch = getopt_long(argc, argv, "qh", lo, NULL)) != -1) {
        c->nmeasure += ch != O_DB && ch != O_FORMAT && ch != O_SHOW;
        switch (ch) {
        case O_THREADS: c->threads = optarg; break;
        case O_PROBES: c->probes = optarg; break;
        case O_LEVELS: c->levels = optarg; break;
        case O_PIN: c->pin = optarg; break;
        case O_ISA: c->isa = optarg; break;
        case O_DB: c->db = optarg; break;
        case O_SHOW: c->show = optarg; break;
        case O_REPS:
            if ((rc = sb_cli_long("calibrate", "reps", optarg, 1, 100000, &v)) != 0)
                return rc;
            c->co.reps = (int)v;
            break;
        case O_MINTIME:
            if ((rc = sb_cli_double("calibrate", "min-time", optarg, 0.0, &c->co.min_time_s)))
                return rc;
            break;
        case O_FORMAT:
            if (sb_format_find(optarg, &c->format) != SB_OK)
                return sb_cli_error("calibrate", SB_EXIT_USAGE, "unknown format '%s' (table, md,"
                                    " csv, json)", optarg);
            break;
        case 'q': c->quiet = true; break;
        case 'h':
            sb_cli_help(stdout, "sorabench calibrate [options]",
                        "Measures what this host delivers, so kernels can be held to it: the\n"
                        "multiply-add rate of each FP32, BF16 and INT8 instruction the kernels use\n"
                        "(compute probes, on independent accumulators), and STREAM's triad at\n"
                        "each memory level (per thread: half of L1d, half of L2, half of L3 shared\n"
                        "by the threads, and 4x L3 or 256 MiB in all for DRAM), with every worker\n"
                        "of a pinned pool at once. Each measurement is stored as it completes\n"
                        "(table calibration), with every repetition's rate. `sorabench list\n"
                        "kernels` names the ISAs; `--show latest` prints the last calibration.",
                        opts, SB_ARRAY_LEN(opts));
            return -1;
        default:
            return sb_cli_error("calibrate", SB_EXIT_USAGE, "bad option (see sorabench calibrate --help)");
        }
    }
    if (optind < argc)
        return sb_cli_error("calibrate", SB_EXIT_USAGE, "unexpected argument '%s'", argv[optind]);
    if (c->show && c->nmeasure)
        return sb_cli_error("calibrate", SB_EXIT_USAGE, "--show prints a stored calibration: "
                            "give only --db, --format with it");
    return SB_EXIT_OK;
}

/* Does --probes item name p: its name or a dotted prefix of it, its dtype, ISA or kind? */
static bool probe_matches(const sb_probe *p, const char *item)
{
    const char *kind = p->kind == SB_PROBE_COMPUTE ? "compute" : "bandwidth";
    return sb_cli_name_matches(p->name, item) || strcmp(p->dtype, item) == 0 || strcmp(p->isa, item) == 0 || strcmp(kind, item) == 0;
}

/*
 * The probes to measure into sel (room for sb_probe_count(); in table order), from --probes and
 * what the host can run; a probe the host cannot run is said on stderr, and is an error when
 * named exactly.
 */
static int select_probes(const calib_cfg *c, uint64_t isa, const sb_probe **sel, size_t *nsel)
{
    char **items = NULL, err[256];
    size_t ni = 0;
    int rc = SB_EXIT_OK;

    *nsel = 0;
    if (c->probes && sb_strlist_parse(c->probes, &items, &ni, err, sizeof(err)) != SB_OK)
        return sb_cli_error("calibrate", SB_EXIT_USAGE, "--probes: %s", err);
    for (size_t i = 0; i < ni && rc == SB_EXIT_OK; i++) {
        bool hit = false;
        for (size_t j = 0; j < sb_probe_count(); j++) {
            const sb_probe *p = sb_probe_at(j);
            hit |= probe_matches(p, items[i]);
            if (strcmp(p->name, items[i]) == 0 && (p->requires & ~isa))
                rc = sb_cli_error("calibrate", SB_EXIT_USAGE, "probe '%s' needs ISA %s, which "
                                  "this host%s lacks", p->name, p->isa, c->isa ? " (with --isa)" : "");
        }
        if (!hit)
            rc = sb_cli_error("calibrate", SB_EXIT_USAGE, "--probes: '%s' names no probe of this "
                              "build (sorabench calibrate --help)", items[i]);
    }
    for (size_t j = 0; j < sb_probe_count() && rc == SB_EXIT_OK; j++) {
        const sb_probe *p = sb_probe_at(j);
        bool want = ni == 0;
        for (size_t i = 0; i < ni && !want; i++)
            want = probe_matches(p, items[i]);
        if (want && (p->requires & ~isa))
            fprintf(stderr, "not measured: %s (needs %s, which this host%s lacks)\n", p->name,
                    p->isa, c->isa ? " with --isa" : "");
        else if (want)
            sel[(*nsel)++] = p;
    }
    sb_strlist_free(items, ni);
    if (rc == SB_EXIT_OK && *nsel == 0)
        rc = sb_cli_error("calibrate", SB_EXIT_USAGE, "no probe to measure: this host runs none "
                          "of those asked for");
    return rc;
}

/* --levels into want[SB_CALIB_LEVELS] (all when not given). */
static int select_levels(const calib_cfg *c, bool want[SB_CALIB_LEVELS])
{
    char **items = NULL, err[256];
    size_t ni = 0;
    int rc = SB_EXIT_OK;
    for (size_t l = 0; l < SB_CALIB_LEVELS; l++)
        want[l] = c->levels == NULL;
    if (!c->levels)
        return SB_EXIT_OK;
    if (sb_strlist_parse(c->levels, &items, &ni, err, sizeof(err)) != SB_OK)
        return sb_cli_error("calibrate", SB_EXIT_USAGE, "--levels: %s", err);
    for (size_t i = 0; i < ni && rc == SB_EXIT_OK; i++) {
        size_t l = 0;
        while (l < SB_CALIB_LEVELS && strcasecmp(items[i], level_names[l]))
            l++;
        if (l == SB_CALIB_LEVELS)
            rc = sb_cli_error("calibrate", SB_EXIT_USAGE, "--levels: unknown level '%s' (L1, L2,"
                              " L3, DRAM)", items[i]);
        else
            want[l] = true;
    }
    sb_strlist_free(items, ni);
    return rc;
}

static int show(const calib_cfg *c)
{
    sb_store *s = NULL;
    sb_table t = {0};
    char id[33], err[512];
    int rc = SB_EXIT_OK;
    if (sb_store_open(&s, c->db, SB_STORE_READ, err, sizeof(err)) != SB_OK)
        return sb_cli_error("calibrate", SB_EXIT_USAGE, "%s", err);
    if (sb_calib_resolve(sb_store_db(s), c->show, id, err, sizeof(err)) != SB_OK ||
        sb_calib_table(sb_store_db(s), id, &t, err, sizeof(err)) != SB_OK)
        rc = sb_cli_error("calibrate", SB_EXIT_USAGE, "--show: %s", err);
    else
        sb_table_render(&t, c->format, stdout);
    sb_table_free(&t);
    sb_store_close(s);
    return rc;
}

/* Measure p at one level (bytes; 0 for compute) on pool and store it. */
static int measure_one(const calib_cfg *c, sb_pool *pool, sb_store *store,
                       const sb_calib_session *cs, const sb_probe *p, const char *level,
                       size_t bytes)
{
    sb_calib_result r;
    char err[256], pus[512];
    bool compute = p->kind == SB_PROBE_COMPUTE;
    sb_pool_pus_reset(pool);
    if (sb_calib_measure(pool, p, bytes, &c->co, &r, err, sizeof(err)) != SB_OK)
        return sb_cli_error("calibrate", SB_EXIT_FAIL, "%s at %s: %s", p->name, level, err);
    sb_pool_pus_describe(pool, pus, sizeof(pus));
    sb_calib_record rec = {.probe = p->name, .kind = compute ? "compute" : "bandwidth",
                           .dtype = p->dtype, .isa = p->isa, .level = level,
                           .bytes = (int64_t)bytes, .threads = sb_pool_threads(pool), .pus = pus,
                           .iters = (int64_t)r.iters,
                           .unit = !compute ? "GB/s" : strcmp(p->dtype, "int8") ? "GFLOP/s" : "GOP/s",
                           .median = r.median, .best = r.best, .mad = r.mad, .rates = r.rate,
                           .nrates = (size_t)r.reps};
    int rc = SB_EXIT_OK;
    if (r.reps > 0 && sb_store_put_calib(store, cs, &rec) != SB_OK)
        rc = sb_cli_error("calibrate", SB_EXIT_FAIL, "%s", sb_store_errmsg(store));
    sb_calib_result_free(&r);
    return rc;
}

int sb_cmd_calibrate(int argc, char **argv)
{
    calib_cfg c;
    sb_cpu cpu;
    sb_topo *topo = NULL;
    sb_store *store = NULL;
    sb_pin pin = {0};
    sb_calib_session cs;
    const sb_probe **sel = NULL; /* [sb_probe_count()] */
    size_t nsel = 0, nthr = 0, total = 0, done = 0;
    bool want[SB_CALIB_LEVELS];
    long *thr = NULL;
    char err[512], *host_s = NULL, *build_s = NULL;
    int rc = parse_args(argc, argv, &c);

    if (rc != 0)
        return rc < 0 ? SB_EXIT_OK : rc;
    if (c.show)
        return show(&c);
    if (sb_cpu_detect(&cpu, err, sizeof(err)) != SB_OK ||
        (c.isa && sb_cpu_cap(&cpu, c.isa, err, sizeof(err)) != SB_OK)) {
        rc = sb_cli_error("calibrate", SB_EXIT_USAGE, "%s%s", c.isa ? "--isa: " : "", err);
        goto out;
    }
    if ((sel = calloc(sb_probe_count(), sizeof(*sel))) == NULL) {
        rc = sb_cli_error("calibrate", SB_EXIT_FAIL, "out of memory");
        goto out;
    }
    if ((rc = select_levels(&c, want)) != 0 || (rc = select_probes(&c, cpu.isa, sel, &nsel)) != 0)
        goto out;
    if (sb_topo_open(&topo) != SB_OK) {
        rc = sb_cli_error("calibrate", SB_EXIT_FAIL, "cannot read the machine topology (hwloc)");
        goto out;
    }
    int pus = sb_topo_count(topo, HWLOC_OBJ_PU);
    char dflt[32];
    snprintf(dflt, sizeof(dflt), pus > 1 ? "1,%d" : "1", pus);
    if (sb_intlist_parse(c.threads ? c.threads : dflt, 1, 4096, &thr, &nthr, err, sizeof(err))
        != SB_OK) {
        rc = sb_cli_error("calibrate", SB_EXIT_USAGE, "--threads: %s", err);
        goto out;
    }
    if (sb_pin_parse(topo, c.pin, &pin, err, sizeof(err)) != SB_OK) {
        rc = sb_cli_error("calibrate", SB_EXIT_USAGE, "%s", err);
        goto out;
    }
    for (size_t t = 0; t < nthr; t++) { /* how many measurements, for the progress line */
        sb_calib_level lv[SB_CALIB_LEVELS];
        sb_calib_levels(topo, (int)thr[t], lv);
        for (size_t i = 0; i < nsel; i++)
            for (size_t l = 0; l < SB_CALIB_LEVELS; l++)
                total += sel[i]->kind == SB_PROBE_COMPUTE ? l == 0 : want[l] && lv[l].bytes;
    }
    if (sb_store_open(&store, c.db, SB_STORE_WRITE, err, sizeof(err)) != SB_OK) {
        rc = sb_cli_error("calibrate", SB_EXIT_USAGE, "%s", err);
        goto out;
    }
    json_t *host = sb_sysinfo_host(topo, &cpu), *build = sb_sysinfo_build();
    host_s = json_dumps(host, JSON_COMPACT | JSON_SORT_KEYS);
    build_s = json_dumps(build, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(host);
    json_decref(build);
    if (!host_s || !build_s ||
        sb_store_calib_begin(store, host_s, build_s, cpu.emulated, &cs) != SB_OK) {
        rc = sb_cli_error("calibrate", SB_EXIT_FAIL, "%s", host_s && build_s ?
                          sb_store_errmsg(store) : "out of memory");
        goto out;
    }
    fprintf(stderr, "sorabench calibrate %.8s: %zu measurement(s), %d repetition(s) of at least "
            "%g s each -> %s\n", cs.id, total, c.co.reps, c.co.min_time_s, c.db);
    if (cpu.emulated)
        fprintf(stderr, "EMULATED CPU (%s): the calibration is marked emulated; its rates are "
                "not performance\n", cpu.emulated_why);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    c.co.stop = &stop_requested;
    bool progress = isatty(STDERR_FILENO);
    for (size_t t = 0; t < nthr && rc == SB_EXIT_OK && !stop_requested; t++) {
        sb_calib_level lv[SB_CALIB_LEVELS];
        sb_pool *pool = NULL;
        if (sb_pool_create(&pool, topo, (int)thr[t], &pin, err, sizeof(err)) != SB_OK) {
            rc = sb_cli_error("calibrate", SB_EXIT_FAIL, "%d threads: %s", (int)thr[t], err);
            break;
        }
        sb_calib_levels(topo, (int)thr[t], lv);
        for (size_t l = 0; l < SB_CALIB_LEVELS; l++)
            if (want[l] && !lv[l].bytes)
                fprintf(stderr, "%s with %ld thread(s) not measured: %s\n", lv[l].name, thr[t],
                        lv[l].why);
        for (size_t i = 0; i < nsel && rc == SB_EXIT_OK && !stop_requested; i++)
            for (size_t l = 0; l < SB_CALIB_LEVELS && rc == SB_EXIT_OK && !stop_requested; l++) {
                bool compute = sel[i]->kind == SB_PROBE_COMPUTE;
                if (compute ? l != 0 : !want[l] || !lv[l].bytes)
                    continue;
                if (progress)
                    fprintf(stderr, "\r\033[K[%zu/%zu] %s %s t%ld", done + 1, total,
                            sel[i]->name, compute ? "" : lv[l].name, thr[t]);
                rc = measure_one(&c, pool, store, &cs, sel[i], compute ? "core" : lv[l].name,
                                 compute ? 0 : lv[l].bytes);
                done++;
            }
        sb_pool_destroy(pool);
    }
    if (progress)
        fputs("\r\033[K", stderr);
    if (stop_requested && rc == SB_EXIT_OK) {
        fprintf(stderr, "sorabench calibrate: interrupted after %zu of %zu measurement(s); they "
                "are stored\n", done, total);
        rc = 130;
    }
    if (done > 0 && !c.quiet) {
        sb_table t;
        if (sb_calib_table(sb_store_db(store), cs.id, &t, err, sizeof(err)) == SB_OK)
            sb_table_render(&t, c.format, stdout);
        sb_table_free(&t);
    }
out:
    sb_store_close(store);
    sb_pin_free(&pin);
    sb_topo_close(topo);
    free(thr);
    free(sel);
    free(host_s);
    free(build_s);
    return rc;
}
