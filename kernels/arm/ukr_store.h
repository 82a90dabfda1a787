/*
 * ukr_store.h - the stores every NEON micro-kernel ends with: C = acc on the
 * first KC block, C += acc after it. The MMLA form writes the 2 x 2 blocks
 * BFMMLA and SMMLA produce ([c00 c01 c10 c11] per register) as two rows.
 */
#ifndef SB_ARM_UKR_STORE_H
#define SB_ARM_UKR_STORE_H
#include <arm_neon.h>
#include <stddef.h>

static inline void sb_store_c4(float *c, float32x4_t acc, int first)
{
    vst1q_f32(c, first ? acc : vaddq_f32(acc, vld1q_f32(c)));
}

/* Rows r and r+1, columns j..j+3, from the 2x2 blocks of columns j..j+1 (lo) and j+2..j+3 (hi). */
static inline void sb_store_mmla(float *c, size_t ldc, float32x4_t lo, float32x4_t hi, int first)
{
    float64x2_t l = vreinterpretq_f64_f32(lo), h = vreinterpretq_f64_f32(hi);
    sb_store_c4(c, vreinterpretq_f32_f64(vzip1q_f64(l, h)), first);
    sb_store_c4(c + ldc, vreinterpretq_f32_f64(vzip2q_f64(l, h)), first);
}
#endif
