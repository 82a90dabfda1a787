/*
 * ukr_rows.h - the row-count instantiations of a micro-kernel (sb_ukr_desc.rows and .direct,
 * gemm.h), for any ISA. A kernel written as an always-inline body with a row count R, whose
 * rows past R are `if (r < R)` blocks, gets one function per R from 1 to MR (the body inlined
 * with R a constant, so the rows past R are dead code) and the table the descriptor names.
 */
#ifndef SB_UKR_ROWS_H
#define SB_UKR_ROWS_H
#include "gemm/gemm.h"

/* packed A: sb_ukr, for a body that does not prefetch (it ignores pf) */
#define SB_UKR_ROW_FN(prefix, body, R)                                                          \
    static void prefix##_##R(size_t kc, const void *ap, const void *bp, float *c, size_t ldc,   \
                             int first, const sb_ukr_pf *pf)                                    \
    {                                                                                           \
        (void)pf;                                                                               \
        body(kc, ap, bp, c, ldc, first, R);                                                     \
    }

/* packed A: sb_ukr, for a body that takes pf (sb_ukr_pf) */
#define SB_UKR_ROW_PF_FN(prefix, body, R)                                                       \
    static void prefix##_##R(size_t kc, const void *ap, const void *bp, float *c, size_t ldc,   \
                             int first, const sb_ukr_pf *pf)                                    \
    {                                                                                           \
        body(kc, ap, bp, c, ldc, first, pf, R);                                                 \
    }

/* A in place: sb_ukr_direct (FP32 bodies, which take pf) */
#define SB_UKR_DIRECT_FN(prefix, body, R)                                                       \
    static void prefix##_##R(size_t kc, const float *a, size_t lda, const void *bp, float *c,   \
                             size_t ldc, int first, const sb_ukr_pf *pf)                        \
    {                                                                                           \
        body(kc, a, lda, bp, c, ldc, first, pf, R);                                             \
    }

/* prefix_1 .. prefix_MR made by FN */
#define SB_UKR_FNS4(FN, p, b) FN(p, b, 1) FN(p, b, 2) FN(p, b, 3) FN(p, b, 4)
#define SB_UKR_FNS6(FN, p, b) SB_UKR_FNS4(FN, p, b) FN(p, b, 5) FN(p, b, 6)
#define SB_UKR_FNS8(FN, p, b) SB_UKR_FNS6(FN, p, b) FN(p, b, 7) FN(p, b, 8)
#define SB_UKR_FNS12(FN, p, b) SB_UKR_FNS8(FN, p, b) FN(p, b, 9) FN(p, b, 10) FN(p, b, 11) FN(p, b, 12)
/* ... and prefix_rows[MR + 1] of type T: [0] unused, [MR] all rows */
#define SB_UKR_LIST4(p) NULL, p##_1, p##_2, p##_3, p##_4
#define SB_UKR_LIST6(p) SB_UKR_LIST4(p), p##_5, p##_6
#define SB_UKR_LIST8(p) SB_UKR_LIST6(p), p##_7, p##_8
#define SB_UKR_LIST12(p) SB_UKR_LIST8(p), p##_9, p##_10, p##_11, p##_12
#define SB_UKR_TABLE(MR, FN, T, prefix, body)                                                   \
    SB_UKR_FNS##MR(FN, prefix, body) static const T prefix##_rows[MR + 1] = {SB_UKR_LIST##MR(prefix)};

/* the tables for a kernel of MR rows (4, 6, 8 or 12): packed A (a body without pf, or with it),
   and A in place */
#define SB_UKR_ROWS(MR, prefix, body) SB_UKR_TABLE(MR, SB_UKR_ROW_FN, sb_ukr, prefix, body)
#define SB_UKR_ROWS_PF(MR, prefix, body) SB_UKR_TABLE(MR, SB_UKR_ROW_PF_FN, sb_ukr, prefix, body)
#define SB_UKR_DIRECT(MR, prefix, body) SB_UKR_TABLE(MR, SB_UKR_DIRECT_FN, sb_ukr_direct, prefix, body)

/*
 * Both tables of an FP32 kernel whose body(kc, a, sk, sr, b, c, ldc, first, pf, R) reads row
 * r's value at k as a[k * sk + r * sr]: prefix_rows for packed panels (sk = MR, sr = 1) and
 * prefix_direct_rows for A in place (sk = 1, sr = lda).
 */
#define SB_UKR_FP32(MR, prefix, body)                                                           \
    static inline __attribute__((always_inline)) void prefix##_packed(                          \
        size_t kc, const void *a, const void *b, float *c, size_t ldc, int first,               \
        const sb_ukr_pf *pf, const int R)                                                       \
    {                                                                                           \
        body(kc, a, MR, 1, b, c, ldc, first, pf, R);                                            \
    }                                                                                           \
    static inline __attribute__((always_inline)) void prefix##_inplace(                         \
        size_t kc, const float *a, size_t lda, const void *b, float *c, size_t ldc, int first,  \
        const sb_ukr_pf *pf, const int R)                                                       \
    {                                                                                           \
        body(kc, a, 1, lda, b, c, ldc, first, pf, R);                                           \
    }                                                                                           \
    SB_UKR_ROWS_PF(MR, prefix, prefix##_packed)                                                 \
    SB_UKR_DIRECT(MR, prefix##_direct, prefix##_inplace)

#endif
