/* avx512bf16_peak.c - the AVX512-BF16 peak probe (peak.h): vdpbf16ps, 32 multiply-adds each. */
#include <immintrin.h>
#include "peak.h"
#include "peak_body.h"

static double sum16(__m512 v)
{
    float lane[16];
    double s = 0;
    _mm512_storeu_ps(lane, v);
    for (int l = 0; l < 16; l++)
        s += lane[l];
    return s;
}

/* 12 accumulators; bfloat16 1.0 (0x3F80) in every element of the inputs */
SB_PEAK_PROBE(sb_peak_dpbf16_bf16_avx512bf16, 12, __m512, __m512bh, _mm512_setzero_ps(),
              (__m512bh)_mm512_set1_epi16(0x3F80), "v", _mm512_dpbf16_ps, sum16)
