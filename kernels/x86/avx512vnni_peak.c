/* avx512vnni_peak.c - the AVX512-VNNI peak probe (peak.h): vpdpbusd, 64 u8 x s8 products each. */
#include <immintrin.h>
#include "peak.h"
#include "peak_body.h"

static double sum16(__m512i v)
{
    int32_t lane[16];
    double s = 0;
    _mm512_storeu_si512(lane, v);
    for (int l = 0; l < 16; l++)
        s += lane[l];
    return s;
}

SB_PEAK_PROBE(sb_peak_dpbusd_int8_avx512vnni, 12, __m512i, __m512i, _mm512_setzero_si512(),
              _mm512_set1_epi8(1), "v", _mm512_dpbusd_epi32, sum16)
