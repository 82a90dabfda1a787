/*
 * avx2_peak.c - AVX2 + FMA peak probes (peak.h): the FP32 FMA, the INT8 chain the AVX2 INT8
 * kernel multiplies with (vpmaddubsw, vpmaddwd, vpaddd), and the triad.
 */
#include <immintrin.h>
#include "peak.h"

enum { ACC = 12 }; /* independent accumulators: 2 FMA pipes x up to 6 cycles of latency */

double sb_peak_fma_f32_avx2(uint64_t iters)
{
    __m256 a = _mm256_set1_ps(1.0f), b = a, acc[ACC];
    float lane[8];
    double sum = 0;
    for (int j = 0; j < ACC; j++)
        acc[j] = _mm256_setzero_ps();
    __asm__("" : "+x"(a), "+x"(b)); /* the compiler must not know they are 1 */
    for (uint64_t i = 0; i < iters; i++)
        for (int j = 0; j < ACC; j++)
            acc[j] = _mm256_fmadd_ps(a, b, acc[j]);
    for (int j = 0; j < ACC; j++) {
        _mm256_storeu_ps(lane, acc[j]);
        for (int l = 0; l < 8; l++)
            sum += lane[l];
    }
    return sum;
}

double sb_peak_maddubs_int8_avx2(uint64_t iters)
{
    __m256i a = _mm256_set1_epi8(1), b = a, one = _mm256_set1_epi16(1), acc[ACC];
    int32_t lane[8];
    double sum = 0;
    for (int j = 0; j < ACC; j++)
        acc[j] = _mm256_setzero_si256();
    __asm__("" : "+x"(b), "+x"(one));
    for (uint64_t i = 0; i < iters; i++)
        for (int j = 0; j < ACC; j++) {
            __asm__("" : "+x"(a)); /* a new a each time, or the products would be computed once */
            __m256i p = _mm256_madd_epi16(_mm256_maddubs_epi16(a, b), one);
            acc[j] = _mm256_add_epi32(acc[j], p);
        }
    for (int j = 0; j < ACC; j++) {
        _mm256_storeu_si256((__m256i *)lane, acc[j]);
        for (int l = 0; l < 8; l++)
            sum += lane[l];
    }
    return sum;
}

void sb_peak_triad_avx2(float *a, const float *b, const float *c, float s, size_t n)
{
    __m256 vs = _mm256_set1_ps(s);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256 x0 = _mm256_fmadd_ps(vs, _mm256_loadu_ps(c + i), _mm256_loadu_ps(b + i));
        __m256 x1 = _mm256_fmadd_ps(vs, _mm256_loadu_ps(c + i + 8), _mm256_loadu_ps(b + i + 8));
        _mm256_storeu_ps(a + i, x0);
        _mm256_storeu_ps(a + i + 8, x1);
    }
    for (; i < n; i++)
        a[i] = b[i] + s * c[i];
}
