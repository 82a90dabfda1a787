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

sb_status sb_runner_case(const sb_case_spec *c, const sb_run_opts *o, sb_pool *pool,
                         sb_store *store, const char *run_id, char *err, size_t errlen)
{
    sb_status st = SB_OK;
    sb_graph *g = NULL;
    uint64_t *samples = NULL, *node_ns = NULL;
    sb_node_record *nodes = NULL;
    sb_counter_record *counters = NULL;
    sb_counter *vals = NULL;
    open_collector col[MAX_COLLECTORS];
    sb_collector_use_record uses[MAX_COLLECTORS];
    size_t ncol = 0, ncounters = 0, nnodes;
    char key[256], pus[256], isa[64], acc_reason[320];
    sb_accuracy_record acc = {0};
    const size_t per_rep = MAX_BUILTIN_PER_REP + o->nevents * o->ncounters;

    memset(col, 0, sizeof(col));
    memset(uses, 0, sizeof(uses));
    sb_case_key(c, key, sizeof(key));
    sb_graph_config gc = {.shape = &c->shape, .kind = c->kind,
                          .layer = c->kind == SB_WL_LAYER ? &c->layer : NULL,
                          .variant = c->variant, .isa = o->isa, .seed = o->seed,
                          .max_threads = c->threads, .force = c->force};
    uint64_t t_setup = sb_clock_ns();
    if ((st = sb_graph_create(&g, &gc, err, errlen)) != SB_OK)
        goto out;
    t_setup = sb_clock_ns() - t_setup;
    nnodes = sb_graph_nodes(g);
    bool per_node = c->kind != SB_WL_LAYER;

    /* collectors: time innermost (started last, stopped first); counters on every worker */
    sb_collector_cfg ccfg = {.events = o->events, .nevents = o->nevents,
                             .threads = sb_pool_threads(pool), .each = each_worker, .pool = pool};
    if ((vals = calloc(per_rep, sizeof(*vals))) == NULL) {
        st = SB_ENOMEM;
        goto out;
    }
    if ((st = open_collectors(o, &ccfg, col, &ncol, err, errlen)) != SB_OK)
        goto out;
    for (size_t i = 0; i < ncol; i++)
        uses[i] = (sb_collector_use_record){
            .collector = col[i].ops->name, .reason = col[i].reason,
            .overhead_ns = col[i].reason ? 0.0 : collector_overhead(&col[i], vals, per_rep)};

    if (o->accuracy && needs_accuracy(g))
        measure_accuracy(&gc, g, pool, &acc, acc_reason, sizeof(acc_reason));

    /* warmup and calibration */
    sb_pool_pus_reset(pool);
    long warm = 0;
    uint64_t best = UINT64_MAX, w0 = sb_clock_ns(), wns;
    do {
        uint64_t t0 = sb_clock_ns();
        run_iteration(g, pool, NULL);
        uint64_t dt = sb_clock_ns() - t0;
        best = dt < best ? dt : best;
        warm++;
        wns = sb_clock_ns() - w0;
    } while (warm < o->warmup_iters || wns < (uint64_t)(o->warmup_s * 1e9));
    long inner = (long)((o->min_time_s * 1e9) / (double)(best ? best : 1)) + 1;
    if (best >= (uint64_t)(o->min_time_s * 1e9))
        inner = 1;

    samples = calloc((size_t)o->reps, sizeof(*samples));
    node_ns = per_node ? calloc((size_t)o->reps * nnodes, sizeof(*node_ns)) : NULL;
    counters = calloc((size_t)o->reps * per_rep, sizeof(*counters));
    if (!samples || !counters || (per_node && !node_ns)) {
        st = SB_ENOMEM;
        goto out;
    }

    /* the timed repetitions */
    for (int r = 0; r < o->reps; r++) {
        uint64_t *nn = per_node ? node_ns + (size_t)r * nnodes : NULL;
        for (size_t i = ncol; i-- > 0;)
            if (!col[i].reason)
                col[i].ops->start(col[i].state);
        for (long it = 0; it < inner; it++)
            run_iteration(g, pool, nn);
        for (size_t i = 0; i < ncol; i++)
            if (!col[i].reason)
                col[i].ops->stop(col[i].state);
        for (size_t i = 0; i < ncol; i++) {
            size_t nv = read_collector(&col[i], o, vals, per_rep);
            for (size_t j = 0; j < nv && j < per_rep; j++) {
                if (i == 0 && j == 0) {
                    samples[r] = (uint64_t)vals[j].value; /* time.ns is the sample */
                    continue;
                }
                if (ncounters < (size_t)o->reps * per_rep)
                    counters[ncounters++] = (sb_counter_record){.rep = r,
                                                                .collector = col[i].ops->name,
                                                                .c = vals[j]};
            }
        }
    }
    sb_pool_pus_describe(pool, pus, sizeof(pus));

    if (per_node && (nodes = calloc(nnodes, sizeof(*nodes))) == NULL) {
        st = SB_ENOMEM;
        goto out;
    }
    double flops = 0.0, bytes = 0.0;
    for (size_t i = 0; i < nnodes; i++) {
        const sb_node *n = sb_graph_node(g, i);
        flops += n->layer.flops;
        bytes += n->layer.bytes;
        if (nodes)
            nodes[i] = (sb_node_record){.layer = n->layer.name, .block = n->block,
                                        .op = sb_op_name(n->layer.op), .kernel = n->kernel->name,
                                        .flops = n->layer.flops, .bytes = n->layer.bytes};
    }
    const sb_node *first = sb_graph_node(g, 0);
    snprintf(isa, sizeof(isa), "%s", first->kernel->isa);
    sb_case_record rec = {
        .case_key = key, .kernel_choice = c->force ? c->force->name : "auto", .workload = sb_workload_name(c->kind), .model = c->shape.model->name,
        .res = c->shape.res->name, .aspect = c->shape.res->aspect, .dur = c->shape.dur->name,
        .batch = c->shape.B,
        .layer = c->kind == SB_WL_LAYER ? c->layer.name : sb_workload_name(c->kind),
        .op = c->kind == SB_WL_LAYER ? sb_op_name(c->layer.op) : NULL,
        .variant = c->variant->name, .dtype = sb_dtype_name(c->variant->dtype),
        .fused = c->variant->fused,
        .kernel = c->kind == SB_WL_LAYER ? first->kernel->name : NULL,
        .isa = c->kind == SB_WL_LAYER ? isa : NULL,
        .shape = c->kind == SB_WL_LAYER ? c->layer.shape : NULL,
        .m = c->kind == SB_WL_LAYER ? c->layer.m : 0, .n = c->kind == SB_WL_LAYER ? c->layer.n : 0,
        .k = c->kind == SB_WL_LAYER ? c->layer.k : 0, .flops = flops, .bytes = bytes,
        .threads = c->threads, .pin = c->pin->text, .pus = pus, .warmup_iters = warm,
        .warmup_ns = wns, .inner_iters = inner, .reps = o->reps, .setup_ns = t_setup,
        .mem_bytes = sb_graph_bytes(g), .sample_ns = samples, .nnodes = per_node ? nnodes : 0,
        .nodes = nodes, .node_ns = node_ns, .ncounters = ncounters, .counters = counters,
        .nuses = ncol, .uses = uses, .accuracy = acc};
    if ((st = sb_store_put_case(store, run_id, &rec)) != SB_OK)
        snprintf(err, errlen, "%s", sb_store_errmsg(store));
out:
    for (size_t i = 0; i < ncol; i++)
        if (col[i].state)
            col[i].ops->close(col[i].state);
    free(vals);
    free(samples);
    free(node_ns);
    free(nodes);
    free(counters);
    sb_graph_destroy(g);
    return st;
}
