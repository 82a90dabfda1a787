/* avx512vnni_peak.c - the AVX512-VNNI peak probe (peak.h): vpdpbusd, 64 u8 x s8 products each. */
#include <immintrin.h>
#include "peak.h"

enum { ACC = 12 };

double sb_peak_dpbusd_int8_avx512vnni(uint64_t iters)
{
    __m512i a = _mm512_set1_epi8(1), b = a, acc[ACC];
    int32_t lane[16];
    double sum = 0;
    __asm__("" : "+v"(a), "+v"(b)); /* the compiler must not know they are 1 */
    for (int j = 0; j < ACC; j++)
        acc[j] = _mm512_setzero_si512();
    for (uint64_t i = 0; i < iters; i++)
        for (int j = 0; j < ACC; j++)
            acc[j] = _mm512_dpbusd_epi32(acc[j], a, b);
    for (int j = 0; j < ACC; j++) {
        _mm512_storeu_si512(lane, acc[j]);
        for (int l = 0; l < 16; l++)
            sum += lane[l];
    }
    return sum;
}
