/*
 * avx2_elementwise.c - AVX2 + FMA elementwise kernels: GELU (tanh form),
 * LayerNorm + modulate, q/k RMSNorm and RoPE (apart and fused), and the fused
 * linear epilogues, 8 lanes per step, the row (or head) tail in scalar code;
 * GELU, LayerNorm + modulate and the gated residual on bfloat16 rows too (BF16
 * storage). Same algorithm as avx512_elementwise.c.
 */
#include <immintrin.h>
#include <math.h>
#include "epilogue.h"
#include "gemm/gemm.h"
#include "ref/ref.h"
#include "x86/vecmath.h"
#include "x86/x86.h"

static inline __m256 gelu8(__m256 x)
{
    __m256 x2 = _mm256_mul_ps(x, x);
    /* -2u = x (k + k 0.044715 x^2), k = -2 sqrt(2/pi), in two operations */
    __m256 e = vexp8(_mm256_mul_ps(x, _mm256_fmadd_ps(x2, _mm256_set1_ps(-2.0f * 0.7978845608028654f * 0.044715f),
                                                 _mm256_set1_ps(-2.0f * 0.7978845608028654f))));
    return _mm256_div_ps(x, _mm256_add_ps(e, _mm256_set1_ps(1.0f)));
}

static void gelu_rows(const void *args, size_t r0, size_t r1)
{
    const sb_unary_args *a = args;
    for (size_t r = r0; r < r1; r++) {
        const float *x = a->x + r * a->ldx;
        float *y = a->y + r * a->ldy;
        size_t i = 0;
        for (; i + 8 <= a->c; i += 8) /* two vectors per step: 71-77 ms, not 52-57, in 2 of 3 A/B rounds */
            _mm256_storeu_ps(y + i, gelu8(_mm256_loadu_ps(x + i)));
        for (; i < a->c; i++)
            y[i] = sb_gelu_tanh1(x[i]);
    }
}

void sb_gelu_tanh_avx2(const sb_unary_args *a, sb_pool *pool)
{
    sb_ref_split_rows(pool, a->rows, 4, gelu_rows, a);
}

/*
 * The BF16-storage forms (kernel.h's sb_bf16) below are bound by their arithmetic, as the
 * AVX-512 ones (bf16_rows_avx512.h, which has the reasons): GELU's exp is sized to a bfloat16
 * result, LayerNorm's sums widen bfloat16 pairs with one operation per 8 values, and the
 * stores round 16 values per pack. A bfloat16 is widened exactly and rounded to nearest even.
 */

/*
 * gelu_tanh(x) = x / (1 + 2^t), t = -2 log2(e) sqrt(2/pi) (x + 0.044715 x^3), 2^t to 7.5e-5
 * (sb_exp2_8_bf16, which clamps t to 126). x is first raised to -16, where the result is -0 to
 * within 2^-122, so the numerator cannot be a large negative x over 1 + 2^126; a large positive x
 * makes t -inf, clamped, and the result x. A NaN x gives NaN (it is max's second operand).
 */
static inline __m256 gelu8_bf16(__m256 x)
{
    const float k = -2.0f * 1.4426950408889634f * 0.7978845608028654f;
    x = _mm256_max_ps(_mm256_set1_ps(-16.0f), x);
    __m256 t = _mm256_mul_ps(x, _mm256_fmadd_ps(_mm256_mul_ps(x, x), _mm256_set1_ps(k * 0.044715f),
                                                _mm256_set1_ps(k)));
    return _mm256_div_ps(x, _mm256_add_ps(sb_exp2_8_bf16(t), _mm256_set1_ps(1.0f)));
}

static void gelu_rows_bf16(const void *args, size_t r0, size_t r1)
{
    const sb_unary_args *a = args;
    for (size_t r = r0; r < r1; r++) {
        const sb_bf16 *x = a->xh + r * a->ldx;
        sb_bf16 *y = a->yh + r * a->ldy;
        size_t i = 0;
        for (; i + 16 <= a->c; i += 16)
            sb_bf16_store8x2(y + i, gelu8_bf16(sb_bf16_load8(x + i)),
                             gelu8_bf16(sb_bf16_load8(x + i + 8)));
        for (; i + 8 <= a->c; i += 8)
            sb_bf16_store8(y + i, gelu8_bf16(sb_bf16_load8(x + i)));
        for (; i < a->c; i++)
            y[i] = sb_f32_to_bf16(sb_gelu_tanh1(sb_bf16_to_f32(x[i])));
    }
}

void sb_gelu_tanh_bf16_avx2(const sb_unary_args *a, sb_pool *pool)
{
    sb_ref_split_rows(pool, a->rows, 4, gelu_rows_bf16, a);
}

/* ---- fused linear epilogues (epilogue.h): a row segment of a tile of C, in L1 ---- */

static void epi_bias(float *y, const float *bias, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, _mm256_add_ps(_mm256_loadu_ps(y + i), _mm256_loadu_ps(bias + i)));
    for (; i < n; i++)
        y[i] += bias[i];
}

static void epi_gelu(float *y, const float *bias, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(y + i);
        if (bias)
            v = _mm256_add_ps(v, _mm256_loadu_ps(bias + i));
        _mm256_storeu_ps(y + i, gelu8(v));
    }
    for (; i < n; i++)
        y[i] = sb_gelu_tanh1(y[i] + (bias ? bias[i] : 0.0f));
}

static void epi_gres(float *y, const float *bias, const float *gate, const float *res, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(y + i), r = _mm256_loadu_ps(res + i);
        if (bias)
            v = _mm256_add_ps(v, _mm256_loadu_ps(bias + i));
        v = gate ? _mm256_fmadd_ps(_mm256_loadu_ps(gate + i), v, r) : _mm256_add_ps(v, r);
        _mm256_storeu_ps(y + i, v);
    }
    for (; i < n; i++) {
        float h = y[i] + (bias ? bias[i] : 0.0f);
        y[i] = res[i] + (gate ? gate[i] * h : h);
    }
}

static void epi_dequant(float *y, float sx, const float *sw, const float *comp, const float *bias,
                        size_t n)
{
    __m256 s = _mm256_set1_ps(sx);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_sub_ps(_mm256_loadu_ps(y + i), _mm256_loadu_ps(comp + i));
        __m256 b = bias ? _mm256_loadu_ps(bias + i) : _mm256_setzero_ps();
        v = _mm256_fmadd_ps(_mm256_mul_ps(s, _mm256_loadu_ps(sw + i)), v, b);
        _mm256_storeu_ps(y + i, v);
    }
    for (; i < n; i++)
        y[i] = sx * sw[i] * (y[i] - comp[i]) + (bias ? bias[i] : 0.0f);
}

/* sb_quantize_s8, 8 lanes and a scalar tail (sb_quant_s8_1): the same bits as the definition. */
static float quantize_s8(const float *x, size_t n, int8_t *q)
{
    const __m256i abs_mask = _mm256_set1_epi32(0x7fffffff), inf = _mm256_set1_epi32(0x7f800000);
    __m256i mb = _mm256_setzero_si256();
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i u = _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(x + i)), abs_mask);
        u = _mm256_andnot_si256(_mm256_cmpgt_epi32(u, inf), u); /* NaN left out */
        mb = _mm256_max_epi32(mb, u);
    }
    __m128i m4 = _mm_max_epi32(_mm256_castsi256_si128(mb), _mm256_extracti128_si256(mb, 1));
    m4 = _mm_max_epi32(m4, _mm_shuffle_epi32(m4, _MM_SHUFFLE(1, 0, 3, 2)));
    m4 = _mm_max_epi32(m4, _mm_shuffle_epi32(m4, _MM_SHUFFLE(2, 3, 0, 1)));
    int32_t mx = _mm_cvtsi128_si32(m4);
    float inv, s = sb_quant_scale(sb_quant_max_bits(x + i, n - i, mx), &inv);
    const __m256 vinv = _mm256_set1_ps(inv);
    const __m256i lo = _mm256_set1_epi32(-127), hi = _mm256_set1_epi32(127);
    for (i = 0; i + 8 <= n; i += 8) {
        /* round to nearest even (the default MXCSR mode); NaN converts to INT_MIN -> -127 */
        __m256i v = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + i), vinv));
        v = _mm256_min_epi32(_mm256_max_epi32(v, lo), hi);
        __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
        _mm_storel_epi64((__m128i *)(q + i), _mm_packs_epi16(w, w));
    }
    for (; i < n; i++)
        q[i] = sb_quant_s8_1(x[i], inv);
    return s;
}

/* sb_f32_to_bf16 on 8 lanes in integer arithmetic (sb_bf16_round8), the tail in scalar code. */
static void to_bf16(const float *x, size_t n, uint16_t *y)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(y + i),
                         sb_bf16_round8(_mm256_loadu_si256((const __m256i *)(x + i))));
    for (; i < n; i++)
        y[i] = sb_f32_to_bf16(x[i]);
}

/* The softmax of a row of scores (epilogue.h), 8 lanes, the tail in scalar code (libm expf). */
static void softmax_row(float *x, size_t n, float scale)
{
    const __m256 sc = _mm256_set1_ps(scale);
    __m256 m = _mm256_set1_ps(-INFINITY), s = _mm256_setzero_ps();
    size_t i, full = n - n % 8;
    for (i = 0; i < full; i += 8)
        m = _mm256_max_ps(m, _mm256_mul_ps(_mm256_loadu_ps(x + i), sc));
    float mx = sb_hmax8(m), tail = 0.0f;
    for (; i < n; i++)
        mx = x[i] * scale > mx ? x[i] * scale : mx;
    const __m256 vm = _mm256_set1_ps(mx);
    for (i = 0; i < full; i += 8) {
        __m256 e = vexp8(_mm256_fmsub_ps(_mm256_loadu_ps(x + i), sc, vm));
        s = _mm256_add_ps(s, e);
        _mm256_storeu_ps(x + i, e);
    }
    for (; i < n; i++) {
        x[i] = expf(x[i] * scale - mx);
        tail += x[i];
    }
    float inv1 = 1.0f / (sb_hsum8(s) + tail);
    const __m256 inv = _mm256_set1_ps(inv1);
    for (i = 0; i < full; i += 8)
        _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), inv));
    for (; i < n; i++)
        x[i] *= inv1;
}

const sb_epi_ops sb_epi_avx2 = {.bias = epi_bias, .gelu = epi_gelu, .gres = epi_gres,
                                .dequant = epi_dequant, .quantize = quantize_s8, .to_bf16 = to_bf16,
                                .softmax = softmax_row};

/*
 * The sum of x[0..full) (full a multiple of 8), and of (x - mean)^2 when sq: four independent
 * accumulators, so a 1152-value row is 36 steps of 4 adds rather than a chain of 144 (the
 * chain bounded the row at 15 GB/s; the AVX-512 form has half as many steps).
 */
static inline __m256 sum_step(__m256 s, __m256 x, __m256 mean, int sq)
{
    __m256 d = _mm256_sub_ps(x, mean);
    return sq ? _mm256_fmadd_ps(d, d, s) : _mm256_add_ps(s, d);
}

static inline float row_sum8(const float *x, size_t full, __m256 mean, int sq)
{
    __m256 s[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    size_t i = 0;
    for (; i + 32 <= full; i += 32)
        for (int j = 0; j < 4; j++)
            s[j] = sum_step(s[j], _mm256_loadu_ps(x + i + 8 * j), mean, sq);
    for (int j = 0; i < full; i += 8, j++)
        s[j] = sum_step(s[j], _mm256_loadu_ps(x + i), mean, sq);
    return sb_hsum8(_mm256_add_ps(_mm256_add_ps(s[0], s[1]), _mm256_add_ps(s[2], s[3])));
}

/* The same over a bfloat16 row, in any order: 32 values per step as 16 even and 16 odd ones. */
static inline float row_sum8_bf16(const sb_bf16 *x, size_t full, __m256 mean, int sq)
{
    __m256 s[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    size_t i = 0;
    for (; i + 32 <= full; i += 32)
        for (int j = 0; j < 2; j++) {
            __m256i u = _mm256_loadu_si256((const __m256i *)(x + i + 16 * j));
            s[2 * j] = sum_step(s[2 * j], sb_bf16_even8(u), mean, sq);
            s[2 * j + 1] = sum_step(s[2 * j + 1], sb_bf16_odd8(u), mean, sq);
        }
    for (int j = 0; i < full; i += 8, j++)
        s[j] = sum_step(s[j], sb_bf16_load8(x + i), mean, sq);
    return sb_hsum8(_mm256_add_ps(_mm256_add_ps(s[0], s[1]), _mm256_add_ps(s[2], s[3])));
}

/* (x - mean) * rstd * (1 + scale) + shift on values [i, i + 8) */
static inline __m256 ln8(__m256 x, __m256 vm, __m256 vr, const float *shift, const float *scale,
                         size_t i)
{
    __m256 t = _mm256_mul_ps(_mm256_sub_ps(x, vm), vr);
    if (scale)
        t = _mm256_fmadd_ps(t, _mm256_loadu_ps(scale + i), t);
    if (shift)
        t = _mm256_add_ps(t, _mm256_loadu_ps(shift + i));
    return t;
}

/* The same on one value (the row's tail). */
static inline float ln1(float x, float mean, float rstd, const float *shift, const float *scale,
                        size_t i)
{
    float t = (x - mean) * rstd;
    if (scale)
        t = t * (1.0f + scale[i]);
    if (shift)
        t = t + shift[i];
    return t;
}

/* Out of place and larger than L3, the output goes past the caches (sb_ln_call) where a row is
   32-byte aligned. */
static void ln_rows(const void *args, size_t r0, size_t r1)
{
    const sb_ln_call *lc = args;
    const sb_ln_mod_args *a = lc->a;
    size_t c = a->c, full = c - c % 8;
    for (size_t r = r0; r < r1; r++) {
        const float *x, *shift, *scale;
        float *y;
        sb_ln_mod_row(a, r, &x, &y, &shift, &scale);
        float sum = row_sum8(x, full, _mm256_setzero_ps(), 0);
        for (size_t i = full; i < c; i++)
            sum += x[i];
        float mean = sum / (float)c;
        __m256 vm = _mm256_set1_ps(mean);
        float var = row_sum8(x, full, vm, 1);
        for (size_t i = full; i < c; i++)
            var += (x[i] - mean) * (x[i] - mean);
        float rstd = 1.0f / sqrtf(var / (float)c + a->eps);
        __m256 vr = _mm256_set1_ps(rstd);
        size_t i = 0;
        if (lc->stream && ((uintptr_t)y & 31) == 0)
            for (; i < full; i += 8)
                _mm256_stream_ps(y + i, ln8(_mm256_loadu_ps(x + i), vm, vr, shift, scale, i));
        for (; i < full; i += 8)
            _mm256_storeu_ps(y + i, ln8(_mm256_loadu_ps(x + i), vm, vr, shift, scale, i));
        for (; i < c; i++)
            y[i] = ln1(x[i], mean, rstd, shift, scale, i);
    }
    if (lc->stream)
        _mm_sfence();
}

static void ln_rows_bf16(const void *args, size_t r0, size_t r1)
{
    const sb_ln_mod_args *a = args;
    size_t c = a->c, full = c - c % 8;
    for (size_t r = r0; r < r1; r++) {
        const sb_bf16 *x;
        sb_bf16 *y;
        const float *shift, *scale;
        sb_ln_mod_row_bf16(a, r, &x, &y, &shift, &scale);
        float sum = row_sum8_bf16(x, full, _mm256_setzero_ps(), 0);
        for (size_t i = full; i < c; i++)
            sum += sb_bf16_to_f32(x[i]);
        float mean = sum / (float)c;
        __m256 vm = _mm256_set1_ps(mean);
        float var = row_sum8_bf16(x, full, vm, 1);
        for (size_t i = full; i < c; i++)
            var += (sb_bf16_to_f32(x[i]) - mean) * (sb_bf16_to_f32(x[i]) - mean);
        float rstd = 1.0f / sqrtf(var / (float)c + a->eps);
        __m256 vr = _mm256_set1_ps(rstd);
        size_t i = 0;
        for (; i + 16 <= full; i += 16)
            sb_bf16_store8x2(y + i, ln8(sb_bf16_load8(x + i), vm, vr, shift, scale, i),
                             ln8(sb_bf16_load8(x + i + 8), vm, vr, shift, scale, i + 8));
        for (; i < full; i += 8)
            sb_bf16_store8(y + i, ln8(sb_bf16_load8(x + i), vm, vr, shift, scale, i));
        for (; i < c; i++)
            y[i] = sb_f32_to_bf16(ln1(sb_bf16_to_f32(x[i]), mean, rstd, shift, scale, i));
    }
}

void sb_ln_modulate_avx2(const sb_ln_mod_args *a, sb_pool *pool)
{
    sb_ln_call lc = sb_ln_call_make(a, sizeof(float));
    sb_ref_split_rows(pool, a->rows, 16, ln_rows, &lc);
}

void sb_ln_modulate_bf16_avx2(const sb_ln_mod_args *a, sb_pool *pool)
{
    sb_ref_split_rows(pool, a->rows, 16, ln_rows_bf16, a);
}

/* The gated residual on bfloat16 rows: x += gate * h (the FP32 one is the -O3 reference). */
static inline __m256 gres8(const sb_bf16 *x, const sb_bf16 *h, const float *g, size_t i)
{
    __m256 xv = sb_bf16_load8(x + i), hv = sb_bf16_load8(h + i);
    return g ? _mm256_fmadd_ps(_mm256_loadu_ps(g + i), hv, xv) : _mm256_add_ps(xv, hv);
}

static void gres_rows_bf16(const void *args, size_t r0, size_t r1)
{
    const sb_gres_args *a = args;
    for (size_t r = r0; r < r1; r++) {
        sb_bf16 *x;
        const sb_bf16 *h;
        const float *g = sb_gres_row_bf16(a, r, &x, &h);
        size_t i = 0;
        for (; i + 16 <= a->c; i += 16)
            sb_bf16_store8x2(x + i, gres8(x, h, g, i), gres8(x, h, g, i + 8));
        for (; i + 8 <= a->c; i += 8)
            sb_bf16_store8(x + i, gres8(x, h, g, i));
        for (; i < a->c; i++) {
            float hv = sb_bf16_to_f32(h[i]);
            x[i] = sb_f32_to_bf16(sb_bf16_to_f32(x[i]) + (g ? g[i] * hv : hv));
        }
    }
}

void sb_gated_residual_bf16_avx2(const sb_gres_args *a, sb_pool *pool)
{
    sb_ref_split_rows(pool, a->rows, 16, gres_rows_bf16, a);
}

/* The q/k head code (ref.h, sb_head_ops), 8 values per step and the head's tail in scalar code
   (none for the models' heads of 72): the sum of squares ... */
static float head_sumsq(const void *xv, size_t d)
{
    const float *x = xv;
    __m256 ss = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 8 <= d; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        ss = _mm256_fmadd_ps(v, v, ss);
    }
    float sum = sb_hsum8(ss);
    for (; i < d; i++)
        sum += x[i] * x[i];
    return sum;
}

/* Values [i, i + 8) of a head, v: w * (v * r) when w is given, then v * cd + swap(v) * sd when
   cd is given (i is a multiple of 8, so the pairs are whole). */
static inline __m256 head8(__m256 v, const float *w, __m256 rv, const float *cd, const float *sd,
                           size_t i)
{
    if (w)
        v = _mm256_mul_ps(_mm256_loadu_ps(w + i), _mm256_mul_ps(v, rv));
    if (cd)
        v = _mm256_fmadd_ps(v, _mm256_loadu_ps(cd + i),
                            _mm256_mul_ps(_mm256_permute_ps(v, 0xb1), /* (x1, x0, x3, x2, ...) */
                                          _mm256_loadu_ps(sd + i)));
    return v;
}

/* ... and the head rewritten (head8). */
static void head_apply(void *xv, const float *w, float r, const float *cd, const float *sd,
                       size_t d)
{
    float *x = xv;
    __m256 rv = _mm256_set1_ps(r);
    size_t i = 0, full = d - d % 8;
    for (; i < full; i += 8)
        _mm256_storeu_ps(x + i, head8(_mm256_loadu_ps(x + i), w, rv, cd, sd, i));
    sb_head_tail(x, w, r, cd, sd, full, d); /* full is even */
}

static const sb_head_ops heads_f32 = {.bf16 = false, .sumsq = head_sumsq, .apply = head_apply};

SB_DEFINE_HEAD_KERNELS(avx2, &heads_f32)

/* The same head code on bfloat16 heads: the sum of squares over bfloat16 pairs (row_sum8_bf16)
   ... */
static float head_sumsq_bf16(const void *xv, size_t d)
{
    const sb_bf16 *x = xv;
    size_t full = d - d % 8;
    float ss = row_sum8_bf16(x, full, _mm256_setzero_ps(), 1);
    for (size_t i = full; i < d; i++)
        ss += sb_bf16_to_f32(x[i]) * sb_bf16_to_f32(x[i]);
    return ss;
}

/* ... and the rewrite on widened values, each result rounded once. */
static void head_apply_bf16(void *xv, const float *w, float r, const float *cd, const float *sd,
                            size_t d)
{
    sb_bf16 *x = xv;
    size_t full = d - d % 8, i;
    float t[8];
    __m256 rv = _mm256_set1_ps(r);
    for (i = 0; i < full; i += 8)
        sb_bf16_store8(x + i, head8(sb_bf16_load8(x + i), w, rv, cd, sd, i));
    for (size_t j = 0; j < d - full; j++)
        t[j] = sb_bf16_to_f32(x[full + j]);
    sb_head_tail(t, w ? w + full : NULL, r, cd ? cd + full : NULL, cd ? sd + full : NULL, 0,
                 d - full); /* t holds values [full, d); full is even */
    for (size_t j = 0; j < d - full; j++)
        x[full + j] = sb_f32_to_bf16(t[j]);
}

static const sb_head_ops heads_bf16 = {.bf16 = true, .sumsq = head_sumsq_bf16,
                                       .apply = head_apply_bf16};

SB_DEFINE_HEAD_KERNELS(bf16_avx2, &heads_bf16)
