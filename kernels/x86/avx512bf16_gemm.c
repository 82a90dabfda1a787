/*
 * avx512bf16_gemm.c - BF16 GEMM micro-kernel for AVX512-BF16 (vdpbf16ps):
 * a 12 x 32 block of C, FP32 accumulation.
 *
 * vdpbf16ps adds to each FP32 lane the dot product of a pair of bf16 values
 * of A and of B, so k advances by 2 per instruction. Registers: 24 zmm
 * accumulators (12 rows x 2 vectors of 16), 2 zmm for the B pairs of this k
 * pair, 1 for the broadcast A pair = 27 of 32. Per k pair: 2 B loads and 12
 * broadcasts feed 24 vdpbf16ps (1536 FLOPs), twice the FP32 kernel's FLOPs
 * per instruction. Built with -mavx512f -mavx512bw -mavx512dq -mavx512bf16 only;
 * chosen at run time.
 */
#include <immintrin.h>
#include "gemm/gemm.h"
#include "x86/transpose_avx512.h"
#include "gemm/ukr_rows.h"
#include "x86/ukr_store.h"
#include "x86/x86.h"

enum { MR = 12, NR = 32 };

/* The first R rows of the block (ukr_rows.h): R = MR is the whole kernel. */
static inline __attribute__((always_inline)) void ukr_rows(size_t kc, const void *ap,
                                                           const void *bp, float *c, size_t ldc,
                                                           int first, const int R)
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
    if (r < R) {                                                 \
        av = (__m512bh)_mm512_set1_epi32(a[k * MR + r]);         \
        c##r##0 = _mm512_dpbf16_ps(c##r##0, av, b0);             \
        c##r##1 = _mm512_dpbf16_ps(c##r##1, av, b1);             \
    }
        ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7) ROW(8) ROW(9) ROW(10) ROW(11)
#undef ROW
    }
#define ROW(r)                                                   \
    if (r < R) {                                                 \
        sb_store_c512(c + r * ldc, c##r##0, first);              \
        sb_store_c512(c + r * ldc + 16, c##r##1, first);         \
    }
    ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7) ROW(8) ROW(9) ROW(10) ROW(11)
#undef ROW
}

SB_UKR_ROWS(12, ukr_bf16, ukr_rows)

/*
 * One panel of A for this micro-kernel: rows [0, rows) (rows <= MR; the rest are
 * zeros) of x, kc values each, as bfloat16 pairs [kcp/2][MR] (what sb_pack_a gives
 * for SB_PACK_BF16_PAIRS; k beyond kc is zero). Per 32 values of k: each row's two
 * vectors become 16 pairs with one vcvtne2ps2bf16, the 16 rows x 16 pairs are
 * transposed in registers, and each pair index's 12 words are one masked store
 * (transpose_avx512.h, shared with the FP32 packer of avx512_gemm.c).
 * The portable packer converted each row into a buffer, then moved the pairs
 * one 4-byte word at a time: on fc2 (3600x4608->1152), whose A is packed
 * 4x as often per FLOP as fc1's, that was 5.3% of the samples of a profile
 * (1 thread), 2.1% with this packer. vcvtne2ps2bf16 rounds
 * to nearest even like sb_f32_to_bf16, but reads FP32 subnormals as zero.
 */
static void pack_a_12(const void *xv, size_t ldx, size_t rows, size_t kc, size_t kcp, void *dst)
{
    const float *x = xv;
    for (size_t k = 0; k < kcp; k += 32) {
        size_t n = kc > k ? kc - k : 0; /* real values from k on */
        __mmask16 m0 = sb_lanes16(n), m1 = sb_lanes16(n > 16 ? n - 16 : 0);
        __m512 w[16];
        for (size_t r = 0; r < 16; r++) {
            if (r < rows) {
                __m512 lo = _mm512_maskz_loadu_ps(m0, x + r * ldx + k);
                __m512 hi = _mm512_maskz_loadu_ps(m1, x + r * ldx + k + 16);
                w[r] = (__m512)_mm512_cvtne2ps_pbh(hi, lo);
            } else {
                w[r] = _mm512_setzero_ps();
            }
        }
        sb_store_columns_avx512(w, (float *)dst + k / 2 * MR, MR,
                                (kcp - k) / 2 < 16 ? (kcp - k) / 2 : 16);
    }
}

const sb_ukr_desc sb_ukr_avx512bf16_bf16 = {.name = "avx512-bf16 12x32 bf16", .mr = MR, .nr = NR,
                                            .pack = SB_PACK_BF16_PAIRS, .fn = ukr_bf16_12,
                                            .epi = &sb_epi_avx512, .pack_a = pack_a_12,
                                            .rows = ukr_bf16_rows};
