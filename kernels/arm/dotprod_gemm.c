/*
 * dotprod_gemm.c - INT8 GEMM micro-kernel for SDOT (FEAT_DotProd: Graviton2's
 * Neoverse N1 and up), int32 accumulation. Built with -march=armv8.2-a+dotprod
 * only; chosen at run time (HWCAP_ASIMDDP) where SMMLA is absent.
 *
 * A and B are signed int8, as for SMMLA (i8mm_gemm.c); the epilogue only
 * dequantizes. The sums of one KC block (<= 512) are exact in FP32.
 */
#include <arm_neon.h>
#include "arm/arm.h"
#include "arm/ukr_store.h"
#include "gemm/ukr_rows.h"

enum { MR = 8 };

/*
 * SDOT by element, an 8 x 12 block of C: each int32 lane gets the dot product
 * of 4 k of one column of B (4 columns per register) and 4 k of row r of A
 * (lane r of a register holding 4 rows). Registers: 24 accumulators, 3 B,
 * 2 A = 29. Per 4 k: 5 loads feed 24 SDOT (768 ops).
 */
enum { NR = 12 };

static inline __attribute__((always_inline)) void ukr_sdot(size_t kc, const void *ap, const void *bp,
        float *c, size_t ldc, int first, const int R)
{
    const int8_t *a = ap;  /* [kc/4][MR][4] */
    const int8_t *b = bp;  /* [kc/4][NR][4] */
#define ROW(r) int32x4_t c##r##0 = vdupq_n_s32(0), c##r##1 = c##r##0, c##r##2 = c##r##0;
    ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7)
#undef ROW
    for (size_t k = 0; k < kc / 4; k++) {
        const int8_t *ak = a + k * MR * 4, *bk = b + k * NR * 4;
        int8x16_t b0 = vld1q_s8(bk), b1 = vld1q_s8(bk + 16), b2 = vld1q_s8(bk + 32);
        int8x16_t a0 = vld1q_s8(ak), a1 = vld1q_s8(ak + 16);
#define ROW(r, av, l)                                                       \
    if (r < R) {                                                            \
        c##r##0 = vdotq_laneq_s32(c##r##0, b0, av, l);                      \
        c##r##1 = vdotq_laneq_s32(c##r##1, b1, av, l);                      \
        c##r##2 = vdotq_laneq_s32(c##r##2, b2, av, l);                      \
    }
        ROW(0, a0, 0) ROW(1, a0, 1) ROW(2, a0, 2) ROW(3, a0, 3)
        ROW(4, a1, 0) ROW(5, a1, 1) ROW(6, a1, 2) ROW(7, a1, 3)
#undef ROW
    }
    SB_STORE_8X12(SB_S32_AS_F32, R);
}
SB_UKR_ROWS(8, ukr_sdot, ukr_sdot)

const sb_ukr_desc sb_ukr_dotprod_int8 = {.name = "dotprod 8x12 sdot", .mr = MR, .nr = NR,
                                         .pack = SB_PACK_S8S8_QUADS, .fn = ukr_sdot_8,
                                         .epi = &sb_epi_neon, .rows = ukr_sdot_rows};
