/* dotprod_peak.c - the dot-product peak probe (peak.h): SDOT, 16 s8 x s8 products each. */
#include <arm_neon.h>
#include "peak.h"
#include "peak_body.h"

SB_PEAK_PROBE(sb_peak_sdot_int8_dotprod, 16, int32x4_t, int8x16_t, vdupq_n_s32(0), vdupq_n_s8(1),
              "w", vdotq_s32, vaddvq_s32)
