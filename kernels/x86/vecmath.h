/*
 * vecmath.h - vector exp for the x86 kernels, written once as a macro over the
 * vector type and instruction prefix and instantiated here for the ISA of the
 * including file (vexp8 in AVX2 files; vexp16 too in AVX-512 files, each
 * compiled with its own flags); a shorter 2^t for results rounded to bfloat16
 * (sb_exp2_8_bf16, sb_exp2_16_bf16); and bfloat16 rounding, loads and stores of
 * each width (sb_bf16 in kernel.h: the upper half of a binary32), the AVX-512
 * stores with vcvtne2ps2bf16 where the including file has AVX512-BF16; and the
 * AVX-512 step of the q/k head code (sb_head16) and LayerNorm's modulation with its
 * table of 1 + scale (sb_ln_modulate16, sb_ln_scale_table), shared by FP32 and bfloat16;
 * the sum and maximum of an AVX2 vector's lanes (sb_hsum8, sb_hmax8).
 *
 * exp(x) = 2^n * exp(r), n = round(x / ln 2), r = x - n ln 2 (two-part ln 2),
 * exp(r) = 1 + r + r^2 p(r), p of degree 5 on |r| <= ln2/2 (Cephes coefficients);
 * x is clamped to [-87.3, 88.7] so 2^n stays a normal float. The rounding adds
 * 1.5 * 2^23 + 127, which leaves n + 127 in the low mantissa bits (no round or
 * convert instruction), and p is evaluated by Estrin's scheme (3 dependent FMAs,
 * not Horner's 5): in GELU, where a chain of about 75 cycles per vector filled
 * the scheduler, the AVX2 form was latency-bound at 1.8 operations per cycle.
 * Measured max relative error against libm expf: see kernels/tests/test_elementwise.c.
 */
#ifndef SB_VECMATH_H
#define SB_VECMATH_H

#include <immintrin.h>
#include <stdint.h>

#ifdef __AVX2__
/* 8 bfloat16 values widened to FP32 (exact: a bfloat16 is the upper half of a binary32). */
static inline __m256 sb_bf16_load8(const uint16_t *p)
{
    __m128i h = _mm_loadu_si128((const __m128i *)p);
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

/* v rounded to bfloat16 as sb_f32_to_bf16 does (nearest even, NaN made quiet), the 8 results
   in the low half of each 32-bit lane (the upper half 0). */
static inline __m256i sb_bf16_bits8(__m256 v)
{
    __m256i u = _mm256_castps_si256(v);
    __m256i r = _mm256_add_epi32(u, _mm256_add_epi32(_mm256_set1_epi32(0x7fff),
                                                     _mm256_and_si256(_mm256_srli_epi32(u, 16),
                                                                      _mm256_set1_epi32(1))));
    __m256i nan = _mm256_castps_si256(_mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    r = _mm256_blendv_epi8(r, _mm256_or_si256(u, _mm256_set1_epi32(0x400000)), nan);
    return _mm256_srli_epi32(r, 16);
}

/* FP32 bit patterns u rounded to bfloat16 (sb_bf16_bits8), the 8 results packed into 128 bits. */
static inline __m128i sb_bf16_round8(__m256i u)
{
    __m256i r = sb_bf16_bits8(_mm256_castsi256_ps(u));
    /* 32-bit lanes hold values < 2^16: an unsigned pack keeps them */
    return _mm_packus_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
}

/* v rounded to bfloat16 and stored to p[0, 8). */
static inline void sb_bf16_store8(uint16_t *p, __m256 v)
{
    _mm_storeu_si128((__m128i *)p, sb_bf16_round8(_mm256_castps_si256(v)));
}

/* lo and hi rounded to bfloat16 and stored to p[0, 8) and p[8, 16): one pack for both. */
static inline void sb_bf16_store8x2(uint16_t *p, __m256 lo, __m256 hi)
{
    /* the pack works within 128-bit halves: lo 0-3, hi 0-3, lo 4-7, hi 4-7; the permute orders them */
    __m256i w = _mm256_packus_epi32(sb_bf16_bits8(lo), sb_bf16_bits8(hi));
    _mm256_storeu_si256((__m256i *)p, _mm256_permute4x64_epi64(w, 0xd8));
}

/* 16 bfloat16 values read as 8 pairs: the even elements widened, then the odd ones (for sums,
   whose order does not matter: one operation per 8 values, against two in element order). */
static inline __m256 sb_bf16_even8(__m256i pairs)
{
    return _mm256_castsi256_ps(_mm256_slli_epi32(pairs, 16));
}

static inline __m256 sb_bf16_odd8(__m256i pairs)
{
    return _mm256_castsi256_ps(_mm256_and_si256(pairs, _mm256_set1_epi32((int)0xffff0000u)));
}

/*
 * 2^t for results that are then rounded to bfloat16, 8 lanes: t clamped to [-126, 126] (so 2^n
 * is a normal float; a NaN t gives 2^-126), n = round(t) by adding 1.5 * 2^23 + 127 (whose low
 * mantissa bits are then n + 127, the biased exponent), f = t - n, and 2^f by the degree-3
 * polynomial of sb_exp2_16_bf16 (7.5e-5 relative).
 */
static inline __m256 sb_exp2_8_bf16(__m256 t)
{
    t = _mm256_min_ps(_mm256_max_ps(t, _mm256_set1_ps(-126.0f)), _mm256_set1_ps(126.0f));
    __m256 tm = _mm256_add_ps(t, _mm256_set1_ps(12583039.0f));
    __m256 f = _mm256_sub_ps(t, _mm256_sub_ps(tm, _mm256_set1_ps(12583039.0f)));
    __m256 p = _mm256_fmadd_ps(_mm256_set1_ps(0.0551716648f), f, _mm256_set1_ps(0.242611125f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(0.693260968f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(0.999928057f));
    return _mm256_mul_ps(p, _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(tm), 23)));
}

/* The sum and the maximum of a vector's 8 lanes (softmax rows, LayerNorm, flash attention). */
static inline float sb_hsum8(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}
/* Every lane = the maximum of v's lanes. */
static inline __m256 sb_bmax8(__m256 v)
{
    v = _mm256_max_ps(v, _mm256_permute2f128_ps(v, v, 1));
    v = _mm256_max_ps(v, _mm256_permute_ps(v, 0x4e));
    return _mm256_max_ps(v, _mm256_permute_ps(v, 0xb1));
}
static inline float sb_hmax8(__m256 v)
{
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_max_ss(s, _mm_movehdup_ps(s)));
}
#endif

#ifdef __AVX512F__
/* Mask of the first n lanes of 16 (all of them when n >= 16). */
static inline __mmask16 sb_lanes16(size_t n)
{
    return (__mmask16)(n >= 16 ? 0xffff : (1u << n) - 1);
}

/* The sums of the 16 lanes of a, b, c and d, in lanes 0, 1, 2 and 3 (in their own order). */
static inline __m128 sb_hsum4_512(__m512 a, __m512 b, __m512 c, __m512 d)
{
    /* per 128-bit block: (a0 + a2, b0 + b2, a1 + a3, b1 + b3), the same of c and d */
    __m512 ab = _mm512_add_ps(_mm512_unpacklo_ps(a, b), _mm512_unpackhi_ps(a, b));
    __m512 cd = _mm512_add_ps(_mm512_unpacklo_ps(c, d), _mm512_unpackhi_ps(c, d));
    /* per block: (a, b, c, d) of that block, then the 4 blocks added */
    __m512 t = _mm512_add_ps(_mm512_shuffle_ps(ab, cd, 0x44), _mm512_shuffle_ps(ab, cd, 0xee));
    __m256 h = _mm256_add_ps(_mm512_castps512_ps256(t),
                             _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(t), 1)));
    return _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
}

/*
 * The first n (0 to 16) 32-bit words of v stored to p, with stores of 16, 8, 4, 2 and 1 words
 * that write no byte past them. Not a masked store: on Zen 4, a load that overlapped the 64
 * bytes a masked store spans waited for that store to retire, even where its mask left the
 * bytes alone (the next head's first load, in the q/k head code: 26 -> 16 ns per head).
 */
static inline void sb_store_words(void *p, size_t n, __m512i v)
{
    char *c = p;
    __m256i y = _mm512_castsi512_si256(v);
    __m128i x;
    if (n == 16) {
        _mm512_storeu_si512(c, v);
        return;
    }
    if (n & 8) {
        _mm256_storeu_si256((__m256i *)c, y);
        c += 32;
        y = _mm512_extracti64x4_epi64(v, 1);
    }
    x = _mm256_castsi256_si128(y);
    if (n & 4) {
        _mm_storeu_si128((__m128i *)c, x);
        c += 16;
        x = _mm256_extracti128_si256(y, 1);
    }
    if (n & 2) {
        _mm_storel_epi64((__m128i *)c, x);
        c += 8;
        x = _mm_srli_si128(x, 8);
    }
    if (n & 1)
        _mm_storeu_si32(c, x);
}

/*
 * FP32 bit patterns u rounded to bfloat16 as sb_f32_to_bf16 does (nearest even, NaN made quiet),
 * in integer arithmetic (vcvtneps2bf16 would flush subnormals): the bfloat16 is the upper 16
 * bits of each lane; the lower 16 are not cleared.
 */
static inline __m512i sb_bf16_bits512(__m512i u)
{
    __m512i r = _mm512_add_epi32(_mm512_add_epi32(u, _mm512_set1_epi32(0x7fff)),
                                 _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1)));
    __mmask16 nan = _mm512_cmpgt_epi32_mask(_mm512_and_si512(u, _mm512_set1_epi32(0x7fffffff)),
                                            _mm512_set1_epi32(0x7f800000));
    return _mm512_mask_or_epi32(r, nan, u, _mm512_set1_epi32(0x400000));
}

/* 16 bfloat16 values widened to FP32; all 16 must be readable. */
static inline __m512 sb_bf16_load16(const uint16_t *p)
{
    __m256i h = _mm256_loadu_si256((const __m256i *)p);
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

/* Values [i, i + 16) of a bfloat16 row of n: all, or the tail, whose lanes past n read 0 (a
   masked load of the tail's 32-bit pairs, and its odd last value, if any, inserted). */
static inline __m512 sb_bf16_load16_part(const uint16_t *p, size_t i, size_t n)
{
    if (n - i >= 16)
        return sb_bf16_load16(p + i);
    size_t pairs = (n - i) / 2;
    __m512i w = _mm512_maskz_loadu_epi32(sb_lanes16(pairs), p + i);
    if ((n - i) % 2)
        w = _mm512_mask_set1_epi32(w, (__mmask16)(1u << pairs), p[n - 1]);
    __m512i u = _mm512_cvtepu16_epi32(_mm512_castsi512_si256(w));
    return _mm512_castsi512_ps(_mm512_slli_epi32(u, 16));
}

/*
 * The bfloat16 stores below round as sb_f32_to_bf16 does where the including file is built
 * without AVX512-BF16 (sb_bf16_bits512, about 7 integer operations per vector). With it, they
 * use vcvtne2ps2bf16 / vcvtneps2bf16 (one instruction for 32 or 16 values): nearest even too,
 * but a subnormal result is flushed to zero of the same sign (below 2^-126, so at most that much
 * from the integer rounding's result).
 */
/* v rounded to bfloat16, the 16 results in the low half of each 32-bit lane. */
static inline __m512i sb_bf16_round16(__m512 v)
{
#ifdef __AVX512BF16__
    return _mm512_cvtepu16_epi32((__m256i)_mm512_cvtneps_pbh(v));
#else
    return _mm512_srli_epi32(sb_bf16_bits512(_mm512_castps_si512(v)), 16);
#endif
}

/* v rounded to bfloat16, stored to p[0, 16). */
static inline void sb_bf16_store16(uint16_t *p, __m512 v)
{
#ifdef __AVX512BF16__
    _mm256_storeu_si256((__m256i *)p, (__m256i)_mm512_cvtneps_pbh(v));
#else
    _mm256_storeu_si256((__m256i *)p, _mm512_cvtepi32_epi16(sb_bf16_round16(v)));
#endif
}

/* The first n < 16 of them to p[0, n) only (a row's tail): the 32-bit pairs by sb_store_words,
   then the odd last value, if any. Not vpmovdw to memory with a mask, which made a head of 72
   values take twice as long as one of 64 on Zen 4 (bench_elementwise --in-cache, RoPE), nor a
   masked store (see sb_store_words). */
static inline void sb_bf16_store16_part(uint16_t *p, size_t n, __m512 v)
{
#ifdef __AVX512BF16__
    __m256i h = (__m256i)_mm512_cvtneps_pbh(v);
#else
    __m256i h = _mm512_cvtepi32_epi16(sb_bf16_round16(v));
#endif
    sb_store_words(p, n / 2, _mm512_castsi256_si512(h));
    if (n % 2) {
        uint16_t t[16];
        _mm256_storeu_si256((__m256i *)t, h);
        p[n - 1] = t[n - 1];
    }
}

/* lo and hi rounded to bfloat16, stored to p[0, 16) and p[16, 32). */
static inline void sb_bf16_store32(uint16_t *p, __m512 lo, __m512 hi)
{
#ifdef __AVX512BF16__
    _mm512_storeu_si512(p, (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
#else
    sb_bf16_store16(p, lo);
    sb_bf16_store16(p + 16, hi);
#endif
}

/* The same with a non-temporal store (past the caches); p 64-byte aligned. */
static inline void sb_bf16_stream32(uint16_t *p, __m512 lo, __m512 hi)
{
#ifdef __AVX512BF16__
    _mm512_stream_si512((void *)p, (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
#else
    __m512i w = _mm512_castsi256_si512(_mm512_cvtepi32_epi16(sb_bf16_round16(lo)));
    _mm512_stream_si512((void *)p,
                        _mm512_inserti64x4(w, _mm512_cvtepi32_epi16(sb_bf16_round16(hi)), 1));
#endif
}

/*
 * 32 bfloat16 values read as 16 pairs (32-bit words, p[2j] low): the even elements widened,
 * then the odd ones. For sums, whose order does not matter: one operation per 16 values, and no
 * shuffle, against two (vpmovzxwd, vpslld) in element order.
 */
static inline __m512 sb_bf16_even16(__m512i pairs)
{
    return _mm512_castsi512_ps(_mm512_slli_epi32(pairs, 16));
}

static inline __m512 sb_bf16_odd16(__m512i pairs)
{
    return _mm512_castsi512_ps(_mm512_and_si512(pairs, _mm512_set1_epi32((int)0xffff0000u)));
}

/*
 * even and odd (sb_bf16_even16 / _odd16 of the pairs of 32 values) rounded to bfloat16 as the
 * stores above, stored in element order to p[0, 32): vcvtne2ps2bf16 then one word permutation;
 * without AVX512-BF16, the integer rounding and one merge of the halves.
 */
static inline void sb_bf16_store_pairs(uint16_t *p, __m512 even, __m512 odd)
{
#if defined(__AVX512BF16__) && defined(__AVX512BW__)
    static const uint16_t order[32] = {0, 16, 1, 17, 2,  18, 3,  19, 4,  20, 5,  21, 6,  22, 7,  23,
                                       8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31};
    __m512i w = (__m512i)_mm512_cvtne2ps_pbh(odd, even);
    _mm512_storeu_si512(p, _mm512_permutexvar_epi16(_mm512_loadu_si512(order), w));
#else
    __m512i e = _mm512_srli_epi32(sb_bf16_bits512(_mm512_castps_si512(even)), 16);
    __m512i o = sb_bf16_bits512(_mm512_castps_si512(odd));
    /* e | (o & 0xffff0000) */
    _mm512_storeu_si512(p, _mm512_ternarylogic_epi32(e, o, _mm512_set1_epi32((int)0xffff0000u), 0xf8));
#endif
}

/*
 * The q/k head arithmetic (ref.h, sb_head_ops) on values [i, i + 16) of a head, v, lanes m:
 * w * (v * r) when w is given (RMSNorm), then v * cd + swap(v) * sd when cd is given (RoPE;
 * i is a multiple of 16 and d even, so the pairs are whole). FP32 and bfloat16 heads alike.
 */
static inline __m512 sb_head16(__m512 v, __mmask16 m, size_t i, const float *w, __m512 r,
                               const float *cd, const float *sd)
{
    if (w)
        v = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, w + i), _mm512_mul_ps(v, r));
    if (cd)
        v = _mm512_fmadd_ps(v, _mm512_maskz_loadu_ps(m, cd + i),
                            _mm512_mul_ps(_mm512_permute_ps(v, 0xb1), /* (x1, x0, x3, x2, ...) */
                                          _mm512_maskz_loadu_ps(m, sd + i)));
    return v;
}

/*
 * The modulation of LayerNorm + modulate, t * (1 + scale) + shift, on values [i, i + 16), lanes
 * m; s1: 1 + scale, computed once per group of rows (sb_ln_scale_table; one FMA then), else
 * (NULL) scale and shift as they are, each possibly NULL. FP32 and bfloat16
 * rows alike (avx512_elementwise.c, bf16_rows_avx512.h).
 */
static inline __attribute__((always_inline)) __m512
sb_ln_modulate16(__m512 t, const float *shift, const float *scale, const float *s1, size_t i,
                 __mmask16 m)
{
    if (s1)
        return _mm512_fmadd_ps(t, _mm512_maskz_loadu_ps(m, s1 + i), _mm512_maskz_loadu_ps(m, shift + i));
    if (scale)
        t = _mm512_fmadd_ps(t, _mm512_maskz_loadu_ps(m, scale + i), t);
    if (shift)
        t = _mm512_add_ps(t, _mm512_maskz_loadu_ps(m, shift + i));
    return t;
}

/* The longest row whose 1 + scale is kept in a table (floats, on the stack); longer rows
   multiply by scale and add the product. */
enum { SB_LN_TABLE = 2048 };

/* s1 (SB_LN_TABLE floats) as 1 + scale for a row of c with this shift and scale, filled only
   when scale is not the one it holds (*of); NULL where there is no table (no modulation, or c
   over SB_LN_TABLE). */
static inline const float *sb_ln_scale_table(float *s1, const float **of, const float *shift,
                                             const float *scale, size_t c)
{
    if (!shift || !scale || c > SB_LN_TABLE)
        return NULL;
    if (scale != *of) {
        for (size_t i = 0; i < c; i++)
            s1[i] = 1.0f + scale[i];
        *of = scale;
    }
    return s1;
}

/*
 * 2^t for results that are then rounded to bfloat16: n = round(t), f = t - n in [-1/2, 1/2],
 * 2^f by a degree-3 polynomial (minimax for relative error, fitted for this file: at most
 * 7.5e-5 relative on a float grid of [-1/2, 1/2], against bfloat16's half step of 2^-9 =
 * 2.0e-3), then times 2^n by vscalefps, which gives 0 or inf by itself beyond the float range
 * (no clamp). Finite t only: an infinite t makes f NaN.
 */
static inline __m512 sb_exp2_16_bf16(__m512 t)
{
    __m512 n = _mm512_roundscale_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 f = _mm512_sub_ps(t, n);
    __m512 p = _mm512_fmadd_ps(_mm512_set1_ps(0.0551716648f), f, _mm512_set1_ps(0.242611125f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(0.693260968f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(0.999928057f));
    return _mm512_scalef_ps(p, n);
}
#endif

#define SB_DEFINE_VEXP(name, V, VI, P, TO_INT, TO_FLOAT)                                      \
    static inline V name(V x)                                                                  \
    {                                                                                          \
        x = P##_min_ps(P##_max_ps(x, P##_set1_ps(-87.3f)), P##_set1_ps(88.7f));               \
        V t = P##_fmadd_ps(x, P##_set1_ps(1.44269504088896341f), P##_set1_ps(12583039.0f));    \
        V n = P##_sub_ps(t, P##_set1_ps(12583039.0f));                                         \
        V r = P##_fnmadd_ps(n, P##_set1_ps(0.693359375f), x);                                  \
        r = P##_fnmadd_ps(n, P##_set1_ps(-2.12194440e-4f), r);                                 \
        V r2 = P##_mul_ps(r, r);                                                               \
        V p54 = P##_fmadd_ps(P##_set1_ps(1.9875691500e-4f), r, P##_set1_ps(1.3981999507e-3f)); \
        V p32 = P##_fmadd_ps(P##_set1_ps(8.3334519073e-3f), r, P##_set1_ps(4.1665795894e-2f)); \
        V p10 = P##_fmadd_ps(P##_set1_ps(1.6666665459e-1f), r, P##_set1_ps(5.0000001201e-1f)); \
        V p = P##_fmadd_ps(P##_fmadd_ps(p54, r2, p32), r2, p10);                              \
        p = P##_fmadd_ps(p, r2, P##_add_ps(r, P##_set1_ps(1.0f)));                             \
        VI e = P##_slli_epi32(TO_INT(t), 23);                                                  \
        return P##_mul_ps(p, TO_FLOAT(e));                                                     \
    }

/* vexp8 in AVX2 files, and vexp16 too in AVX-512 files (which also define __AVX2__) */
#ifdef __AVX2__
SB_DEFINE_VEXP(vexp8, __m256, __m256i, _mm256, _mm256_castps_si256, _mm256_castsi256_ps)
#endif
#ifdef __AVX512F__
SB_DEFINE_VEXP(vexp16, __m512, __m512i, _mm512, _mm512_castps_si512, _mm512_castsi512_ps)
#endif

#endif
