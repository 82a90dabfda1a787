/* avx512bf16_peak.c - the AVX512-BF16 peak probe (peak.h): vdpbf16ps, 32 multiply-adds each. */
#include <immintrin.h>
#include "peak.h"

enum { ACC = 12 };

double sb_peak_dpbf16_bf16_avx512bf16(uint64_t iters)
{
    __m512i one = _mm512_set1_epi16(0x3F80); /* bfloat16 1.0 in every element */
    __m512 acc[ACC];
    float lane[16];
    double sum = 0;
    __asm__("" : "+v"(one)); /* the compiler must not know it is 1 */
    __m512bh a = (__m512bh)one, b = (__m512bh)one;
    for (int j = 0; j < ACC; j++)
        acc[j] = _mm512_setzero_ps();
    for (uint64_t i = 0; i < iters; i++)
        for (int j = 0; j < ACC; j++)
            acc[j] = _mm512_dpbf16_ps(acc[j], a, b);
    for (int j = 0; j < ACC; j++) {
        _mm512_storeu_ps(lane, acc[j]);
        for (int l = 0; l < 16; l++)
            sum += lane[l];
    }
    return sum;
}
