/* bf16_peak.c - the BF16 peak probe (peak.h): BFMMLA, a 2x4 by 4x2 product, 16 multiply-adds. */
#include <arm_neon.h>
#include "peak.h"

enum { ACC = 16 };

double sb_peak_bfmmla_bf16_bf16(uint64_t iters)
{
    uint16x8_t one = vdupq_n_u16(0x3F80); /* bfloat16 1.0 in every element */
    float32x4_t acc[ACC];
    double sum = 0;
    __asm__("" : "+w"(one)); /* the compiler must not know it is 1 */
    bfloat16x8_t a = vreinterpretq_bf16_u16(one), b = a;
    for (int j = 0; j < ACC; j++)
        acc[j] = vdupq_n_f32(0.0f);
    for (uint64_t i = 0; i < iters; i++)
        for (int j = 0; j < ACC; j++)
            acc[j] = vbfmmlaq_f32(acc[j], a, b);
    for (int j = 0; j < ACC; j++)
        sum += vaddvq_f32(acc[j]);
    return sum;
}
