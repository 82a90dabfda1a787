/*
 * sve_gemm.c - FP32 GEMM micro-kernel for SVE, vector-length agnostic: an
 * 8 x (2 x VL) block of C, VL = svcntw() floats (8 on Graviton3's 256-bit SVE,
 * 4 on Graviton4's 128-bit SVE2). Never built with -msve-vector-bits: a binary
 * fixed to 256 bits computes garbage on 128-bit hardware.
 *
 * Registers (32 z): 16 accumulators (8 rows x 2 vectors), 2 for the B row, 2
 * for the 8 A values, loaded once per k with svld1rq (4 floats replicated to
 * every 128-bit segment) and used by indexed FMLA (svmla_lane) = 20. Per k:
 * 4 loads feed 16 FMLA (32 x VL FLOPs). Neoverse V1 has 2 256-bit FMA pipes
 * (4-cycle latency: 8 independent FMAs in flight needed), V2 4 x 128-bit;
 * 16 independent accumulators cover both.
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

static inline __attribute__((always_inline)) void ukr_f32(size_t kc, const void *ap, const void *bp,
        float *c, size_t ldc, int first, const int R)
{
    const float *a = ap, *b = bp;
    const svbool_t pg = svptrue_b32();
    const size_t vl = svcntw(), nr = 2 * vl;
#define ROW(r) svfloat32_t c##r##0 = svdup_n_f32(0), c##r##1 = svdup_n_f32(0);
    ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7)
#undef ROW
    for (size_t k = 0; k < kc; k++) {
        svfloat32_t b0 = svld1_f32(pg, b + k * nr), b1 = svld1_f32(pg, b + k * nr + vl);
        svfloat32_t a0 = svld1rq_f32(pg, a + k * MR), a1 = svld1rq_f32(pg, a + k * MR + 4);
#define ROW(r, av, l)                                                                   \
    if (r < R) {                                                                        \
        c##r##0 = svmla_lane_f32(c##r##0, b0, av, l);                                   \
        c##r##1 = svmla_lane_f32(c##r##1, b1, av, l);                                   \
    }
        ROW(0, a0, 0) ROW(1, a0, 1) ROW(2, a0, 2) ROW(3, a0, 3)
        ROW(4, a1, 0) ROW(5, a1, 1) ROW(6, a1, 2) ROW(7, a1, 3)
#undef ROW
    }
#define ROW(r)                                                                          \
    if (r < R) {                                                                        \
        store_c(c + r * ldc, pg, c##r##0, first);                                       \
        store_c(c + r * ldc + vl, pg, c##r##1, first);                                  \
    }
    ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7)
#undef ROW
}
SB_UKR_ROWS(8, ukr_f32, ukr_f32)

/* The descriptor, with nr from this CPU's vector length (fixed for the process). */
const sb_ukr_desc *sb_ukr_sve_f32(void)
{
    static sb_ukr_desc desc = {.name = "sve 8x2vl f32", .mr = MR, .pack = SB_PACK_F32,
                               .fn = ukr_f32_8, .epi = &sb_epi_neon,
                               .rows = ukr_f32_rows};
    static atomic_int ready;
    if (!atomic_load(&ready)) {
        desc.nr = (int)(2 * svcntw());
        atomic_store(&ready, 1);
    }
    return &desc;
}
