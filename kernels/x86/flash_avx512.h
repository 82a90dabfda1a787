/*
 * flash_avx512.h - the online-softmax step of the AVX-512 flash block
 * functions (FP32: avx512_attention.c, BF16: avx512bf16_attention.c), inline
 * in each and built with its flags. A block is 8 queries x 32 keys: scores
 * s[i] (keys 0..16) and s[8 + i] (keys 16..32) of query i.
 */
#ifndef SB_FLASH_AVX512_H
#define SB_FLASH_AVX512_H
#include <immintrin.h>
#include <math.h>
#include <string.h>
#include "x86/vecmath.h"

enum { SB_F512_QB = 8, SB_F512_KB = 32 };

/* Before the first block: running maxima -inf, sums and outputs 0. */
static inline void sb_f512_start(float *m, float *l, float *o, size_t d)
{
    for (int i = 0; i < SB_F512_QB; i++) {
        m[i] = -INFINITY;
        l[i] = 0.0f;
    }
    memset(o, 0, SB_F512_QB * d * sizeof(float));
}

/*
 * Query i of a block of nk keys (1..32): its new maximum over the valid keys,
 * P = exp(s - m_new) in *plo / *phi (0 beyond nk), and m_old - m_new in
 * corr[i] (exponentiated by sb_f512_finish); s[i] becomes P's lane sums.
 */
static inline void sb_f512_softmax(__m512 *s, int i, size_t nk, float *m, float *corr, __m512 *plo,
                                   __m512 *phi)
{
    __mmask16 v0 = (__mmask16)(nk >= 16 ? 0xffff : (1u << nk) - 1);
    __mmask16 v1 = (__mmask16)(nk >= 32 ? 0xffff : nk > 16 ? (1u << (nk - 16)) - 1 : 0);
    const __m512 ninf = _mm512_set1_ps(-INFINITY);
    __m512 lo = _mm512_mask_mov_ps(ninf, v0, s[i]);
    __m512 hi = _mm512_mask_mov_ps(ninf, v1, s[SB_F512_QB + i]);
    float mnew = fmaxf(m[i], _mm512_reduce_max_ps(_mm512_max_ps(lo, hi)));
    __m512 mv = _mm512_set1_ps(mnew);
    *plo = _mm512_maskz_mov_ps(v0, vexp16(_mm512_sub_ps(lo, mv)));
    *phi = v1 ? _mm512_maskz_mov_ps(v1, vexp16(_mm512_sub_ps(hi, mv))) : _mm512_setzero_ps();
    corr[i] = m[i] - mnew;
    m[i] = mnew;
    s[i] = _mm512_add_ps(*plo, *phi);
}

/* After the 8 queries' softmax: corr = exp(m_old - m_new), l = l * corr + sum(P). */
static inline void sb_f512_finish(const __m512 *s, float *corr, float *l)
{
    __m256 cv = _mm512_castps512_ps256(vexp16(_mm512_castps256_ps512(_mm256_loadu_ps(corr))));
    _mm256_storeu_ps(corr, cv);
    for (int i = 0; i < SB_F512_QB; i++)
        l[i] = l[i] * corr[i] + _mm512_reduce_add_ps(s[i]);
}

/* Lanes [dc, dc + 16) of a head of d values: all, or the tail. */
static inline __mmask16 sb_f512_dmask(size_t dc, size_t d)
{
    return d - dc >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (d - dc)) - 1);
}

/* The 8 output accumulators o0..o7 for lanes dc of o [8][D]: loaded, times corr; and stored. */
#define SB_F512_OUT_LOAD(o, D, dc, dm, corr)                                                    \
    __m512 o0 = _mm512_mul_ps(_mm512_maskz_loadu_ps(dm, o + 0 * D + dc), _mm512_set1_ps(corr[0])), \
           o1 = _mm512_mul_ps(_mm512_maskz_loadu_ps(dm, o + 1 * D + dc), _mm512_set1_ps(corr[1])), \
           o2 = _mm512_mul_ps(_mm512_maskz_loadu_ps(dm, o + 2 * D + dc), _mm512_set1_ps(corr[2])), \
           o3 = _mm512_mul_ps(_mm512_maskz_loadu_ps(dm, o + 3 * D + dc), _mm512_set1_ps(corr[3])), \
           o4 = _mm512_mul_ps(_mm512_maskz_loadu_ps(dm, o + 4 * D + dc), _mm512_set1_ps(corr[4])), \
           o5 = _mm512_mul_ps(_mm512_maskz_loadu_ps(dm, o + 5 * D + dc), _mm512_set1_ps(corr[5])), \
           o6 = _mm512_mul_ps(_mm512_maskz_loadu_ps(dm, o + 6 * D + dc), _mm512_set1_ps(corr[6])), \
           o7 = _mm512_mul_ps(_mm512_maskz_loadu_ps(dm, o + 7 * D + dc), _mm512_set1_ps(corr[7]));
#define SB_F512_OUT_STORE(o, D, dc, dm)                                                          \
    _mm512_mask_storeu_ps(o + 0 * D + dc, dm, o0), _mm512_mask_storeu_ps(o + 1 * D + dc, dm, o1), \
    _mm512_mask_storeu_ps(o + 2 * D + dc, dm, o2), _mm512_mask_storeu_ps(o + 3 * D + dc, dm, o3), \
    _mm512_mask_storeu_ps(o + 4 * D + dc, dm, o4), _mm512_mask_storeu_ps(o + 5 * D + dc, dm, o5), \
    _mm512_mask_storeu_ps(o + 6 * D + dc, dm, o6), _mm512_mask_storeu_ps(o + 7 * D + dc, dm, o7);
#endif
