/* avx512bf16_peak.c - the AVX512-BF16 peak probe (peak.h): vdpbf16ps, 32 multiply-adds each. */
#include <immintrin.h>
#include "peak.h"
#include "peak_body.h"
#include "x86/peak_sum.h"

/* 12 accumulators; bfloat16 1.0 (0x3F80) in every element of the inputs */
SB_PEAK_PROBE(sb_peak_dpbf16_bf16_avx512bf16, 12, __m512, __m512bh, _mm512_setzero_ps(),
              (__m512bh)_mm512_set1_epi16(0x3F80), "v", _mm512_dpbf16_ps, sb_peak_sum16_ps)
