/*
 * bf16_rows_avx512.h - the AVX-512 row code of the BF16-storage elementwise kernels (GELU-tanh,
 * LayerNorm + modulate, the gated residual on bfloat16 rows, and the q/k RMSNorm and RoPE, apart
 * and fused, on bfloat16 heads; kernel.h's sb_bf16), included by
 * avx512_elementwise.c (-mavx512f: bfloat16 rounding in integer operations) and by
 * avx512bf16_elementwise.c (+ -mavx512bf16: vcvtne2ps2bf16; + -mavx512dq: GELU's exp on
 * vreduceps). The stores of vecmath.h and GELU's exp are the only differences.
 * SB_DEFINE_BF16_ROW_KERNELS(isa) defines the six public functions.
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
#include <string.h>
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
 * gelu_tanh(x) = x / (1 + 2^t), t = -2 log2(e) sqrt(2/pi) (x + 0.044715 x^3); a NaN x gives NaN.
 * With AVX512DQ (the avx512bf16 library): 2^t = 2^f 2^floor(t), f = t - floor(t) in [0, 1) by
 * vreduceps, 2^f by a degree-3 polynomial (the one of sb_exp2_16_bf16 moved to [0, 1): 7.5e-5
 * relative), times 2^floor(t) by vscalefps of t itself. Neither needs t finite (vreduceps gives
 * 0 for an infinite t, vscalefps then 0 or inf), so x is not clamped: where x^3 overflows, t is
 * -inf or inf and the result x or -0, as the reference's: three operations fewer than the
 * clamp, round and subtract. 1 / (1 + 2^t) by vrcp14ps (2^-14 relative; 4% faster than the
 * division in an L1 loop), against the bfloat16 result's 2^-9 (docs/performance.md has the
 * figures and the accuracy).
 * Without AVX512DQ: t from x clamped to [-16, 16], so x^3 cannot overflow, 2^t by
 * sb_exp2_16_bf16 (beyond the clamp 2^t is 0 or inf and the result x or -0), then a division.
 */
static inline __m512 bf16_gelu16(__m512 x)
{
    const float k = -2.0f * 1.4426950408889634f * 0.7978845608028654f;
#ifdef __AVX512DQ__
    __m512 t = _mm512_mul_ps(x, _mm512_fmadd_ps(_mm512_mul_ps(x, x), _mm512_set1_ps(k * 0.044715f),
                                                _mm512_set1_ps(k)));
    __m512 f = _mm512_reduce_ps(t, _MM_FROUND_TO_NEG_INF);
    __m512 p = _mm512_fmadd_ps(_mm512_set1_ps(0.0780245166f), f, _mm512_set1_ps(0.226067168f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(0.695833507f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(0.999925209f));
    __m512 d = _mm512_add_ps(_mm512_scalef_ps(p, t), _mm512_set1_ps(1.0f));
    return _mm512_mul_ps(x, _mm512_rcp14_ps(d));
#else
    __m512 xc = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-16.0f)), _mm512_set1_ps(16.0f));
    __m512 t = _mm512_mul_ps(xc, _mm512_fmadd_ps(_mm512_mul_ps(xc, xc), _mm512_set1_ps(k * 0.044715f),
                                                 _mm512_set1_ps(k)));
    return _mm512_div_ps(x, _mm512_add_ps(sb_exp2_16_bf16(t), _mm512_set1_ps(1.0f)));
#endif
}

/* GELU on rows of bfloat16: 32 values per step read as 16 pairs (sb_bf16_even16 / _odd16) and
   stored back in element order (sb_bf16_store_pairs), no widening shuffle; the tail by 16. */
static void bf16_gelu_rows(const void *args, size_t r0, size_t r1)
{
    const sb_unary_args *a = args;
    size_t c = a->c, c32 = c - c % 32;
    for (size_t r = r0; r < r1; r++) {
        const sb_bf16 *x = a->xh + r * a->ldx;
        sb_bf16 *y = a->yh + r * a->ldy;
        size_t i = 0;
        for (; i < c32; i += 32) {
            __m512i w = _mm512_loadu_si512(x + i);
            sb_bf16_store_pairs(y + i, bf16_gelu16(sb_bf16_even16(w)), bf16_gelu16(sb_bf16_odd16(w)));
        }
        for (; i < c; i += 16)
            bf16_store_part(y, i, c, bf16_gelu16(sb_bf16_load16_part(x, i, c)));
    }
}

/* The sum of x[0, c) - m (m = 0: of x), in any order; 4 sums, as an add's latency is several
   times its throughput. */
static inline float bf16_row_sum(const sb_bf16 *x, size_t c, float m, int square)
{
    size_t c64 = c - c % 64, i = 0;
    const __m512 vm = _mm512_set1_ps(m);
    __m512 s[4];
    for (int k = 0; k < 4; k++)
        s[k] = _mm512_setzero_ps();
    for (; i < c64; i += 64)
        for (int k = 0; k < 4; k += 2) {
            __m512i u = _mm512_loadu_si512(x + i + 16 * k);
            __m512 d0 = _mm512_sub_ps(sb_bf16_even16(u), vm), d1 = _mm512_sub_ps(sb_bf16_odd16(u), vm);
            s[k] = square ? _mm512_fmadd_ps(d0, d0, s[k]) : _mm512_add_ps(s[k], d0);
            s[k + 1] = square ? _mm512_fmadd_ps(d1, d1, s[k + 1]) : _mm512_add_ps(s[k + 1], d1);
        }
    for (int k = 0; i < c; i += 16, k++) { /* lanes past c read 0, and are left out of the sum */
        __m512 d = _mm512_maskz_sub_ps(sb_lanes16(c - i), sb_bf16_load16_part(x, i, c), vm);
        s[k] = square ? _mm512_fmadd_ps(d, d, s[k]) : _mm512_add_ps(s[k], d);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s[0], s[1]), _mm512_add_ps(s[2], s[3])));
}

#ifdef __AVX512BF16__
/*
 * The sum and the sum of squares of x[0, c) in one pass, by vdpbf16ps (one instruction per 32
 * values for each; a pair's products are exact in FP32, the sums rounded in FP32 as
 * bf16_row_sum's adds are; a subnormal bfloat16 reads as 0). 4 sums of each, as the
 * instruction's latency is several times its throughput.
 */
static inline void bf16_row_moments(const sb_bf16 *x, size_t c, float *sum, float *sumsq)
{
    const __m512bh one = (__m512bh)_mm512_set1_epi16(0x3f80);
    __m512 s[4], q[4];
    size_t c128 = c - c % 128, i = 0;
    for (int k = 0; k < 4; k++)
        s[k] = q[k] = _mm512_setzero_ps();
    for (; i < c128; i += 128)
        for (int k = 0; k < 4; k++) {
            __m512bh u = (__m512bh)_mm512_loadu_si512(x + i + 32 * k);
            s[k] = _mm512_dpbf16_ps(s[k], u, one);
            q[k] = _mm512_dpbf16_ps(q[k], u, u);
        }
    for (int k = 0; i < c; i += 32, k++) { /* values past c read as 0 */
        size_t n = c - i < 32 ? c - i : 32;
        __m512bh u = (__m512bh)_mm512_maskz_loadu_epi16((__mmask32)(0xffffffffu >> (32 - n)),
                                                         x + i);
        s[k] = _mm512_dpbf16_ps(s[k], u, one);
        q[k] = _mm512_dpbf16_ps(q[k], u, u);
    }
    *sum = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s[0], s[1]), _mm512_add_ps(s[2], s[3])));
    *sumsq = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(q[0], q[1]), _mm512_add_ps(q[2], q[3])));
}
#endif

/*
 * A row's mean and variance. With AVX512-BF16, from one pass (bf16_row_moments) as
 * sumsq / c - mean^2, kept where that loses little to cancellation: where mean^2 <= 64 var, its
 * relative error is at most 65 times that of the sums'. Otherwise (a row far from 0 against its
 * spread, a constant row, a NaN) and without AVX512-BF16, the two passes of the FP32 kernel: the
 * sum, then the squared deviations from the mean.
 */
static inline void bf16_row_stats(const sb_bf16 *x, size_t c, float *mean, float *var)
{
#ifdef __AVX512BF16__
    float s, q;
    bf16_row_moments(x, c, &s, &q);
    *mean = s / (float)c;
    *var = q / (float)c - *mean * *mean;
    if (*mean * *mean <= 64.0f * *var)
        return;
#endif
    *mean = bf16_row_sum(x, c, 0.0f, 0) / (float)c;
    *var = bf16_row_sum(x, c, *mean, 1) / (float)c;
}

/* (x - mean) * rstd, modulated, on values [i, i + 16). */
static inline __attribute__((always_inline)) __m512
bf16_ln16(__m512 x, __m512 mean, __m512 rstd, const float *shift, const float *scale,
          const float *s1, size_t i, __mmask16 m)
{
    return sb_ln_modulate16(_mm512_mul_ps(_mm512_sub_ps(x, mean), rstd), shift, scale, s1, i, m);
}

/* One row's output pass, in element order; past the caches when stream and the row is 64-byte
   aligned (sb_ln_call). */
static inline __attribute__((always_inline)) void
bf16_ln_row(const sb_bf16 *x, sb_bf16 *y, size_t c, __m512 vm, __m512 vr, const float *shift,
            const float *scale, const float *s1, bool stream)
{
    size_t c32 = c - c % 32, i = 0;
    if (stream && ((uintptr_t)y & 63) == 0)
        for (; i < c32; i += 32)
            sb_bf16_stream32(y + i,
                             bf16_ln16(sb_bf16_load16(x + i), vm, vr, shift, scale, s1, i, 0xffff),
                             bf16_ln16(sb_bf16_load16(x + i + 16), vm, vr, shift, scale, s1,
                                       i + 16, 0xffff));
    for (; i < c32; i += 32)
        sb_bf16_store32(y + i, bf16_ln16(sb_bf16_load16(x + i), vm, vr, shift, scale, s1, i, 0xffff),
                        bf16_ln16(sb_bf16_load16(x + i + 16), vm, vr, shift, scale, s1, i + 16,
                                  0xffff));
    for (; i < c; i += 16)
        bf16_store_part(y, i, c, bf16_ln16(sb_bf16_load16_part(x, i, c), vm, vr, shift, scale, s1,
                                           i, sb_lanes16(c - i)));
}

/* The statistics (bf16_row_stats), then one pass in element order for the output, with 1 + scale
   computed once per group of rows (one FMA per 16 values for the modulation, not two
   operations). Prefetching the row 2 ahead during that pass (one line of x and of y per step)
   did not help, before the one-pass statistics and the table: 9.6-15.0 GB/s with, 12.1-17.8
   without (bench_elementwise --only ln_modulate.bf16.avx512bf16 1, 6 alternated runs each);
   1, 4 or 8 rows ahead neither. */
static void bf16_ln_rows(const void *args, size_t r0, size_t r1)
{
    const sb_ln_call *lc = args;
    const sb_ln_mod_args *a = lc->a;
    size_t c = a->c;
    float s1[SB_LN_TABLE];
    const float *s1_of = NULL;
    for (size_t r = r0; r < r1; r++) {
        const sb_bf16 *x;
        sb_bf16 *y;
        const float *shift, *scale;
        float mean, var;
        sb_ln_mod_row_bf16(a, r, &x, &y, &shift, &scale);
        bf16_row_stats(x, c, &mean, &var);
        const __m512 vm = _mm512_set1_ps(mean), vr = _mm512_set1_ps(1.0f / sqrtf(var + a->eps));
        const float *tab = sb_ln_scale_table(s1, &s1_of, shift, scale, c);
        if (tab)
            bf16_ln_row(x, y, c, vm, vr, shift, scale, tab, lc->stream);
        else
            bf16_ln_row(x, y, c, vm, vr, shift, scale, NULL, lc->stream);
    }
    if (lc->stream)
        _mm_sfence();
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

/*
 * The token form of the same code (sb_head_ops.token), on heads of up to BF16_TOKEN_MAX_D
 * values. A head is read as 32-bit pairs whose even and odd elements are two FP32 vectors
 * (sb_bf16_even16 / _odd16): RoPE's rotation of a pair is then lane-wise arithmetic, with no
 * swap. A head is nf slots of 16 pairs and a tail of tp pairs. Tails of at most 4 pairs (the
 * models' heads of 72: 2 slots and 4 pairs) are packed, those of a group of 4 heads in one
 * vector, head b's in 128-bit block b, so no vector is three quarters empty. The sums of 4 heads
 * are reduced together and their 4 scales taken in one vector; no call per head.
 *
 * Per call, each slot's w, cos and sin are split into even and odd lanes and folded into 4
 * tables: with the RMSNorm and RoPE, (e, o) -> r (e w_e c_e + o w_o s_e, o w_o c_o + e w_e s_o),
 * 6 operations per 16 pairs, not 8 (the order of sb_head16's products differs, and so may the
 * last bit of FP32 before the one rounding to bfloat16).
 */
enum { BF16_TOKEN_MAX_D = 96 }; /* values per head: 3 slots of 16 pairs */

/* Values [i, i + 32) of a table t of n floats (past n: 0), split into even and odd lanes. */
static inline void bf16_split_table(const float *t, size_t i, size_t n, __m512 *e, __m512 *o)
{
    const __m512i ev = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    __m512 lo = _mm512_maskz_loadu_ps(sb_lanes16(n - i), t + i);
    __m512 hi = _mm512_maskz_loadu_ps(n - i > 16 ? sb_lanes16(n - i - 16) : 0, t + i + 16);
    *e = _mm512_permutex2var_ps(lo, ev, hi);
    *o = _mm512_permutex2var_ps(lo, _mm512_add_epi32(ev, _mm512_set1_epi32(1)), hi);
}

/* 16 pairs from their even (e) and odd (o) elements, each rounded to bfloat16 as the stores
   above round, as 32-bit words (the even element in the low half). */
static inline __m512i bf16_pack_pairs(__m512 e, __m512 o)
{
#ifdef __AVX512BF16__
    /* word 2j <- word j (e's), word 2j + 1 <- word 16 + j (o's) of vcvtne2ps2bf16's result */
    const __m512i j = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    __m512i idx = _mm512_or_si512(j, _mm512_slli_epi32(_mm512_add_epi32(j, _mm512_set1_epi32(16)), 16));
    return _mm512_permutexvar_epi16(idx, (__m512i)_mm512_cvtne2ps_pbh(o, e));
#else
    return _mm512_ternarylogic_epi32(_mm512_srli_epi32(sb_bf16_bits512(_mm512_castps_si512(e)), 16),
                                     sb_bf16_bits512(_mm512_castps_si512(o)),
                                     _mm512_set1_epi32((int)0xffff0000u), 0xf8); /* a | (b & c) */
#endif
}

/* A head's layout in the token form: nf slots of 16 pairs, then tp pairs, packed by groups of
   4 heads when 0 < tp <= 4. */
typedef struct bf16_token_shape {
    size_t d;       /* values per head */
    size_t nf;      /* full slots of 16 pairs */
    size_t tp;      /* pairs in the tail (0 to 15) */
    bool packed;    /* tails of 1 to 4 pairs, 4 heads' in one vector */
    __mmask16 mt;   /* the tail's pairs */
} bf16_token_shape;

/* The first n (1 to 4) 32-bit words at p, in 128 bits, by loads of their exact size: a masked
   load over the next head, just stored, waited for those stores (sb_store_words). */
static inline __m128i bf16_tail_load(const sb_bf16 *p, size_t n)
{
    if (n == 4)
        return _mm_loadu_si128((const __m128i *)p);
    __m128i v = n & 2 ? _mm_loadl_epi64((const __m128i *)p) : _mm_setzero_si128();
    if (n & 1) {
        uint32_t w;
        memcpy(&w, p + 2 * (n - 1), sizeof w);
        v = n == 3 ? _mm_insert_epi32(v, (int)w, 2) : _mm_cvtsi32_si128((int)w);
    }
    return v;
}

/* The packed tails (pairs [16 nf, 16 nf + tp)) of the g <= 4 heads at x, head b's in block b;
   blocks from g on are 0. */
static inline __attribute__((always_inline)) __m512i bf16_tails_load(const sb_bf16 *x, size_t g,
                                                                     const bf16_token_shape *s)
{
    const sb_bf16 *t = x + 32 * s->nf;
    __m512i v = _mm512_zextsi128_si512(bf16_tail_load(t, s->tp));
    if (g > 1)
        v = _mm512_inserti32x4(v, bf16_tail_load(t + s->d, s->tp), 1);
    if (g > 2)
        v = _mm512_inserti32x4(v, bf16_tail_load(t + 2 * s->d, s->tp), 2);
    if (g > 3)
        v = _mm512_inserti32x4(v, bf16_tail_load(t + 3 * s->d, s->tp), 3);
    return v;
}

/* ... and their store, tp words per head (sb_store_words: exact-size stores). */
static inline __attribute__((always_inline)) void bf16_tails_store(sb_bf16 *x, size_t g,
                                                                   const bf16_token_shape *s,
                                                                   __m512i v)
{
    sb_bf16 *t = x + 32 * s->nf;
    sb_store_words(t, s->tp, _mm512_castsi128_si512(_mm512_castsi512_si128(v)));
    if (g > 1)
        sb_store_words(t + s->d, s->tp, _mm512_castsi128_si512(_mm512_extracti32x4_epi32(v, 1)));
    if (g > 2)
        sb_store_words(t + 2 * s->d, s->tp, _mm512_castsi128_si512(_mm512_extracti32x4_epi32(v, 2)));
    if (g > 3)
        sb_store_words(t + 3 * s->d, s->tp, _mm512_castsi128_si512(_mm512_extracti32x4_epi32(v, 3)));
}

/* The RMSNorm scales 1 / sqrt(mean(x^2) + eps) of the g <= 4 heads at x, back to back; lanes
   from g on are unused. */
static inline __attribute__((always_inline)) __m128
bf16_token_scales(const sb_bf16 *x, size_t g, const bf16_token_shape *s, float eps)
{
    __m512 ss[4];
    for (size_t h = 0; h < 4; h++) {
        __m512 a = _mm512_setzero_ps(), b = _mm512_setzero_ps();
        size_t n = h >= g ? 0 : s->nf + (s->tp && !s->packed); /* vectors of pairs */
        for (size_t p = 0; p < n; p++) {
            const sb_bf16 *xp = x + h * s->d + 32 * p;
            __m512i u = p < s->nf ? _mm512_loadu_si512(xp) : _mm512_maskz_loadu_epi32(s->mt, xp);
            a = _mm512_fmadd_ps(sb_bf16_even16(u), sb_bf16_even16(u), a);
            b = _mm512_fmadd_ps(sb_bf16_odd16(u), sb_bf16_odd16(u), b);
        }
        ss[h] = _mm512_add_ps(a, b);
    }
    if (s->packed) {
        __m512i u = bf16_tails_load(x, g, s);
        __m512 e = sb_bf16_even16(u), o = sb_bf16_odd16(u), t = _mm512_fmadd_ps(e, e, _mm512_mul_ps(o, o));
        for (size_t h = 0; h < 4; h++)
            ss[h] = _mm512_mask_add_ps(ss[h], (__mmask16)(0xfu << (4 * h)), ss[h], t);
    }
    __m128 sum = sb_hsum4_512(ss[0], ss[1], ss[2], ss[3]);
    return _mm_div_ps(_mm_set1_ps(1.0f),
                      _mm_sqrt_ps(_mm_add_ps(_mm_div_ps(sum, _mm_set1_ps((float)s->d)),
                                             _mm_set1_ps(eps))));
}

/* One slot's 4 tables (the block comment above), from pairs [16 p, 16 p + 16) of w, cd and sd;
   the RMSNorm alone uses only t[0] = w_e and t[2] = w_o (t[1], t[3]: 0). */
static inline void bf16_token_tables(__m512 t[4], size_t p, size_t d, const float *w,
                                     const float *cd, const float *sd)
{
    __m512 we = _mm512_set1_ps(1.0f), wo = we, ce, co, se, so;
    if (w)
        bf16_split_table(w, 32 * p, d, &we, &wo);
    if (!cd) {
        t[0] = we, t[2] = wo, t[1] = t[3] = _mm512_setzero_ps();
        return;
    }
    bf16_split_table(cd, 32 * p, d, &ce, &co);
    bf16_split_table(sd, 32 * p, d, &se, &so);
    t[0] = _mm512_mul_ps(we, ce), t[1] = _mm512_mul_ps(wo, se);
    t[2] = _mm512_mul_ps(wo, co), t[3] = _mm512_mul_ps(we, so);
}

/* 16 pairs u normalised by r (norm) and rotated (rot) with a slot's tables, rounded. */
static inline __m512i bf16_token16(__m512i u, const __m512 t[4], __m512 r, bool norm, bool rot)
{
    __m512 e = sb_bf16_even16(u), o = sb_bf16_odd16(u);
    if (rot) {
        __m512 e2 = _mm512_fmadd_ps(o, t[1], _mm512_mul_ps(e, t[0]));
        o = _mm512_fmadd_ps(e, t[3], _mm512_mul_ps(o, t[2]));
        e = e2;
        if (norm)
            e = _mm512_mul_ps(e, r), o = _mm512_mul_ps(o, r);
    } else { /* as sb_head16: w * (x * r) */
        e = _mm512_mul_ps(t[0], _mm512_mul_ps(e, r));
        o = _mm512_mul_ps(t[2], _mm512_mul_ps(o, r));
    }
    return bf16_pack_pairs(e, o);
}

static inline __attribute__((always_inline)) void
bf16_token_run(sb_bf16 *x, size_t nh, const bf16_token_shape sv, const float *w, float eps,
               const float *cd, const float *sd, const sb_bf16 *pf, bool norm, bool rot)
{
    const bf16_token_shape *s = &sv;
    enum { SLOTS = BF16_TOKEN_MAX_D / 32 + 1 };
    __m512 t[SLOTS][4];
    size_t nslots = s->nf + (s->tp != 0);
    for (size_t p = 0; p < nslots; p++)
        bf16_token_tables(t[p], p, s->d, w, cd, sd);
    if (s->packed) /* the tail's tables in every block */
        for (size_t i = 0; i < 4; i++)
            t[s->nf][i] = _mm512_broadcast_f32x4(_mm512_castps512_ps128(t[s->nf][i]));
    /* each lane's head in the packed tails (block b: head b), to give it its scale */
    const __m512i lane_head = _mm512_set_epi32(3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0);
    /* the scales of the next group are taken before this group is rewritten, so that the
       rewrite does not wait on a reduction, a square root and two divisions */
    __m128 rn = norm ? bf16_token_scales(x, nh < 4 ? nh : 4, s, eps) : _mm_set1_ps(1.0f);
    for (size_t h0 = 0; h0 < nh; h0 += 4) {
        size_t g = nh - h0 < 4 ? nh - h0 : 4;
        sb_bf16 *xg = x + h0 * s->d;
        __m128 rg = rn;
        _Alignas(16) float r[4];
        _mm_store_ps(r, rg);
        if (pf)
            sb_prefetch_l2_bytes(pf + h0 * s->d, g * s->d * sizeof(sb_bf16));
        if (norm && h0 + 4 < nh)
            rn = bf16_token_scales(xg + 4 * s->d, nh - h0 - 4 < 4 ? nh - h0 - 4 : 4, s, eps);
        for (size_t h = 0; h < g; h++) {
            __m512 rv = _mm512_set1_ps(r[h]);
            sb_bf16 *xh = xg + h * s->d;
            for (size_t p = 0; p < s->nf; p++)
                _mm512_storeu_si512(xh + 32 * p, bf16_token16(_mm512_loadu_si512(xh + 32 * p), t[p],
                                                              rv, norm, rot));
            if (s->tp && !s->packed)
                sb_store_words(xh + 32 * s->nf, s->tp,
                               bf16_token16(_mm512_maskz_loadu_epi32(s->mt, xh + 32 * s->nf),
                                            t[s->nf], rv, norm, rot));
        }
        if (s->packed) {
            __m512 rv = _mm512_permutexvar_ps(lane_head, _mm512_castps128_ps512(rg));
            bf16_tails_store(xg, g, s, bf16_token16(bf16_tails_load(xg, g, s), t[s->nf], rv, norm,
                                                    rot));
        }
    }
}

/* A head of d values in the token form. */
static inline bf16_token_shape bf16_token_shape_of(size_t d)
{
    size_t tp = d / 2 % 16;
    return (bf16_token_shape){.d = d, .nf = d / 32, .tp = tp, .packed = tp && tp <= 4,
                              .mt = sb_lanes16(tp)};
}

/* The RMSNorm, RoPE or both (w, cd NULL or not), each its own instantiation. */
static inline __attribute__((always_inline)) void
bf16_token_forms(sb_bf16 *x, size_t nh, const bf16_token_shape s, const float *w, float eps,
                 const float *cd, const float *sd, const sb_bf16 *pf)
{
    if (w && cd)
        bf16_token_run(x, nh, s, w, eps, cd, sd, pf, true, true);
    else if (w)
        bf16_token_run(x, nh, s, w, eps, NULL, NULL, pf, true, false);
    else
        bf16_token_run(x, nh, s, NULL, eps, cd, sd, pf, false, true);
}

/* The models' heads of 72 values (2 slots and a packed tail of 4 pairs) have their own
   instantiations, the shape a constant, so that the compiler unrolls the slot and head loops. */
static void bf16_head_token(void *x, size_t nh, size_t d, const float *w, float eps,
                            const float *cd, const float *sd, const void *pf)
{
    if (d == 72)
        bf16_token_forms(x, nh, bf16_token_shape_of(72), w, eps, cd, sd, pf);
    else
        bf16_token_forms(x, nh, bf16_token_shape_of(d), w, eps, cd, sd, pf);
}

static const sb_head_ops bf16_heads = {.bf16 = true, .sumsq = bf16_head_sumsq,
                                       .apply = bf16_head_apply, .token = bf16_head_token,
                                       .token_max_d = BF16_TOKEN_MAX_D};

/* The public functions of one ISA library (x86.h): rows split over the pool as in the
   reference, at least 4 (GELU) or 16 rows per task; the heads by heads.c's loop. */
#define SB_DEFINE_BF16_ROW_KERNELS(isa)                                                       \
    void sb_gelu_tanh_bf16_##isa(const sb_unary_args *a, sb_pool *pool)                      \
    {                                                                                          \
        sb_ref_split_rows(pool, a->rows, 4, bf16_gelu_rows, a);                               \
    }                                                                                          \
    void sb_ln_modulate_bf16_##isa(const sb_ln_mod_args *a, sb_pool *pool)                   \
    {                                                                                          \
        sb_ln_call lc = sb_ln_call_make(a, sizeof(sb_bf16));                                  \
        sb_ref_split_rows(pool, a->rows, 16, bf16_ln_rows, &lc);                              \
    }                                                                                          \
    void sb_gated_residual_bf16_##isa(const sb_gres_args *a, sb_pool *pool)                  \
    {                                                                                          \
        sb_ref_split_rows(pool, a->rows, 16, bf16_gres_rows, a);                              \
    }                                                                                          \
    SB_DEFINE_HEAD_KERNELS(bf16_##isa, &bf16_heads)

#endif
