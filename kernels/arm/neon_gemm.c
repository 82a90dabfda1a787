/*
 * neon_gemm.c - FP32 GEMM micro-kernel for Advanced SIMD (NEON, every aarch64
 * CPU: Graviton2's Neoverse N1 and up), an 8 x 12 block of C.
 *
 * Registers (32 q registers of 4 floats): 24 accumulators (8 rows x 3 vectors),
 * 3 for the B row, 2 for the 8 A values = 29. Per k step: 5 loads (3 B, 2 A)
 * feed 24 FMLA (by element, vfmaq_laneq_f32): 192 FLOPs per 5 loads. Neoverse
 * N1 has 2 FMA pipes with 4-cycle latency, so 8 independent FMAs are enough to
 * hide it; 24 keep both pipes busy while the 2 load pipes fetch the next k.
 */
#include <arm_neon.h>
#include "arm/arm.h"

enum { MR = 8, NR = 12 };

static inline void store_c(float *c, float32x4_t acc, int first)
{
    vst1q_f32(c, first ? acc : vaddq_f32(acc, vld1q_f32(c)));
}

static void ukr_8x12(size_t kc, const void *ap, const void *bp, float *c, size_t ldc, int first)
{
    const float *a = ap, *b = bp;
#define ROW(r) float32x4_t c##r##0 = vdupq_n_f32(0), c##r##1 = vdupq_n_f32(0), c##r##2 = vdupq_n_f32(0);
    ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7)
#undef ROW
    for (size_t k = 0; k < kc; k++) {
        float32x4_t b0 = vld1q_f32(b + k * NR), b1 = vld1q_f32(b + k * NR + 4),
                    b2 = vld1q_f32(b + k * NR + 8);
        float32x4_t a0 = vld1q_f32(a + k * MR), a1 = vld1q_f32(a + k * MR + 4);
#define ROW(r, av, l)                                                                   \
    c##r##0 = vfmaq_laneq_f32(c##r##0, b0, av, l);                                      \
    c##r##1 = vfmaq_laneq_f32(c##r##1, b1, av, l);                                      \
    c##r##2 = vfmaq_laneq_f32(c##r##2, b2, av, l);
        ROW(0, a0, 0) ROW(1, a0, 1) ROW(2, a0, 2) ROW(3, a0, 3)
        ROW(4, a1, 0) ROW(5, a1, 1) ROW(6, a1, 2) ROW(7, a1, 3)
#undef ROW
    }
#define ROW(r)                                                                          \
    store_c(c + r * ldc, c##r##0, first);                                               \
    store_c(c + r * ldc + 4, c##r##1, first);                                           \
    store_c(c + r * ldc + 8, c##r##2, first);
    ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7)
#undef ROW
}

const sb_ukr_desc sb_ukr_neon_f32 = {.name = "neon 8x12 f32", .mr = MR, .nr = NR,
                                     .pack = SB_PACK_F32, .fn = ukr_8x12};
