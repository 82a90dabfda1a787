/*
 * elementwise.c - reference elementwise kernels: GELU (tanh approximation),
 * SiLU, gated residual, broadcast row add, RoPE (and the q/k RMSNorm + RoPE
 * pass of the fused variants, with its loop for the vector kernels), the sinusoidal timestep
 * embedding and the patchify gather of the patch embedder.
 */
#include <math.h>
#include "epilogue.h"
#include "ref.h"

/* ---- unary ---- */

static void gelu_rows(const void *args, size_t r0, size_t r1)
{
    const sb_unary_args *a = args;
    for (size_t r = r0; r < r1; r++) {
        const float *x = a->x + r * a->ldx;
        float *y = a->y + r * a->ldy;
        for (size_t i = 0; i < a->c; i++)
            y[i] = sb_gelu_tanh1(x[i]);
    }
}

void sb_gelu_tanh_ref(const sb_unary_args *a, sb_pool *pool)
{
    sb_ref_split_rows(pool, a->rows, 4, gelu_rows, a);
}

static void silu_rows(const void *args, size_t r0, size_t r1)
{
    const sb_unary_args *a = args;
    for (size_t r = r0; r < r1; r++) {
        const float *x = a->x + r * a->ldx;
        float *y = a->y + r * a->ldy;
        for (size_t i = 0; i < a->c; i++)
            y[i] = x[i] / (1.0f + expf(-x[i]));
    }
}

void sb_silu_ref(const sb_unary_args *a, sb_pool *pool)
{
    sb_ref_split_rows(pool, a->rows, 4, silu_rows, a);
}

/* ---- residual and broadcast adds ---- */

static void gres_rows(const void *args, size_t r0, size_t r1)
{
    const sb_gres_args *a = args;
    for (size_t r = r0; r < r1; r++) {
        float *x = a->x + r * a->ldx;
        const float *h = a->h + r * a->ldh;
        const float *g = sb_gres_gate(a, r);
        for (size_t i = 0; i < a->c; i++)
            x[i] += g ? g[i] * h[i] : h[i];
    }
}

void sb_gated_residual_ref(const sb_gres_args *a, sb_pool *pool)
{
    sb_ref_split_rows(pool, a->rows, 16, gres_rows, a);
}

static void add_rows_rows(const void *args, size_t r0, size_t r1)
{
    const sb_add_rows_args *a = args;
    for (size_t r = r0; r < r1; r++) {
        const float *x = a->a + r * a->lda;
        const float *t = a->t + (r % a->period) * a->ldt;
        float *y = a->y + r * a->ldy;
        for (size_t i = 0; i < a->c; i++)
            y[i] = x[i] + t[i];
    }
}

void sb_add_rows_ref(const sb_add_rows_args *a, sb_pool *pool)
{
    sb_ref_split_rows(pool, a->rows, 16, add_rows_rows, a);
}

/* ---- RoPE: adjacent pairs (2j, 2j+1) rotated by angle pos * f_j ---- */

static void rope_vec(float *x, const float *c, const float *s, size_t half)
{
    for (size_t j = 0; j < half; j++) {
        float a = x[2 * j], b = x[2 * j + 1];
        x[2 * j] = a * c[j] - b * s[j];
        x[2 * j + 1] = b * c[j] + a * s[j];
    }
}

static void rope_seqs(const void *args, size_t s0, size_t s1)
{
    const sb_rope_args *a = args;
    size_t half = a->head_dim / 2;
    for (size_t seq = s0; seq < s1; seq++)
        for (size_t t = 0; t < a->n; t++) {
            size_t row = sb_seq_row(&a->layout, seq, t);
            const float *c = a->cos_t + t * half, *s = a->sin_t + t * half;
            for (size_t h = 0; h < a->heads; h++) {
                rope_vec(a->q + row * a->ldq + h * a->head_dim, c, s, half);
                rope_vec(a->k + row * a->ldk + h * a->head_dim, c, s, half);
            }
        }
}

void sb_rope_ref(const sb_rope_args *a, sb_pool *pool)
{
    sb_ref_split_rows(pool, a->layout.n_outer * a->layout.n_inner, 4, rope_seqs, a);
}

/* ---- q/k RMSNorm + RoPE in one pass (fused variants) ---- */

static void norm_rope_seqs(const void *args, size_t s0, size_t s1)
{
    const sb_qk_norm_rope_args *a = args;
    const sb_rope_args *ro = &a->rope;
    size_t half = ro->head_dim / 2, d = ro->head_dim;
    for (size_t seq = s0; seq < s1; seq++)
        for (size_t t = 0; t < ro->n; t++) {
            size_t row = sb_seq_row(&ro->layout, seq, t);
            const float *c = ro->cos_t + t * half, *s = ro->sin_t + t * half;
            for (size_t h = 0; h < ro->heads; h++) {
                float *q = ro->q + row * ro->ldq + h * d, *k = ro->k + row * ro->ldk + h * d;
                sb_rms_head_ref(q, a->wq, d, a->eps);
                rope_vec(q, c, s, half);
                sb_rms_head_ref(k, a->wk, d, a->eps);
                rope_vec(k, c, s, half);
            }
        }
}

void sb_qk_norm_rope_ref(const sb_qk_norm_rope_args *a, sb_pool *pool)
{
    sb_ref_split_rows(pool, a->rope.layout.n_outer * a->rope.layout.n_inner, 4, norm_rope_seqs, a);
}

/* An ISA's head code on every sequence: RMSNorm (when rms is given), then RoPE, per head of q and k. */
typedef struct norm_rope_with {
    const sb_qk_norm_rope_args *a;
    sb_rms_head_fn rms; /* NULL: RoPE alone */
    sb_rope_head_fn rope;
} norm_rope_with;

static void norm_rope_seqs_with(const void *args, size_t s0, size_t s1)
{
    const norm_rope_with *c = args;
    const sb_qk_norm_rope_args *a = c->a;
    const sb_rope_args *ro = &a->rope;
    size_t half = ro->head_dim / 2, d = ro->head_dim;
    float cd[SB_ROPE_MAX_D], sd[SB_ROPE_MAX_D];
    size_t n = ro->n, i1 = s1 * n;
    for (size_t i = s0 * n; i < i1; i++) { /* token i % n of sequence i / n */
        size_t t = i % n, row = sb_seq_row(&ro->layout, i / n, t);
        size_t f = i + SB_HEAD_PREFETCH_ROWS; /* the token whose heads are prefetched */
        float *fq = NULL, *fk = NULL;
        if (f < i1) {
            size_t frow = sb_seq_row(&ro->layout, f / n, f % n);
            fq = ro->q + frow * ro->ldq;
            fk = ro->k + frow * ro->ldk;
        }
        sb_rope_expand(ro->cos_t + t * half, ro->sin_t + t * half, half, cd, sd);
        for (size_t h = 0; h < ro->heads; h++) {
            float *q = ro->q + row * ro->ldq + h * d, *k = ro->k + row * ro->ldk + h * d;
            if (fq) {
                sb_prefetch_w(fq + h * d, d);
                sb_prefetch_w(fk + h * d, d);
            }
            if (c->rms)
                c->rms(q, a->wq, d, a->eps);
            c->rope(q, cd, sd, d);
            if (c->rms)
                c->rms(k, a->wk, d, a->eps);
            c->rope(k, cd, sd, d);
        }
    }
}

void sb_qk_norm_rope_with(const sb_qk_norm_rope_args *a, sb_pool *pool, sb_rms_head_fn rms,
                          sb_rope_head_fn rope)
{
    if (a->rope.head_dim > SB_ROPE_MAX_D) {
        sb_qk_norm_rope_ref(a, pool);
        return;
    }
    norm_rope_with c = {a, rms, rope};
    sb_ref_split_rows(pool, a->rope.layout.n_outer * a->rope.layout.n_inner, 4,
                      norm_rope_seqs_with, &c);
}

void sb_rope_with(const sb_rope_args *a, sb_pool *pool, sb_rope_head_fn head)
{
    if (a->head_dim > SB_ROPE_MAX_D) {
        sb_rope_ref(a, pool); /* no model has such heads; the reference is exact */
        return;
    }
    sb_qk_norm_rope_args na = {.rope = *a}; /* the same loop without the norm */
    norm_rope_with c = {&na, NULL, head};
    sb_ref_split_rows(pool, a->layout.n_outer * a->layout.n_inner, 4, norm_rope_seqs_with, &c);
}

/* ---- embedders ---- */

static void tfreq_rows(const void *args, size_t r0, size_t r1)
{
    const sb_tfreq_args *a = args;
    size_t half = a->dim / 2;
    for (size_t r = r0; r < r1; r++) {
        float *y = a->y + r * a->ldy;
        for (size_t k = 0; k < half; k++) {
            double f = exp(-log((double)a->max_period) * (double)k / (double)half);
            double arg = (double)a->t[r] * f;
            y[k] = (float)cos(arg);
            y[half + k] = (float)sin(arg);
        }
    }
}

void sb_timestep_freq_ref(const sb_tfreq_args *a, sb_pool *pool)
{
    sb_ref_split_rows(pool, a->rows, 1, tfreq_rows, a);
}

/* One task per (sample, frame): gathers hp*wp patch rows, zero-padding the edge. */
static void patch_frames(const void *args, size_t f0, size_t f1)
{
    const sb_patchify_args *a = args;
    size_t hp = (a->hl + a->ph - 1) / a->ph, wp = (a->wl + a->pw - 1) / a->pw;
    for (size_t f = f0; f < f1; f++) {
        size_t b = f / a->T, t = f % a->T;
        for (size_t py = 0; py < hp; py++)
            for (size_t px = 0; px < wp; px++) {
                float *y = a->y + (f * hp * wp + py * wp + px) * a->ldy;
                for (size_t c = 0; c < a->cin; c++)
                    for (size_t i = 0; i < a->ph; i++)
                        for (size_t j = 0; j < a->pw; j++) {
                            size_t yy = py * a->ph + i, xx = px * a->pw + j;
                            float v = 0.0f;
                            if (yy < a->hl && xx < a->wl)
                                v = a->z[(((b * a->cin + c) * a->T + t) * a->hl + yy) * a->wl + xx];
                            y[(c * a->ph + i) * a->pw + j] = v;
                        }
            }
    }
}

void sb_patchify_ref(const sb_patchify_args *a, sb_pool *pool)
{
    sb_ref_split_rows(pool, a->B * a->T, 1, patch_frames, a);
}
