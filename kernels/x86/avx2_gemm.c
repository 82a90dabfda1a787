/*
 * avx2_gemm.c - GEMM micro-kernels for AVX2 + FMA: FP32, and BF16 weights and
 * activations widened to FP32 in registers.
 *
 * FP32, a 6 x 16 block of C. Registers: 12 ymm accumulators (6 rows x 2 vectors of 8), 2 ymm for the B
 * row, 1 for the broadcast A element: 15 of 16. Per k step: 2 B loads and 6
 * broadcasts feed 12 FMAs (192 FLOPs per 8 loads), enough to cover the FMA
 * latency on two pipes. Built with -mavx2 -mfma only; chosen at run time.
 * Each kernel also has a function per row count for blocks of fewer rows,
 * and the FP32 one a form that reads A in place (gemm.h's sb_ukr_desc).
 */
#include <immintrin.h>
#include "gemm/gemm.h"
#include "gemm/ukr_rows.h"
#include "x86/tile_avx2.h"
#include "x86/ukr_store.h"
#include "x86/x86.h"

enum { MR = 6, NR = 16 };

/*
 * The first R rows of the block (R <= MR, a constant in each instantiation: ukr_rows.h). Row
 * r's value at k is a[k * sk + r * sr]: sk = MR, sr = 1 for a packed panel, sk = 1, sr = lda
 * for A in place. pf's lines are asked for into L2, one every pf->every k steps: the next
 * column's B panel (gemm.h), which the tile after this column's last would otherwise wait for.
 */
static inline __attribute__((always_inline)) void ukr_body(size_t kc, const float *a, size_t sk,
                                                           size_t sr, const float *b, float *c,
                                                           size_t ldc, int first,
                                                           const sb_ukr_pf *pf, const int R)
{
    const char *pp = pf ? pf->p : NULL;
    size_t left = pf ? pf->lines : 0, every = pf && pf->every ? pf->every : 1;
    /* named accumulators (not an array): GCC 12 kept an array of vectors on the stack */
#define ROW(r) __m256 c##r##0 = _mm256_setzero_ps(), c##r##1 = _mm256_setzero_ps();
    ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5)
#undef ROW
#define ROW(r)                                                                   \
    if (r < R) {                                                                 \
        av = _mm256_broadcast_ss(a + k * sk + r * sr);                           \
        c##r##0 = _mm256_fmadd_ps(av, b0, c##r##0);                              \
        c##r##1 = _mm256_fmadd_ps(av, b1, c##r##1);                              \
    }
#define STEP                                                                     \
    do {                                                                         \
        __m256 b0 = _mm256_loadu_ps(b + k * NR), av;                             \
        __m256 b1 = _mm256_loadu_ps(b + k * NR + 8);                             \
        ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5)                                \
    } while (0)
    /*
     * Without lines to ask for, the plain loop: the paced form's outer loop made the short
     * tiles of K = 16 take 9-11% longer in an alternating run. With lines, a line before every
     * `every` steps; a compare in every step instead measured 5-12% slower on 720p fc2 and qkv.
     */
    if (!left) {
        for (size_t k = 0; k < kc; k++)
            STEP;
    } else {
        for (size_t k = 0; k < kc;) {
            if (left) {
                _mm_prefetch(pp, _MM_HINT_T1);
                pp += 64;
                left--;
            }
            for (size_t end = kc - k < every ? kc : k + every; k < end; k++)
                STEP;
        }
    }
#undef STEP
#undef ROW
#define ROW(r)                                                                   \
    if (r < R) {                                                                 \
        sb_store_c256(c + r * ldc, c##r##0, first);                              \
        sb_store_c256(c + r * ldc + 8, c##r##1, first);                          \
    }
    ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5)
#undef ROW
}
/* the row-count tables, packed and in place */
SB_UKR_FP32(6, ukr_f32, ukr_body)

/*
 * One FP32 panel of A for ukr_f32_6 ([kc][MR], as sb_pack_a packs it; see gemm.h's
 * pack_a): 8 values of k of each row per step, transposed in registers, each k's 6
 * values stored as 4 + 2 (plain stores, not vmaskmovps).
 */
static void pack_a_6(const void *xv, size_t ldx, size_t rows, size_t kc, size_t kcp, void *dst)
{
    const float *x = xv;
    float *d = dst;
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    for (size_t k = 0; k < kcp; k += 8) {
        size_t n = kc > k ? kc - k : 0; /* real values from k on */
        __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32(n < 8 ? (int)n : 8), lane);
        __m256 w[8];
        for (size_t r = 0; r < 8; r++)
            w[r] = r < rows ? _mm256_maskload_ps(x + r * ldx + k, m) : _mm256_setzero_ps();
        sb_transpose8_avx2(w);
        for (size_t j = 0; j < 8 && k + j < kcp; j++) {
            _mm_storeu_ps(d + (k + j) * MR, _mm256_castps256_ps128(w[j]));
            _mm_storel_pi((__m64 *)(d + (k + j) * MR + 4), _mm256_extractf128_ps(w[j], 1));
        }
    }
}

const sb_ukr_desc sb_ukr_avx2_f32 = {.name = "avx2 6x16 f32", .mr = MR, .nr = NR,
                                     .pack = SB_PACK_F32, .fn = ukr_f32_6, .epi = &sb_epi_avx2,
                                     .pack_a = pack_a_6, .rows = ukr_f32_rows,
                                     .direct = ukr_f32_direct_rows};

/*
 * BF16 pairs widened to FP32, a 4 x 16 block of C (see avx512_gemm.c for the
 * widening). Registers: 8 accumulators, 4 widened B vectors, 2 widened A
 * values = 14 of 16. Per k pair: 2 B loads, 4 broadcasts, 16 FMAs (512 FLOPs).
 */
enum { MRB = 4 };

static inline __attribute__((always_inline)) void ukr_bf16cvt(size_t kc, const void *ap,
                                                              const void *bp, float *c,
                                                              size_t ldc, int first, const int R)
{
    const int32_t *a = ap;   /* [kc/2][MRB] pairs */
    const __m256i *b = bp;   /* [kc/2][2] vectors of 8 pairs */
    const __m256i hi = _mm256_set1_epi32((int)0xffff0000);
#define ROW(r) __m256 c##r##0 = _mm256_setzero_ps(), c##r##1 = _mm256_setzero_ps();
    ROW(0) ROW(1) ROW(2) ROW(3)
#undef ROW
    for (size_t k = 0; k < kc / 2; k++) {
        __m256i v0 = _mm256_loadu_si256(b + 2 * k), v1 = _mm256_loadu_si256(b + 2 * k + 1);
        __m256 b0e = _mm256_castsi256_ps(_mm256_slli_epi32(v0, 16));
        __m256 b0o = _mm256_castsi256_ps(_mm256_and_si256(v0, hi));
        __m256 b1e = _mm256_castsi256_ps(_mm256_slli_epi32(v1, 16));
        __m256 b1o = _mm256_castsi256_ps(_mm256_and_si256(v1, hi));
        __m256 ae, ao;
#define ROW(r)                                                                          \
    if (r < R) {                                                                        \
        __m256i av = _mm256_set1_epi32(a[k * MRB + r]);                                 \
        ae = _mm256_castsi256_ps(_mm256_slli_epi32(av, 16));                            \
        ao = _mm256_castsi256_ps(_mm256_and_si256(av, hi));                             \
        c##r##0 = _mm256_fmadd_ps(ao, b0o, _mm256_fmadd_ps(ae, b0e, c##r##0));          \
        c##r##1 = _mm256_fmadd_ps(ao, b1o, _mm256_fmadd_ps(ae, b1e, c##r##1));          \
    }
        ROW(0) ROW(1) ROW(2) ROW(3)
#undef ROW
    }
#define ROW(r)                                                                  \
    if (r < R) {                                                                \
        sb_store_c256(c + r * ldc, c##r##0, first);                             \
        sb_store_c256(c + r * ldc + 8, c##r##1, first);                         \
    }
    ROW(0) ROW(1) ROW(2) ROW(3)
#undef ROW
}
SB_UKR_ROWS(4, ukr_bf16cvt, ukr_bf16cvt)

const sb_ukr_desc sb_ukr_avx2_bf16cvt = {.name = "avx2 4x16 bf16 (widened)", .mr = MRB, .nr = NR,
                                         .pack = SB_PACK_BF16_PAIRS, .fn = ukr_bf16cvt_4,
                                         .epi = &sb_epi_avx2, .rows = ukr_bf16cvt_rows};

/*
 * One row's k pair: c0 += madd(a, b0), c1 += madd(a, b1), a the row's s16 pair broadcast. GCC 12
 * issued all six rows' broadcasts first and kept 8 of the 12 accumulators on the stack (a load
 * and a store around every vpaddd, in objdump); as one asm per row it holds them all in registers.
 */
#if defined(__GNUC__) && !defined(__clang__)
#define MADD_ROW(c0, c1, ap, b0, b1)                                                          \
    do {                                                                                     \
        __m256i av_, t_;                                                                     \
        __asm__("vpbroadcastd %4, %2\n\t"                                                    \
                "vpmaddwd %5, %2, %3\n\t"                                                    \
                "vpaddd %3, %0, %0\n\t"                                                      \
                "vpmaddwd %6, %2, %3\n\t"                                                    \
                "vpaddd %3, %1, %1"                                                          \
                : "+x"(c0), "+x"(c1), "=&x"(av_), "=&x"(t_)                                  \
                : "m"(*(ap)), "x"(b0), "x"(b1));                                             \
    } while (0)
#else
#define MADD_ROW(c0, c1, ap, b0, b1)                                                          \
    do {                                                                                     \
        __m256i av_ = _mm256_set1_epi32(*(ap));                                              \
        c0 = _mm256_add_epi32(c0, _mm256_madd_epi16(av_, b0));                               \
        c1 = _mm256_add_epi32(c1, _mm256_madd_epi16(av_, b1));                               \
    } while (0)
#endif

/*
 * INT8 with 7-bit weights, a 6 x 16 block of C with int32 accumulation: vpmaddubsw
 * multiplies the u8 activations (q + 128, sb_pack_a's U8S8 quads) by the s8 weights and adds
 * pairs into 16 bits, vpmaddwd with ones widens the pairs to int32: 3 operations per 32
 * products where the s16 kernel (below) issues 4. The pair sums saturate unless they stay
 * below 2^15, so the weights are quantized to +-63 (desc.wmax): 2 * 255 * 63 < 2^15, and the
 * sums are exact for those inputs. The u8 shift is taken off with the packed weights'
 * column sums (comp), as for vpdpbusd. Registers: 12 accumulators, the A quad, a product
 * and ones: 15 of 16; B is read from L1 by each row's vpmaddubsw. Per k quad: 6 broadcasts,
 * 12 vpmaddubsw with a B operand, 12 vpmaddwd, 12 vpaddd for 384 products.
 */
#if defined(__GNUC__) && !defined(__clang__)
/* one row's k quad as one asm, for the reason MADD_ROW gives */
#define U8S7_ROW(c0, c1, ap, bp, ones)                                                        \
    do {                                                                                     \
        __m256i av_, t_;                                                                     \
        __asm__("vpbroadcastd %4, %2\n\t"                                                    \
                "vpmaddubsw %5, %2, %3\n\t"                                                  \
                "vpmaddwd %7, %3, %3\n\t"                                                    \
                "vpaddd %3, %0, %0\n\t"                                                      \
                "vpmaddubsw %6, %2, %3\n\t"                                                  \
                "vpmaddwd %7, %3, %3\n\t"                                                    \
                "vpaddd %3, %1, %1"                                                          \
                : "+x"(c0), "+x"(c1), "=&x"(av_), "=&x"(t_)                                  \
                : "m"(*(ap)), "m"(*(bp)), "m"(*((bp) + 1)), "x"(ones));                      \
    } while (0)
#else
#define U8S7_ROW(c0, c1, ap, bp, ones)                                                        \
    do {                                                                                     \
        __m256i av_ = _mm256_set1_epi32(*(ap));                                              \
        c0 = _mm256_add_epi32(                                                               \
            c0, _mm256_madd_epi16(_mm256_maddubs_epi16(av_, _mm256_loadu_si256(bp)), ones)); \
        c1 = _mm256_add_epi32(                                                               \
            c1, _mm256_madd_epi16(_mm256_maddubs_epi16(av_, _mm256_loadu_si256((bp) + 1)), ones)); \
    } while (0)
#endif

/*
 * The two AVX2 INT8 kernels, a 6 x 16 block of C with int32 accumulation (the first R rows):
 * W7 = 0: s16 pairs (ukr_s16, below); W7 = 1: u8 x s8 quads with 7-bit weights (U8S7_ROW,
 * above; ukr_u8s7).
 */
static inline __attribute__((always_inline)) void ukr_int8(size_t kc, const void *ap,
                                                           const void *bp, float *c, size_t ldc,
                                                           int first, const int R, const int W7)
{
    const int32_t *a = ap;   /* [kc/g][MR] pairs of s16 (g = 2) or quads of u8 (g = 4, W7) */
    const __m256i *b = bp;   /* [kc/g][2] vectors of 8 pairs of s16 or 8 quads of s8 */
    const size_t g = W7 ? 4 : 2;
    const __m256i ones = _mm256_set1_epi16(1);
#define ROW(r) __m256i c##r##0 = _mm256_setzero_si256(), c##r##1 = _mm256_setzero_si256();
    ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5)
#undef ROW
    for (size_t k = 0; k < kc / g; k++) {
        if (W7) {
#define ROW(r)                                                              \
    if (r < R)                                                              \
        U8S7_ROW(c##r##0, c##r##1, a + k * MR + r, b + 2 * k, ones);
            ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5)
#undef ROW
        } else {
            __m256i b0 = _mm256_loadu_si256(b + 2 * k), b1 = _mm256_loadu_si256(b + 2 * k + 1);
#define ROW(r)                                                              \
    if (r < R)                                                              \
        MADD_ROW(c##r##0, c##r##1, a + k * MR + r, b0, b1);
            ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5)
#undef ROW
        }
    }
#define ROW(r)                                                                  \
    if (r < R) {                                                                \
        sb_store_c256(c + r * ldc, _mm256_cvtepi32_ps(c##r##0), first);         \
        sb_store_c256(c + r * ldc + 8, _mm256_cvtepi32_ps(c##r##1), first);     \
    }
    ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5)
#undef ROW
}

/*
 * INT8 widened to s16 pairs: vpmaddwd multiplies pairs of s16 and adds them into int32
 * lanes (no saturation: |q| <= 127). Registers: 12 accumulators, 2 B vectors, 1 A pair
 * and 1 product = 16 of 16. Per k pair: 2 B loads, 6 broadcasts, 12 vpmaddwd +
 * 12 vpaddd.
 */
static inline __attribute__((always_inline)) void ukr_s16(size_t kc, const void *ap,
                                                          const void *bp, float *c, size_t ldc,
                                                          int first, const int R)
{
    ukr_int8(kc, ap, bp, c, ldc, first, R, 0);
}
SB_UKR_ROWS(6, ukr_s16, ukr_s16)

const sb_ukr_desc sb_ukr_avx2_int8 = {.name = "avx2 6x16 s16 (int8 widened)", .mr = MR, .nr = NR,
                                      .pack = SB_PACK_S16_PAIRS, .fn = ukr_s16_6,
                                      .epi = &sb_epi_avx2, .rows = ukr_s16_rows};

static inline __attribute__((always_inline)) void ukr_u8s7(size_t kc, const void *ap,
                                                           const void *bp, float *c, size_t ldc,
                                                           int first, const int R)
{
    ukr_int8(kc, ap, bp, c, ldc, first, R, 1);
}
SB_UKR_ROWS(6, ukr_u8s7, ukr_u8s7)

const sb_ukr_desc sb_ukr_avx2_int8w7 = {.name = "avx2 6x16 u8s8 (7-bit weights)", .mr = MR,
                                        .nr = NR, .pack = SB_PACK_U8S8_QUADS, .wmax = 63,
                                        .fn = ukr_u8s7_6, .epi = &sb_epi_avx2,
                                        .rows = ukr_u8s7_rows};
