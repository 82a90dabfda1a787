/* i8mm_peak.c - the I8MM peak probe (peak.h): SMMLA, a 2x8 by 8x2 product, 32 multiply-adds. */
#include <arm_neon.h>
#include "peak.h"
#include "peak_body.h"

SB_PEAK_PROBE(sb_peak_smmla_int8_i8mm, 16, int32x4_t, int8x16_t, vdupq_n_s32(0), vdupq_n_s8(1),
              "w", vmmlaq_s32, vaddvq_s32)
