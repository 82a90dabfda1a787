/* runner.c - measuring one case (see runner.h). */
#include "runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "accuracy.h"
#include "collector.h"

enum { MAX_BUILTIN_PER_REP = 16, MAX_COLLECTORS = 8, OVERHEAD_ROUNDS = 9 };

void sb_case_key(const sb_case_spec *c, char *buf, size_t len)
{
    const sb_shape *s = &c->shape;
    snprintf(buf, len, "%s|%s|%s|%s|%s|B%d|%s|%s|t%d|%s", sb_workload_name(c->kind),
             s->model->name, s->res->name, s->res->aspect, s->dur->name, s->B,
             c->kind == SB_WL_LAYER ? c->layer.name : sb_workload_name(c->kind), c->variant->name,
             c->threads, c->pin->text);
}

const char *sb_case_choice(const sb_case_spec *c) { return c->force ? c->force->name : "auto"; }

/* One iteration of the whole graph; node_ns (may be NULL) accumulates per node. */
static void run_iteration(sb_graph *g, sb_pool *pool, uint64_t *node_ns)
{
    size_t n = sb_graph_nodes(g);
    if (!node_ns) {
        for (size_t i = 0; i < n; i++)
            sb_graph_run_node(g, i, pool);
        return;
    }
    uint64_t t = sb_clock_ns();
    for (size_t i = 0; i < n; i++) {
        sb_graph_run_node(g, i, pool);
        uint64_t t1 = sb_clock_ns();
        node_ns[i] += t1 - t;
        t = t1;
    }
}

/* True when some node's kernel is not the FP32 reference (so accuracy is measured). */
static bool needs_accuracy(const sb_graph *g)
{
    for (size_t i = 0; i < sb_graph_nodes(g); i++) {
        const sb_kernel *k = sb_graph_node(g, i)->kernel;
        if (strcmp(k->isa, "ref") != 0 || k->dtype != SB_DT_F32 || k->fused)
            return true;
    }
    return false;
}

/*
 * Run g once and a reference graph (same shape, seed and inputs; FP32
 * reference kernels) once, and compare their outputs. Called before warmup,
 * so both start from identical inputs. When the reference cannot be built
 * (e.g. no memory for a second copy), rec->reason says so.
 */
static void measure_accuracy(const sb_graph_config *gc, sb_graph *g, sb_pool *pool,
                             sb_accuracy_record *rec, char *reason, size_t len)
{
    sb_graph *r = NULL;
    sb_graph_config rc = *gc;
    char err[256] = "";
    size_t nr, ng;

    rec->reference = "f32 reference kernels";
    /* the same layers (a fused variant's fused layers too), computed by the reference kernels */
    rc.variant = sb_variant_find(gc->variant->fused ? "fp32-fused" : "fp32");
    rc.isa = 0;
    rc.force = NULL; /* a kernel chosen by name is compared with the reference, not itself */
    if (sb_graph_create(&r, &rc, err, sizeof(err)) != SB_OK) {
        snprintf(reason, len, "the reference could not be built: %s", err);
        rec->reason = reason;
        return;
    }
    for (size_t i = 0; i < sb_graph_nodes(g); i++) {
        sb_graph_run_node(r, i, pool);
        sb_graph_run_node(g, i, pool);
    }
    const float *ref = sb_graph_output(r, &nr), *got = sb_graph_output(g, &ng);
    sb_accuracy a;
    sb_accuracy_compute(ref, got, nr < ng ? nr : ng, &a);
    rec->elements = (long)a.elements;
    rec->rel_l2 = a.rel_l2;
    rec->max_abs = a.max_abs;
    rec->cosine = a.cosine;
    sb_graph_destroy(r);
}

typedef struct open_collector {
    const sb_collector_ops *ops;
    void *state;
    const char *reason;    /* non-NULL: could not be used; its events are reported so */
    char why[192];
} open_collector;

typedef struct each_call {
    sb_each_fn fn;
    void *ctx;
} each_call;

static void each_trampoline(void *ctx, size_t task, int worker)
{
    (void)task;
    const each_call *c = ctx;
    c->fn(c->ctx, worker);
}

/* sb_collector_cfg.each over an sb_pool. */
static void each_worker(void *pool, sb_each_fn fn, void *ctx)
{
    each_call c = {fn, ctx};
    sb_pool_each(pool, each_trampoline, &c);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Median cost of one start + stop + read of col on an empty region, ns. */
static double collector_overhead(const open_collector *col, sb_counter *scratch, size_t cap)
{
    uint64_t t[OVERHEAD_ROUNDS];
    for (int r = 0; r < OVERHEAD_ROUNDS; r++) {
        uint64_t t0 = sb_clock_ns();
        col->ops->start(col->state);
        col->ops->stop(col->state);
        col->ops->read(col->state, scratch, cap);
        t[r] = sb_clock_ns() - t0;
    }
    qsort(t, OVERHEAD_ROUNDS, sizeof(t[0]), cmp_u64);
    return (double)t[OVERHEAD_ROUNDS / 2];
}

/*
 * Open the built-in collectors (time first) and the counter collectors asked
 * for. A counter collector that cannot work here stays in the list with its
 * reason, so each of its events is still reported (unavailable, and why).
 */
static sb_status open_collectors(const sb_run_opts *o, const sb_collector_cfg *cfg,
                                 open_collector *col, size_t *ncol, char *err, size_t errlen)
{
    size_t nall;
    const sb_collector_ops *const *all = sb_collectors(&nall);
    sb_status st;
    *ncol = 0;
    for (size_t i = 0; i < nall && *ncol < MAX_COLLECTORS; i++) {
        char reason[192] = "";
        if (all[i]->counts_events || all[i]->probe(reason, sizeof(reason)) != SB_OK)
            continue;
        if ((st = all[i]->open(&col[*ncol].state, cfg, err, errlen)) != SB_OK)
            return st;
        col[(*ncol)++].ops = all[i];
    }
    if (*ncol == 0 || strcmp(col[0].ops->name, "time") != 0) {
        snprintf(err, errlen, "the time collector is not available on this host");
        return SB_ENOSUPP;
    }
    for (size_t i = 0; i < o->ncounters && *ncol < MAX_COLLECTORS; i++) {
        open_collector *c = &col[(*ncol)++];
        c->ops = o->counters[i];
        if (c->ops->probe(c->why, sizeof(c->why)) != SB_OK)
            c->reason = c->why;
        else if ((st = c->ops->open(&c->state, cfg, err, errlen)) != SB_OK)
            return st;
    }
    return SB_OK;
}

/* Values of col for the last region; an unusable collector reports its events unavailable. */
static size_t read_collector(const open_collector *col, const sb_run_opts *o, sb_counter *out,
                             size_t cap)
{
    if (!col->reason)
        return col->ops->read(col->state, out, cap);
    sb_counters_unavailable(col->ops->name, col->reason, SB_ENOSUPP, o->events,
                            o->nevents < cap ? o->nevents : cap, out);
    return o->nevents;
}

/* Everything one case holds from its setup to its store. */
typedef struct case_run {
    const sb_case_spec *c;
    sb_graph_config gc;
    sb_graph *g;
    uint64_t *samples, *starts, *node_ns;  /* [reps] ns; [reps] clock at each start; [reps * nnodes] */
    sb_counter_record *counters;
    sb_counter *vals;                       /* [per_rep] scratch of one read */
    sb_collector_cfg ccfg;                  /* the collectors keep a pointer to it */
    open_collector col[MAX_COLLECTORS];
    sb_collector_use_record uses[MAX_COLLECTORS];
    size_t ncol, ncounters, nnodes, per_rep;
    bool per_node;
    sb_accuracy_record acc;
    char acc_reason[320];
    char lib[256];                          /* a provider's library, version and ISA ("" ours) */
    uint64_t setup_ns, warmup_ns;
    long warm, inner;                       /* warmup iterations; iterations per sample */
    long since;                             /* iterations since the graph was built or restored */
} case_run;

/*
 * Before n more iterations of cr's graph: put its data back first (untimed) when n more would
 * pass what they bear (sb_graph_restore_every: a layer alone that works in place and compounds).
 */
static void restore_before(case_run *cr, long n)
{
    long every = sb_graph_restore_every(cr->g);
    if (every > 0 && cr->since + n > every) {
        sb_graph_restore(cr->g);
        cr->since = 0;
    }
    cr->since += n;
}

/*
 * Build c's graph, open its collectors, measure its accuracy, warm it up and
 * calibrate its inner iteration count. On failure err says what and
 * case_free(cr) releases what was made.
 */
static sb_status case_prepare(case_run *cr, const sb_case_spec *c, const sb_run_opts *o,
                              sb_pool *pool, char *err, size_t errlen)
{
    sb_status st;
    cr->c = c;
    cr->per_rep = MAX_BUILTIN_PER_REP + o->nevents * o->ncounters;
    cr->gc = (sb_graph_config){.shape = &c->shape, .kind = c->kind,
                               .layer = c->kind == SB_WL_LAYER ? &c->layer : NULL,
                               .variant = c->variant, .isa = o->isa, .seed = o->seed,
                               .max_threads = c->threads, .force = c->force};
    /* a provider is held to the ISA cap before its first pack, and says what it runs */
    if (c->force && c->force->lib_setup &&
        (st = c->force->lib_setup(o->isa, o->isa_capped, cr->lib, sizeof(cr->lib))) != SB_OK) {
        snprintf(err, errlen, "kernel '%s': %s", c->force->name, cr->lib);
        return st;
    }
    uint64_t t0 = sb_clock_ns();
    if ((st = sb_graph_create(&cr->g, &cr->gc, err, errlen)) != SB_OK)
        return st;
    cr->setup_ns = sb_clock_ns() - t0;
    cr->nnodes = sb_graph_nodes(cr->g);
    cr->per_node = c->kind != SB_WL_LAYER;

    /* collectors: time innermost (started last, stopped first); counters on every worker */
    cr->ccfg = (sb_collector_cfg){.events = o->events, .nevents = o->nevents,
                                  .threads = sb_pool_threads(pool), .each = each_worker,
                                  .pool = pool};
    if ((cr->vals = calloc(cr->per_rep, sizeof(*cr->vals))) == NULL)
        return SB_ENOMEM;
    if ((st = open_collectors(o, &cr->ccfg, cr->col, &cr->ncol, err, errlen)) != SB_OK)
        return st;
    for (size_t i = 0; i < cr->ncol; i++)
        cr->uses[i] = (sb_collector_use_record){
            .collector = cr->col[i].ops->name, .reason = cr->col[i].reason,
            .overhead_ns = cr->col[i].reason ? 0.0
                                             : collector_overhead(&cr->col[i], cr->vals, cr->per_rep)};

    if (o->accuracy && needs_accuracy(cr->g)) {
        restore_before(cr, 1);
        measure_accuracy(&cr->gc, cr->g, pool, &cr->acc, cr->acc_reason, sizeof(cr->acc_reason));
    }

    /* warmup and calibration */
    uint64_t best = UINT64_MAX, w0 = sb_clock_ns();
    do {
        restore_before(cr, 1);
        t0 = sb_clock_ns();
        run_iteration(cr->g, pool, NULL);
        uint64_t dt = sb_clock_ns() - t0;
        best = dt < best ? dt : best;
        cr->warm++;
        cr->warmup_ns = sb_clock_ns() - w0;
    } while (cr->warm < o->warmup_iters || cr->warmup_ns < (uint64_t)(o->warmup_s * 1e9));
    cr->inner = (long)((o->min_time_s * 1e9) / (double)(best ? best : 1)) + 1;
    if (best >= (uint64_t)(o->min_time_s * 1e9))
        cr->inner = 1;
    long every = sb_graph_restore_every(cr->g);
    if (every > 0 && cr->inner > every)
        cr->inner = every; /* a sample runs on data it has not worn out */

    cr->samples = calloc((size_t)o->reps, sizeof(*cr->samples));
    cr->starts = calloc((size_t)o->reps, sizeof(*cr->starts));
    cr->node_ns = cr->per_node ? calloc((size_t)o->reps * cr->nnodes, sizeof(*cr->node_ns)) : NULL;
    cr->counters = calloc((size_t)o->reps * cr->per_rep, sizeof(*cr->counters));
    if (!cr->samples || !cr->starts || !cr->counters || (cr->per_node && !cr->node_ns))
        return SB_ENOMEM;
    return SB_OK;
}

/* Time repetition r of a prepared case: inner iterations with the collectors around them. */
static void case_rep(case_run *cr, const sb_run_opts *o, sb_pool *pool, int r)
{
    uint64_t *nn = cr->per_node ? cr->node_ns + (size_t)r * cr->nnodes : NULL;
    open_collector *col = cr->col;
    const size_t cap = (size_t)o->reps * cr->per_rep;

    restore_before(cr, cr->inner);
    cr->starts[r] = sb_clock_ns();
    for (size_t i = cr->ncol; i-- > 0;)
        if (!col[i].reason)
            col[i].ops->start(col[i].state);
    for (long it = 0; it < cr->inner; it++)
        run_iteration(cr->g, pool, nn);
    for (size_t i = 0; i < cr->ncol; i++)
        if (!col[i].reason)
            col[i].ops->stop(col[i].state);
    for (size_t i = 0; i < cr->ncol; i++) {
        size_t nv = read_collector(&col[i], o, cr->vals, cr->per_rep);
        for (size_t j = 0; j < nv && j < cr->per_rep; j++) {
            if (i == 0 && j == 0) {
                cr->samples[r] = (uint64_t)cr->vals[j].value; /* time.ns is the sample */
                continue;
            }
            if (cr->ncounters < cap)
                cr->counters[cr->ncounters++] = (sb_counter_record){
                    .rep = r, .collector = col[i].ops->name, .c = cr->vals[j]};
        }
    }
}

/*
 * Store repetitions [from, to) of a measured case under run_id, in one transaction: the case
 * with all its rows when from is 0 (its id into *id), else those repetitions added to case *id.
 * pus: the PUs the pool ran on.
 */
static sb_status case_store(case_run *cr, int from, int to, const char *pus, sb_store *store,
                            const char *run_id, int64_t *id, char *err, size_t errlen)
{
    const sb_case_spec *c = cr->c;
    const bool layer = c->kind == SB_WL_LAYER;
    sb_node_record *nodes = NULL;
    char key[256], isa[sizeof(cr->lib)];
    sb_status st;

    sb_case_key(c, key, sizeof(key));
    if (cr->per_node && (nodes = calloc(cr->nnodes, sizeof(*nodes))) == NULL)
        return SB_ENOMEM;
    double flops = 0.0, bytes = 0.0;
    for (size_t i = 0; i < cr->nnodes; i++) {
        const sb_node *n = sb_graph_node(cr->g, i);
        flops += n->layer.flops;
        bytes += n->layer.bytes;
        if (nodes)
            nodes[i] = (sb_node_record){.layer = n->layer.name, .block = n->block,
                                        .op = sb_op_name(n->layer.op), .kernel = n->kernel->name,
                                        .flops = n->layer.flops, .bytes = n->layer.bytes};
    }
    const sb_node *first = sb_graph_node(cr->g, 0);
    /* a provider's own code path (cr->lib) where it ran the layer, else the kernel's ISA key */
    snprintf(isa, sizeof(isa), "%s", cr->lib[0] && first->kernel == c->force ? cr->lib : first->kernel->isa);
    sb_case_record rec = {
        .case_key = key, .kernel_choice = sb_case_choice(c),
        .workload = sb_workload_name(c->kind), .model = c->shape.model->name,
        .res = c->shape.res->name, .aspect = c->shape.res->aspect, .dur = c->shape.dur->name,
        .batch = c->shape.B, .layer = layer ? c->layer.name : sb_workload_name(c->kind),
        .op = layer ? sb_op_name(c->layer.op) : NULL, .variant = c->variant->name,
        .dtype = sb_dtype_name(c->variant->dtype), .fused = c->variant->fused,
        .kernel = layer ? first->kernel->name : NULL, .isa = layer ? isa : NULL,
        .shape = layer ? c->layer.shape : NULL, .m = layer ? c->layer.m : 0,
        .n = layer ? c->layer.n : 0, .k = layer ? c->layer.k : 0, .flops = flops, .bytes = bytes,
        .threads = c->threads, .pin = c->pin->text, .pus = pus, .warmup_iters = cr->warm,
        .warmup_ns = cr->warmup_ns, .inner_iters = cr->inner, .reps = to,
        .setup_ns = cr->setup_ns, .mem_bytes = sb_graph_bytes(cr->g), .sample_ns = cr->samples,
        .start_ns = cr->starts, .nnodes = cr->per_node ? cr->nnodes : 0, .nodes = nodes,
        .node_ns = cr->node_ns, .ncounters = cr->ncounters, .counters = cr->counters,
        .nuses = cr->ncol, .uses = cr->uses, .accuracy = cr->acc};
    st = from == 0 ? sb_store_put_case(store, run_id, &rec, id)
                   : sb_store_case_extend(store, *id, &rec, from);
    if (st != SB_OK)
        snprintf(err, errlen, "%s", sb_store_errmsg(store));
    free(nodes);
    return st;
}

static void case_free(case_run *cr)
{
    for (size_t i = 0; i < cr->ncol; i++)
        if (cr->col[i].state)
            cr->col[i].ops->close(cr->col[i].state);
    free(cr->vals);
    free(cr->samples);
    free(cr->starts);
    free(cr->node_ns);
    free(cr->counters);
    sb_graph_destroy(cr->g);
}

/* Add to err, the refusal of case i of an interleaved group, what the cases before it hold. */
static void group_note(const case_run *cr, size_t i, char *err, size_t errlen)
{
    double held = 0.0;
    for (size_t j = 0; j < i; j++)
        held += sb_graph_bytes(cr[j].g);
    size_t len = strlen(err);
    snprintf(err + len, errlen - len, ", with %.1f GiB held by the %zu case(s) of the interleaved"
             " group before it", held / (1u << 30), i);
}

sb_status sb_runner_cases(const sb_case_spec *c, size_t n, const sb_run_opts *o, sb_pool *pool,
                          sb_store *store, const char *run_id, size_t *failed, int *reps_done,
                          char *err, size_t errlen)
{
    sb_status st = SB_OK;
    case_run *cr = calloc(n ? n : 1, sizeof(*cr));
    int64_t *ids = calloc(n ? n : 1, sizeof(*ids));
    char pus[256];
    size_t i = 0;
    int r = 0, stored = 0;

    err[0] = '\0';
    if (!cr || !ids) {
        st = SB_ENOMEM;
        goto out;
    }
    for (i = 0; i < n; i++)
        if ((st = case_prepare(&cr[i], &c[i], o, pool, err, errlen)) != SB_OK) {
            if (st == SB_ENOMEM && i > 0 && err[0]) /* the graph's check counts those held */
                group_note(cr, i, err, errlen);
            goto out;
        }
    sb_pool_pus_reset(pool); /* the PUs of the timed repetitions */
    /* round r starts with case r mod n: each case runs first in turn. A group stores each
       round (a crash loses at most the round in flight); one case stores once, at its end,
       so nothing runs between its repetitions but its collectors. A stop request ends the
       cases after the round in flight, and what was measured is stored. */
    for (r = 0; r < o->reps;) {
        for (size_t j = 0; j < n; j++)
            case_rep(&cr[((size_t)r + j) % n], o, pool, r);
        r++;
        bool stop = o->stop && *o->stop;
        if (n > 1 || r == o->reps || stop) {
            sb_pool_pus_describe(pool, pus, sizeof(pus));
            for (i = 0; i < n; i++)
                if ((st = case_store(&cr[i], stored, r, pus, store, run_id, &ids[i], err,
                                     errlen)) != SB_OK)
                    goto out;
            stored = r;
        }
        if (stop)
            break;
    }
out:
    if (st == SB_ENOMEM && err[0] == '\0')
        snprintf(err, errlen, "out of memory");
    if (failed)
        *failed = i;
    if (reps_done)
        *reps_done = stored;
    for (size_t j = 0; cr && j < n; j++)
        case_free(&cr[j]);
    free(cr);
    free(ids);
    return st;
}

sb_status sb_runner_case(const sb_case_spec *c, const sb_run_opts *o, sb_pool *pool,
                         sb_store *store, const char *run_id, char *err, size_t errlen)
{
    return sb_runner_cases(c, 1, o, pool, store, run_id, NULL, NULL, err, errlen);
}
