/*
 * avx2_peak.c - AVX2 + FMA peak probes (peak.h): the FP32 FMA, the INT8 chain the AVX2 INT8
 * kernel multiplies with (vpmaddubsw, vpmaddwd, vpaddd), and the triad.
 */
#include <immintrin.h>
#include "peak.h"
#include "peak_body.h"
#include "x86/peak_sum.h"

enum { ACC = 12 }; /* independent accumulators: 2 FMA pipes x up to 6 cycles of latency */

#define FMA8(acc, a, b) _mm256_fmadd_ps(a, b, acc)

SB_PEAK_PROBE(sb_peak_fma_f32_avx2, ACC, __m256, __m256, _mm256_setzero_ps(), _mm256_set1_ps(1.0f),
              "x", FMA8, sb_peak_sum8_ps)

/*
 * Not SB_PEAK_PROBE: one asm per iteration, 8 chains of vpmaddubsw (32 u8 x s8 products in 16
 * pair sums), vpmaddwd (with ones: 8 quad sums) and vpaddd, through 4 temporaries. In C, the
 * products of equal inputs are computed once, and hiding the input from each one (an empty asm
 * per product) made GCC 12 spill accumulators to the stack. 8 accumulators: vpaddd has 1 cycle of
 * latency, and 8 + 4 + the 3 inputs fit the 16 ymm registers.
 */
#define MADDUBS_CHAIN(c, t)                                                                      \
    "vpmaddubsw %[b], %[a], %[" t "]\n\t"                                                       \
    "vpmaddwd %[one], %[" t "], %[" t "]\n\t"                                                   \
    "vpaddd %[" t "], %[" c "], %[" c "]\n\t"

double sb_peak_maddubs_int8_avx2(uint64_t iters)
{
    __m256i a = _mm256_set1_epi8(1), b = a, one = _mm256_set1_epi16(1), t0, t1, t2, t3;
    __m256i c0 = _mm256_setzero_si256(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0,
            c7 = c0;
    double sum = 0;
    for (uint64_t i = 0; i < iters; i++)
        __asm__(MADDUBS_CHAIN("c0", "t0") MADDUBS_CHAIN("c1", "t1") MADDUBS_CHAIN("c2", "t2")
                MADDUBS_CHAIN("c3", "t3") MADDUBS_CHAIN("c4", "t0") MADDUBS_CHAIN("c5", "t1")
                MADDUBS_CHAIN("c6", "t2") MADDUBS_CHAIN("c7", "t3")
                : [c0] "+x"(c0), [c1] "+x"(c1), [c2] "+x"(c2), [c3] "+x"(c3), [c4] "+x"(c4),
                  [c5] "+x"(c5), [c6] "+x"(c6), [c7] "+x"(c7), [t0] "=&x"(t0), [t1] "=&x"(t1),
                  [t2] "=&x"(t2), [t3] "=&x"(t3)
                : [a] "x"(a), [b] "x"(b), [one] "x"(one));
    __m256i all[8] = {c0, c1, c2, c3, c4, c5, c6, c7};
    for (int j = 0; j < 8; j++)
        sum += sb_peak_sum8_epi32(all[j]);
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
