/*
 * norm.c - reference normalisations: LayerNorm + t2i modulate, and the q/k
 * RMSNorm of STDiT3 attention (and its row/head loop for the vector kernels).
 * Statistics accumulate in double; LayerNorm uses two passes (mean, then
 * squared deviations) for accuracy.
 */
#include <math.h>
#include "ref.h"

static void ln_rows(const void *args, size_t r0, size_t r1)
{
    const sb_ln_mod_args *a = args;
    for (size_t r = r0; r < r1; r++) {
        const float *x, *shift, *scale;
        float *y;
        sb_ln_mod_row(a, r, &x, &y, &shift, &scale);
        double mean = 0.0, var = 0.0;
        for (size_t i = 0; i < a->c; i++)
            mean += x[i];
        mean /= (double)a->c;
        for (size_t i = 0; i < a->c; i++)
            var += (x[i] - mean) * (x[i] - mean);
        var /= (double)a->c;
        float m = (float)mean, rstd = (float)(1.0 / sqrt(var + a->eps));
        for (size_t i = 0; i < a->c; i++) {
            float v = (x[i] - m) * rstd;
            if (scale)
                v = v * (1.0f + scale[i]);
            if (shift)
                v = v + shift[i];
            y[i] = v;
        }
    }
}

void sb_ln_modulate_ref(const sb_ln_mod_args *a, sb_pool *pool)
{
    sb_ref_split_rows(pool, a->rows, 16, ln_rows, a);
}

void sb_rms_head_ref(float *x, const float *w, size_t d, float eps)
{
    double ss = 0.0;
    for (size_t i = 0; i < d; i++)
        ss += (double)x[i] * x[i];
    float r = (float)(1.0 / sqrt(ss / (double)d + eps));
    for (size_t i = 0; i < d; i++)
        x[i] = w[i] * (x[i] * r);
}

static void qk_rows(const void *args, size_t r0, size_t r1)
{
    const sb_qk_norm_args *a = args;
    for (size_t r = r0; r < r1; r++)
        for (size_t h = 0; h < a->heads; h++) {
            sb_rms_head_ref(a->q + r * a->ldq + h * a->head_dim, a->wq, a->head_dim, a->eps);
            sb_rms_head_ref(a->k + r * a->ldk + h * a->head_dim, a->wk, a->head_dim, a->eps);
        }
}

void sb_qk_rmsnorm_ref(const sb_qk_norm_args *a, sb_pool *pool)
{
    sb_ref_split_rows(pool, a->rows, 16, qk_rows, a);
}

typedef struct qk_with {
    const sb_qk_norm_args *a;
    sb_rms_head_fn head;
} qk_with;

static void qk_rows_with(const void *args, size_t r0, size_t r1)
{
    const qk_with *c = args;
    const sb_qk_norm_args *a = c->a;
    size_t d = a->head_dim;
    for (size_t r = r0; r < r1; r++) {
        float *q = a->q + r * a->ldq, *k = a->k + r * a->ldk;
        size_t ahead = r + SB_HEAD_PREFETCH_ROWS < r1 ? SB_HEAD_PREFETCH_ROWS : 0;
        for (size_t h = 0; h < a->heads * d; h += d) {
            if (ahead) {
                sb_prefetch_w(q + ahead * a->ldq + h, d);
                sb_prefetch_w(k + ahead * a->ldk + h, d);
            }
            c->head(q + h, a->wq, d, a->eps);
            c->head(k + h, a->wk, d, a->eps);
        }
    }
}

void sb_qk_rmsnorm_with(const sb_qk_norm_args *a, sb_pool *pool, sb_rms_head_fn head)
{
    qk_with c = {a, head};
    sb_ref_split_rows(pool, a->rows, 16, qk_rows_with, &c);
}
