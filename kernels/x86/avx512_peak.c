/* avx512_peak.c - AVX-512F peak probes (peak.h): the FP32 FMA and the triad. */
#include <immintrin.h>
#include "peak.h"
#include "peak_body.h"
#include "x86/peak_sum.h"

/* 12 independent accumulators: 2 FMA pipes x up to 6 cycles of latency */
#define FMA16(acc, a, b) _mm512_fmadd_ps(a, b, acc)

SB_PEAK_PROBE(sb_peak_fma_f32_avx512, 12, __m512, __m512, _mm512_setzero_ps(), _mm512_set1_ps(1.0f),
              "v", FMA16, sb_peak_sum16_ps)

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
