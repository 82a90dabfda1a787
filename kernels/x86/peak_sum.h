/*
 * peak_sum.h - every lane of an accumulator added up in double, for the x86 peak probes
 * (peak_body.h's SUM): exact while the lanes are integers below 2^24 (FP32) or 2^31 (INT32).
 * Each function needs its ISA's flags, which the including file's library has.
 */
#ifndef SB_X86_PEAK_SUM_H
#define SB_X86_PEAK_SUM_H
#include <immintrin.h>
#include <stdint.h>

#ifdef __AVX__
static inline double sb_peak_sum8_ps(__m256 v)
{
    float lane[8];
    double s = 0;
    _mm256_storeu_ps(lane, v);
    for (int l = 0; l < 8; l++)
        s += lane[l];
    return s;
}
#endif

#ifdef __AVX2__
static inline double sb_peak_sum8_epi32(__m256i v)
{
    int32_t lane[8];
    double s = 0;
    _mm256_storeu_si256((__m256i *)lane, v);
    for (int l = 0; l < 8; l++)
        s += lane[l];
    return s;
}
#endif

#ifdef __AVX512F__
static inline double sb_peak_sum16_ps(__m512 v)
{
    float lane[16];
    double s = 0;
    _mm512_storeu_ps(lane, v);
    for (int l = 0; l < 16; l++)
        s += lane[l];
    return s;
}

static inline double sb_peak_sum16_epi32(__m512i v)
{
    int32_t lane[16];
    double s = 0;
    _mm512_storeu_si512(lane, v);
    for (int l = 0; l < 16; l++)
        s += lane[l];
    return s;
}
#endif

#endif
