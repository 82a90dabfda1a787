/*
 * vecmath.h - vector exp for the x86 kernels, written once as a macro over the
 * vector type and instruction prefix and instantiated here for the ISA of the
 * including file (vexp8 in AVX2 files; vexp16 too in AVX-512 files, each
 * compiled with its own flags); and bfloat16 rounding, loads and stores of
 * each width (sb_bf16 in kernel.h: the upper half of a binary32).
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
#include <string.h>

#ifdef __AVX2__
/* 8 bfloat16 values widened to FP32 (exact: a bfloat16 is the upper half of a binary32). */
static inline __m256 sb_bf16_load8(const uint16_t *p)
{
    __m128i h = _mm_loadu_si128((const __m128i *)p);
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

/* FP32 bit patterns u rounded to bfloat16 as sb_f32_to_bf16 does (nearest even, NaN made
   quiet), the 8 results packed into 128 bits. */
static inline __m128i sb_bf16_round8(__m256i u)
{
    const __m256i one = _mm256_set1_epi32(1), half = _mm256_set1_epi32(0x7fff),
                  abs_mask = _mm256_set1_epi32(0x7fffffff), inf = _mm256_set1_epi32(0x7f800000),
                  quiet = _mm256_set1_epi32(0x40);
    __m256i r = _mm256_add_epi32(_mm256_add_epi32(u, half),
                                 _mm256_and_si256(_mm256_srli_epi32(u, 16), one));
    r = _mm256_srli_epi32(r, 16);
    __m256i nan = _mm256_cmpgt_epi32(_mm256_and_si256(u, abs_mask), inf);
    r = _mm256_blendv_epi8(r, _mm256_or_si256(_mm256_srli_epi32(u, 16), quiet), nan);
    /* 32-bit lanes hold values < 2^16: an unsigned pack keeps them */
    return _mm_packus_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
}

/* v rounded to bfloat16 and stored to p[0, 8). */
static inline void sb_bf16_store8(uint16_t *p, __m256 v)
{
    _mm_storeu_si128((__m128i *)p, sb_bf16_round8(_mm256_castps_si256(v)));
}
#endif

#ifdef __AVX512F__
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

/* Values [i, i + 16) of a bfloat16 row of n: all, or the tail, whose lanes past n read 0. */
static inline __m512 sb_bf16_load16_part(const uint16_t *p, size_t i, size_t n)
{
    uint16_t t[16] = {0};
    if (n - i >= 16)
        return sb_bf16_load16(p + i);
    memcpy(t, p + i, (n - i) * sizeof(*p));
    return sb_bf16_load16(t);
}

/* v rounded to bfloat16 (sb_bf16_bits512), stored to p[0, 16). */
static inline void sb_bf16_store16(uint16_t *p, __m512 v)
{
    __m512i r = _mm512_srli_epi32(sb_bf16_bits512(_mm512_castps_si512(v)), 16);
    _mm256_storeu_si256((__m256i *)p, _mm512_cvtepi32_epi16(r));
}

/* The same to the lanes of m of p only (a row's tail). */
static inline void sb_bf16_store16_mask(uint16_t *p, __mmask16 m, __m512 v)
{
    __m512i r = _mm512_srli_epi32(sb_bf16_bits512(_mm512_castps_si512(v)), 16);
    _mm512_mask_cvtepi32_storeu_epi16(p, m, r);
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
