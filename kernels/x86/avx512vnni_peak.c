/* avx512vnni_peak.c - the AVX512-VNNI peak probe (peak.h): vpdpbusd, 64 u8 x s8 products each. */
#include <immintrin.h>
#include "peak.h"
#include "peak_body.h"
#include "x86/peak_sum.h"

SB_PEAK_PROBE(sb_peak_dpbusd_int8_avx512vnni, 12, __m512i, __m512i, _mm512_setzero_si512(),
              _mm512_set1_epi8(1), "v", _mm512_dpbusd_epi32, sb_peak_sum16_epi32)
