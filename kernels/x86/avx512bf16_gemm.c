/*
 * avx512bf16_gemm.c - BF16 GEMM micro-kernel for AVX512-BF16 (vdpbf16ps):
 * a 12 x 32 block of C, FP32 accumulation.
 *
 * vdpbf16ps adds to each FP32 lane the dot product of a pair of bf16 values
 * of A and of B, so k advances by 2 per instruction. Registers: 24 zmm
 * accumulators (12 rows x 2 vectors of 16), 2 zmm for the B pairs of this k
 * pair, 1 for the broadcast A pair = 27 of 32. Per k pair: 2 B loads and 12
 * broadcasts feed 24 vdpbf16ps (1536 FLOPs), twice the FP32 kernel's FLOPs
 * per instruction. Built with -mavx512f -mavx512bw -mavx512bf16 only; chosen at
 * run time.
 */
#include <immintrin.h>
#include "gemm/gemm.h"
#include "x86/ukr_store.h"
#include "x86/x86.h"

enum { MR = 12, NR = 32 };

static void ukr_12x32_bf16(size_t kc, const void *ap, const void *bp, float *c, size_t ldc, int first)
{
    const int32_t *a = ap;   /* [kc/2][MR] pairs */
    const __m512i *b = bp;   /* [kc/2][2] vectors of 16 pairs */
#define ROW(r) __m512 c##r##0 = _mm512_setzero_ps(), c##r##1 = _mm512_setzero_ps();
    ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7) ROW(8) ROW(9) ROW(10) ROW(11)
#undef ROW
    for (size_t k = 0; k < kc / 2; k++) {
        __m512bh b0 = (__m512bh)_mm512_loadu_si512(b + 2 * k);
        __m512bh b1 = (__m512bh)_mm512_loadu_si512(b + 2 * k + 1);
        __m512bh av;
#define ROW(r)                                                   \
    av = (__m512bh)_mm512_set1_epi32(a[k * MR + r]);             \
    c##r##0 = _mm512_dpbf16_ps(c##r##0, av, b0);                 \
    c##r##1 = _mm512_dpbf16_ps(c##r##1, av, b1);
        ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7) ROW(8) ROW(9) ROW(10) ROW(11)
#undef ROW
    }
#define ROW(r)                                                                  \
    sb_store_c512(c + r * ldc, c##r##0, first);                                      \
    sb_store_c512(c + r * ldc + 16, c##r##1, first);
    ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7) ROW(8) ROW(9) ROW(10) ROW(11)
#undef ROW
}

const sb_ukr_desc sb_ukr_avx512bf16_bf16 = {.name = "avx512-bf16 12x32 bf16", .mr = MR, .nr = NR,
                                            .pack = SB_PACK_BF16_PAIRS, .fn = ukr_12x32_bf16,
                                            .epi = &sb_epi_avx512};
