/*
 * cmd_run.c - `sorabench run`: expand the sweep into cases, measure each, store
 * each in its own transaction, then print the per-layer table of the run.
 *
 *   $ sorabench run --model tiny --res 144p --dur 2s --workload block --threads 1,2
 *   run 5c1e09a2: tiny at 144p 2s, B=2
 *   workload  layer                 ...  median ns  MAD ns  ...  share %
 *   block     block                 ...
 *             spatial.adaln         ...
 *
 * SIGINT/SIGTERM stop the sweep after the round of repetitions in flight; the
 * run is then marked 'interrupted' and every case measured stays stored.
 * --resume ID runs a stored run's own sweep again, measuring only the cases it
 * lacks, on the same host, build and environment.
 */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include "cli.h"
#include "cpu.h"
#include "gemm/gemm.h"
#include "grammar.h"
#include "groups.h"
#include "plan.h"
#include "results.h"
#include "runner.h"
#include "sysinfo.h"

enum { O_MODEL = 256, O_RES, O_ASPECT, O_DUR, O_NOCFG, O_WORKLOAD, O_LAYERS, O_VARIANT, O_THREADS,
       O_PIN, O_ISA, O_KERNEL, O_REPS, O_MINTIME, O_WARMUP, O_WARMUP_ITERS, O_SEED, O_DB, O_QUIET, O_FORMAT, O_NOACC, O_EVENTS, O_COLLECTORS,
       O_INTERLEAVE, O_RESUME, O_SHARD };

static const sb_opt opts[] = {
    {"model", required_argument, O_MODEL, "NAME", "model preset (default stdit3-xl2; see list models)"},
    {"res", required_argument, O_RES, "RES", "resolution: 144p 240p 360p 480p 720p (default 144p)"},
    {"aspect", required_argument, O_ASPECT, "A", "aspect ratio H:W key: 9:16 1:1 16:9 (default 9:16)"},
    {"dur", required_argument, O_DUR, "DUR", "duration: image 2s 4s 8s 16s (default 2s)"},
    {"no-cfg", no_argument, O_NOCFG, NULL, "batch 1 (no classifier-free guidance; default B=2)"},
    {"workload", required_argument, O_WORKLOAD, "KIND", "layer, block or step (default layer)"},
    {"layers", required_argument, O_LAYERS, "LIST", "layer names or prefixes (spatial, temporal, embed); default all"},
    {"variant", required_argument, O_VARIANT, "LIST", "numeric variants (default fp32; see list variants)"},
    {"threads", required_argument, O_THREADS, "LIST", "thread counts, e.g. 1,2 or 1-8*2 (default: all PUs)"},
    {"pin", required_argument, O_PIN, "P", "compact, scatter, none or a cpu list (default compact)"},
    {"isa", required_argument, O_ISA, "ISA", "cap the kernels' ISA: ref, avx2, avx512f, ... (default: all the host has)"},
    {"kernel", required_argument, O_KERNEL, "LIST", "auto (the registry's best) and/or kernel names, e.g. auto,linear.f32.onednn"},
    {"reps", required_argument, O_REPS, "N", "timed repetitions per case (default 10, minimum 1)"},
    {"min-time", required_argument, O_MINTIME, "S", "minimum seconds per repetition (default 0.02)"},
    {"warmup", required_argument, O_WARMUP, "S", "minimum warmup seconds per case (default 0.05)"},
    {"warmup-iters", required_argument, O_WARMUP_ITERS, "N", "minimum warmup iterations (default 1)"},
    {"interleave", no_argument, O_INTERLEAVE, NULL, "measure a layer's cases (kernels x variants) together, alternating their repetitions"},
    {"seed", required_argument, O_SEED, "N", "seed of weights and inputs (default 1)"},
    {"no-accuracy", no_argument, O_NOACC, NULL, "skip the comparison with the FP32 reference"},
    {"events", required_argument, O_EVENTS, "LIST", "count events per case: groups (core cache stall simd software), FILE.GROUP or PMU::EVENT (see list events)"},
    {"collectors", required_argument, O_COLLECTORS, "LIST", "counter collectors for --events: perf, papi or both (default perf)"},
    {"shard", required_argument, O_SHARD, "I/N", "run only shard I of N (0 <= I < N) of the sweep's cases, for a scheduler's array jobs; merge the databases after"},
    {"resume", required_argument, O_RESUME, "ID", "add the cases a crashed or stopped run lacks (its id, a prefix, or latest); the sweep is the run's own"},
    {"db", required_argument, O_DB, "FILE", "SQLite database (default ./" SB_DEFAULT_DB ")"},
    {"format", required_argument, O_FORMAT, "F", "format of the final table: table md csv json"},
    {"quiet", no_argument, 'q', NULL, "do not print the final table"},
    {"help", no_argument, 'h', NULL, "this help"},
};

typedef struct run_cfg {
    const char *model, *res, *aspect, *dur, *workload, *layers, *variants, *threads, *pin, *db, *isa,
        *kernels, *events, *collectors, *resume, *shard_s;
    sb_shard shard;        /* --shard; {0, 1}: the whole sweep */
    int nsweep;            /* options given that shape the sweep (all but --db, --format, --quiet) */
    bool cfg, quiet, interleave;
    sb_format format;
    sb_run_opts ro;
} run_cfg;

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
    signal(SIGINT, SIG_DFL); /* a second ^C kills at once */
}

static int parse_args(int argc, char **argv, run_cfg *c)
{
    struct option lo[SB_ARRAY_LEN(opts) + 1];
    long v;
    int ch, rc;

    *c = (run_cfg){.model = "stdit3-xl2", .res = "144p", .aspect = "9:16", .dur = "2s",
                   .workload = "layer", .variants = "fp32", .kernels = "auto", .pin = "compact", .db = SB_DEFAULT_DB,
                   .cfg = true, .format = SB_FMT_TABLE, .shard = {0, 1},
                   .ro = {.min_time_s = 0.02, .warmup_s = 0.05, .warmup_iters = 1, .reps = 10,
                          .seed = 1, .accuracy = true}};
    sb_cli_longopts(opts, SB_ARRAY_LEN(opts), lo);
    optind = 1;
    while ((ch = getopt_long(argc, argv, "qh", lo, NULL)) != -1) {
        c->nsweep += ch != O_DB && ch != O_FORMAT && ch != 'q' && ch != O_RESUME;
        switch (ch) {
        case O_MODEL: c->model = optarg; break;
        case O_RES: c->res = optarg; break;
        case O_ASPECT: c->aspect = optarg; break;
        case O_DUR: c->dur = optarg; break;
        case O_NOCFG: c->cfg = false; break;
        case O_WORKLOAD: c->workload = optarg; break;
        case O_LAYERS: c->layers = optarg; break;
        case O_VARIANT: c->variants = optarg; break;
        case O_THREADS: c->threads = optarg; break;
        case O_PIN: c->pin = optarg; break;
        case O_ISA: c->isa = optarg; break;
        case O_KERNEL: c->kernels = optarg; break;
        case O_DB: c->db = optarg; break;
        case O_RESUME: c->resume = optarg; break;
        case O_EVENTS: c->events = optarg; break;
        case O_COLLECTORS: c->collectors = optarg; break;
        case O_NOACC: c->ro.accuracy = false; break;
        case O_INTERLEAVE: c->interleave = true; break;
        case O_SHARD: {
            char err[160];
            if (sb_shard_parse(optarg, &c->shard, err, sizeof(err)) != SB_OK)
                return sb_cli_error("run", SB_EXIT_USAGE, "--shard: %s", err);
            c->shard_s = optarg;
            break;
        }
        case O_REPS:
            if ((rc = sb_cli_long("run", "reps", optarg, 1, 100000, &v)) != 0)
                return rc;
            c->ro.reps = (int)v;
            break;
        case O_WARMUP_ITERS:
            if ((rc = sb_cli_long("run", "warmup-iters", optarg, 0, 1000000, &c->ro.warmup_iters)))
                return rc;
            break;
        case O_SEED:
            if ((rc = sb_cli_long("run", "seed", optarg, 0, LONG_MAX, &v)) != 0)
                return rc;
            c->ro.seed = (uint64_t)v;
            break;
        case O_MINTIME:
            if ((rc = sb_cli_double("run", "min-time", optarg, 0.0, &c->ro.min_time_s)) != 0)
                return rc;
            break;
        case O_WARMUP:
            if ((rc = sb_cli_double("run", "warmup", optarg, 0.0, &c->ro.warmup_s)) != 0)
                return rc;
            break;
        case O_FORMAT:
            if (sb_format_find(optarg, &c->format) != SB_OK)
                return sb_cli_error("run", SB_EXIT_USAGE, "unknown format '%s' (table, md, csv, json)",
                                    optarg);
            break;
        case 'q': c->quiet = true; break;
        case 'h':
            sb_cli_help(stdout, "sorabench run [options]",
                        "Measures OpenSora layers (each in isolation), blocks (one spatial + one\n"
                        "temporal block, data flowing through) or steps (one DiT forward), for every\n"
                        "combination of --layers x --variant x --threads, and stores every repetition\n"
                        "in the database, one transaction per case. With no options: a per-layer FP32\n"
                        "sweep of stdit3-xl2 at 144p 2s (B=2) on all PUs into ./" SB_DEFAULT_DB ".\n"
                        "With --interleave, the cases of one layer and thread count (each --kernel and\n"
                        "--variant) are set up together and their repetitions alternate, so that\n"
                        "`compare latest latest --a-kernel X --b-kernel Y` sees one machine state on\n"
                        "both sides; it also shows the median of the per-repetition ratios.\n"
                        "With --shard I/N the sweep's cases (a layer's group with --interleave)\n"
                        "are dealt round-robin to N shards and this run measures shard I's: run\n"
                        "I = 0..N-1 on N machines and `sorabench merge` their databases.",
                        opts, SB_ARRAY_LEN(opts));
            return -1;
        default:
            return sb_cli_error("run", SB_EXIT_USAGE, "bad option (see sorabench run --help)");
        }
    }
    if (optind < argc)
        return sb_cli_error("run", SB_EXIT_USAGE, "unexpected argument '%s'", argv[optind]);
    return SB_EXIT_OK;
}

/* JSON of the sweep as asked, stored with the run. */
static char *config_json(const run_cfg *c)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:s?, s:s, s:s?, s:s, s:s?, s:s, s:i, s:f, s:f, s:I, s:I, s:s?, s:s?, s:b, s:s?}",
                          "model", c->model, "res", c->res, "aspect", c->aspect, "dur", c->dur,
                          "cfg", c->cfg, "workload", c->workload, "layers", c->layers,
                          "variants", c->variants, "threads", c->threads, "pin", c->pin, "isa", c->isa, "kernels", c->kernels,
                          "reps", c->ro.reps, "min_time_s", c->ro.min_time_s,
                          "warmup_s", c->ro.warmup_s, "warmup_iters", (json_int_t)c->ro.warmup_iters,
                          "seed", (json_int_t)c->ro.seed, "events", c->events,
                          "collectors", c->events ? c->collectors : NULL,
                          "interleave", c->interleave, "shard", c->shard_s);
    char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    return s;
}

static char *argv_json(int argc, char **argv)
{
    json_t *a = json_array();
    json_array_append_new(a, json_string("sorabench"));
    for (int i = 0; i < argc; i++)
        json_array_append_new(a, json_string(argv[i]));
    char *s = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    return s;
}

/* The layers the sweep covers (layer workload), in catalog order. */
static int select_layers(const run_cfg *c, const sb_shape *shape, sb_layer *out, size_t *n)
{
    sb_layer all[2 * SB_LAYER_COUNT];
    size_t na = sb_catalog_build(shape, all, SB_ARRAY_LEN(all));
    char **items = NULL, err[256];
    size_t ni = 0;

    *n = 0;
    if (!c->layers) {
        memcpy(out, all, na * sizeof(*all));
        *n = na;
        return SB_EXIT_OK;
    }
    if (sb_strlist_parse(c->layers, &items, &ni, err, sizeof(err)) != SB_OK)
        return sb_cli_error("run", SB_EXIT_USAGE, "--layers: %s", err);
    for (size_t i = 0; i < ni; i++) {
        bool hit = false;
        for (size_t j = 0; j < na; j++)
            hit |= sb_cli_name_matches(all[j].name, items[i]);
        if (!hit) {
            int rc = sb_cli_error("run", SB_EXIT_USAGE,
                                  "unknown layer '%s' (sorabench list layers shows the names)", items[i]);
            sb_strlist_free(items, ni);
            return rc;
        }
    }
    for (size_t j = 0; j < na; j++)
        for (size_t i = 0; i < ni; i++)
            if (sb_cli_name_matches(all[j].name, items[i])) {
                out[(*n)++] = all[j];
                break;
            }
    sb_strlist_free(items, ni);
    return SB_EXIT_OK;
}

/* Resolve --events and --collectors into c->ro (events point into *set). */
static int select_counters(run_cfg *c, sb_event_set *set)
{
    char **names = NULL, err[256];
    size_t n = 0;
    int rc = SB_EXIT_OK;
    if (!c->events) {
        if (c->collectors)
            return sb_cli_error("run", SB_EXIT_USAGE, "--collectors needs --events");
        return SB_EXIT_OK;
    }
    if (sb_event_set_parse(c->events, set, err, sizeof(err)) != SB_OK)
        return sb_cli_error("run", SB_EXIT_USAGE, "%s", err);
    if (!c->collectors)
        c->collectors = sb_collector_find("perf") ? "perf" : "papi";
    if (sb_strlist_parse(c->collectors, &names, &n, err, sizeof(err)) != SB_OK)
        return sb_cli_error("run", SB_EXIT_USAGE, "--collectors: %s", err);
    for (size_t i = 0; i < n && rc == SB_EXIT_OK; i++) {
        const sb_collector_ops *ops = sb_collector_find(names[i]);
        if (!ops || !ops->counts_events)
            rc = sb_cli_error("run", SB_EXIT_USAGE, "--collectors: '%s' is not a counter collector "
                              "of this build (sorabench list collectors)", names[i]);
        else if (i >= SB_ARRAY_LEN(c->ro.counters))
            rc = sb_cli_error("run", SB_EXIT_USAGE, "--collectors: too many");
        else
            c->ro.counters[c->ro.ncounters++] = ops;
    }
    c->ro.events = set->req;
    c->ro.nevents = set->n;
    sb_strlist_free(names, n);
    return rc;
}

/* The cases of thread count number t (threads threads) that this run's shard measures. */
static size_t plan_thread(const sb_sweep *sw, const run_cfg *c, size_t t, int threads,
                          size_t units, sb_case_spec *specs, size_t *lidx)
{
    size_t n = sb_plan_cases(sw, threads, c->interleave, specs, lidx);
    return sb_plan_shard(c->shard, t * units, c->interleave, specs, lidx, n);
}

static const char *case_what(const sb_case_spec *c)
{
    return c->kind == SB_WL_LAYER ? c->layer.name : sb_workload_name(c->kind);
}

/* The terminal's progress line for cases c[0..n) (several: interleaved). */
static void progress_line(const sb_case_spec *c, size_t n, size_t done, size_t total)
{
    if (n == 1)
        fprintf(stderr, "\r\033[K[%zu/%zu] %s %s %s t%d", done + 1, total, case_what(c),
                c->variant->name, c->force ? c->force->name : "", c->threads);
    else
        fprintf(stderr, "\r\033[K[%zu-%zu/%zu] %s: %zu cases interleaved t%d", done + 1, done + n,
                total, case_what(c), n, c->threads);
}

/*
 * --resume: find the stored run (its id into resume_id, its records into prev) and parse its own
 * command line into c in place of this one, keeping this one's --db, --format and --quiet. c
 * then points into *rargv, the stored command line, which the caller frees after it.
 */
static int resume_prepare(run_cfg *c, char resume_id[33], sb_run_record *prev, int *rargc,
                          char ***rargv)
{
    const run_cfg now = *c;
    sb_store *s = NULL;
    char err[512];
    int rc = SB_EXIT_OK;

    if (c->nsweep)
        return sb_cli_error("run", SB_EXIT_USAGE, "--resume runs the stored run's own sweep: give "
                            "only --db, --format and --quiet with it");
    if (sb_store_open(&s, c->db, SB_STORE_READ, err, sizeof(err)) != SB_OK)
        return sb_cli_error("run", SB_EXIT_USAGE, "--resume: %s", err);
    if (sb_run_resolve(sb_store_db(s), c->resume, resume_id, err, sizeof(err)) != SB_OK) {
        rc = sb_cli_error("run", SB_EXIT_USAGE, "--resume: %s", err);
        goto out;
    }
    if (sb_store_run_get(s, resume_id, prev) != SB_OK) {
        rc = sb_cli_error("run", SB_EXIT_FAIL, "%s", sb_store_errmsg(s));
        goto out;
    }
    if (strcmp(prev->status, "done") == 0) {
        rc = sb_cli_error("run", SB_EXIT_USAGE, "run %.8s is done: every case is stored; nothing"
                          " to resume", resume_id);
        goto out;
    }
    if (sb_resume_argv(prev->argv_json, rargc, rargv) != 0 ||
        parse_args(*rargc, *rargv, c) != SB_EXIT_OK) {
        rc = sb_cli_error("run", SB_EXIT_USAGE, "run %.8s: its stored command line cannot be run"
                          " again", resume_id);
        goto out;
    }
    c->db = now.db;
    c->format = now.format;
    c->quiet = now.quiet;
    c->resume = now.resume;
out:
    sb_store_close(s);
    return rc;
}

int sb_cmd_run(int argc, char **argv)
{
    run_cfg c;
    sb_shape shape;
    sb_workload_kind kind;
    sb_layer layers[2 * SB_LAYER_COUNT];
    size_t nlayers = 1, nvar = 0, nthr = 0, ncases = 0, done = 0, per_thread = 0, last_n = 0;
    size_t units = 0; /* per thread count: cases, or with --interleave layers (--shard deals them) */
    int last_reps = 0; /* repetitions stored for each case of the last group, of last_n cases */
    const sb_variant *vars[16];
    const sb_kernel *kerns[16];  /* NULL = auto */
    char **knames = NULL;
    size_t nkern = 0;
    long *thr = NULL;
    char **vnames = NULL, err[512] = "", run_id[33] = "";
    sb_topo *topo = NULL;
    sb_store *store = NULL;
    sb_pin pin = {0};
    sb_cpu cpu;
    char *cfg_s = NULL, *argv_s = NULL, *host_s = NULL, *build_s = NULL, *env_s = NULL;
    sb_event_set *evset = NULL;
    sb_case_spec *specs = NULL;
    size_t *lidx = NULL, stored = 0, cut = 0; /* --resume: cases the run has, cut short */
    int rc = parse_args(argc, argv, &c), rargc = 0;
    const char *final_status = "failed";
    char resume_id[33] = "", **rargv = NULL;
    sb_run_record prev = {0};

    if (rc != 0)
        return rc < 0 ? SB_EXIT_OK : rc;
    if (c.resume && (rc = resume_prepare(&c, resume_id, &prev, &rargc, &rargv)) != 0)
        goto out;
    if ((rc = sb_cli_shape("run", c.model, c.res, c.aspect, c.dur, c.cfg, &shape)) != 0)
        goto out;
    if (sb_workload_find(c.workload, &kind) != SB_OK) {
        rc = sb_cli_error("run", SB_EXIT_USAGE, "unknown workload '%s' (layer, block, step)",
                          c.workload);
        goto out;
    }
    if (kind != SB_WL_LAYER && c.layers) {
        rc = sb_cli_error("run", SB_EXIT_USAGE, "--layers applies to --workload layer only");
        goto out;
    }
    if (kind == SB_WL_LAYER && (rc = select_layers(&c, &shape, layers, &nlayers)) != 0)
        goto out;
    if (sb_strlist_parse(c.variants, &vnames, &nvar, err, sizeof(err)) != SB_OK) {
        rc = sb_cli_error("run", SB_EXIT_USAGE, "--variant: %s", err);
        goto out;
    }
    if ((evset = calloc(1, sizeof(*evset))) == NULL || (rc = select_counters(&c, evset)) != 0) {
        rc = rc ? rc : SB_EXIT_FAIL;
        goto out;
    }
    for (size_t i = 0; i < nvar; i++) {
        if (i >= SB_ARRAY_LEN(vars) || (vars[i] = sb_variant_find(vnames[i])) == NULL) {
            rc = sb_cli_error("run", SB_EXIT_USAGE,
                              "unknown variant '%s' (sorabench list variants shows them)", vnames[i]);
            goto out;
        }
    }
    if (sb_cpu_detect(&cpu, err, sizeof(err)) != SB_OK) {
        rc = sb_cli_error("run", SB_EXIT_USAGE, "%s", err);
        goto out;
    }
    if (c.isa && sb_cpu_cap(&cpu, c.isa, err, sizeof(err)) != SB_OK) {
        rc = sb_cli_error("run", SB_EXIT_USAGE, "--isa: %s", err);
        goto out;
    }
    c.ro.isa = cpu.isa;
    c.ro.isa_capped = cpu.capped;
    if (sb_strlist_parse(c.kernels, &knames, &nkern, err, sizeof(err)) != SB_OK) {
        rc = sb_cli_error("run", SB_EXIT_USAGE, "--kernel: %s", err);
        goto out;
    }
    for (size_t i = 0; i < nkern; i++) {
        kerns[i] = NULL;
        if (i >= SB_ARRAY_LEN(kerns)) {
            rc = sb_cli_error("run", SB_EXIT_USAGE, "--kernel: at most %zu kernels", SB_ARRAY_LEN(kerns));
            goto out;
        }
        if (strcmp(knames[i], "auto") == 0)
            continue;
        if ((kerns[i] = sb_kernel_by_name(knames[i])) == NULL) {
            rc = sb_cli_error("run", SB_EXIT_USAGE,
                              "unknown kernel '%s' (sorabench list kernels shows them)", knames[i]);
            goto out;
        }
        if (kerns[i]->io != SB_DT_F32) {
            rc = sb_cli_error("run", SB_EXIT_USAGE,
                              "kernel '%s' reads and writes %s activations, which no workload "
                              "stores yet (docs/workloads.md); `meson test --benchmark` times it",
                              knames[i], sb_dtype_name(kerns[i]->io));
            goto out;
        }
        if (kerns[i]->requires & ~cpu.isa) {
            rc = sb_cli_error("run", SB_EXIT_USAGE, "kernel '%s' needs ISA %s, which this host%s lacks",
                              knames[i], kerns[i]->isa, c.isa ? " (with --isa)" : "");
            goto out;
        }
        char info[256];
        if (kerns[i]->lib_setup && kerns[i]->lib_setup(cpu.isa, cpu.capped, info, sizeof(info)) != SB_OK) {
            rc = sb_cli_error("run", SB_EXIT_USAGE, "kernel '%s': %s", knames[i], info);
            goto out;
        }
    }
    if (sb_topo_open(&topo) != SB_OK) {
        rc = sb_cli_error("run", SB_EXIT_FAIL, "cannot read the machine topology (hwloc)");
        goto out;
    }
    /* a kernel named by --kernel runs the layers of its op in variants of its dtype */
    sb_sweep sw = {.kind = kind, .shape = &shape, .layers = layers, .nlayers = nlayers,
                   .vars = vars, .nvar = nvar, .kerns = kerns, .nkern = nkern, .pin = &pin};
    if ((per_thread = sb_plan_cases(&sw, 0, false, NULL, NULL)) == 0) {
        rc = sb_cli_error("run", SB_EXIT_USAGE, "no case: the layers, variants and --kernel %s asked "
                          "for do not meet (a fused layer runs only in -fused variants, the pair "
                          "it replaces only in the others: sorabench list layers)", c.kernels);
        goto out;
    }
    specs = calloc(per_thread, sizeof(*specs));
    lidx = calloc(per_thread, sizeof(*lidx));
    if (!specs || !lidx) {
        rc = sb_cli_error("run", SB_EXIT_FAIL, "out of memory");
        goto out;
    }
    sb_gemm_set_caches(sb_topo_cache_bytes(topo, HWLOC_OBJ_L2CACHE),
                       sb_topo_cache_bytes(topo, HWLOC_OBJ_L3CACHE));
    if (c.threads) {
        if (sb_intlist_parse(c.threads, 1, 4096, &thr, &nthr, err, sizeof(err)) != SB_OK) {
            rc = sb_cli_error("run", SB_EXIT_USAGE, "--threads: %s", err);
            goto out;
        }
    } else {
        nthr = 1;
        if ((thr = malloc(sizeof(*thr))) == NULL)
            goto out;
        thr[0] = sb_topo_count(topo, HWLOC_OBJ_PU);
    }
    if (sb_pin_parse(topo, c.pin, &pin, err, sizeof(err)) != SB_OK) {
        rc = sb_cli_error("run", SB_EXIT_USAGE, "%s", err);
        goto out;
    }
    units = sb_plan_units(lidx, sb_plan_cases(&sw, 0, c.interleave, specs, lidx), c.interleave);
    for (size_t t = 0; t < nthr; t++)
        ncases += plan_thread(&sw, &c, t, (int)thr[t], units, specs, lidx);
    if (ncases == 0) { /* a scheduler's array may have more jobs than the sweep has units */
        fprintf(stderr, "sorabench run: shard %s has no case: the sweep has %zu unit(s) (%zu per "
                "thread count); nothing run, nothing stored\n", c.shard_s, nthr * units, units);
        rc = SB_EXIT_OK;
        goto out;
    }
    if (sb_store_open(&store, c.db, SB_STORE_WRITE, err, sizeof(err)) != SB_OK) {
        rc = sb_cli_error("run", SB_EXIT_USAGE, "%s", err);
        goto out;
    }

    json_t *host = sb_sysinfo_host(topo, &cpu), *build = sb_sysinfo_build(), *env = sb_sysinfo_env();
    host_s = json_dumps(host, JSON_COMPACT | JSON_SORT_KEYS);
    build_s = json_dumps(build, JSON_COMPACT | JSON_SORT_KEYS);
    env_s = json_dumps(env, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(host);
    json_decref(build);
    json_decref(env);
    cfg_s = config_json(&c);
    argv_s = argv_json(argc, argv);
    sb_run_info info = {.host_json = host_s, .build_json = build_s, .argv_json = argv_s,
                        .env_json = env_s, .config_json = cfg_s, .seed = c.ro.seed, .emulated = cpu.emulated};
    if (!host_s || !build_s || !env_s || !cfg_s || !argv_s) {
        rc = sb_cli_error("run", SB_EXIT_FAIL, "out of memory");
        goto out;
    }
    if (resume_id[0]) { /* the same host, build and environment, or the cases would not compare */
        char why[512];
        if (sb_resume_check("host", prev.host_json, host_s, true, why, sizeof(why)) ||
            sb_resume_check("build", prev.build_json, build_s, false, why, sizeof(why)) ||
            sb_resume_check("environment", prev.env_json, env_s, false, why, sizeof(why))) {
            rc = sb_cli_error("run", SB_EXIT_USAGE, "cannot resume run %.8s: %s (its cases and"
                              " new ones would not be comparable; start a new run)", resume_id, why);
            goto out;
        }
        memcpy(run_id, resume_id, sizeof(run_id));
        size_t ns = 0;
        for (size_t t = 0; t < nthr && ns != SIZE_MAX; t++) {
            ns = plan_thread(&sw, &c, t, (int)thr[t], units, specs, lidx);
            ns = sb_plan_drop_stored(store, run_id, c.ro.reps, specs, lidx, ns, &stored, &cut);
        }
        if (ns == SIZE_MAX || sb_store_run_reopen(store, run_id) != SB_OK) {
            rc = sb_cli_error("run", SB_EXIT_FAIL, "%s", sb_store_errmsg(store));
            goto out;
        }
    } else if (sb_store_run_begin(store, &info, run_id) != SB_OK) {
        rc = sb_cli_error("run", SB_EXIT_FAIL, "%s", sb_store_errmsg(store));
        goto out;
    }
    if (evset->nmetrics && !resume_id[0]) { /* a resumed run has its definitions */
        sb_metric_def defs[SB_SET_MAX_METRICS];
        for (size_t i = 0; i < evset->nmetrics; i++)
            defs[i] = (sb_metric_def){evset->metric[i].group, evset->metric[i].m.name,
                                      evset->metric[i].m.expr};
        if (sb_store_put_metrics(store, run_id, defs, evset->nmetrics) != SB_OK) {
            rc = sb_cli_error("run", SB_EXIT_FAIL, "%s", sb_store_errmsg(store));
            sb_store_run_end(store, run_id, "failed");
            goto out;
        }
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    c.ro.stop = &stop_requested; /* the runner ends its cases after the round in flight */

    done = stored;
    bool progress = isatty(STDERR_FILENO);
    fprintf(stderr, "sorabench run %.8s: %zu case(s) of %s %s at %s %s, B=%d", run_id, ncases,
            sb_workload_name(kind), shape.model->name, shape.res->name, shape.dur->name, shape.B);
    if (c.shard.count > 1)
        fprintf(stderr, " (shard %s of the sweep's %zu unit(s))", c.shard_s, nthr * units);
    fprintf(stderr, " -> %s\n", c.db);
    if (resume_id[0])
        fprintf(stderr, "resuming: %zu of them stored (%zu cut short by a stop, kept as they are);"
                " measuring the other %zu\n", stored, cut, ncases - stored);
    if (cpu.emulated)
        fprintf(stderr, "EMULATED CPU (%s): the run is marked emulated; its timings are not "
                "performance\n", cpu.emulated_why);
    if (c.events)
        fprintf(stderr, "counting %zu event(s) of %s with %s\n", evset->n, evset->desc, c.collectors);
    rc = SB_EXIT_OK;
    final_status = "done";
    for (size_t t = 0; t < nthr && !stop_requested; t++) {
        sb_pool *pool = NULL;
        if (sb_pool_create(&pool, topo, (int)thr[t], &pin, err, sizeof(err)) != SB_OK) {
            rc = sb_cli_error("run", SB_EXIT_FAIL, "%d threads: %s", (int)thr[t], err);
            final_status = "failed";
            break;
        }
        size_t ns = plan_thread(&sw, &c, t, (int)thr[t], units, specs, lidx);
        if (resume_id[0] && (ns = sb_plan_drop_stored(store, run_id, c.ro.reps, specs, lidx, ns,
                                                       NULL, NULL)) == SIZE_MAX) {
            rc = sb_cli_error("run", SB_EXIT_FAIL, "%s", sb_store_errmsg(store));
            final_status = "failed";
            sb_pool_destroy(pool);
            break;
        }
        for (size_t i = 0, n; i < ns && !stop_requested; i += n) {
            /* one case, or (--interleave) every case of this layer */
            for (n = 1; c.interleave && i + n < ns && lidx[i + n] == lidx[i]; n++)
                ;
            if (progress)
                progress_line(&specs[i], n, done, ncases);
            size_t bad = 0;
            if (sb_runner_cases(&specs[i], n, &c.ro, pool, store, run_id, &bad, &last_reps, err,
                                sizeof(err)) != SB_OK) {
                if (progress)
                    fputc('\n', stderr);
                const sb_case_spec *f = &specs[i + (bad < n ? bad : 0)];
                rc = sb_cli_error("run", SB_EXIT_FAIL, "case %s %s%s%s t%d%s: %s", case_what(f),
                                  f->variant->name, f->force ? " " : "",
                                  f->force ? f->force->name : "", f->threads,
                                  n > 1 ? " (interleaved; --interleave holds a layer's cases in "
                                          "memory at once)" : "", err);
                final_status = "failed";
                break;
            }
            done += n;
            last_n = n;
        }
        sb_pool_destroy(pool);
        if (rc != SB_EXIT_OK)
            break;
    }
    if (progress)
        fputs("\r\033[K", stderr);
    if (stop_requested && rc == SB_EXIT_OK) {
        final_status = "interrupted";
        rc = 130;
        fprintf(stderr, "sorabench run: interrupted after %zu of %zu case(s); they are stored",
                done, ncases);
        if (done > 0 && last_reps < c.ro.reps)
            fprintf(stderr, ", the last %s with %d of %d repetitions", last_n > 1 ? "group" : "one",
                    last_reps, c.ro.reps);
        fputc('\n', stderr);
    }
    if (sb_store_run_end(store, run_id, final_status) != SB_OK)
        sb_cli_error("run", SB_EXIT_FAIL, "%s", sb_store_errmsg(store));
    if (done > 0 && !c.quiet) {
        sb_table t;
        if (sb_results_layers(sb_store_db(store), run_id, &t, err, sizeof(err)) == SB_OK)
            sb_table_render(&t, c.format, stdout);
        else
            sb_cli_error("run", SB_EXIT_FAIL, "report: %s", err);
        sb_table_free(&t);
    }
out:
    sb_store_close(store);
    sb_run_record_free(&prev);
    sb_resume_argv_free(rargc, rargv);
    sb_pin_free(&pin);
    sb_topo_close(topo);
    sb_strlist_free(vnames, nvar);
    sb_strlist_free(knames, nkern);
    free(thr);
    free(cfg_s);
    free(argv_s);
    free(host_s);
    free(build_s);
    free(env_s);
    free(evset);
    free(specs);
    free(lidx);
    return rc;
}
