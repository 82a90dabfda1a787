/* neon_peak.c - NEON peak probes (peak.h): the FP32 FMLA and the triad. */
#include <arm_neon.h>
#include "peak.h"
#include "peak_body.h"

/* 16 independent accumulators: 4 FP pipes (Neoverse V1, V2) x 4 cycles */
SB_PEAK_PROBE(sb_peak_fmla_f32_neon, 16, float32x4_t, float32x4_t, vdupq_n_f32(0.0f),
              vdupq_n_f32(1.0f), "w", vfmaq_f32, vaddvq_f32)

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
