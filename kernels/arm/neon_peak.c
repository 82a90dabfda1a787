/* neon_peak.c - NEON peak probes (peak.h): the FP32 FMLA and the triad. */
#include <arm_neon.h>
#include "peak.h"

enum { ACC = 16 }; /* independent accumulators: 4 FP pipes (Neoverse V1, V2) x 4 cycles */

double sb_peak_fmla_f32_neon(uint64_t iters)
{
    float32x4_t a = vdupq_n_f32(1.0f), b = a, acc[ACC];
    double sum = 0;
    for (int j = 0; j < ACC; j++)
        acc[j] = vdupq_n_f32(0.0f);
    __asm__("" : "+w"(a), "+w"(b)); /* the compiler must not know they are 1 */
    for (uint64_t i = 0; i < iters; i++)
        for (int j = 0; j < ACC; j++)
            acc[j] = vfmaq_f32(acc[j], a, b);
    for (int j = 0; j < ACC; j++)
        sum += vaddvq_f32(acc[j]);
    return sum;
}

void sb_peak_triad_neon(float *a, const float *b, const float *c, float s, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        vst1q_f32(a + i, vfmaq_n_f32(vld1q_f32(b + i), vld1q_f32(c + i), s));
        vst1q_f32(a + i + 4, vfmaq_n_f32(vld1q_f32(b + i + 4), vld1q_f32(c + i + 4), s));
    }
    for (; i < n; i++)
        a[i] = b[i] + s * c[i];
}
