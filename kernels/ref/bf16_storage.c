/*
 * bf16_storage.c - the reference BF16-storage elementwise kernels (kernel.h,
 * sb_bf16): GELU (tanh form), LayerNorm + modulate and the gated residual on
 * rows of bfloat16. Each value is widened to FP32, the FP32 reference's
 * arithmetic runs on it (LayerNorm's statistics in double), and each result is
 * rounded to bfloat16 once, to nearest even. What the vector forms are checked
 * against.
 */
#include <math.h>
#include "epilogue.h"
#include "gemm/gemm.h"
#include "ref.h"

static void gelu_rows(const void *args, size_t r0, size_t r1)
{
    const sb_unary_args *a = args;
    for (size_t r = r0; r < r1; r++) {
        const sb_bf16 *x = a->xh + r * a->ldx;
        sb_bf16 *y = a->yh + r * a->ldy;
        for (size_t i = 0; i < a->c; i++)
            y[i] = sb_f32_to_bf16(sb_gelu_tanh1(sb_bf16_to_f32(x[i])));
    }
}

void sb_gelu_tanh_bf16_ref(const sb_unary_args *a, sb_pool *pool)
{
    sb_ref_split_rows(pool, a->rows, 4, gelu_rows, a);
}

static void ln_rows(const void *args, size_t r0, size_t r1)
{
    const sb_ln_mod_args *a = args;
    for (size_t r = r0; r < r1; r++) {
        const sb_bf16 *x;
        sb_bf16 *y;
        const float *shift, *scale;
        sb_ln_mod_row_bf16(a, r, &x, &y, &shift, &scale);
        double mean = 0.0, var = 0.0;
        for (size_t i = 0; i < a->c; i++)
            mean += sb_bf16_to_f32(x[i]);
        mean /= (double)a->c;
        for (size_t i = 0; i < a->c; i++)
            var += (sb_bf16_to_f32(x[i]) - mean) * (sb_bf16_to_f32(x[i]) - mean);
        var /= (double)a->c;
        float m = (float)mean, rstd = (float)(1.0 / sqrt(var + a->eps));
        for (size_t i = 0; i < a->c; i++) {
            float v = (sb_bf16_to_f32(x[i]) - m) * rstd;
            if (scale)
                v = v * (1.0f + scale[i]);
            if (shift)
                v = v + shift[i];
            y[i] = sb_f32_to_bf16(v);
        }
    }
}

void sb_ln_modulate_bf16_ref(const sb_ln_mod_args *a, sb_pool *pool)
{
    sb_ref_split_rows(pool, a->rows, 16, ln_rows, a);
}

static void gres_rows(const void *args, size_t r0, size_t r1)
{
    const sb_gres_args *a = args;
    for (size_t r = r0; r < r1; r++) {
        sb_bf16 *x;
        const sb_bf16 *h;
        const float *g = sb_gres_row_bf16(a, r, &x, &h);
        for (size_t i = 0; i < a->c; i++) {
            float hv = sb_bf16_to_f32(h[i]);
            x[i] = sb_f32_to_bf16(sb_bf16_to_f32(x[i]) + (g ? g[i] * hv : hv));
        }
    }
}

void sb_gated_residual_bf16_ref(const sb_gres_args *a, sb_pool *pool)
{
    sb_ref_split_rows(pool, a->rows, 16, gres_rows, a);
}
