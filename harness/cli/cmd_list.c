/*
 * cmd_list.c - `sorabench list WHAT`: models, presets, layers, variants,
 * kernels, collectors, events, runs, calibrations.
 *
 *   $ sorabench list layers --res 240p --dur 4s
 *   layers of stdit3-xl2 at 240p 4s (9:16): T=30 S=405 N=12150 L=300 B=2
 *   layer            op         shape                    GFLOP      MB
 *   embed.patch      linear     24300x16 -> 1152         0.896  ...
 *   ...
 *   one step (embedders, 28 x (spatial + temporal), final): 54.00 TFLOP
 */
#include <string.h>
#include "cli.h"
#include "catalog.h"
#include "collector.h"
#include "cpu.h"
#include "groups.h"
#include "results.h"
#include "store.h"
#include "table.h"

enum { O_MODEL = 256, O_RES, O_ASPECT, O_DUR, O_NOCFG, O_DB, O_FORMAT, O_ALL, O_COLLECTOR };

static const sb_opt opts[] = {
    {"model", required_argument, O_MODEL, "NAME", "model for 'layers' (default stdit3-xl2)"},
    {"res", required_argument, O_RES, "RES", "resolution for 'layers' (default 144p)"},
    {"aspect", required_argument, O_ASPECT, "A", "aspect ratio for 'layers' (default 9:16)"},
    {"dur", required_argument, O_DUR, "DUR", "duration for 'layers' (default 2s)"},
    {"no-cfg", no_argument, O_NOCFG, NULL, "batch 1 for 'layers' (default B=2)"},
    {"db", required_argument, O_DB, "FILE", "database for 'runs' and 'calibrations' (default ./" SB_DEFAULT_DB ")"},
    {"format", required_argument, O_FORMAT, "F", "table, md, csv or json (default table)"},
    {"all", no_argument, O_ALL, NULL, "'events': every group file, not only this host's (no probing)"},
    {"collector", required_argument, O_COLLECTOR, "C", "'events': probe with this collector (default perf)"},
    {"help", no_argument, 'h', NULL, "this help"},
};

typedef struct list_cfg {
    const char *model, *res, *aspect, *dur, *db, *collector;
    bool cfg, all;
    sb_format format;
} list_cfg;

/* ---- one function per WHAT; each fills a table ---- */

static int list_models(const list_cfg *c, sb_table *t)
{
    static const sb_column cols[] = {{"name", "model", SB_COL_TEXT, 0},
                                     {"depth", "depth", SB_COL_INT, 0},
                                     {"hidden", "C", SB_COL_INT, 0},
                                     {"heads", "heads", SB_COL_INT, 0},
                                     {"mlp_hidden", "MLP", SB_COL_INT, 0},
                                     {"desc", "description", SB_COL_TEXT, 0}};
    (void)c;
    sb_table_init(t, cols, SB_ARRAY_LEN(cols), "models");
    for (size_t i = 0; i < sb_models_count; i++) {
        const sb_model *m = &sb_models[i];
        long r = sb_table_add_row(t);
        sb_table_set_text(t, r, 0, m->name);
        sb_table_set_num(t, r, 1, m->depth);
        sb_table_set_num(t, r, 2, m->hidden);
        sb_table_set_num(t, r, 3, m->heads);
        sb_table_set_num(t, r, 4, m->mlp_hidden);
        sb_table_set_text(t, r, 5, m->desc);
    }
    return SB_EXIT_OK;
}

static int list_presets(const list_cfg *c, sb_table *t)
{
    static const sb_column cols[] = {{"res", "res", SB_COL_TEXT, 0},
                                     {"aspect", "aspect", SB_COL_TEXT, 0},
                                     {"height", "H px", SB_COL_INT, 0},
                                     {"width", "W px", SB_COL_INT, 0},
                                     {"S", "S", SB_COL_INT, 0}};
    const sb_model *m = sb_model_find("stdit3-xl2");
    (void)c;
    sb_table_init(t, cols, SB_ARRAY_LEN(cols), "resolutions (S = patches per frame)");
    for (size_t i = 0; i < sb_resolutions_count; i++) {
        sb_shape s;
        sb_shape_resolve(m, &sb_resolutions[i], &sb_durations[0], true, &s);
        long r = sb_table_add_row(t);
        sb_table_set_text(t, r, 0, sb_resolutions[i].name);
        sb_table_set_text(t, r, 1, sb_resolutions[i].aspect);
        sb_table_set_num(t, r, 2, sb_resolutions[i].height);
        sb_table_set_num(t, r, 3, sb_resolutions[i].width);
        sb_table_set_num(t, r, 4, s.S);
    }
    for (size_t i = 0; i < sb_durations_count; i++)
        sb_table_add_note(t, "duration %-5s: %3d frames -> latent T = %d, fps %d",
                          sb_durations[i].name, sb_durations[i].frames,
                          sb_latent_frames(sb_durations[i].frames), sb_durations[i].fps);
    return SB_EXIT_OK;
}

static int list_layers(const list_cfg *c, sb_table *t)
{
    static const sb_column cols[] = {{"layer", "layer", SB_COL_TEXT, 0},
                                     {"op", "op", SB_COL_TEXT, 0},
                                     {"variants", "variants", SB_COL_TEXT, 0},
                                     {"shape", "shape", SB_COL_TEXT, 0},
                                     {"gflop", "GFLOP", SB_COL_REAL, 3},
                                     {"mbytes", "MB", SB_COL_REAL, 1}};
    sb_shape s;
    sb_layer l[2 * SB_LAYER_COUNT];
    char title[200];
    int rc = sb_cli_shape("list", c->model, c->res, c->aspect, c->dur, c->cfg, &s);
    if (rc)
        return rc;
    snprintf(title, sizeof(title), "layers of %s at %s %s (%s): T=%d S=%d N=%ld L=%d B=%d",
             s.model->name, s.res->name, s.dur->name, s.res->aspect, s.T, s.S, s.N, s.L, s.B);
    sb_table_init(t, cols, SB_ARRAY_LEN(cols), title);
    size_t n = sb_catalog_build(&s, l, SB_ARRAY_LEN(l));
    for (size_t i = 0; i < n; i++) {
        long r = sb_table_add_row(t);
        sb_table_set_text(t, r, 0, l[i].name);
        sb_table_set_text(t, r, 1, sb_op_name(l[i].op));
        sb_table_set_text(t, r, 2, sb_fusion_name(l[i].fusion));
        sb_table_set_text(t, r, 3, l[i].shape);
        sb_table_set_num(t, r, 4, l[i].flops / 1e9);
        sb_table_set_num(t, r, 5, l[i].bytes / 1e6);
    }
    sb_table_add_note(t, "one step (embedders, %d x (spatial + temporal), final): %.2f TFLOP",
                      s.model->depth, sb_step_flops(&s) / 1e12);
    sb_table_add_note(t, "FLOPs count matmuls only (a multiply-add is 2); MB is the minimum FP32 traffic");
    sb_table_add_note(t, "variants: 'fused' layers run in the -fused variants in place of the "
                         "'unfused' pairs they merge; 'all' layers run in every variant");
    return SB_EXIT_OK;
}

static int list_variants(const list_cfg *c, sb_table *t)
{
    static const sb_column cols[] = {{"variant", "variant", SB_COL_TEXT, 0},
                                     {"dtype", "dtype", SB_COL_TEXT, 0},
                                     {"fused", "fused", SB_COL_INT, 0}};
    (void)c;
    sb_table_init(t, cols, SB_ARRAY_LEN(cols), "variants");
    for (size_t i = 0; i < sb_variants_count; i++) {
        long r = sb_table_add_row(t);
        sb_table_set_text(t, r, 0, sb_variants[i].name);
        sb_table_set_text(t, r, 1, sb_dtype_name(sb_variants[i].dtype));
        sb_table_set_num(t, r, 2, sb_variants[i].fused);
    }
    return SB_EXIT_OK;
}

static int list_kernels(const list_cfg *c, sb_table *t)
{
    static const sb_column cols[] = {{"kernel", "kernel", SB_COL_TEXT, 0},
                                     {"op", "op", SB_COL_TEXT, 0},
                                     {"dtype", "dtype", SB_COL_TEXT, 0},
                                     {"isa", "isa", SB_COL_TEXT, 0},
                                     {"fused", "fused", SB_COL_INT, 0},
                                     {"activations", "activations", SB_COL_TEXT, 0},
                                     {"runs_here", "runs here", SB_COL_TEXT, 0}};
    sb_cpu cpu;
    char err[160];
    size_t n;
    const sb_kernel *k = sb_kernel_table(&n);
    (void)c;
    if (sb_cpu_detect(&cpu, err, sizeof(err)) != SB_OK)
        return sb_cli_error("list", SB_EXIT_USAGE, "%s", err);
    sb_table_init(t, cols, SB_ARRAY_LEN(cols), "kernels (best first within an op and dtype)");
    for (size_t i = 0; i < n; i++) {
        long r = sb_table_add_row(t);
        sb_table_set_text(t, r, 0, k[i].name);
        sb_table_set_text(t, r, 1, sb_op_name(k[i].op));
        sb_table_set_text(t, r, 2, sb_dtype_name(k[i].dtype));
        /* a provider: the library's version and the code path it would run here */
        char lib[256];
        bool held = !k[i].lib_setup || k[i].lib_setup(cpu.isa, cpu.capped, lib, sizeof(lib)) == SB_OK;
        sb_table_set_text(t, r, 3, k[i].lib_setup && held ? lib : k[i].isa);
        sb_table_set_num(t, r, 4, k[i].fused);
        sb_table_set_text(t, r, 5, sb_dtype_name(k[i].io));
        sb_table_set_text(t, r, 6, (k[i].requires & ~cpu.isa) == 0 && held ? "yes" : "no");
    }
    return SB_EXIT_OK;
}

static int list_collectors(const list_cfg *c, sb_table *t)
{
    static const sb_column cols[] = {{"collector", "collector", SB_COL_TEXT, 0},
                                     {"available", "available", SB_COL_TEXT, 0},
                                     {"desc", "description", SB_COL_TEXT, 0}};
    size_t n;
    const sb_collector_ops *const *all = sb_collectors(&n);
    (void)c;
    sb_table_init(t, cols, SB_ARRAY_LEN(cols), "collectors");
    for (size_t i = 0; i < n; i++) {
        char reason[160] = "";
        long r = sb_table_add_row(t);
        sb_status st = all[i]->probe(reason, sizeof(reason));
        sb_table_set_text(t, r, 0, all[i]->name);
        sb_table_set_text(t, r, 1, st == SB_OK ? "yes" : reason);
        sb_table_set_text(t, r, 2, all[i]->desc);
    }
    return SB_EXIT_OK;
}

/*
 * A table of the database's rows that sql (no parameters) selects, one column per cols entry
 * in order: text columns as text, the others as numbers; NULL stays blank.
 */
static int list_query(const list_cfg *c, sb_table *t, const sb_column *cols, size_t ncols,
                      const char *sql)
{
    sb_store *s = NULL;
    sqlite3_stmt *st = NULL;
    char err[512];
    int rc = SB_EXIT_OK;
    if (sb_store_open(&s, c->db, SB_STORE_READ, err, sizeof(err)) != SB_OK)
        return sb_cli_error("list", SB_EXIT_USAGE, "%s", err);
    sb_table_init(t, cols, ncols, c->db);
    if (sqlite3_prepare_v2(sb_store_db(s), sql, -1, &st, NULL) != SQLITE_OK) {
        rc = sb_cli_error("list", SB_EXIT_FAIL, "cannot read %s: %s", c->db,
                          sqlite3_errmsg(sb_store_db(s)));
        goto out;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        long r = sb_table_add_row(t);
        for (int i = 0; i < (int)ncols; i++) {
            if (sqlite3_column_type(st, i) == SQLITE_NULL)
                continue;
            if (cols[i].type == SB_COL_TEXT)
                sb_table_set_text(t, r, (size_t)i, (const char *)sqlite3_column_text(st, i));
            else
                sb_table_set_num(t, r, (size_t)i, sqlite3_column_double(st, i));
        }
    }
out:
    sqlite3_finalize(st);
    sb_store_close(s);
    return rc;
}

static int list_runs(const list_cfg *c, sb_table *t)
{
    static const sb_column cols[] = {{"run_id", "run", SB_COL_TEXT, 0},
                                     {"started_at", "started (UTC)", SB_COL_TEXT, 0},
                                     {"status", "status", SB_COL_TEXT, 0},
                                     {"cases", "cases", SB_COL_INT, 0},
                                     {"host", "host", SB_COL_TEXT, 0},
                                     {"config", "sweep", SB_COL_TEXT, 0}};
    return list_query(c, t, cols, SB_ARRAY_LEN(cols),
                      "SELECT r.run_id, r.started_at, r.status, (SELECT count(*) FROM \"case\""
                      " c WHERE c.run_id = r.run_id), h.hostname, r.config->>'workload' || ' '"
                      " || (r.config->>'model') || ' ' || (r.config->>'res') || ' ' ||"
                      " (r.config->>'dur') || coalesce(' shard ' || (r.config->>'shard'), '')"
                      " FROM run r JOIN host h USING (host_id)"
                      " ORDER BY r.started_at, r.rowid");
}

/* The stored calibrations (sorabench calibrate): one row each, oldest first. */
static int list_calibrations(const list_cfg *c, sb_table *t)
{
    static const sb_column cols[] = {{"calib_id", "calibration", SB_COL_TEXT, 0},
                                     {"measured_at", "started (UTC)", SB_COL_TEXT, 0},
                                     {"host", "host", SB_COL_TEXT, 0},
                                     {"cpu", "CPU", SB_COL_TEXT, 0},
                                     {"probes", "probes", SB_COL_INT, 0},
                                     {"rows", "rows", SB_COL_INT, 0},
                                     {"threads", "threads", SB_COL_TEXT, 0},
                                     {"emulated", "emulated", SB_COL_TEXT, 0}};
    return list_query(c, t, cols, SB_ARRAY_LEN(cols),
                      "SELECT c.calib_id, min(c.measured_at), h.hostname, h.cpu_brand,"
                      " count(DISTINCT c.probe), count(*), (SELECT group_concat(threads) FROM"
                      " (SELECT DISTINCT threads FROM calibration WHERE calib_id = c.calib_id"
                      " ORDER BY threads)), CASE WHEN max(c.emulated) THEN 'yes' ELSE 'no' END"
                      " FROM calibration c JOIN host h USING (host_id) GROUP BY c.calib_id"
                      " ORDER BY min(c.measured_at), min(c.rowid)");
}

/* Events of the groups: this host's (probed: counted here or why not), or --all files'. */
static int list_events(const list_cfg *c, sb_table *t)
{
    static const sb_column cols[] = {{"file", "file", SB_COL_TEXT, 0},
                                     {"group", "group", SB_COL_TEXT, 0},
                                     {"alias", "alias", SB_COL_TEXT, 0},
                                     {"event", "event", SB_COL_TEXT, 0},
                                     {"here", "here", SB_COL_TEXT, 0}};
    char err[256], title[256];
    size_t nf;
    const sb_group_file *f = sb_groups_files(&nf, err, sizeof(err));
    const sb_group_file *host = sb_groups_host();
    const char *cname = c->collector ? c->collector : sb_collector_find("perf") ? "perf" : "papi";
    const sb_collector_ops *ops = sb_collector_find(cname);
    if (!f)
        return sb_cli_error("list", SB_EXIT_FAIL, "%s", err);
    if (!c->all && (!ops || !ops->counts_events))
        return sb_cli_error("list", SB_EXIT_USAGE, "--collector: '%s' is not a counter collector of "
                            "this build (sorabench list collectors)", cname);
    snprintf(title, sizeof(title), c->all ? "event groups (all files; not probed)"
             : "event groups for this host (PMU file: %s), probed with %s",
             host ? host->file : "none found, generic.ini applies", cname);
    sb_table_init(t, cols, SB_ARRAY_LEN(cols), title);
    for (size_t i = 0; i < nf; i++) {
        const sb_group_file *file = &f[i];
        if (!c->all && file != host && strcmp(file->pmu, "perf") != 0)
            continue;
        for (size_t g = 0; g < file->ng; g++) {
            sb_event_req req[SB_GROUP_MAX_EVENTS];
            sb_counter got[SB_GROUP_MAX_EVENTS];
            const sb_group *grp = &file->g[g];
            for (size_t e = 0; e < grp->nev; e++)
                req[e] = (sb_event_req){grp->ev[e].alias, grp->ev[e].event};
            if (!c->all && sb_collector_try(ops, req, grp->nev, got, err, sizeof(err)) != SB_OK)
                return sb_cli_error("list", SB_EXIT_FAIL, "%s: %s", cname, err);
            for (size_t e = 0; e < grp->nev; e++) {
                long r = sb_table_add_row(t);
                sb_table_set_text(t, r, 0, file->name);
                sb_table_set_text(t, r, 1, grp->name);
                sb_table_set_text(t, r, 2, grp->ev[e].alias);
                sb_table_set_text(t, r, 3, grp->ev[e].event);
                if (!c->all)
                    sb_table_set_text(t, r, 4, got[e].status == SB_OK ? "counts"
                                      : got[e].reason[0] ? got[e].reason : sb_strerror(got[e].status));
            }
        }
    }
    sb_table_add_note(t, "run --events GROUP picks the host's file first, then generic, then software;"
                         " FILE.GROUP picks one file; PMU::EVENT counts one native event");
    return SB_EXIT_OK;
}

static const struct {
    const char *what;
    int (*fn)(const list_cfg *c, sb_table *t);
} whats[] = {
    {"models", list_models}, {"presets", list_presets}, {"layers", list_layers},
    {"variants", list_variants}, {"kernels", list_kernels}, {"collectors", list_collectors},
    {"runs", list_runs}, {"calibrations", list_calibrations}, {"events", list_events},
};

int sb_cmd_list(int argc, char **argv)
{
    struct option lo[SB_ARRAY_LEN(opts) + 1];
    list_cfg c = {.model = "stdit3-xl2", .res = "144p", .aspect = "9:16", .dur = "2s",
                  .db = SB_DEFAULT_DB, .cfg = true, .format = SB_FMT_TABLE};
    int ch;
    sb_cli_longopts(opts, SB_ARRAY_LEN(opts), lo);
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (ch) {
        case O_MODEL: c.model = optarg; break;
        case O_RES: c.res = optarg; break;
        case O_ASPECT: c.aspect = optarg; break;
        case O_DUR: c.dur = optarg; break;
        case O_NOCFG: c.cfg = false; break;
        case O_DB: c.db = optarg; break;
        case O_ALL: c.all = true; break;
        case O_COLLECTOR: c.collector = optarg; break;
        case O_FORMAT:
            if (sb_format_find(optarg, &c.format) != SB_OK)
                return sb_cli_error("list", SB_EXIT_USAGE, "unknown format '%s' (table, md, csv, json)",
                                    optarg);
            break;
        case 'h':
            sb_cli_help(stdout, "sorabench list models|presets|layers|variants|kernels|collectors|events|runs|calibrations [options]",
                        "Lists what sorabench knows. 'layers' shows every layer of the model at a\n"
                        "resolution and duration with its shape, FLOPs and minimum traffic, and the\n"
                        "total FLOPs of one sampling step. 'events' shows the event groups for this\n"
                        "host and whether each event counts here (or why not); --all shows every\n"
                        "group file (Graviton, Zen 4, Sapphire Rapids, generic, software). 'runs'\n"
                        "and 'calibrations' show what the database holds, oldest first.", opts, SB_ARRAY_LEN(opts));
            return SB_EXIT_OK;
        default:
            return sb_cli_error("list", SB_EXIT_USAGE, "bad option (see sorabench list --help)");
        }
    }
    if (optind >= argc)
        return sb_cli_error("list", SB_EXIT_USAGE,
                            "what to list? models, presets, layers, variants, kernels, collectors, events, runs or calibrations");
    for (size_t i = 0; i < SB_ARRAY_LEN(whats); i++)
        if (strcmp(argv[optind], whats[i].what) == 0) {
            sb_table t = {0};
            int rc = whats[i].fn(&c, &t);
            if (rc == SB_EXIT_OK)
                sb_table_render(&t, c.format, stdout);
            sb_table_free(&t);
            return rc;
        }
    return sb_cli_error("list", SB_EXIT_USAGE,
                        "cannot list '%s' (models, presets, layers, variants, kernels, collectors, events, runs, calibrations)",
                        argv[optind]);
}
