/* bf16_peak.c - the BF16 peak probe (peak.h): BFMMLA, a 2x4 by 4x2 product, 16 multiply-adds. */
#include <arm_neon.h>
#include "peak.h"
#include "peak_body.h"

/*
 * bfloat16 1.0 (0x3F80) in every element. Built from an integer vector the compiler cannot see:
 * GCC 12 turns a constant bfloat16 vector into `fmov v.8h`, which needs FP16 (docs/graviton.md).
 */
static inline bfloat16x8_t bf16_one(void)
{
    uint16x8_t u = vdupq_n_u16(0x3F80);
    __asm__("" : "+w"(u));
    return vreinterpretq_bf16_u16(u);
}

SB_PEAK_PROBE(sb_peak_bfmmla_bf16_bf16, 16, float32x4_t, bfloat16x8_t, vdupq_n_f32(0.0f),
              bf16_one(), "w", vbfmmlaq_f32, vaddvq_f32)
