/*
 * gemm.h - the portable blocked GEMM framework behind the fast linear kernels.
 *
 * BLIS-style: per-ISA code is only a micro-kernel that computes one MR x NR
 * block of C from packed panels (sb_ukr_f32); blocking, packing and threading
 * are here, shared by x86 and Arm, so hosts compare hardware, not programs.
 *
 *  - B (the weight, [n][k]) is packed once, outside the timed region, into
 *    NR-column panels [ceil(n/NR)][k][NR], zero-padded.
 *  - At run time each task (a block of MC rows x NC columns of C) packs its
 *    rows of A, KC columns at a time, into MR-row panels [kc][MR] in per-worker
 *    scratch, then sweeps the micro-kernel over the block. Edge blocks go
 *    through an MR x NR scratch tile. Bias is added to each tile after its
 *    last KC block, while the tile is in L1.
 *  - KC, MC and NC come from the cache sizes (sb_gemm_set_caches, from hwloc)
 *    and MR/NR, not from constants tuned for one machine.
 */
#ifndef SB_GEMM_H
#define SB_GEMM_H

#include <stddef.h>
#include "kernel.h"

/*
 * C[MR][NR] (row stride ldc) = A * B if first, else C += A * B, where
 * a is kc x MR (k-major, MR contiguous) and b is kc x NR (NR contiguous).
 */
typedef void (*sb_ukr_f32)(size_t kc, const float *a, const float *b, float *c, size_t ldc,
                           int first);

typedef struct sb_ukr_f32_desc {
    const char *name;      /* "avx512 12x32" */
    int mr, nr;            /* block of C the micro-kernel computes */
    sb_ukr_f32 fn;
} sb_ukr_f32_desc;

/* Cache sizes in bytes used for blocking (0 keeps the current value). */
void sb_gemm_set_caches(size_t l1d, size_t l2, size_t l3);

/*
 * Lay w [n][k] out as panels of nr output columns, out[ceil(n/nr)][k][nr],
 * zero-padding the last panel (out must hold ceil(n/nr) * k * nr floats).
 */
void sb_pack_panels(const float *w, size_t n, size_t k, size_t nr, float *out);

/* Pack w [n][k] for desc's micro-kernel; free with sb_gemm_f32_free. */
sb_status sb_gemm_f32_pack(const sb_ukr_f32_desc *desc, const float *w, size_t n, size_t k,
                           void **packed);
void sb_gemm_f32_free(void *packed);

/* The linear layer over a packed weight (any micro-kernel): y = x W^T + b. */
void sb_gemm_f32_linear(const sb_linear_args *a, sb_pool *pool);

/* Blocking chosen for a micro-kernel at the current cache sizes (for tests and docs). */
void sb_gemm_f32_blocking(const sb_ukr_f32_desc *desc, size_t *kc, size_t *mc, size_t *nc);

#endif
