/*
 * bf16_rows_avx512.h - the AVX-512 row code of the BF16-storage elementwise kernels (GELU-tanh,
 * LayerNorm + modulate, the gated residual on bfloat16 rows, and the q/k RMSNorm and RoPE, apart
 * and fused, on bfloat16 heads; kernel.h's sb_bf16), included by
 * avx512_elementwise.c (-mavx512f: bfloat16 rounding in integer operations) and by
 * avx512bf16_elementwise.c (+ -mavx512bf16: vcvtne2ps2bf16). The stores of vecmath.h are the
 * only difference. SB_DEFINE_BF16_ROW_KERNELS(isa) defines the six public functions.
 *
 * On Zen 4 these kernels were bound by their arithmetic, not by memory: their first forms (the
 * FP32 row code with bfloat16 loads and stores) ran as fast on one row in L1 as on rows from
 * memory (bench_elementwise --in-cache). So this row code saves operations: 32 values per step,
 * sums over pairs of bfloat16 widened with one operation per 16 values (sb_bf16_even16 /
 * _odd16), and GELU's exp sized to a bfloat16 result (docs/performance.md has the figures).
 */
#ifndef SB_BF16_ROWS_AVX512_H
#define SB_BF16_ROWS_AVX512_H

#include <immintrin.h>
#include <math.h>
#include "kernel.h"
#include "ref/ref.h"
#include "x86/vecmath.h"

/* Values [i, min(i + 16, n)) stored from v. */
static inline void bf16_store_part(sb_bf16 *p, size_t i, size_t n, __m512 v)
{
    if (n - i >= 16)
        sb_bf16_store16(p + i, v);
    else
        sb_bf16_store16_part(p + i, n - i, v);
}

/*
 * gelu_tanh(x) = x / (1 + 2^t), t = -2 log2(e) sqrt(2/pi) (x + 0.044715 x^3), with 2^t to
 * 7.5e-5 (sb_exp2_16_bf16). t is computed from x clamped to [-16, 16], so x^3 cannot overflow;
 * beyond, 2^t is 0 or inf and the result x or -0, as the reference's. A NaN x gives NaN.
 */
static inline __m512 bf16_gelu16(__m512 x)
{
    const float k = -2.0f * 1.4426950408889634f * 0.7978845608028654f;
    __m512 xc = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-16.0f)), _mm512_set1_ps(16.0f));
    __m512 t = _mm512_mul_ps(xc, _mm512_fmadd_ps(_mm512_mul_ps(xc, xc), _mm512_set1_ps(k * 0.044715f),
                                                 _mm512_set1_ps(k)));
    return _mm512_div_ps(x, _mm512_add_ps(sb_exp2_16_bf16(t), _mm512_set1_ps(1.0f)));
}

static void bf16_gelu_rows(const void *args, size_t r0, size_t r1)
{
    const sb_unary_args *a = args;
    size_t c = a->c, c32 = c - c % 32;
    for (size_t r = r0; r < r1; r++) {
        const sb_bf16 *x = a->xh + r * a->ldx;
        sb_bf16 *y = a->yh + r * a->ldy;
        size_t i = 0;
        for (; i < c32; i += 32)
            sb_bf16_store32(y + i, bf16_gelu16(sb_bf16_load16(x + i)),
                            bf16_gelu16(sb_bf16_load16(x + i + 16)));
        for (; i < c; i += 16)
            bf16_store_part(y, i, c, bf16_gelu16(sb_bf16_load16_part(x, i, c)));
    }
}

/* The sum of x[0, c) - m (m = 0: of x), in any order. */
static inline float bf16_row_sum(const sb_bf16 *x, size_t c, float m, int square)
{
    size_t c32 = c - c % 32, i = 0;
    const __m512 vm = _mm512_set1_ps(m);
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    for (; i < c32; i += 32) {
        __m512i u = _mm512_loadu_si512(x + i);
        __m512 d0 = _mm512_sub_ps(sb_bf16_even16(u), vm), d1 = _mm512_sub_ps(sb_bf16_odd16(u), vm);
        s0 = square ? _mm512_fmadd_ps(d0, d0, s0) : _mm512_add_ps(s0, d0);
        s1 = square ? _mm512_fmadd_ps(d1, d1, s1) : _mm512_add_ps(s1, d1);
    }
    for (; i < c; i += 16) { /* lanes past c read 0, and are left out of the sum */
        __m512 d = _mm512_maskz_sub_ps(sb_lanes16(c - i), sb_bf16_load16_part(x, i, c), vm);
        s0 = square ? _mm512_fmadd_ps(d, d, s0) : _mm512_add_ps(s0, d);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}

/* (x - mean) * rstd * (1 + scale) + shift on values [i, i + 16). */
static inline __m512 bf16_ln16(__m512 x, __m512 mean, __m512 rstd, const float *shift,
                               const float *scale, size_t i, __mmask16 m)
{
    __m512 t = _mm512_mul_ps(_mm512_sub_ps(x, mean), rstd);
    if (scale)
        t = _mm512_fmadd_ps(t, _mm512_maskz_loadu_ps(m, scale + i), t);
    if (shift)
        t = _mm512_add_ps(t, _mm512_maskz_loadu_ps(m, shift + i));
    return t;
}

/* The two-pass statistics of the FP32 kernel (the sum, then the squared deviations), then one
   pass in element order for the output. Prefetching the row 2 ahead during that pass (one line
   of x and of y per step) did not help: 9.6-15.0 GB/s with, 12.1-17.8 without (bench_elementwise
   --only ln_modulate.bf16.avx512bf16 1, 6 alternated runs each); 1, 4 or 8 rows ahead neither. */
static void bf16_ln_rows(const void *args, size_t r0, size_t r1)
{
    const sb_ln_mod_args *a = args;
    size_t c = a->c, c32 = c - c % 32;
    for (size_t r = r0; r < r1; r++) {
        const sb_bf16 *x;
        sb_bf16 *y;
        const float *shift, *scale;
        sb_ln_mod_row_bf16(a, r, &x, &y, &shift, &scale);
        float mean = bf16_row_sum(x, c, 0.0f, 0) / (float)c;
        float var = bf16_row_sum(x, c, mean, 1) / (float)c;
        const __m512 vm = _mm512_set1_ps(mean), vr = _mm512_set1_ps(1.0f / sqrtf(var + a->eps));
        size_t i = 0;
        for (; i < c32; i += 32)
            sb_bf16_store32(y + i, bf16_ln16(sb_bf16_load16(x + i), vm, vr, shift, scale, i, 0xffff),
                            bf16_ln16(sb_bf16_load16(x + i + 16), vm, vr, shift, scale, i + 16,
                                      0xffff));
        for (; i < c; i += 16)
            bf16_store_part(y, i, c, bf16_ln16(sb_bf16_load16_part(x, i, c), vm, vr, shift, scale, i,
                                               sb_lanes16(c - i)));
    }
}

/* x += gate * h (plain add without a gate). */
static inline __m512 bf16_gres16(const sb_bf16 *x, const sb_bf16 *h, const float *g, size_t i,
                                 size_t c)
{
    __m512 xv = sb_bf16_load16_part(x, i, c), hv = sb_bf16_load16_part(h, i, c);
    return g ? _mm512_fmadd_ps(_mm512_maskz_loadu_ps(sb_lanes16(c - i), g + i), hv, xv)
             : _mm512_add_ps(xv, hv);
}

static void bf16_gres_rows(const void *args, size_t r0, size_t r1)
{
    const sb_gres_args *a = args;
    size_t c = a->c, c32 = c - c % 32;
    for (size_t r = r0; r < r1; r++) {
        sb_bf16 *x;
        const sb_bf16 *h;
        const float *g = sb_gres_row_bf16(a, r, &x, &h);
        size_t i = 0;
        for (; i < c32; i += 32)
            sb_bf16_store32(x + i, bf16_gres16(x, h, g, i, c), bf16_gres16(x, h, g, i + 16, c));
        for (; i < c; i += 16)
            bf16_store_part(x, i, c, bf16_gres16(x, h, g, i, c));
    }
}

/* Values [i, i + 16) of a bfloat16 q or k head of d, widened, through sb_head16. */
static inline __m512 bf16_head16(const sb_bf16 *x, size_t i, size_t d, const float *w, __m512 r,
                                 const float *cd, const float *sd)
{
    return sb_head16(sb_bf16_load16_part(x, i, d), sb_lanes16(d - i), i, w, r, cd, sd);
}

/* The q/k head code on bfloat16 heads (ref.h, sb_head_ops): the sum of squares over bfloat16
   pairs ... */
static float bf16_head_sumsq(const void *x, size_t d)
{
    return bf16_row_sum(x, d, 0.0f, 1);
}

/* ... and one pass that normalises, rotates and rounds, 32 values per step (the models' heads
   of 72: 2 steps and a tail of 8). */
static void bf16_head_apply(void *xv, const float *w, float r, const float *cd, const float *sd,
                            size_t d)
{
    sb_bf16 *x = xv;
    size_t d32 = d - d % 32, i = 0;
    __m512 rv = _mm512_set1_ps(r);
    for (; i < d32; i += 32)
        sb_bf16_store32(x + i, bf16_head16(x, i, d, w, rv, cd, sd),
                        bf16_head16(x, i + 16, d, w, rv, cd, sd));
    for (; i < d; i += 16)
        bf16_store_part(x, i, d, bf16_head16(x, i, d, w, rv, cd, sd));
}

static const sb_head_ops bf16_heads = {.bf16 = true, .sumsq = bf16_head_sumsq,
                                       .apply = bf16_head_apply};

/* The public functions of one ISA library (x86.h): rows split over the pool as in the
   reference, at least 4 (GELU) or 16 rows per task; the heads by heads.c's loop. */
#define SB_DEFINE_BF16_ROW_KERNELS(isa)                                                       \
    void sb_gelu_tanh_bf16_##isa(const sb_unary_args *a, sb_pool *pool)                      \
    {                                                                                          \
        sb_ref_split_rows(pool, a->rows, 4, bf16_gelu_rows, a);                               \
    }                                                                                          \
    void sb_ln_modulate_bf16_##isa(const sb_ln_mod_args *a, sb_pool *pool)                   \
    {                                                                                          \
        sb_ref_split_rows(pool, a->rows, 16, bf16_ln_rows, a);                                \
    }                                                                                          \
    void sb_gated_residual_bf16_##isa(const sb_gres_args *a, sb_pool *pool)                  \
    {                                                                                          \
        sb_ref_split_rows(pool, a->rows, 16, bf16_gres_rows, a);                              \
    }                                                                                          \
    SB_DEFINE_HEAD_KERNELS(bf16_##isa, &bf16_heads)

#endif
