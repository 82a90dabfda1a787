/*
 * neon_gemm.c - GEMM micro-kernels for Advanced SIMD (NEON, every aarch64
 * CPU: Graviton2's Neoverse N1 and up): FP32, and BF16 widened to FP32 in
 * registers for CPUs without the BF16 instructions (Graviton2).
 *
 * FP32, an 8 x 12 block of C.
 * Registers (32 q registers of 4 floats): 24 accumulators (8 rows x 3 vectors),
 * 3 for the B row, 2 for the 8 A values = 29. Per k step: 5 loads (3 B, 2 A)
 * feed 24 FMLA (by element, vfmaq_laneq_f32): 192 FLOPs per 5 loads. Neoverse
 * N1 has 2 FMA pipes with 4-cycle latency, so 8 independent FMAs are enough to
 * hide it; 24 keep both pipes busy while the 2 load pipes fetch the next k.
 */
#include <arm_neon.h>
#include "arm/arm.h"
#include "arm/ukr_store.h"
#include "gemm/ukr_rows.h"

enum { MR = 8, NR = 12 };

static inline __attribute__((always_inline)) void ukr_f32(size_t kc, const void *ap, const void *bp,
        float *c, size_t ldc, int first, const int R)
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
    if (r < R) {                                                                        \
        c##r##0 = vfmaq_laneq_f32(c##r##0, b0, av, l);                                  \
        c##r##1 = vfmaq_laneq_f32(c##r##1, b1, av, l);                                  \
        c##r##2 = vfmaq_laneq_f32(c##r##2, b2, av, l);                                  \
    }
        ROW(0, a0, 0) ROW(1, a0, 1) ROW(2, a0, 2) ROW(3, a0, 3)
        ROW(4, a1, 0) ROW(5, a1, 1) ROW(6, a1, 2) ROW(7, a1, 3)
#undef ROW
    }
    SB_STORE_8X12(SB_AS_F32, R);
}
SB_UKR_ROWS(8, ukr_f32, ukr_f32)

const sb_ukr_desc sb_ukr_neon_f32 = {.name = "neon 8x12 f32", .mr = MR, .nr = NR,
                                     .pack = SB_PACK_F32, .fn = ukr_f32_8, .epi = &sb_epi_neon,
                                     .rows = ukr_f32_rows};

/*
 * BF16 pairs widened to FP32, an 8 x 8 block of C (Graviton2 has no BFDOT):
 * a 32-bit word holds the pair (k even in the low half, k odd in the high
 * half); word << 16 is the even value as FP32, word & 0xffff0000 the odd one.
 * Registers: 16 accumulators, 4 widened B vectors (2 even, 2 odd), 4 widened
 * A vectors = 24. Per k pair: 4 loads (2 B, 2 A), 8 widening ops, 32 FMLA
 * (256 FLOPs): the widening costs a quarter of the FMA issue slots.
 */
enum { NRB = 8 };

static inline __attribute__((always_inline)) void ukr_bf16cvt(size_t kc, const void *ap, const void *bp,
        float *c, size_t ldc, int first, const int R)
{
    const uint32_t *a = ap;  /* [kc/2][MR] pairs */
    const uint32_t *b = bp;  /* [kc/2][NRB] pairs */
    const uint32x4_t hi = vdupq_n_u32(0xffff0000u);
#define ROW(r) float32x4_t c##r##0 = vdupq_n_f32(0), c##r##1 = vdupq_n_f32(0);
    ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7)
#undef ROW
    for (size_t k = 0; k < kc / 2; k++) {
        uint32x4_t w0 = vld1q_u32(b + k * NRB), w1 = vld1q_u32(b + k * NRB + 4);
        uint32x4_t x0 = vld1q_u32(a + k * MR), x1 = vld1q_u32(a + k * MR + 4);
        float32x4_t b0e = vreinterpretq_f32_u32(vshlq_n_u32(w0, 16));
        float32x4_t b0o = vreinterpretq_f32_u32(vandq_u32(w0, hi));
        float32x4_t b1e = vreinterpretq_f32_u32(vshlq_n_u32(w1, 16));
        float32x4_t b1o = vreinterpretq_f32_u32(vandq_u32(w1, hi));
        float32x4_t a0e = vreinterpretq_f32_u32(vshlq_n_u32(x0, 16));
        float32x4_t a0o = vreinterpretq_f32_u32(vandq_u32(x0, hi));
        float32x4_t a1e = vreinterpretq_f32_u32(vshlq_n_u32(x1, 16));
        float32x4_t a1o = vreinterpretq_f32_u32(vandq_u32(x1, hi));
#define ROW(r, ae, ao, l)                                                               \
    if (r < R) {                                                                        \
        c##r##0 = vfmaq_laneq_f32(vfmaq_laneq_f32(c##r##0, b0e, ae, l), b0o, ao, l);     \
        c##r##1 = vfmaq_laneq_f32(vfmaq_laneq_f32(c##r##1, b1e, ae, l), b1o, ao, l);     \
    }
        ROW(0, a0e, a0o, 0) ROW(1, a0e, a0o, 1) ROW(2, a0e, a0o, 2) ROW(3, a0e, a0o, 3)
        ROW(4, a1e, a1o, 0) ROW(5, a1e, a1o, 1) ROW(6, a1e, a1o, 2) ROW(7, a1e, a1o, 3)
#undef ROW
    }
#define ROW(r)                                                                          \
    if (r < R) {                                                                        \
        sb_store_c4(c + r * ldc, c##r##0, first);                                       \
        sb_store_c4(c + r * ldc + 4, c##r##1, first);                                   \
    }
    ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7)
#undef ROW
}
SB_UKR_ROWS(8, ukr_bf16cvt, ukr_bf16cvt)

const sb_ukr_desc sb_ukr_neon_bf16cvt = {.name = "neon 8x8 bf16 (widened)", .mr = MR, .nr = NRB,
                                         .pack = SB_PACK_BF16_PAIRS, .fn = ukr_bf16cvt_8,
                                         .epi = &sb_epi_neon, .rows = ukr_bf16cvt_rows};
