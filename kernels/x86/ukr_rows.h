/*
 * ukr_rows.h - the row-count instantiations of a 12-row x86 micro-kernel (sb_ukr_desc.rows,
 * gemm.h). A kernel written as an always-inline body with a row count R, whose rows past R
 * are `if (r < R)` blocks, gets one function per R from 1 to 12 (the body inlined with R a
 * constant, so the rows past R are dead code) and the table the descriptor names.
 */
#ifndef SB_UKR_ROWS_H
#define SB_UKR_ROWS_H
#include "gemm/gemm.h"

#define SB_UKR_ROW_FN(prefix, body, R)                                                          \
    static void prefix##_##R(size_t kc, const void *ap, const void *bp, float *c, size_t ldc,   \
                             int first)                                                         \
    {                                                                                           \
        body(kc, ap, bp, c, ldc, first, R);                                                     \
    }

/* prefix_1 .. prefix_12 and prefix_rows[13] ([0] unused, [12] the whole kernel). */
#define SB_UKR_ROWS12(prefix, body)                                                             \
    SB_UKR_ROW_FN(prefix, body, 1) SB_UKR_ROW_FN(prefix, body, 2)                               \
    SB_UKR_ROW_FN(prefix, body, 3) SB_UKR_ROW_FN(prefix, body, 4)                               \
    SB_UKR_ROW_FN(prefix, body, 5) SB_UKR_ROW_FN(prefix, body, 6)                               \
    SB_UKR_ROW_FN(prefix, body, 7) SB_UKR_ROW_FN(prefix, body, 8)                               \
    SB_UKR_ROW_FN(prefix, body, 9) SB_UKR_ROW_FN(prefix, body, 10)                              \
    SB_UKR_ROW_FN(prefix, body, 11) SB_UKR_ROW_FN(prefix, body, 12)                             \
    static const sb_ukr prefix##_rows[13] = {                                                   \
        NULL,         prefix##_1,  prefix##_2,  prefix##_3, prefix##_4, prefix##_5, prefix##_6, \
        prefix##_7,   prefix##_8,  prefix##_9,  prefix##_10, prefix##_11, prefix##_12};

#endif
