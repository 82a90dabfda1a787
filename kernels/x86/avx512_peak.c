/* avx512_peak.c - AVX-512F peak probes (peak.h): the FP32 FMA and the triad. */
#include <immintrin.h>
#include "peak.h"

enum { ACC = 12 }; /* independent accumulators: 2 FMA pipes x up to 6 cycles of latency */

double sb_peak_fma_f32_avx512(uint64_t iters)
{
    __m512 a = _mm512_set1_ps(1.0f), b = a, acc[ACC];
    float lane[16];
    double sum = 0;
    for (int j = 0; j < ACC; j++)
        acc[j] = _mm512_setzero_ps();
    __asm__("" : "+v"(a), "+v"(b)); /* the compiler must not know they are 1 */
    for (uint64_t i = 0; i < iters; i++)
        for (int j = 0; j < ACC; j++)
            acc[j] = _mm512_fmadd_ps(a, b, acc[j]);
    for (int j = 0; j < ACC; j++) {
        _mm512_storeu_ps(lane, acc[j]);
        for (int l = 0; l < 16; l++)
            sum += lane[l];
    }
    return sum;
}

void sb_peak_triad_avx512(float *a, const float *b, const float *c, float s, size_t n)
{
    __m512 vs = _mm512_set1_ps(s);
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m512 x0 = _mm512_fmadd_ps(vs, _mm512_loadu_ps(c + i), _mm512_loadu_ps(b + i));
        __m512 x1 = _mm512_fmadd_ps(vs, _mm512_loadu_ps(c + i + 16), _mm512_loadu_ps(b + i + 16));
        _mm512_storeu_ps(a + i, x0);
        _mm512_storeu_ps(a + i + 16, x1);
    }
    for (; i < n; i += 16) {
        __mmask16 m = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1);
        __m512 x = _mm512_fmadd_ps(vs, _mm512_maskz_loadu_ps(m, c + i), _mm512_maskz_loadu_ps(m, b + i));
        _mm512_mask_storeu_ps(a + i, m, x);
    }
}
