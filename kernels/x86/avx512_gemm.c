/*
 * avx512_gemm.c - GEMM micro-kernels for AVX-512F: FP32, and BF16 weights and
 * activations widened to FP32 in registers (for CPUs without AVX512-BF16).
 *
 * FP32, a 12 x 32 block of C. Registers: 24 zmm accumulators (12 rows x 2 vectors of 16), 2 zmm for the
 * B row, 1 for the broadcast A element: 27 of 32. Per k step: 2 B loads and
 * 12 broadcast loads of A feed 24 FMAs (768 FLOPs per 14 loads), enough
 * independent FMAs to cover the FMA latency on two 512-bit (or four 256-bit
 * double-pumped) pipes. Built with -mavx512f -mfma only; chosen at run time.
 * The same body also reads A in place, rows lda apart, for the tasks whose
 * packed A would feed too few column panels (sb_ukr_desc.direct).
 */
#include <immintrin.h>
#include "gemm/gemm.h"
#include "x86/transpose_avx512.h"
#include "gemm/ukr_rows.h"
#include "x86/ukr_store.h"
#include "x86/x86.h"

enum { MR = 12, NR = 32 };

/*
 * The first R rows of the block (R <= MR, a compile-time constant in each instantiation below:
 * the rows past R are dead code). Row r's value at k is a[k * sk + r * sr]: sk = MR, sr = 1 for
 * a packed panel (which keeps its MR-row layout), sk = 1, sr = lda for A in place. pf (the next
 * B panel, gemm.h) is not asked for: the AVX2 kernel's prefetch of it was measured on Zen 3
 * only, and this one's host is not at hand to measure it.
 */
static inline __attribute__((always_inline)) void ukr_body(size_t kc, const float *a, size_t sk,
                                                           size_t sr, const float *b, float *c,
                                                           size_t ldc, int first,
                                                           const sb_ukr_pf *pf, const int R)
{
    (void)pf;
    /* named accumulators (not an array): GCC 12 kept an array of vectors on the stack */
#define ROW(r) __m512 c##r##0 = _mm512_setzero_ps(), c##r##1 = _mm512_setzero_ps();
    ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7) ROW(8) ROW(9) ROW(10) ROW(11)
#undef ROW
    for (size_t k = 0; k < kc; k++) {
        __m512 b0 = _mm512_loadu_ps(b + k * NR), b1 = _mm512_loadu_ps(b + k * NR + 16), av;
#define ROW(r)                                                                                   \
    if (r < R) {                                                                                 \
        av = _mm512_set1_ps(a[k * sk + r * sr]);                                                 \
        c##r##0 = _mm512_fmadd_ps(av, b0, c##r##0);                                              \
        c##r##1 = _mm512_fmadd_ps(av, b1, c##r##1);                                              \
    }
        ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7) ROW(8) ROW(9) ROW(10) ROW(11)
#undef ROW
    }
#define ROW(r)                                                                                   \
    if (r < R) {                                                                                 \
        sb_store_c512(c + r * ldc, c##r##0, first);                                              \
        sb_store_c512(c + r * ldc + 16, c##r##1, first);                                         \
    }
    ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7) ROW(8) ROW(9) ROW(10) ROW(11)
#undef ROW
}

/* the row-count tables, packed and in place */
SB_UKR_FP32(12, ukr_f32, ukr_body)

/*
 * One FP32 panel of A for ukr_f32_12 ([kcp][MR], as sb_pack_a packs it; see gemm.h's
 * pack_a): 16 values of k of each row per step, transposed in registers, each k's 12
 * values one masked store. The portable packer moved one value at a time: 3.8% of the
 * samples of a 720p fc2 profile (3600x4608->1152, 1 thread).
 */
static void pack_a_12(const void *xv, size_t ldx, size_t rows, size_t kc, size_t kcp, void *dst)
{
    const float *x = xv;
    for (size_t k = 0; k < kcp; k += 16) {
        __mmask16 m = sb_lanes16(kc > k ? kc - k : 0);
        __m512 w[16];
        for (size_t r = 0; r < 16; r++)
            w[r] = r < rows ? _mm512_maskz_loadu_ps(m, x + r * ldx + k) : _mm512_setzero_ps();
        sb_store_columns_avx512(w, (float *)dst + k * MR, MR, kcp - k < 16 ? kcp - k : 16);
    }
}

const sb_ukr_desc sb_ukr_avx512_f32 = {.name = "avx512 12x32 f32", .mr = MR, .nr = NR,
                                       .pack = SB_PACK_F32, .fn = ukr_f32_12, .epi = &sb_epi_avx512,
                                       .pack_a = pack_a_12, .rows = ukr_f32_rows,
                                       .direct = ukr_f32_direct_rows};

/*
 * BF16 pairs widened to FP32, a 12 x 32 block of C. A bf16 is the top half of
 * an FP32, so a 32-bit lane holding the pair (k, k+1) gives k by a left shift
 * of 16 and k+1 by masking the low half. Registers: 24 accumulators, 4 widened
 * B vectors, 2 widened A values = 30 of 32. Per k pair: 2 B loads, 12 A pair
 * broadcasts, 4 + 24 integer ops, 48 FMAs (1536 FLOPs). Same FLOP rate as
 * FP32 with half the weight bytes: the path for CPUs without vdpbf16ps.
 */
static inline __attribute__((always_inline)) void ukr_bf16cvt(size_t kc, const void *ap,
                                                              const void *bp, float *c,
                                                              size_t ldc, int first, const int R)
{
    const int32_t *a = ap;   /* [kc/2][MR] pairs */
    const __m512i *b = bp;   /* [kc/2][2] vectors of 16 pairs */
    const __m512i hi = _mm512_set1_epi32((int)0xffff0000);
#define ROW(r) __m512 c##r##0 = _mm512_setzero_ps(), c##r##1 = _mm512_setzero_ps();
    ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7) ROW(8) ROW(9) ROW(10) ROW(11)
#undef ROW
    for (size_t k = 0; k < kc / 2; k++) {
        __m512i v0 = _mm512_loadu_si512(b + 2 * k), v1 = _mm512_loadu_si512(b + 2 * k + 1);
        __m512 b0e = _mm512_castsi512_ps(_mm512_slli_epi32(v0, 16));
        __m512 b0o = _mm512_castsi512_ps(_mm512_and_si512(v0, hi));
        __m512 b1e = _mm512_castsi512_ps(_mm512_slli_epi32(v1, 16));
        __m512 b1o = _mm512_castsi512_ps(_mm512_and_si512(v1, hi));
        __m512 ae, ao;
#define ROW(r)                                                                          \
    if (r < R) {                                                                        \
        __m512i av = _mm512_set1_epi32(a[k * MR + r]);                                  \
        ae = _mm512_castsi512_ps(_mm512_slli_epi32(av, 16));                            \
        ao = _mm512_castsi512_ps(_mm512_and_si512(av, hi));                             \
        c##r##0 = _mm512_fmadd_ps(ao, b0o, _mm512_fmadd_ps(ae, b0e, c##r##0));          \
        c##r##1 = _mm512_fmadd_ps(ao, b1o, _mm512_fmadd_ps(ae, b1e, c##r##1));          \
    }
        ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7) ROW(8) ROW(9) ROW(10) ROW(11)
#undef ROW
    }
#define ROW(r)                                                                  \
    if (r < R) {                                                                \
        sb_store_c512(c + r * ldc, c##r##0, first);                             \
        sb_store_c512(c + r * ldc + 16, c##r##1, first);                        \
    }
    ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7) ROW(8) ROW(9) ROW(10) ROW(11)
#undef ROW
}

SB_UKR_ROWS(12, ukr_bf16cvt, ukr_bf16cvt)

const sb_ukr_desc sb_ukr_avx512_bf16cvt = {.name = "avx512 12x32 bf16 (widened)", .mr = MR,
                                           .nr = NR, .pack = SB_PACK_BF16_PAIRS,
                                           .fn = ukr_bf16cvt_12, .epi = &sb_epi_avx512,
                                           .rows = ukr_bf16cvt_rows};
