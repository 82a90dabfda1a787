/* runner.c - measuring one case (see runner.h). */
#include "runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "accuracy.h"
#include "collector.h"

enum { MAX_COUNTERS_PER_REP = 16 };

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
    rc.variant = sb_variant_find("fp32");
    rc.isa = 0;
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
} open_collector;

sb_status sb_runner_case(const sb_case_spec *c, const sb_run_opts *o, sb_pool *pool,
                         sb_store *store, const char *run_id, char *err, size_t errlen)
{
    sb_status st = SB_OK;
    sb_graph *g = NULL;
    uint64_t *samples = NULL, *node_ns = NULL;
    sb_node_record *nodes = NULL;
    sb_counter_record *counters = NULL;
    open_collector col[8];
    size_t ncol = 0, ncounters = 0, nnodes;
    char key[256], pus[256], isa[64], acc_reason[320];
    sb_accuracy_record acc = {0};
    const sb_collector_ops *const *all;
    size_t nall;

    memset(col, 0, sizeof(col));
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

    /* collectors: time innermost (started last, stopped first) */
    all = sb_collectors(&nall);
    for (size_t i = 0; i < nall && ncol < SB_ARRAY_LEN(col); i++) {
        char reason[128] = "";
        if (all[i]->probe(reason, sizeof(reason)) != SB_OK)
            continue; /* (a counter collector would record its reason per event) */
        if ((st = all[i]->open(&col[ncol].state, err, errlen)) != SB_OK)
            goto out;
        col[ncol++].ops = all[i];
    }
    if (ncol == 0 || strcmp(col[0].ops->name, "time") != 0) {
        snprintf(err, errlen, "the time collector is not available on this host");
        st = SB_ENOSUPP;
        goto out;
    }

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
    counters = calloc((size_t)o->reps * MAX_COUNTERS_PER_REP, sizeof(*counters));
    if (!samples || !counters || (per_node && !node_ns)) {
        st = SB_ENOMEM;
        goto out;
    }

    /* the timed repetitions */
    for (int r = 0; r < o->reps; r++) {
        uint64_t *nn = per_node ? node_ns + (size_t)r * nnodes : NULL;
        for (size_t i = ncol; i-- > 0;)
            col[i].ops->start(col[i].state);
        for (long it = 0; it < inner; it++)
            run_iteration(g, pool, nn);
        for (size_t i = 0; i < ncol; i++)
            col[i].ops->stop(col[i].state);
        for (size_t i = 0; i < ncol; i++) {
            sb_counter vals[MAX_COUNTERS_PER_REP];
            size_t nv = col[i].ops->read(col[i].state, vals, SB_ARRAY_LEN(vals));
            for (size_t j = 0; j < nv && j < SB_ARRAY_LEN(vals); j++) {
                if (i == 0 && j == 0) {
                    samples[r] = (uint64_t)vals[j].value; /* time.ns is the sample */
                    continue;
                }
                if (ncounters < (size_t)o->reps * MAX_COUNTERS_PER_REP)
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
        .accuracy = acc};
    if ((st = sb_store_put_case(store, run_id, &rec)) != SB_OK)
        snprintf(err, errlen, "%s", sb_store_errmsg(store));
out:
    for (size_t i = 0; i < ncol; i++)
        col[i].ops->close(col[i].state);
    free(samples);
    free(node_ns);
    free(nodes);
    free(counters);
    sb_graph_destroy(g);
    return st;
}
