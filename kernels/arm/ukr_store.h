/*
 * ukr_store.h - the stores every NEON micro-kernel ends with: C = acc on the
 * first KC block, C += acc after it. The MMLA form writes the 2 x 2 blocks
 * BFMMLA and SMMLA produce ([c00 c01 c10 c11] per register) as two rows. The
 * block macros store a whole 8 x 12 (FMLA, BFDOT, SDOT) or 8 x 8 (MMLA) tile.
 */
#ifndef SB_ARM_UKR_STORE_H
#define SB_ARM_UKR_STORE_H
#include <arm_neon.h>
#include <stddef.h>

static inline void sb_store_c4(float *c, float32x4_t acc, int first)
{
    vst1q_f32(c, first ? acc : vaddq_f32(acc, vld1q_f32(c)));
}

/*
 * Rows r and r+1 (only r when rows is 1), columns j..j+3, from the 2x2 blocks of columns
 * j..j+1 (lo) and j+2..j+3 (hi).
 */
static inline void sb_store_mmla(float *c, size_t ldc, float32x4_t lo, float32x4_t hi, int first,
                                 int rows)
{
    float64x2_t l = vreinterpretq_f64_f32(lo), h = vreinterpretq_f64_f32(hi);
    sb_store_c4(c, vreinterpretq_f32_f64(vzip1q_f64(l, h)), first);
    if (rows > 1)
        sb_store_c4(c + ldc, vreinterpretq_f32_f64(vzip2q_f64(l, h)), first);
}

/* Accumulators as FP32: FP32 kernels pass them as they are, INT8 kernels convert. */
#define SB_AS_F32(v) (v)
#define SB_S32_AS_F32(v) vcvtq_f32_s32(v)

/*
 * The stores of the first R rows (R <= 8) of an 8 x 12 block of C held in accumulators
 * c<r><v> (row r, vector v of 4 columns), from a micro-kernel's c, ldc and first.
 */
#define SB_STORE_8X12(CVT, R)                                                      \
    do {                                                                           \
        SB_STORE_ROW12(0, CVT, R) SB_STORE_ROW12(1, CVT, R) SB_STORE_ROW12(2, CVT, R) \
        SB_STORE_ROW12(3, CVT, R) SB_STORE_ROW12(4, CVT, R) SB_STORE_ROW12(5, CVT, R) \
        SB_STORE_ROW12(6, CVT, R) SB_STORE_ROW12(7, CVT, R)                        \
    } while (0)
#define SB_STORE_ROW12(r, CVT, R)                                                  \
    if (r < R) {                                                                   \
        sb_store_c4(c + r * ldc, CVT(c##r##0), first);                             \
        sb_store_c4(c + r * ldc + 4, CVT(c##r##1), first);                         \
        sb_store_c4(c + r * ldc + 8, CVT(c##r##2), first);                         \
    }

/*
 * The stores of the first R rows of an 8 x 8 block of C held as 2 x 2 MMLA blocks in
 * accumulators c<p><q> (row pair p, column pair q).
 */
#define SB_STORE_MMLA_8X8(CVT, R)                                                  \
    do {                                                                           \
        SB_STORE_PAIR8(0, CVT, R) SB_STORE_PAIR8(1, CVT, R) SB_STORE_PAIR8(2, CVT, R) \
        SB_STORE_PAIR8(3, CVT, R)                                                  \
    } while (0)
#define SB_STORE_PAIR8(p, CVT, R)                                                  \
    if (2 * p < R) {                                                               \
        int rows_ = R - 2 * p > 1 ? 2 : 1;                                         \
        sb_store_mmla(c + 2 * p * ldc, ldc, CVT(c##p##0), CVT(c##p##1), first, rows_); \
        sb_store_mmla(c + 2 * p * ldc + 4, ldc, CVT(c##p##2), CVT(c##p##3), first, rows_); \
    }
#endif
