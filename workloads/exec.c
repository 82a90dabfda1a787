/*
 * exec.c - what each layer computes: one exec function per layer id (calls
 * kernels only) and one prepare function (creates the weights the layer needs
 * for its block, outside any timed region). A fused layer uses the same
 * weights as the pair it replaces, so fused and unfused graphs compute the
 * same function of the same inputs. Forward semantics follow
 * shared/opensora-shapes.md 1.3 (block) and 2 (embedders, final layer).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "graph_internal.h"

/* adaLN chunk offsets inside a [B, 6C] row (1.3 step 0) */
enum { SHIFT_MSA, SCALE_MSA, GATE_MSA, SHIFT_MLP, SCALE_MLP, GATE_MLP };

#define SHAPE(g) (&(g)->shape)
#define BW(g, n) (&(g)->blocks[(n)->wblk])
#define C_(g) ((size_t)(g)->shape.C)
#define BN_(g) ((size_t)(g)->shape.B * (size_t)(g)->shape.N)
#define BL_(g) ((size_t)(g)->shape.B * (size_t)(g)->shape.model->text_len)

/* ==== kernel call helpers ==== */

static sb_linear_args lin_args(const lin *l, const float *x, size_t ldx, float *y, size_t ldy,
                               size_t m)
{
    return (sb_linear_args){.x = x, .ldx = ldx, .w = l->packed, .bias = l->bias, .y = y,
                            .ldy = ldy, .m = m, .n = l->n, .k = l->k};
}

static void run_linear(sb_graph *g, const lin *l, const float *x, size_t ldx, float *y, size_t ldy,
                       size_t m, sb_pool *pool)
{
    sb_linear_args a = lin_args(l, x, ldx, y, ldy, m);
    g->kern[SB_OP_LINEAR]->fn.linear(&a, pool);
}

/*
 * A projection and its gated residual in one GEMM (fused variants): the
 * epilogue writes B_P = B_X + gate (.) (in W^T + b), then B_P and B_X trade
 * places (pointers, no copy), so B_X holds the residual stream as after the
 * unfused pair. gate: the adaLN chunk, rows of 6C per sample; NULL = none.
 */
static void run_linear_residual(sb_graph *g, const lin *l, const float *in, size_t ldin,
                                const float *gate, sb_pool *pool)
{
    size_t C = C_(g);
    float *t;
    sb_linear_args a = lin_args(l, in, ldin, g->buf[B_P], C, BN_(g));
    a.epi = SB_EPI_GATED_RES;
    a.res = g->buf[B_X];
    a.ldres = C;
    a.gate = gate;
    a.ldg = 6 * C;
    a.group_rows = (size_t)g->shape.N;
    g->kern[SB_OP_LINEAR]->fn.linear(&a, pool);
    t = g->buf[B_X];
    g->buf[B_X] = g->buf[B_P];
    g->buf[B_P] = t;
}

static void run_unary(sb_graph *g, sb_op op, const float *x, float *y, size_t rows, size_t c,
                      sb_pool *pool)
{
    sb_unary_args a = {.x = x, .ldx = c, .y = y, .ldy = c, .rows = rows, .c = c};
    g->kern[op]->fn.unary(&a, pool);
}

static void run_add_rows(sb_graph *g, const float *a, size_t lda, const float *t, size_t period,
                         float *y, size_t ldy, size_t rows, size_t c, sb_pool *pool)
{
    sb_add_rows_args r = {.a = a, .lda = lda, .t = t, .ldt = c, .period = period, .y = y,
                          .ldy = ldy, .rows = rows, .c = c};
    g->kern[SB_OP_ADD_ROWS]->fn.add_rows(&r, pool);
}

static void run_ln_mod(sb_graph *g, const float *shift, const float *scale, size_t ldm, sb_pool *pool)
{
    const sb_shape *s = &g->shape;
    size_t C = (size_t)s->C;
    sb_ln_mod_args a = {.x = g->buf[B_X], .ldx = C, .y = g->buf[B_H], .ldy = C, .shift = shift,
                        .scale = scale, .ldm = ldm, .rows = (size_t)s->B * s->N, .c = C,
                        .group_rows = (size_t)s->N, .eps = 1e-6f};
    g->kern[SB_OP_LN_MODULATE]->fn.ln_modulate(&a, pool);
}

static void run_gres(sb_graph *g, const float *gate, sb_pool *pool)
{
    const sb_shape *s = &g->shape;
    size_t C = (size_t)s->C;
    sb_gres_args a = {.x = g->buf[B_X], .ldx = C, .h = g->buf[B_P], .ldh = C, .gate = gate,
                      .ldg = 6 * C, .rows = (size_t)s->B * s->N, .c = C, .group_rows = (size_t)s->N};
    g->kern[SB_OP_GATED_RESIDUAL]->fn.gated_residual(&a, pool);
}

static void run_tfreq(sb_graph *g, const float *t, sb_pool *pool)
{
    const sb_shape *s = &g->shape;
    sb_tfreq_args a = {.t = t, .y = g->buf[B_TFREQ], .ldy = (size_t)s->model->freq_dim,
                       .rows = (size_t)s->B, .dim = (size_t)s->model->freq_dim,
                       .max_period = 10000.0f};
    g->kern[SB_OP_TIMESTEP_FREQ]->fn.timestep_freq(&a, pool);
}

/* Self-attention sequences of a block (see sb_seq_layout). */
static sb_seq_layout self_layout(const sb_shape *s, sb_scope scope, size_t *n_tok)
{
    size_t TS = (size_t)s->T * s->S;
    if (scope == SB_SCOPE_SPATIAL) {
        *n_tok = (size_t)s->S;
        return (sb_seq_layout){.n_outer = (size_t)s->B, .outer_stride = TS, .n_inner = (size_t)s->T,
                               .inner_stride = (size_t)s->S, .tok_stride = 1};
    }
    *n_tok = (size_t)s->T;
    return (sb_seq_layout){.n_outer = (size_t)s->B, .outer_stride = TS, .n_inner = (size_t)s->S,
                           .inner_stride = 1, .tok_stride = (size_t)s->S};
}

/* ==== top-level layers ==== */

static void ex_patch(sb_graph *g, const gnode *n, sb_pool *pool)
{
    const sb_shape *s = SHAPE(g);
    const sb_model *m = s->model;
    size_t kp = (size_t)(m->in_ch * m->patch_h * m->patch_w);
    sb_patchify_args a = {.z = g->buf[B_Z], .y = g->buf[B_PATCH], .ldy = kp, .B = (size_t)s->B,
                          .cin = (size_t)m->in_ch, .T = (size_t)s->T, .hl = (size_t)s->Hl,
                          .wl = (size_t)s->Wl, .ph = (size_t)m->patch_h, .pw = (size_t)m->patch_w};
    (void)n;
    g->kern[SB_OP_PATCHIFY]->fn.patchify(&a, pool);
    run_linear(g, &g->top.patch, g->buf[B_PATCH], kp, g->buf[B_X], C_(g), BN_(g), pool);
    run_add_rows(g, g->buf[B_X], C_(g), g->buf[B_POS], (size_t)s->S, g->buf[B_X], C_(g), BN_(g),
                 C_(g), pool);
}

static void ex_timestep(sb_graph *g, const gnode *n, sb_pool *pool)
{
    size_t B = (size_t)g->shape.B, C = C_(g), fd = (size_t)g->shape.model->freq_dim;
    (void)n;
    run_tfreq(g, g->buf[B_TSTEP], pool);
    run_linear(g, &g->top.t1, g->buf[B_TFREQ], fd, g->buf[B_TH], C, B, pool);
    run_unary(g, SB_OP_SILU, g->buf[B_TH], g->buf[B_TH], B, C, pool);
    run_linear(g, &g->top.t2, g->buf[B_TH], C, g->buf[B_TEMB], C, B, pool);
    run_tfreq(g, g->buf[B_FPS], pool);
    run_linear(g, &g->top.f1, g->buf[B_TFREQ], fd, g->buf[B_TH], C, B, pool);
    run_unary(g, SB_OP_SILU, g->buf[B_TH], g->buf[B_TH], B, C, pool);
    run_linear(g, &g->top.f2, g->buf[B_TH], C, g->buf[B_TE2], C, B, pool);
    run_add_rows(g, g->buf[B_TEMB], C, g->buf[B_TE2], B, g->buf[B_TEMB], C, B, C, pool);
}

static void ex_t_block(sb_graph *g, const gnode *n, sb_pool *pool)
{
    size_t B = (size_t)g->shape.B, C = C_(g);
    (void)n;
    run_unary(g, SB_OP_SILU, g->buf[B_TEMB], g->buf[B_TH], B, C, pool);
    run_linear(g, &g->top.tblock, g->buf[B_TH], C, g->buf[B_TMLP], 6 * C, B, pool);
}

static void ex_caption(sb_graph *g, const gnode *n, sb_pool *pool)
{
    size_t C = C_(g), cc = (size_t)g->shape.model->caption_ch;
    (void)n;
    run_linear(g, &g->top.cap1, g->buf[B_YT], cc, g->buf[B_YH], C, BL_(g), pool);
    run_unary(g, SB_OP_GELU_TANH, g->buf[B_YH], g->buf[B_YH], BL_(g), C, pool);
    run_linear(g, &g->top.cap2, g->buf[B_YH], C, g->buf[B_Y], C, BL_(g), pool);
}

static void ex_final(sb_graph *g, const gnode *n, sb_pool *pool)
{
    size_t B = (size_t)g->shape.B, C = C_(g), out = g->top.final.n;
    float *fm = g->buf[B_FMOD];
    (void)n;
    /* shift, scale = table + t (no linear; shift first) */
    run_add_rows(g, g->buf[B_TEMB], C, g->top.final_table, 1, fm, 2 * C, B, C, pool);
    run_add_rows(g, g->buf[B_TEMB], C, g->top.final_table + C, 1, fm + C, 2 * C, B, C, pool);
    run_ln_mod(g, fm, fm + C, 2 * C, pool);
    run_linear(g, &g->top.final, g->buf[B_H], C, g->buf[B_OUT], out, BN_(g), pool);
}

/* ==== block layers ==== */

static void ex_adaln(sb_graph *g, const gnode *n, sb_pool *pool)
{
    size_t C6 = 6 * C_(g);
    run_add_rows(g, g->buf[B_TMLP], C6, BW(g, n)->table, 1, g->buf[B_ADA], C6,
                 (size_t)g->shape.B, C6, pool);
}

static void ex_norm1(sb_graph *g, const gnode *n, sb_pool *pool)
{
    float *ada = g->buf[B_ADA];
    (void)n;
    run_ln_mod(g, ada + SHIFT_MSA * C_(g), ada + SCALE_MSA * C_(g), 6 * C_(g), pool);
}

static void ex_norm2(sb_graph *g, const gnode *n, sb_pool *pool)
{
    float *ada = g->buf[B_ADA];
    (void)n;
    run_ln_mod(g, ada + SHIFT_MLP * C_(g), ada + SCALE_MLP * C_(g), 6 * C_(g), pool);
}

static void ex_qkv(sb_graph *g, const gnode *n, sb_pool *pool)
{
    run_linear(g, &BW(g, n)->qkv, g->buf[B_H], C_(g), g->buf[B_QKV], 3 * C_(g), BN_(g), pool);
}

static void ex_qk_norm(sb_graph *g, const gnode *n, sb_pool *pool)
{
    size_t C = C_(g);
    sb_qk_norm_args a = {.q = g->buf[B_QKV], .k = g->buf[B_QKV] + C, .ldq = 3 * C, .ldk = 3 * C,
                         .wq = BW(g, n)->wq_norm, .wk = BW(g, n)->wk_norm, .rows = BN_(g),
                         .heads = (size_t)g->shape.heads, .head_dim = (size_t)g->shape.D,
                         .eps = 1e-6f};
    g->kern[SB_OP_QK_RMSNORM]->fn.qk_rmsnorm(&a, pool);
}

/* RoPE of q and k along the temporal sequences (temporal blocks only). */
static sb_rope_args rope_args(sb_graph *g)
{
    size_t C = C_(g), nt;
    sb_seq_layout l = self_layout(SHAPE(g), SB_SCOPE_TEMPORAL, &nt);
    return (sb_rope_args){.q = g->buf[B_QKV], .k = g->buf[B_QKV] + C, .ldq = 3 * C,
                          .ldk = 3 * C, .layout = l, .n = nt, .heads = (size_t)g->shape.heads,
                          .head_dim = (size_t)g->shape.D, .cos_t = g->rope_cos,
                          .sin_t = g->rope_sin};
}

static void ex_rope(sb_graph *g, const gnode *n, sb_pool *pool)
{
    sb_rope_args a = rope_args(g);
    (void)n;
    g->kern[SB_OP_ROPE]->fn.rope(&a, pool);
}

static void ex_qk_norm_rope(sb_graph *g, const gnode *n, sb_pool *pool)
{
    sb_qk_norm_rope_args a = {.rope = rope_args(g), .wq = BW(g, n)->wq_norm,
                              .wk = BW(g, n)->wk_norm, .eps = 1e-6f};
    g->kern[SB_OP_QK_NORM_ROPE]->fn.qk_norm_rope(&a, pool);
}

static void ex_attn(sb_graph *g, const gnode *n, sb_pool *pool)
{
    size_t C = C_(g), nt;
    sb_seq_layout l = self_layout(SHAPE(g), n->pub.layer.scope, &nt);
    const float *qkv = g->buf[B_QKV];
    sb_attn_args a = {.q = qkv, .k = qkv + C, .v = qkv + 2 * C, .ldq = 3 * C, .ldk = 3 * C,
                      .ldv = 3 * C, .o = g->buf[B_AO], .ldo = C, .ql = l, .kvl = l, .nq = nt,
                      .nkv = nt, .heads = (size_t)g->shape.heads, .head_dim = (size_t)g->shape.D,
                      .scale = 1.0f / sqrtf((float)g->shape.D), .scratch = g->scratch};
    g->kern[SB_OP_ATTENTION]->fn.attention(&a, pool);
}

static void ex_proj(sb_graph *g, const gnode *n, sb_pool *pool)
{
    run_linear(g, &BW(g, n)->proj, g->buf[B_AO], C_(g), g->buf[B_P], C_(g), BN_(g), pool);
}

static void ex_attn_res(sb_graph *g, const gnode *n, sb_pool *pool)
{
    (void)n;
    run_gres(g, g->buf[B_ADA] + GATE_MSA * C_(g), pool);
}

static void ex_proj_res(sb_graph *g, const gnode *n, sb_pool *pool)
{
    run_linear_residual(g, &BW(g, n)->proj, g->buf[B_AO], C_(g), g->buf[B_ADA] + GATE_MSA * C_(g),
                        pool);
}

static void ex_cross_q(sb_graph *g, const gnode *n, sb_pool *pool)
{
    run_linear(g, &BW(g, n)->cq, g->buf[B_X], C_(g), g->buf[B_CQ], C_(g), BN_(g), pool);
}

static void ex_cross_kv(sb_graph *g, const gnode *n, sb_pool *pool)
{
    run_linear(g, &BW(g, n)->ckv, g->buf[B_Y], C_(g), g->buf[B_KV], 2 * C_(g), BL_(g), pool);
}

static void ex_cross_attn(sb_graph *g, const gnode *n, sb_pool *pool)
{
    const sb_shape *s = SHAPE(g);
    size_t C = C_(g), L = (size_t)s->L, N = (size_t)s->N;
    sb_attn_args a = {
        .q = g->buf[B_CQ], .k = g->buf[B_KV], .v = g->buf[B_KV] + C, .ldq = C, .ldk = 2 * C,
        .ldv = 2 * C, .o = g->buf[B_AO], .ldo = C,
        .ql = {.n_outer = (size_t)s->B, .outer_stride = N, .n_inner = 1, .tok_stride = 1},
        .kvl = {.n_outer = (size_t)s->B, .outer_stride = (size_t)s->model->text_len, .n_inner = 1,
                .tok_stride = 1},
        .nq = N, .nkv = L, .heads = (size_t)s->heads, .head_dim = (size_t)s->D,
        .scale = 1.0f / sqrtf((float)s->D), .scratch = g->scratch};
    (void)n;
    g->kern[SB_OP_ATTENTION]->fn.attention(&a, pool);
}

static void ex_cross_proj(sb_graph *g, const gnode *n, sb_pool *pool)
{
    run_linear(g, &BW(g, n)->cproj, g->buf[B_AO], C_(g), g->buf[B_P], C_(g), BN_(g), pool);
}

static void ex_cross_res(sb_graph *g, const gnode *n, sb_pool *pool)
{
    (void)n;
    run_gres(g, NULL, pool); /* no gate on the cross-attention residual */
}

static void ex_cross_proj_res(sb_graph *g, const gnode *n, sb_pool *pool)
{
    run_linear_residual(g, &BW(g, n)->cproj, g->buf[B_AO], C_(g), NULL, pool);
}

static void ex_fc1(sb_graph *g, const gnode *n, sb_pool *pool)
{
    run_linear(g, &BW(g, n)->fc1, g->buf[B_H], C_(g), g->buf[B_F], BW(g, n)->fc1.n, BN_(g), pool);
}

static void ex_gelu(sb_graph *g, const gnode *n, sb_pool *pool)
{
    size_t hm = (size_t)g->shape.model->mlp_hidden;
    run_unary(g, SB_OP_GELU_TANH, g->buf[B_F], sb_node_out(g, n), BN_(g), hm, pool);
}

static void ex_fc1_gelu(sb_graph *g, const gnode *n, sb_pool *pool)
{
    const lin *l = &BW(g, n)->fc1;
    sb_linear_args a = lin_args(l, g->buf[B_H], C_(g), g->buf[B_F], l->n, BN_(g));
    a.epi = SB_EPI_GELU;
    g->kern[SB_OP_LINEAR]->fn.linear(&a, pool);
}

static void ex_fc2(sb_graph *g, const gnode *n, sb_pool *pool)
{
    size_t hm = (size_t)g->shape.model->mlp_hidden;
    run_linear(g, &BW(g, n)->fc2, g->buf[B_F], hm, g->buf[B_P], C_(g), BN_(g), pool);
}

static void ex_mlp_res(sb_graph *g, const gnode *n, sb_pool *pool)
{
    (void)n;
    run_gres(g, g->buf[B_ADA] + GATE_MLP * C_(g), pool);
}

static void ex_fc2_res(sb_graph *g, const gnode *n, sb_pool *pool)
{
    size_t hm = (size_t)g->shape.model->mlp_hidden;
    run_linear_residual(g, &BW(g, n)->fc2, g->buf[B_F], hm, g->buf[B_ADA] + GATE_MLP * C_(g), pool);
}

const exec_fn sb_exec_table[] = {
    [SB_L_PATCH_EMBED] = ex_patch, [SB_L_TIMESTEP] = ex_timestep, [SB_L_T_BLOCK] = ex_t_block,
    [SB_L_CAPTION] = ex_caption, [SB_L_ADALN] = ex_adaln, [SB_L_NORM1] = ex_norm1,
    [SB_L_QKV] = ex_qkv, [SB_L_QK_NORM] = ex_qk_norm, [SB_L_ROPE] = ex_rope,
    [SB_L_QK_NORM_ROPE] = ex_qk_norm_rope, [SB_L_ATTN] = ex_attn, [SB_L_PROJ] = ex_proj,
    [SB_L_ATTN_RES] = ex_attn_res, [SB_L_PROJ_RES] = ex_proj_res, [SB_L_CROSS_Q] = ex_cross_q,
    [SB_L_CROSS_KV] = ex_cross_kv, [SB_L_CROSS_ATTN] = ex_cross_attn,
    [SB_L_CROSS_PROJ] = ex_cross_proj, [SB_L_CROSS_RES] = ex_cross_res,
    [SB_L_CROSS_PROJ_RES] = ex_cross_proj_res, [SB_L_NORM2] = ex_norm2, [SB_L_FC1] = ex_fc1,
    [SB_L_GELU] = ex_gelu, [SB_L_FC1_GELU] = ex_fc1_gelu, [SB_L_FC2] = ex_fc2,
    [SB_L_MLP_RES] = ex_mlp_res, [SB_L_FC2_RES] = ex_fc2_res,
    [SB_L_FINAL] = ex_final,
};
_Static_assert(SB_ARRAY_LEN(sb_exec_table) == SB_LAYER_COUNT, "an exec function per layer");

/* ==== weights each layer needs ==== */

sb_status sb_prepare_node(sb_graph *g, const gnode *n)
{
    const sb_shape *s = SHAPE(g);
    const sb_model *m = s->model;
    size_t C = (size_t)s->C, D = (size_t)s->D, Hm = (size_t)m->mlp_hidden;
    int wb = n->wblk;
    block_w *w = wb >= 0 ? &g->blocks[wb] : NULL;
    top_w *t = &g->top;

    switch (n->pub.layer.id) {
    case SB_L_PATCH_EMBED:
        return sb_lin_make(g, &t->patch, C, (size_t)(m->in_ch * m->patch_h * m->patch_w), -1, 1);
    case SB_L_TIMESTEP: {
        sb_status st;
        if ((st = sb_lin_make(g, &t->t1, C, (size_t)m->freq_dim, -1, 2)) != SB_OK ||
            (st = sb_lin_make(g, &t->t2, C, C, -1, 3)) != SB_OK ||
            (st = sb_lin_make(g, &t->f1, C, (size_t)m->freq_dim, -1, 4)) != SB_OK)
            return st;
        return sb_lin_make(g, &t->f2, C, C, -1, 5);
    }
    case SB_L_T_BLOCK:
        return sb_lin_make(g, &t->tblock, 6 * C, C, -1, 6);
    case SB_L_CAPTION: {
        sb_status st = sb_lin_make(g, &t->cap1, C, (size_t)m->caption_ch, -1, 7);
        return st != SB_OK ? st : sb_lin_make(g, &t->cap2, C, C, -1, 8);
    }
    case SB_L_FINAL: {
        size_t out = (size_t)(m->patch_h * m->patch_w * m->out_ch);
        if (!sb_vec_make(g, &t->final_table, 2 * C, -1, 10, 0.0f, 0.1f))
            return SB_ENOMEM;
        return sb_lin_make(g, &t->final, out, C, -1, 9);
    }
    case SB_L_ADALN:
        return sb_vec_make(g, &w->table, 6 * C, wb, 20, 0.0f, 0.1f) ? SB_OK : SB_ENOMEM;
    case SB_L_QKV: return sb_lin_make(g, &w->qkv, 3 * C, C, wb, 1);
    case SB_L_QK_NORM:
    case SB_L_QK_NORM_ROPE:
        if (!sb_vec_make(g, &w->wq_norm, D, wb, 21, 1.0f, 0.2f) ||
            !sb_vec_make(g, &w->wk_norm, D, wb, 22, 1.0f, 0.2f))
            return SB_ENOMEM;
        return SB_OK;
    case SB_L_PROJ:
    case SB_L_PROJ_RES: return sb_lin_make(g, &w->proj, C, C, wb, 2);
    case SB_L_CROSS_Q: return sb_lin_make(g, &w->cq, C, C, wb, 3);
    case SB_L_CROSS_KV: return sb_lin_make(g, &w->ckv, 2 * C, C, wb, 4);
    case SB_L_CROSS_PROJ:
    case SB_L_CROSS_PROJ_RES: return sb_lin_make(g, &w->cproj, C, C, wb, 5);
    case SB_L_FC1:
    case SB_L_FC1_GELU: return sb_lin_make(g, &w->fc1, Hm, C, wb, 6);
    case SB_L_FC2:
    case SB_L_FC2_RES: return sb_lin_make(g, &w->fc2, C, Hm, wb, 7);
    default:
        return SB_OK; /* parameter-free layers */
    }
}
