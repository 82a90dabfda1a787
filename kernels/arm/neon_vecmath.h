/*
 * neon_vecmath.h - vector exp for the NEON kernels (elementwise, attention).
 *
 * exp(x) = 2^n exp(r), n = round(x / ln 2), r = x - n ln 2 (two-part ln 2),
 * exp(r) = 1 + r + r^2 p(r) with the degree-5 p of x86/vecmath.h (Cephes
 * coefficients), evaluated the same way: n by adding 1.5 * 2^23 + 127 (which
 * leaves n + 127 in the low mantissa bits), p by Estrin's scheme (3 dependent
 * FMAs, not Horner's 5). x is clamped to [-87.3, 88.7] so 2^n stays a normal
 * float (so exp of a very negative x is about 1e-38, not 0: callers mask lanes
 * that must be 0).
 */
#ifndef SB_NEON_VECMATH_H
#define SB_NEON_VECMATH_H
#include <arm_neon.h>

static inline float32x4_t vexp4(float32x4_t x)
{
    x = vminq_f32(vmaxq_f32(x, vdupq_n_f32(-87.3f)), vdupq_n_f32(88.7f));
    float32x4_t t = vfmaq_f32(vdupq_n_f32(12583039.0f), x, vdupq_n_f32(1.44269504088896341f));
    float32x4_t n = vsubq_f32(t, vdupq_n_f32(12583039.0f));
    float32x4_t r = vfmsq_f32(x, n, vdupq_n_f32(0.693359375f));
    r = vfmsq_f32(r, n, vdupq_n_f32(-2.12194440e-4f));
    float32x4_t r2 = vmulq_f32(r, r);
    float32x4_t p54 = vfmaq_f32(vdupq_n_f32(1.3981999507e-3f), vdupq_n_f32(1.9875691500e-4f), r);
    float32x4_t p32 = vfmaq_f32(vdupq_n_f32(4.1665795894e-2f), vdupq_n_f32(8.3334519073e-3f), r);
    float32x4_t p10 = vfmaq_f32(vdupq_n_f32(5.0000001201e-1f), vdupq_n_f32(1.6666665459e-1f), r);
    float32x4_t p = vfmaq_f32(p10, vfmaq_f32(p32, p54, r2), r2);
    p = vfmaq_f32(vaddq_f32(r, vdupq_n_f32(1.0f)), p, r2);
    int32x4_t e = vshlq_n_s32(vreinterpretq_s32_f32(t), 23);
    return vmulq_f32(p, vreinterpretq_f32_s32(e));
}

#endif
