/*
 * ukr_rows.h - the row-count instantiations of a 12-row x86 micro-kernel (sb_ukr_desc.rows and
 * .direct, gemm.h). A kernel written as an always-inline body with a row count R, whose rows
 * past R are `if (r < R)` blocks, gets one function per R from 1 to 12 (the body inlined with R
 * a constant, so the rows past R are dead code) and the table the descriptor names.
 */
#ifndef SB_UKR_ROWS_H
#define SB_UKR_ROWS_H
#include "gemm/gemm.h"

/* packed A: sb_ukr */
#define SB_UKR_ROW_FN(prefix, body, R)                                                          \
    static void prefix##_##R(size_t kc, const void *ap, const void *bp, float *c, size_t ldc,   \
                             int first)                                                         \
    {                                                                                           \
        body(kc, ap, bp, c, ldc, first, R);                                                     \
    }

/* A in place: sb_ukr_direct */
#define SB_UKR_DIRECT_FN(prefix, body, R)                                                       \
    static void prefix##_##R(size_t kc, const float *a, size_t lda, const void *bp, float *c,   \
                             size_t ldc, int first)                                             \
    {                                                                                           \
        body(kc, a, lda, bp, c, ldc, first, R);                                                 \
    }

/* prefix_1 .. prefix_12 made by FN, and prefix_rows[13] of type T ([0] unused, [12] all rows) */
#define SB_UKR_TABLE12(FN, T, prefix, body)                                                     \
    FN(prefix, body, 1) FN(prefix, body, 2) FN(prefix, body, 3) FN(prefix, body, 4)             \
    FN(prefix, body, 5) FN(prefix, body, 6) FN(prefix, body, 7) FN(prefix, body, 8)             \
    FN(prefix, body, 9) FN(prefix, body, 10) FN(prefix, body, 11) FN(prefix, body, 12)          \
    static const T prefix##_rows[13] = {                                                        \
        NULL,         prefix##_1,  prefix##_2,  prefix##_3, prefix##_4, prefix##_5, prefix##_6, \
        prefix##_7,   prefix##_8,  prefix##_9,  prefix##_10, prefix##_11, prefix##_12};

#define SB_UKR_ROWS12(prefix, body) SB_UKR_TABLE12(SB_UKR_ROW_FN, sb_ukr, prefix, body)
#define SB_UKR_DIRECT12(prefix, body) SB_UKR_TABLE12(SB_UKR_DIRECT_FN, sb_ukr_direct, prefix, body)

#endif
