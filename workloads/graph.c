/*
 * graph.c - building and running layer/block/step graphs (see graph.h).
 *
 * The activations of one DiT forward live in a fixed set of buffers (enum
 * buf_id); each layer reads and writes some of them (usage table), so a graph
 * allocates only what its nodes touch. Each layer has one exec function that
 * calls kernels from the registry; weights are created the first time a node
 * needs them, one set per block (spatial i = 2i, temporal i = 2i + 1).
 */
#include "graph_internal.h"
#include "mem.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define U(b) (1u << (b))
_Static_assert(B_COUNT <= 32, "masks of buffers are unsigned");

/*
 * What a layer graph (the layer alone, repeated on the same buffers) does with a layer that
 * works in place, so that every call sees data like real activations (test_graph checks it):
 */
typedef enum alone_rule {
    ALONE_AS_IS,           /* nothing: its data stay in range (RoPE rotates, a residual grows
                              linearly), or it does not work in place */
    ALONE_OUT,             /* it would shrink its data call by call (GELU's negatives halve, pass
                              through subnormals, end at 0), but its kernel can write elsewhere:
                              alone it writes B_ALONE, so every call reads the same input */
    ALONE_RESTORE,         /* its kernels work in place and compound: its output buffer is copied
                              to B_ALONE when built and put back by sb_graph_restore */
} alone_rule;

/* Buffers each layer touches, the one holding its result, and its rule when alone. */
static const struct {
    unsigned uses;
    buf_id out;
    alone_rule alone;
} usage[] = {
    [SB_L_PATCH_EMBED] = {U(B_Z) | U(B_PATCH) | U(B_POS) | U(B_X), B_X, ALONE_AS_IS},
    [SB_L_TIMESTEP] = {U(B_TSTEP) | U(B_FPS) | U(B_TFREQ) | U(B_TH) | U(B_TE2) | U(B_TEMB), B_TEMB,
                       ALONE_AS_IS},
    [SB_L_T_BLOCK] = {U(B_TEMB) | U(B_TH) | U(B_TMLP), B_TMLP, ALONE_AS_IS},
    [SB_L_CAPTION] = {U(B_YT) | U(B_YH) | U(B_Y), B_Y, ALONE_AS_IS},
    [SB_L_ADALN] = {U(B_TMLP) | U(B_ADA), B_ADA, ALONE_AS_IS},
    [SB_L_NORM1] = {U(B_X) | U(B_ADA) | U(B_H), B_H, ALONE_AS_IS},
    [SB_L_QKV] = {U(B_H) | U(B_QKV), B_QKV, ALONE_AS_IS},
    [SB_L_QK_NORM] = {U(B_QKV), B_QKV, ALONE_RESTORE},
    [SB_L_ROPE] = {U(B_QKV), B_QKV, ALONE_AS_IS},
    [SB_L_QK_NORM_ROPE] = {U(B_QKV), B_QKV, ALONE_RESTORE},
    [SB_L_ATTN] = {U(B_QKV) | U(B_AO), B_AO, ALONE_AS_IS},
    [SB_L_PROJ] = {U(B_AO) | U(B_P), B_P, ALONE_AS_IS},
    [SB_L_ATTN_RES] = {U(B_X) | U(B_P) | U(B_ADA), B_X, ALONE_AS_IS},
    [SB_L_PROJ_RES] = {U(B_AO) | U(B_X) | U(B_P) | U(B_ADA), B_X, ALONE_AS_IS},
    [SB_L_CROSS_Q] = {U(B_X) | U(B_CQ), B_CQ, ALONE_AS_IS},
    [SB_L_CROSS_KV] = {U(B_Y) | U(B_KV), B_KV, ALONE_AS_IS},
    [SB_L_CROSS_ATTN] = {U(B_CQ) | U(B_KV) | U(B_AO), B_AO, ALONE_AS_IS},
    [SB_L_CROSS_PROJ] = {U(B_AO) | U(B_P), B_P, ALONE_AS_IS},
    [SB_L_CROSS_RES] = {U(B_X) | U(B_P), B_X, ALONE_AS_IS},
    [SB_L_CROSS_PROJ_RES] = {U(B_AO) | U(B_X) | U(B_P), B_X, ALONE_AS_IS},
    [SB_L_NORM2] = {U(B_X) | U(B_ADA) | U(B_H), B_H, ALONE_AS_IS},
    [SB_L_FC1] = {U(B_H) | U(B_F), B_F, ALONE_AS_IS},
    [SB_L_GELU] = {U(B_F), B_F, ALONE_OUT},
    [SB_L_FC1_GELU] = {U(B_H) | U(B_F), B_F, ALONE_AS_IS},
    [SB_L_FC2] = {U(B_F) | U(B_P), B_P, ALONE_AS_IS},
    [SB_L_MLP_RES] = {U(B_X) | U(B_P) | U(B_ADA), B_X, ALONE_AS_IS},
    [SB_L_FC2_RES] = {U(B_F) | U(B_X) | U(B_P) | U(B_ADA), B_X, ALONE_AS_IS},
    [SB_L_FINAL] = {U(B_X) | U(B_TEMB) | U(B_FMOD) | U(B_H) | U(B_OUT), B_OUT, ALONE_AS_IS},
};
_Static_assert(SB_ARRAY_LEN(usage) == SB_LAYER_COUNT, "usage for every layer");

/* Elements of each buffer at a shape. */
static size_t buf_elems(const sb_shape *s, buf_id b)
{
    const sb_model *m = s->model;
    size_t B = (size_t)s->B, BN = B * (size_t)s->N, C = (size_t)s->C, BL = B * (size_t)m->text_len;
    switch (b) {
    case B_Z: return B * (size_t)m->in_ch * s->T * s->Hl * s->Wl;
    case B_PATCH: return BN * (size_t)(m->in_ch * m->patch_h * m->patch_w);
    case B_POS: return (size_t)s->S * C;
    case B_X: case B_H: case B_AO: case B_P: case B_CQ: return BN * C;
    case B_QKV: return BN * 3 * C;
    case B_KV: return BL * 2 * C;
    case B_F: return BN * (size_t)m->mlp_hidden;
    case B_ADA: case B_TMLP: return B * 6 * C;
    case B_TEMB: case B_TH: case B_TE2: return B * C;
    case B_TSTEP: case B_FPS: return B;
    case B_TFREQ: return B * (size_t)m->freq_dim;
    case B_YT: return BL * (size_t)m->caption_ch;
    case B_YH: case B_Y: return BL * C;
    case B_FMOD: return B * 2 * C;
    case B_OUT: return BN * (size_t)(m->patch_h * m->patch_w * m->out_ch);
    case B_ALONE: case B_COUNT: break; /* B_ALONE: graph_buf_elems */
    }
    return 0;
}

static const char *const wl_names[] = {[SB_WL_LAYER] = "layer", [SB_WL_BLOCK] = "block",
                                       [SB_WL_STEP] = "step"};
_Static_assert(SB_ARRAY_LEN(wl_names) == SB_WL_COUNT, "one name per workload kind");

const char *sb_workload_name(sb_workload_kind k) { return k < SB_WL_COUNT ? wl_names[k] : "?"; }

sb_status sb_workload_find(const char *name, sb_workload_kind *out)
{
    for (int i = 0; name && i < SB_WL_COUNT; i++)
        if (strcmp(wl_names[i], name) == 0) {
            *out = (sb_workload_kind)i;
            return SB_OK;
        }
    return SB_ENOTFOUND;
}

/* ==== deterministic data ==== */

static inline uint64_t splitmix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

void sb_fill_uniform(float *p, size_t n, uint64_t seed, uint64_t stream, float scale)
{
    uint64_t base = splitmix64(seed ^ splitmix64(stream));
    for (size_t i = 0; i < n; i++) {
        /* 24 random bits -> exact float in [-1, 1) */
        int32_t r = (int32_t)(splitmix64(base + i) >> 40) - (1 << 23);
        p[i] = (float)r * (1.0f / (float)(1 << 23)) * scale;
    }
}

/* Buffers on huge pages from 2 MiB on (mem.h); mem_bytes counts the rounded size. */
static float *alloc_floats(sb_graph *g, size_t n)
{
    size_t bytes = 0;
    float *p = sb_mem_alloc(n * sizeof(float), &bytes);
    if (p)
        g->bytes += (double)bytes;
    return p;
}

/* Stream ids: distinct per (block, tensor). */
static uint64_t stream_id(int wblk, int tensor) { return ((uint64_t)(wblk + 2) << 20) | (uint64_t)tensor; }

sb_status sb_lin_make(sb_graph *g, lin *l, size_t n, size_t k, int wblk, int tensor)
{
    sb_status st;
    float *raw = NULL;
    if (g->dry) { /* counted as below: the bias, and the weights as n x k FP32 */
        if (!l->n)
            g->bytes += (double)sb_mem_size(n * sizeof(float)) + (double)(n * k * sizeof(float));
        l->n = n;
        return SB_OK;
    }
    if (l->packed)
        return SB_OK;
    l->n = n;
    l->k = k;
    if ((raw = malloc(n * k * sizeof(float))) == NULL || (l->bias = alloc_floats(g, n)) == NULL) {
        free(raw);
        return SB_ENOMEM;
    }
    /* like PyTorch's default init: U(-1/sqrt(k), 1/sqrt(k)) */
    sb_fill_uniform(raw, n * k, g->cfg.seed, stream_id(wblk, 2 * tensor), 1.0f / sqrtf((float)k));
    sb_fill_uniform(l->bias, n, g->cfg.seed, stream_id(wblk, 2 * tensor + 1), 0.02f);
    st = g->kern[SB_OP_LINEAR]->pack(raw, n, k, &l->packed);
    free(raw);
    g->bytes += (double)(n * k * sizeof(float));
    return st;
}

static void lin_free(sb_graph *g, lin *l)
{
    if (l->packed)
        g->kern[SB_OP_LINEAR]->packed_free(l->packed);
    free(l->bias);
}

float *sb_vec_make(sb_graph *g, float **slot, size_t n, int wblk, int tensor, float center,
                       float scale)
{
    static float counted; /* the dry pass's mark on a slot it counted; cleared after it */
    if (*slot)
        return *slot;
    if (g->dry) {
        g->bytes += (double)sb_mem_size(n * sizeof(float));
        return *slot = &counted;
    }
    if ((*slot = alloc_floats(g, n)) == NULL)
        return NULL;
    sb_fill_uniform(*slot, n, g->cfg.seed, stream_id(wblk, 2 * tensor), scale);
    for (size_t i = 0; i < n; i++)
        (*slot)[i] += center;
    return *slot;
}

/* 2-D sin-cos position embedding (opensora-shapes.md section 2). */
static void pos_embed(const sb_shape *s, float *pos)
{
    int C = s->C, q = C / 4;
    double scale = sqrt((double)s->res->height * s->res->width) / 512.0;
    double base = round(sqrt((double)s->S));
    for (int i = 0; i < s->Hp; i++)
        for (int j = 0; j < s->Wp; j++) {
            float *e = pos + ((size_t)i * s->Wp + j) * C;
            double cw = j / scale * base / s->Wp, ch = i / scale * base / s->Hp;
            for (int k = 0; k < q; k++) {
                double f = pow(10000.0, -(double)k / q);
                e[k] = (float)sin(cw * f);
                e[q + k] = (float)cos(cw * f);
                e[2 * q + k] = (float)sin(ch * f);
                e[3 * q + k] = (float)cos(ch * f);
            }
        }
}

/* ==== construction ==== */

static sb_status add_node(sb_graph *g, sb_layer_id id, sb_scope scope, int block)
{
    gnode *n = &g->nodes[g->nnodes++];
    sb_layer_make(&g->shape, id, scope, &n->pub.layer);
    n->pub.block = scope == SB_SCOPE_TOP ? -1 : block;
    n->pub.kernel = g->kern[n->pub.layer.op];
    n->wblk = scope == SB_SCOPE_TOP ? -1 : 2 * block + (scope == SB_SCOPE_TEMPORAL);
    return SB_OK;
}

/* The block's layers that exist in its scope and that the variant runs (fused or not). */
static void add_block(sb_graph *g, sb_scope scope, int block)
{
    for (int id = SB_L_ADALN; id <= SB_L_FC2_RES; id++) {
        sb_layer l;
        if (!sb_layer_in_scope((sb_layer_id)id, scope))
            continue;
        sb_layer_make(&g->shape, (sb_layer_id)id, scope, &l);
        if (sb_layer_in_variant(&l, g->cfg.variant->fused))
            add_node(g, (sb_layer_id)id, scope, block);
    }
}

static sb_status plan_nodes(sb_graph *g)
{
    const sb_graph_config *c = g->cfg.kind == SB_WL_LAYER ? &g->cfg : NULL;
    int depth = g->cfg.kind == SB_WL_STEP ? g->shape.model->depth : 1;
    size_t cap = (size_t)depth * 2 * SB_LAYER_COUNT + SB_LAYER_COUNT;

    if ((g->nodes = calloc(cap, sizeof(*g->nodes))) == NULL)
        return SB_ENOMEM;
    g->nblocks = 2 * depth;
    if ((g->blocks = calloc((size_t)g->nblocks, sizeof(*g->blocks))) == NULL)
        return SB_ENOMEM;
    switch (g->cfg.kind) {
    case SB_WL_LAYER:
        add_node(g, c->layer->id, c->layer->scope, 0);
        break;
    case SB_WL_BLOCK:
        add_block(g, SB_SCOPE_SPATIAL, 0);
        add_block(g, SB_SCOPE_TEMPORAL, 0);
        break;
    case SB_WL_STEP:
        for (int id = SB_L_PATCH_EMBED; id <= SB_L_CAPTION; id++)
            add_node(g, (sb_layer_id)id, SB_SCOPE_TOP, -1);
        for (int b = 0; b < depth; b++) {
            add_block(g, SB_SCOPE_SPATIAL, b);
            add_block(g, SB_SCOPE_TEMPORAL, b);
        }
        add_node(g, SB_L_FINAL, SB_SCOPE_TOP, -1);
        break;
    case SB_WL_COUNT:
        return SB_EINVAL;
    }
    return SB_OK;
}

/* A layer graph's rule for its layer (alone_rule): whether it writes B_ALONE, or restores. */
static void plan_alone(sb_graph *g)
{
    alone_rule r = g->cfg.kind == SB_WL_LAYER ? usage[g->nodes[0].pub.layer.id].alone : ALONE_AS_IS;
    g->alone_out = r == ALONE_OUT;
    g->restore_every = r == ALONE_RESTORE ? SB_GRAPH_RESTORE_EVERY : 0;
}

/* The buffers the graph's nodes touch, as a mask of U(buf_id). */
static unsigned buffers_needed(const sb_graph *g)
{
    unsigned need = 0;
    for (size_t i = 0; i < g->nnodes; i++)
        need |= usage[g->nodes[i].pub.layer.id].uses;
    if (g->alone_out || g->restore_every)
        need |= U(B_ALONE);
    return need;
}

/* The buffer a layer graph's B_ALONE stands for: the one its layer writes in blocks. */
static buf_id alone_of(const sb_graph *g) { return usage[g->nodes[0].pub.layer.id].out; }

/* Elements of buffer b in g: B_ALONE is as large as the buffer it stands for. */
static size_t graph_buf_elems(const sb_graph *g, buf_id b)
{
    return buf_elems(&g->shape, b == B_ALONE ? alone_of(g) : b);
}

/* Elements of the attention scratch, and of each RoPE table ([T][D/2]). */
static size_t scratch_elems(const sb_graph *g)
{
    const sb_shape *s = &g->shape;
    size_t maxkv = (size_t)s->S;
    if ((size_t)s->T > maxkv)
        maxkv = (size_t)s->T;
    if ((size_t)s->L > maxkv)
        maxkv = (size_t)s->L;
    return sb_attn_scratch(maxkv, (size_t)s->D, g->cfg.max_threads);
}

static size_t rope_elems(const sb_graph *g) { return (size_t)g->shape.T * (size_t)(g->shape.D / 2); }

/*
 * Bytes the graph will allocate, counted before anything is: its buffers and tables as
 * sb_mem_alloc rounds them, and its weights by a dry pass of sb_prepare_node (the code that
 * makes them), as sb_graph_bytes counts them. *act gets the buffers' and tables' part.
 * Kernels' packed copies are counted as n x k FP32, as in sb_graph_bytes.
 */
static double plan_bytes(sb_graph *g, double *act)
{
    unsigned need = buffers_needed(g);
    g->bytes = 0.0;
    for (int b = 0; b < B_COUNT; b++)
        if (need & U(b))
            g->bytes += (double)sb_mem_size(graph_buf_elems(g, (buf_id)b) * sizeof(float));
    g->bytes += (double)sb_mem_size(scratch_elems(g) * sizeof(float)) +
                2.0 * (double)sb_mem_size(rope_elems(g) * sizeof(float));
    *act = g->bytes;
    g->dry = true;
    for (size_t i = 0; i < g->nnodes; i++)
        (void)sb_prepare_node(g, &g->nodes[i]); /* counts only: cannot fail */
    g->dry = false;
    memset(g->blocks, 0, (size_t)g->nblocks * sizeof(*g->blocks)); /* the dry pass's marks */
    memset(&g->top, 0, sizeof(g->top));
    double total = g->bytes;
    g->bytes = 0.0;
    return total;
}

/*
 * Refuse a graph whose plan is more than 90% of the memory the kernel says is available
 * (MemAvailable: it counts what this process already holds, such as the other graphs of an
 * interleaved group, or the graph whose accuracy a reference graph is built to measure), or of
 * physical memory where that is unknown, rather than leave it to the OOM killer.
 */
static sb_status check_fits(sb_graph *g, char *err, size_t errlen)
{
    double act = 0.0, need = g->planned = plan_bytes(g, &act);
    double avail = sb_mem_available(NULL);
    double phys = (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE);
    double room = avail > 0.0 ? avail : phys;
    if (room <= 0.0 || need <= 0.9 * room)
        return SB_OK;
    snprintf(err, errlen, "%s %s at %s %s needs about %.1f GiB (%.1f of activations, %.1f of"
             " weights); %.1f GiB %s", sb_workload_name(g->cfg.kind), g->shape.model->name,
             g->shape.res->name, g->shape.dur->name, need / (1u << 30), act / (1u << 30),
             (need - act) / (1u << 30), room / (1u << 30),
             avail > 0.0 ? "is available (MemAvailable)" : "is the host's memory");
    return SB_ENOMEM;
}

static sb_status alloc_buffers(sb_graph *g, char *err, size_t errlen)
{
    unsigned need = buffers_needed(g);
    for (int b = 0; b < B_COUNT; b++) {
        if (!(need & U(b)))
            continue;
        g->buf_n[b] = graph_buf_elems(g, (buf_id)b);
        if ((g->buf[b] = alloc_floats(g, g->buf_n[b])) == NULL) {
            snprintf(err, errlen, "cannot allocate %.1f MiB for activations",
                     (double)g->buf_n[b] * 4 / (1 << 20));
            return SB_ENOMEM;
        }
        /* seeded inputs; also pre-faults every page outside the timed region */
        sb_fill_uniform(g->buf[b], g->buf_n[b], g->cfg.seed, (uint64_t)b, 1.0f);
    }
    if (g->restore_every) /* the copy sb_graph_restore puts back */
        memcpy(g->buf[B_ALONE], g->buf[alone_of(g)], g->buf_n[B_ALONE] * sizeof(float));
    if (g->buf[B_POS])
        pos_embed(&g->shape, g->buf[B_POS]);
    for (size_t i = 0; g->buf[B_TSTEP] && i < g->buf_n[B_TSTEP]; i++) {
        g->buf[B_TSTEP][i] = 1000.0f; /* the first sampling step */
        g->buf[B_FPS][i] = (float)g->shape.dur->fps;
    }
    return SB_OK;
}

static sb_status alloc_tables(sb_graph *g)
{
    const sb_shape *s = &g->shape;
    size_t half = (size_t)s->D / 2;
    g->scratch = alloc_floats(g, scratch_elems(g));
    g->rope_cos = alloc_floats(g, rope_elems(g));
    g->rope_sin = alloc_floats(g, rope_elems(g));
    if (!g->scratch || !g->rope_cos || !g->rope_sin)
        return SB_ENOMEM;
    for (int t = 0; t < s->T; t++)
        for (size_t j = 0; j < half; j++) {
            double f = pow(10000.0, -2.0 * (double)j / s->D), a = t * f;
            g->rope_cos[t * half + j] = (float)cos(a);
            g->rope_sin[t * half + j] = (float)sin(a);
        }
    return SB_OK;
}

sb_status sb_graph_create(sb_graph **out, const sb_graph_config *cfg, char *err, size_t errlen)
{
    sb_status st;
    sb_graph *g = calloc(1, sizeof(*g));

    *out = NULL;
    if (!g)
        return SB_ENOMEM;
    g->cfg = *cfg;
    g->shape = *cfg->shape;
    if (g->cfg.max_threads < 1)
        g->cfg.max_threads = 1;
    for (int op = 0; op < SB_OP_COUNT; op++) {
        /* the registry falls back to unfused / FP32 kernels; node names say which ran */
        g->kern[op] = sb_kernel_find((sb_op)op, cfg->variant->dtype, cfg->variant->fused, cfg->isa);
        if (!g->kern[op]) {
            snprintf(err, errlen, "no kernel for op %s in variant %s", sb_op_name((sb_op)op),
                     cfg->variant->name);
            st = SB_ENOTFOUND;
            goto out;
        }
    }
    if (cfg->force && cfg->force->io != SB_DT_F32) { /* the graph's activations are FP32 */
        snprintf(err, errlen, "kernel %s reads and writes %s activations; the graph stores FP32",
                 cfg->force->name, sb_dtype_name(cfg->force->io));
        st = SB_EINVAL;
        goto out;
    }
    if (cfg->force)
        g->kern[cfg->force->op] = cfg->force;
    if (cfg->kind == SB_WL_LAYER && !cfg->layer) {
        snprintf(err, errlen, "a layer workload needs a layer");
        st = SB_EINVAL;
        goto out;
    }
    if ((st = plan_nodes(g)) == SB_OK)
        plan_alone(g);
    if (st != SB_OK || (st = check_fits(g, err, errlen)) != SB_OK ||
        (st = alloc_buffers(g, err, errlen)) != SB_OK ||
        (st = alloc_tables(g)) != SB_OK)
        goto out;
    for (size_t i = 0; i < g->nnodes; i++)
        if ((st = sb_prepare_node(g, &g->nodes[i])) != SB_OK) {
            snprintf(err, errlen, "cannot build the weights of %s: %s", g->nodes[i].pub.layer.name,
                     sb_strerror(st));
            goto out;
        }
    *out = g;
    g = NULL;
out:
    if (st != SB_OK && err[0] == '\0')
        snprintf(err, errlen, "cannot build the %s graph: %s", sb_workload_name(cfg->kind),
                 sb_strerror(st));
    sb_graph_destroy(g);
    return st;
}

void sb_graph_destroy(sb_graph *g)
{
    if (!g)
        return;
    for (int b = 0; b < B_COUNT; b++)
        free(g->buf[b]);
    free(g->rope_cos);
    free(g->rope_sin);
    free(g->scratch);
    for (int i = 0; g->blocks && i < g->nblocks; i++) {
        block_w *w = &g->blocks[i];
        lin *l[] = {&w->qkv, &w->proj, &w->cq, &w->ckv, &w->cproj, &w->fc1, &w->fc2};
        for (size_t j = 0; j < SB_ARRAY_LEN(l); j++)
            lin_free(g, l[j]);
        free(w->table);
        free(w->wq_norm);
        free(w->wk_norm);
    }
    lin *t[] = {&g->top.patch, &g->top.t1, &g->top.t2, &g->top.f1, &g->top.f2, &g->top.tblock,
                &g->top.cap1, &g->top.cap2, &g->top.final};
    for (size_t j = 0; j < SB_ARRAY_LEN(t); j++)
        lin_free(g, t[j]);
    free(g->top.final_table);
    free(g->blocks);
    free(g->nodes);
    free(g);
}

size_t sb_graph_nodes(const sb_graph *g) { return g->nnodes; }
const sb_node *sb_graph_node(const sb_graph *g, size_t i) { return &g->nodes[i].pub; }
double sb_graph_bytes(const sb_graph *g) { return g->bytes; }

void sb_graph_run_node(sb_graph *g, size_t i, sb_pool *pool)
{
    const gnode *n = &g->nodes[i];
    sb_exec_table[n->pub.layer.id](g, n, pool);
}

/* The id of the buffer node n writes. */
static buf_id node_out_id(const sb_graph *g, const gnode *n)
{
    return g->alone_out ? B_ALONE : usage[n->pub.layer.id].out;
}

float *sb_node_out(const sb_graph *g, const gnode *n) { return g->buf[node_out_id(g, n)]; }

long sb_graph_restore_every(const sb_graph *g) { return g->restore_every; }

void sb_graph_restore(sb_graph *g)
{
    if (g->restore_every)
        memcpy(g->buf[alone_of(g)], g->buf[B_ALONE], g->buf_n[B_ALONE] * sizeof(float));
}

const float *sb_graph_output(const sb_graph *g, size_t *count)
{
    buf_id b = node_out_id(g, &g->nodes[g->nnodes - 1]);
    *count = g->buf_n[b];
    return g->buf[b];
}
