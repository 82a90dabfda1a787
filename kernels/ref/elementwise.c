/*
 * elementwise.c - reference elementwise kernels: GELU (tanh approximation),
 * SiLU, gated residual, broadcast row add, the sinusoidal timestep embedding
 * and the patchify gather of the patch embedder (RoPE is in heads.c).
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
