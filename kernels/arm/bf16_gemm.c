/*
 * bf16_gemm.c - BF16 GEMM micro-kernels for the Armv8.6 BF16 instructions
 * (FEAT_BF16: Graviton3's Neoverse V1 and Graviton4's V2), FP32 accumulation.
 * Built with -march=armv8.2-a+bf16 only; chosen at run time (HWCAP2_BF16).
 *
 * Operands are runtime data only: GCC 12 miscompiles compile-time-constant
 * bf16 vectors (docs/graviton.md), so no bf16 constant appears here.
 *
 * BFMMLA, an 8 x 8 block of C. One BFMMLA multiplies a 2 x 4 block of A (2
 * rows, 4 k) by a 4 x 2 block of B and adds the 2 x 2 product to a register
 * [c00 c01 c10 c11]: 32 FLOPs per instruction, 4 times a 128-bit FMLA.
 * Registers: 16 accumulators (4 row pairs x 4 column pairs), 4 A and 4 B
 * operands = 24 of 32. Per 4 k: 8 loads feed 16 BFMMLA (512 FLOPs), 64
 * FLOPs per load; 16 independent accumulators cover the latency on the two
 * (V1) or four (V2) pipes that issue BFMMLA.
 */
#include <arm_neon.h>
#include "arm/arm.h"
#include "arm/ukr_store.h"
#include "gemm/ukr_rows.h"

enum { MR = 8, NR = 8 };

static inline bfloat16x8_t load_bf16(const uint16_t *p)
{
    return vreinterpretq_bf16_u16(vld1q_u16(p));
}

static inline __attribute__((always_inline)) void ukr_bfmmla(size_t kc, const void *ap, const void *bp,
        float *c, size_t ldc, int first, const int R)
{
    const uint16_t *a = ap;  /* [kc/4][MR][4]: row pair p at 8 p */
    const uint16_t *b = bp;  /* [kc/4][NR][4]: column pair q at 8 q */
#define PAIR(p) float32x4_t c##p##0 = vdupq_n_f32(0), c##p##1 = c##p##0, c##p##2 = c##p##0, \
                            c##p##3 = c##p##0;
    PAIR(0) PAIR(1) PAIR(2) PAIR(3)
#undef PAIR
    for (size_t k = 0; k < kc / 4; k++) {
        const uint16_t *ak = a + k * MR * 4, *bk = b + k * NR * 4;
        bfloat16x8_t b0 = load_bf16(bk), b1 = load_bf16(bk + 8), b2 = load_bf16(bk + 16),
                     b3 = load_bf16(bk + 24);
#define PAIR(p)                                                     \
    if (2 * p < R) {                                                \
        bfloat16x8_t av = load_bf16(ak + 8 * p);                    \
        c##p##0 = vbfmmlaq_f32(c##p##0, av, b0);                    \
        c##p##1 = vbfmmlaq_f32(c##p##1, av, b1);                    \
        c##p##2 = vbfmmlaq_f32(c##p##2, av, b2);                    \
        c##p##3 = vbfmmlaq_f32(c##p##3, av, b3);                    \
    }
        PAIR(0) PAIR(1) PAIR(2) PAIR(3)
#undef PAIR
    }
    SB_STORE_MMLA_8X8(SB_AS_F32, R);
}
SB_UKR_ROWS(8, ukr_bfmmla, ukr_bfmmla)

const sb_ukr_desc sb_ukr_bf16_bfmmla = {.name = "bf16 8x8 bfmmla", .mr = MR, .nr = NR,
                                        .pack = SB_PACK_BF16_QUADS, .fn = ukr_bfmmla_8,
                                        .epi = &sb_epi_neon, .rows = ukr_bfmmla_rows};

/*
 * BFDOT, an 8 x 12 block of C: BFDOT by element adds to each FP32 lane the
 * dot product of a bf16 pair of B (4 columns per register) and the pair of
 * one row of A (lane r of a register holding 4 rows' pairs). Registers: 24
 * accumulators, 3 B, 2 A = 29. Per k pair: 5 loads feed 24 BFDOT (384 FLOPs),
 * twice the FP32 kernel's work per instruction and half BFMMLA's; kept so the
 * two instructions can be compared on one host (--kernel linear.bf16.bfdot).
 */
enum { NRD = 12 };

static inline __attribute__((always_inline)) void ukr_bfdot(size_t kc, const void *ap, const void *bp,
        float *c, size_t ldc, int first, const int R)
{
    const uint16_t *a = ap;  /* [kc/2][MR][2] */
    const uint16_t *b = bp;  /* [kc/2][NRD][2] */
#define ROW(r) float32x4_t c##r##0 = vdupq_n_f32(0), c##r##1 = c##r##0, c##r##2 = c##r##0;
    ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7)
#undef ROW
    for (size_t k = 0; k < kc / 2; k++) {
        const uint16_t *ak = a + k * MR * 2, *bk = b + k * NRD * 2;
        bfloat16x8_t b0 = load_bf16(bk), b1 = load_bf16(bk + 8), b2 = load_bf16(bk + 16);
        bfloat16x8_t a0 = load_bf16(ak), a1 = load_bf16(ak + 8);
#define ROW(r, av, l)                                                       \
    if (r < R) {                                                            \
        c##r##0 = vbfdotq_laneq_f32(c##r##0, b0, av, l);                    \
        c##r##1 = vbfdotq_laneq_f32(c##r##1, b1, av, l);                    \
        c##r##2 = vbfdotq_laneq_f32(c##r##2, b2, av, l);                    \
    }
        ROW(0, a0, 0) ROW(1, a0, 1) ROW(2, a0, 2) ROW(3, a0, 3)
        ROW(4, a1, 0) ROW(5, a1, 1) ROW(6, a1, 2) ROW(7, a1, 3)
#undef ROW
    }
    SB_STORE_8X12(SB_AS_F32, R);
}
SB_UKR_ROWS(8, ukr_bfdot, ukr_bfdot)

const sb_ukr_desc sb_ukr_bf16_bfdot = {.name = "bf16 8x12 bfdot", .mr = MR, .nr = NRD,
                                       .pack = SB_PACK_BF16_PAIRS, .fn = ukr_bfdot_8,
                                       .epi = &sb_epi_neon, .rows = ukr_bfdot_rows};
