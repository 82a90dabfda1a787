/* dotprod_peak.c - the dot-product peak probe (peak.h): SDOT, 16 s8 x s8 products each. */
#include <arm_neon.h>
#include "peak.h"

enum { ACC = 16 };

double sb_peak_sdot_int8_dotprod(uint64_t iters)
{
    int8x16_t a = vdupq_n_s8(1), b = a;
    int32x4_t acc[ACC];
    double sum = 0;
    for (int j = 0; j < ACC; j++)
        acc[j] = vdupq_n_s32(0);
    __asm__("" : "+w"(a), "+w"(b)); /* the compiler must not know they are 1 */
    for (uint64_t i = 0; i < iters; i++)
        for (int j = 0; j < ACC; j++)
            acc[j] = vdotq_s32(acc[j], a, b);
    for (int j = 0; j < ACC; j++)
        sum += vaddvq_s32(acc[j]);
    return sum;
}
