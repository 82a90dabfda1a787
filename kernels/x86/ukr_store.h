/*
 * ukr_store.h - the store every x86 micro-kernel ends with: C = acc on the
 * first KC block, C += acc after it. One helper per vector width, each only
 * where the including file's flags provide that width.
 */
#ifndef SB_UKR_STORE_H
#define SB_UKR_STORE_H
#include <immintrin.h>

#ifdef __AVX__
static inline void sb_store_c256(float *c, __m256 acc, int first)
{
    _mm256_storeu_ps(c, first ? acc : _mm256_add_ps(acc, _mm256_loadu_ps(c)));
}
#endif

#ifdef __AVX512F__
static inline void sb_store_c512(float *c, __m512 acc, int first)
{
    _mm512_storeu_ps(c, first ? acc : _mm512_add_ps(acc, _mm512_loadu_ps(c)));
}
#endif
#endif
