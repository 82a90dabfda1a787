/*
 * i8mm_gemm.c - INT8 GEMM micro-kernel for SMMLA (FEAT_I8MM: Graviton3's
 * Neoverse V1, Graviton4's V2), int32 accumulation. Built with
 * -march=armv8.2-a+i8mm only; chosen at run time (HWCAP2_I8MM).
 *
 * A and B are signed int8 (no +128 shift, unlike x86's vpdpbusd), so the
 * framework's epilogue only dequantizes: y = sx[row] * sw[col] * C + b. The
 * sums of one KC block (<= 512) stay below 2^24, so C is exact in FP32.
 */
#include <arm_neon.h>
#include "arm/arm.h"
#include "arm/ukr_store.h"
#include "gemm/ukr_rows.h"

enum { MR = 8 };

/*
 * SMMLA, an 8 x 8 block of C: one SMMLA multiplies 2 rows x 8 k of A by
 * 8 k x 2 columns of B into a 2 x 2 int32 block (64 integer ops, twice SDOT).
 * Registers: 16 accumulators, 4 A and 4 B operands = 24. Per 8 k: 8 loads
 * feed 16 SMMLA (1024 ops), 128 ops per load.
 */
enum { NR = 8 };

static inline __attribute__((always_inline)) void ukr_smmla(size_t kc, const void *ap, const void *bp,
        float *c, size_t ldc, int first, const int R)
{
    const int8_t *a = ap;  /* [kc/8][MR][8]: row pair p at 16 p */
    const int8_t *b = bp;  /* [kc/8][NR][8]: column pair q at 16 q */
#define PAIR(p) int32x4_t c##p##0 = vdupq_n_s32(0), c##p##1 = c##p##0, c##p##2 = c##p##0, \
                          c##p##3 = c##p##0;
    PAIR(0) PAIR(1) PAIR(2) PAIR(3)
#undef PAIR
    for (size_t k = 0; k < kc / 8; k++) {
        const int8_t *ak = a + k * MR * 8, *bk = b + k * NR * 8;
        int8x16_t b0 = vld1q_s8(bk), b1 = vld1q_s8(bk + 16), b2 = vld1q_s8(bk + 32),
                  b3 = vld1q_s8(bk + 48);
#define PAIR(p)                                                     \
    if (2 * p < R) {                                                \
        int8x16_t av = vld1q_s8(ak + 16 * p);                       \
        c##p##0 = vmmlaq_s32(c##p##0, av, b0);                      \
        c##p##1 = vmmlaq_s32(c##p##1, av, b1);                      \
        c##p##2 = vmmlaq_s32(c##p##2, av, b2);                      \
        c##p##3 = vmmlaq_s32(c##p##3, av, b3);                      \
    }
        PAIR(0) PAIR(1) PAIR(2) PAIR(3)
#undef PAIR
    }
    SB_STORE_MMLA_8X8(SB_S32_AS_F32, R);
}
SB_UKR_ROWS(8, ukr_smmla, ukr_smmla)

const sb_ukr_desc sb_ukr_i8mm_int8 = {.name = "i8mm 8x8 smmla", .mr = MR, .nr = NR,
                                      .pack = SB_PACK_S8S8_OCTETS, .fn = ukr_smmla_8,
                                      .epi = &sb_epi_neon, .rows = ukr_smmla_rows};
