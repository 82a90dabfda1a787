/*
 * avx512_elementwise.c - AVX-512 elementwise kernels: GELU (tanh form),
 * LayerNorm + modulate, and the fused linear epilogues (GELU, gate +
 * residual); the q/k heads are in avx512_heads.c. GELU, LayerNorm + modulate
 * and the gated residual on bfloat16 rows too (BF16 storage, the row code of
 * bf16_rows_avx512.h). Rows split over the pool as in the reference; within a
 * row, 16 lanes per step and a masked tail. Memory-bound by design: each
 * reads its input once and writes its output once (LayerNorm reads its row
 * three times, from L1).
 */
#include <immintrin.h>
#include <math.h>
#include "gemm/gemm.h"
#include "ref/ref.h"
#include "x86/bf16_rows_avx512.h"
#include "x86/vecmath.h"
#include "x86/x86.h"

/* gelu_tanh(x) = 0.5 x (1 + tanh(u)) = x / (1 + exp(-2u)), u = sqrt(2/pi) (x + 0.044715 x^3) */
static inline __m512 gelu16(__m512 x)
{
    __m512 x2 = _mm512_mul_ps(x, x);
    /* -2u = x (k + k 0.044715 x^2), k = -2 sqrt(2/pi), in two operations */
    __m512 e = vexp16(_mm512_mul_ps(x, _mm512_fmadd_ps(x2, _mm512_set1_ps(-2.0f * 0.7978845608028654f * 0.044715f),
                                                 _mm512_set1_ps(-2.0f * 0.7978845608028654f))));
    return _mm512_div_ps(x, _mm512_add_ps(e, _mm512_set1_ps(1.0f)));
}

/* Lanes [i, i + 16) of a row of n values: all, or the tail. */
static inline __mmask16 lanes(size_t i, size_t n)
{
    return sb_lanes16(n - i);
}

static inline void gelu_row(const float *x, float *y, size_t c)
{
    size_t i = 0;
    for (; i + 16 <= c; i += 16) /* two vectors per step timed the same (FP32, 240p 4s) */
        _mm512_storeu_ps(y + i, gelu16(_mm512_loadu_ps(x + i)));
    if (i < c)
        _mm512_mask_storeu_ps(y + i, lanes(i, c), gelu16(_mm512_maskz_loadu_ps(lanes(i, c), x + i)));
}

static void gelu_rows(const void *args, size_t r0, size_t r1)
{
    const sb_unary_args *a = args;
    for (size_t r = r0; r < r1; r++)
        gelu_row(a->x + r * a->ldx, a->y + r * a->ldy, a->c);
}

void sb_gelu_tanh_avx512(const sb_unary_args *a, sb_pool *pool)
{
    sb_ref_split_rows(pool, a->rows, 4, gelu_rows, a);
}

/* ---- fused linear epilogues (epilogue.h): a row segment of a tile of C, in L1 ---- */

static void epi_bias(float *y, const float *bias, size_t n)
{
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 m = lanes(i, n);
        __m512 v = _mm512_add_ps(_mm512_maskz_loadu_ps(m, y + i), _mm512_maskz_loadu_ps(m, bias + i));
        _mm512_mask_storeu_ps(y + i, m, v);
    }
}

static void epi_gelu(float *y, const float *bias, size_t n)
{
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 m = lanes(i, n);
        __m512 v = _mm512_maskz_loadu_ps(m, y + i);
        if (bias)
            v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, bias + i));
        _mm512_mask_storeu_ps(y + i, m, gelu16(v));
    }
}

static void epi_gres(float *y, const float *bias, const float *gate, const float *res, size_t n)
{
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 m = lanes(i, n);
        __m512 v = _mm512_maskz_loadu_ps(m, y + i);
        if (bias)
            v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, bias + i));
        __m512 r = _mm512_maskz_loadu_ps(m, res + i);
        v = gate ? _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, gate + i), v, r) : _mm512_add_ps(v, r);
        _mm512_mask_storeu_ps(y + i, m, v);
    }
}

static void epi_dequant(float *y, float sx, const float *sw, const float *comp, const float *bias,
                        size_t n)
{
    __m512 s = _mm512_set1_ps(sx);
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 m = lanes(i, n);
        __m512 v = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, y + i), _mm512_maskz_loadu_ps(m, comp + i));
        __m512 b = bias ? _mm512_maskz_loadu_ps(m, bias + i) : _mm512_setzero_ps();
        v = _mm512_fmadd_ps(_mm512_mul_ps(s, _mm512_maskz_loadu_ps(m, sw + i)), v, b);
        _mm512_mask_storeu_ps(y + i, m, v);
    }
}

/* sb_quantize_s8, 16 lanes: the max over sign-cleared bit patterns, then RNE conversion. */
static float quantize_s8(const float *x, size_t n, int8_t *q)
{
    const __m512i abs_mask = _mm512_set1_epi32(0x7fffffff), inf = _mm512_set1_epi32(0x7f800000);
    __m512i mb = _mm512_setzero_si512();
    for (size_t i = 0; i < n; i += 16) {
        __m512i u = _mm512_and_si512(_mm512_maskz_loadu_epi32(lanes(i, n), x + i), abs_mask);
        mb = _mm512_mask_max_epi32(mb, _mm512_cmple_epi32_mask(u, inf), mb, u); /* NaN left out */
    }
    float inv, s = sb_quant_scale(_mm512_reduce_max_epi32(mb), &inv);
    const __m512 vinv = _mm512_set1_ps(inv);
    const __m512i lo = _mm512_set1_epi32(-127), hi = _mm512_set1_epi32(127);
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 m = lanes(i, n);
        __m512 p = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), vinv);
        /* NaN converts to INT_MIN, which the max makes -127, as the definition says */
        __m512i v = _mm512_cvt_roundps_epi32(p, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        v = _mm512_min_epi32(_mm512_max_epi32(v, lo), hi);
        _mm512_mask_cvtepi32_storeu_epi8(q + i, m, v);
    }
    return s;
}

/* sb_f32_to_bf16 on 16 lanes (sb_bf16_bits512). */
static void to_bf16(const float *x, size_t n, uint16_t *y)
{
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 m = lanes(i, n);
        __m512i r = sb_bf16_bits512(_mm512_maskz_loadu_epi32(m, x + i));
        _mm512_mask_cvtepi32_storeu_epi16(y + i, m, _mm512_srli_epi32(r, 16));
    }
}

/* The softmax of a row of scores (epilogue.h): scaled max, exp and sum, then 1 / sum. */
static void softmax_row(float *x, size_t n, float scale)
{
    const __m512 sc = _mm512_set1_ps(scale);
    __m512 m = _mm512_set1_ps(-INFINITY), s = _mm512_setzero_ps();
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 k = lanes(i, n);
        m = _mm512_mask_max_ps(m, k, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(k, x + i), sc));
    }
    const __m512 mx = _mm512_set1_ps(_mm512_reduce_max_ps(m));
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 k = lanes(i, n);
        __m512 e = vexp16(_mm512_fmsub_ps(_mm512_maskz_loadu_ps(k, x + i), sc, mx));
        s = _mm512_mask_add_ps(s, k, s, e);
        _mm512_mask_storeu_ps(x + i, k, e);
    }
    const __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(s));
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 k = lanes(i, n);
        _mm512_mask_storeu_ps(x + i, k, _mm512_mul_ps(_mm512_maskz_loadu_ps(k, x + i), inv));
    }
}

const sb_epi_ops sb_epi_avx512 = {.bias = epi_bias, .gelu = epi_gelu, .gres = epi_gres,
                                  .dequant = epi_dequant, .quantize = quantize_s8,
                                  .to_bf16 = to_bf16, .softmax = softmax_row};

/* The sum of x[0, c) - m (m = 0: of x), squared or not; 4 sums, as an add's latency is several
   times its throughput. */
static inline float ln_sum(const float *x, size_t c, __m512 m, bool square)
{
    size_t c64 = c - c % 64, i = 0;
    __m512 s[4];
    for (int k = 0; k < 4; k++)
        s[k] = _mm512_setzero_ps();
    for (; i < c64; i += 64)
        for (int k = 0; k < 4; k++) {
            __m512 d = _mm512_sub_ps(_mm512_loadu_ps(x + i + 16 * k), m);
            s[k] = square ? _mm512_fmadd_ps(d, d, s[k]) : _mm512_add_ps(s[k], d);
        }
    for (int k = 0; i < c; i += 16, k++) { /* lanes past c read 0, and are left out */
        __mmask16 l = lanes(i, c);
        __m512 d = _mm512_maskz_sub_ps(l, _mm512_maskz_loadu_ps(l, x + i), m);
        s[k] = square ? _mm512_fmadd_ps(d, d, s[k]) : _mm512_add_ps(s[k], d);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s[0], s[1]), _mm512_add_ps(s[2], s[3])));
}

/* (x - mean) * rstd, modulated (sb_ln_modulate16), on values [i, i + 16), lanes k. */
static inline __attribute__((always_inline)) __m512
ln16(const float *x, __m512 mean, __m512 rstd, const float *shift, const float *scale,
     const float *s1, size_t i, __mmask16 k)
{
    __m512 t = _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, x + i), mean), rstd);
    return sb_ln_modulate16(t, shift, scale, s1, i, k);
}

/* One row's output pass: whole vectors, past the caches when stream and the row is 64-byte
   aligned, then the tail's exact words. */
static inline __attribute__((always_inline)) void
ln_out(const float *x, float *y, size_t c, __m512 mean, __m512 rstd, const float *shift,
       const float *scale, const float *s1, bool stream)
{
    size_t i = 0;
    if (stream && ((uintptr_t)y & 63) == 0)
        for (; i + 16 <= c; i += 16)
            _mm512_stream_ps(y + i, ln16(x, mean, rstd, shift, scale, s1, i, 0xffff));
    for (; i + 16 <= c; i += 16)
        _mm512_storeu_ps(y + i, ln16(x, mean, rstd, shift, scale, s1, i, 0xffff));
    if (i < c)
        sb_store_words(y + i, c - i,
                       _mm512_castps_si512(ln16(x, mean, rstd, shift, scale, s1, i, lanes(i, c))));
}

/* Three passes over each row: the sum, the squared deviations, the normalised and modulated
   output, with 1 + scale computed once per group of rows (the BF16-storage form:
   bf16_rows_avx512.h). Out of place and larger than L3, the output goes past the caches
   (sb_ln_call): 64-79% -> 103-105% of the triad on 1 thread (docs/performance.md). */
static void ln_rows(const void *args, size_t r0, size_t r1)
{
    const sb_ln_call *lc = args;
    const sb_ln_mod_args *a = lc->a;
    size_t c = a->c;
    float s1[SB_LN_TABLE];
    const float *s1_of = NULL;
    for (size_t r = r0; r < r1; r++) {
        const float *x, *shift, *scale;
        float *y;
        sb_ln_mod_row(a, r, &x, &y, &shift, &scale);
        float mean = ln_sum(x, c, _mm512_setzero_ps(), false) / (float)c;
        float var = ln_sum(x, c, _mm512_set1_ps(mean), true) / (float)c;
        __m512 vm = _mm512_set1_ps(mean), vr = _mm512_set1_ps(1.0f / sqrtf(var + a->eps));
        const float *tab = sb_ln_scale_table(s1, &s1_of, shift, scale, c);
        if (tab)
            ln_out(x, y, c, vm, vr, shift, scale, tab, lc->stream);
        else
            ln_out(x, y, c, vm, vr, shift, scale, NULL, lc->stream);
    }
    if (lc->stream)
        _mm_sfence();
}

void sb_ln_modulate_avx512(const sb_ln_mod_args *a, sb_pool *pool)
{
    sb_ln_call lc = sb_ln_call_make(a, sizeof(float));
    sb_ref_split_rows(pool, a->rows, 16, ln_rows, &lc);
}

/* GELU, LayerNorm + modulate and the gated residual on bfloat16 rows, rounded in integer
   operations (avx512bf16_elementwise.c has the vcvtne2ps2bf16 forms) */
SB_DEFINE_BF16_ROW_KERNELS(avx512)
