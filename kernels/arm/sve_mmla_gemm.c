/*
 * sve_mmla_gemm.c - BF16 (BFMMLA) and INT8 (SMMLA) GEMM micro-kernels for
 * SVE, vector-length agnostic: an 8 x (4 x VL/64) block of C (16 columns on
 * Graviton3's 256-bit SVE, 8 on Graviton4's 128-bit). Built with
 * -march=armv8.2-a+sve+bf16+i8mm (the SVE forms of FEAT_BF16 and FEAT_I8MM);
 * chosen at run time where the CPU has SVE and BF16 / I8MM.
 *
 * SVE BFMMLA and SMMLA work on each 128-bit segment: the segment's 2 x 4 bf16
 * (2 x 8 int8) block of A times its 4 x 2 (8 x 2) block of B into its 2 x 2
 * block of C. A row pair is loaded once and replicated to every segment
 * (svld1rq), and one B vector holds VL/128 consecutive column pairs, which is
 * exactly the panel layout of the NEON kernels ([k group][column][g]), so the
 * packing is shared. Registers: 16 accumulators (4 row pairs x 4 B vectors),
 * 4 A and 4 B operands = 24 of 32. Per k group: 8 loads feed 16 MMLA, each
 * VL/128 times the NEON instruction's work.
 *
 * An accumulator holds, per segment, [c(r,j) c(r,j+1) c(r+1,j) c(r+1,j+1)];
 * svuzp1/svuzp2 on 64-bit lanes of two accumulators give rows r and r+1 of
 * their 2 x VL/64 columns (see store_pair).
 */
#include <arm_sve.h>
#include <stdatomic.h>
#include "arm/arm.h"
#include "gemm/ukr_rows.h"

enum { MR = 8 };

static inline void store_c(float *c, svbool_t pg, svfloat32_t acc, int first)
{
    svst1_f32(pg, c, first ? acc : svadd_f32_x(pg, acc, svld1_f32(pg, c)));
}

/* Rows r and r+1 (only r when rows is 1) of the columns of accumulators lo and hi (lo's first). */
static inline void store_pair(float *c, size_t ldc, svbool_t pg, svfloat32_t lo, svfloat32_t hi,
                              int first, int rows)
{
    svfloat64_t l = svreinterpret_f64_f32(lo), h = svreinterpret_f64_f32(hi);
    store_c(c, pg, svreinterpret_f32_f64(svuzp1_f64(l, h)), first);
    if (rows > 1)
        store_c(c + ldc, pg, svreinterpret_f32_f64(svuzp2_f64(l, h)), first);
}

/* The stores of the first R rows of an 8 x (4 VL/64) block: accumulators c<pair><vector>. */
#define STORE_PAIR(p, CVT)                                                              \
    if (2 * p < R) {                                                                    \
        int rows_ = R - 2 * p > 1 ? 2 : 1;                                              \
        store_pair(c + 2 * p * ldc, ldc, pg, CVT(c##p##0), CVT(c##p##1), first, rows_); \
        store_pair(c + 2 * p * ldc + w, ldc, pg, CVT(c##p##2), CVT(c##p##3), first, rows_); \
    }
#define STORE_BLOCK(CVT)                                                                \
    do {                                                                                \
        size_t w = svcntw(); /* columns of two accumulators */                         \
        STORE_PAIR(0, CVT) STORE_PAIR(1, CVT) STORE_PAIR(2, CVT) STORE_PAIR(3, CVT)     \
    } while (0)

#define AS_F32(v) (v)
#define S32_TO_F32(v) svcvt_f32_s32_x(pg, v)

static inline __attribute__((always_inline)) void ukr_bfmmla(size_t kc, const void *ap, const void *bp,
        float *c, size_t ldc, int first, const int R)
{
    const bfloat16_t *a = ap;  /* [kc/4][MR][4] */
    const bfloat16_t *b = bp;  /* [kc/4][nr][4] */
    const svbool_t pg = svptrue_b32(), ph = svptrue_b16();
    const size_t vh = svcnth(), nr = 4 * svcntd(); /* bf16 per vector; columns */
#define PAIR(p) svfloat32_t c##p##0 = svdup_n_f32(0), c##p##1 = c##p##0, c##p##2 = c##p##0, \
                            c##p##3 = c##p##0;
    PAIR(0) PAIR(1) PAIR(2) PAIR(3)
#undef PAIR
    for (size_t k = 0; k < kc / 4; k++) {
        const bfloat16_t *ak = a + k * MR * 4, *bk = b + k * nr * 4;
        svbfloat16_t b0 = svld1_bf16(ph, bk), b1 = svld1_bf16(ph, bk + vh),
                     b2 = svld1_bf16(ph, bk + 2 * vh), b3 = svld1_bf16(ph, bk + 3 * vh);
#define PAIR(p)                                                     \
    if (2 * p < R) {                                                \
        svbfloat16_t av = svld1rq_bf16(ph, ak + 8 * p);             \
        c##p##0 = svbfmmla_f32(c##p##0, av, b0);                    \
        c##p##1 = svbfmmla_f32(c##p##1, av, b1);                    \
        c##p##2 = svbfmmla_f32(c##p##2, av, b2);                    \
        c##p##3 = svbfmmla_f32(c##p##3, av, b3);                    \
    }
        PAIR(0) PAIR(1) PAIR(2) PAIR(3)
#undef PAIR
    }
    STORE_BLOCK(AS_F32);
}
SB_UKR_ROWS(8, ukr_bfmmla, ukr_bfmmla)

static inline __attribute__((always_inline)) void ukr_smmla(size_t kc, const void *ap, const void *bp,
        float *c, size_t ldc, int first, const int R)
{
    const int8_t *a = ap;  /* [kc/8][MR][8] */
    const int8_t *b = bp;  /* [kc/8][nr][8] */
    const svbool_t pg = svptrue_b32(), pb = svptrue_b8();
    const size_t vb = svcntb(), nr = 4 * svcntd();
#define PAIR(p) svint32_t c##p##0 = svdup_n_s32(0), c##p##1 = c##p##0, c##p##2 = c##p##0, \
                          c##p##3 = c##p##0;
    PAIR(0) PAIR(1) PAIR(2) PAIR(3)
#undef PAIR
    for (size_t k = 0; k < kc / 8; k++) {
        const int8_t *ak = a + k * MR * 8, *bk = b + k * nr * 8;
        svint8_t b0 = svld1_s8(pb, bk), b1 = svld1_s8(pb, bk + vb), b2 = svld1_s8(pb, bk + 2 * vb),
                 b3 = svld1_s8(pb, bk + 3 * vb);
#define PAIR(p)                                                     \
    if (2 * p < R) {                                                \
        svint8_t av = svld1rq_s8(pb, ak + 16 * p);                  \
        c##p##0 = svmmla_s32(c##p##0, av, b0);                      \
        c##p##1 = svmmla_s32(c##p##1, av, b1);                      \
        c##p##2 = svmmla_s32(c##p##2, av, b2);                      \
        c##p##3 = svmmla_s32(c##p##3, av, b3);                      \
    }
        PAIR(0) PAIR(1) PAIR(2) PAIR(3)
#undef PAIR
    }
    STORE_BLOCK(S32_TO_F32);
}
SB_UKR_ROWS(8, ukr_smmla, ukr_smmla)

/* The descriptors, with nr from this CPU's vector length (fixed for the process). */
static const sb_ukr_desc *with_nr(sb_ukr_desc *d, atomic_int *ready)
{
    if (!atomic_load(ready)) {
        d->nr = (int)(4 * svcntd());
        atomic_store(ready, 1);
    }
    return d;
}

const sb_ukr_desc *sb_ukr_sve_bfmmla(void)
{
    static sb_ukr_desc d = {.name = "sve 8x(vl/16) bfmmla", .mr = MR, .pack = SB_PACK_BF16_QUADS,
                            .fn = ukr_bfmmla_8, .epi = &sb_epi_neon, .rows = ukr_bfmmla_rows};
    static atomic_int ready;
    return with_nr(&d, &ready);
}

const sb_ukr_desc *sb_ukr_sve_smmla(void)
{
    static sb_ukr_desc d = {.name = "sve 8x(vl/16) smmla", .mr = MR, .pack = SB_PACK_S8S8_OCTETS,
                            .fn = ukr_smmla_8, .epi = &sb_epi_neon, .rows = ukr_smmla_rows};
    static atomic_int ready;
    return with_nr(&d, &ready);
}
