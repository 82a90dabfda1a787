/*
 * avx512vnni_gemm.c - INT8 GEMM micro-kernel for AVX512-VNNI (vpdpbusd):
 * a 12 x 32 block of C with int32 accumulation.
 *
 * vpdpbusd adds to each int32 lane the dot product of 4 u8 values of A
 * (activations shifted by +128) and 4 s8 values of B (weights), so k advances
 * by 4 per instruction. Registers: 24 zmm accumulators, 2 for the B quads of
 * this k step, 1 for the broadcast A quad = 27 of 32. Per k quad: 2 B loads
 * and 12 broadcasts feed 24 vpdpbusd (3072 integer ops). The int32 sums of one
 * KC block are added to C as FP32 (gemm.h says when that rounds); the
 * framework's epilogue removes the +128 shift and dequantizes.
 * Measured (fc1 3600x1152->4608, 1 / 2 threads): 8 rows 359 / 691 GOP/s,
 * 12 rows 366 / 726. Before the DPBUSD asm below, GCC 12 spilled 12 rows.
 * Built with -mavx512f -mavx512vnni only; chosen at run time.
 */
#include <immintrin.h>
#include <string.h>
#include "gemm/gemm.h"
#include "x86/transpose_avx512.h"
#include "gemm/ukr_rows.h"
#include "x86/ukr_store.h"
#include "x86/x86.h"

enum { MR = 12, NR = 32 };

/*
 * acc += the dot products of the u8 quads of a with the s8 quads of b. GCC 12
 * copies the accumulator to a scratch register and back around every
 * _mm512_dpbusd_epi32 (two zmm moves per vpdpbusd in objdump); the asm names
 * it as read-write, so it stays in place.
 */
#if defined(__GNUC__) && !defined(__clang__)
#define DPBUSD(acc, a, b) __asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(a), "v"(b))
#else
#define DPBUSD(acc, a, b) ((acc) = _mm512_dpbusd_epi32((acc), (a), (b)))
#endif

/* The first R rows of the block (ukr_rows.h): R = MR is the whole kernel. */
static inline __attribute__((always_inline)) void ukr_rows(size_t kc, const void *ap,
                                                           const void *bp, float *c, size_t ldc,
                                                           int first, const int R)
{
    const int32_t *a = ap;   /* [kc/4][MR] quads of u8 */
    const __m512i *b = bp;   /* [kc/4][2] vectors of 16 quads of s8 */
#define ROW(r) __m512i c##r##0 = _mm512_setzero_si512(), c##r##1 = _mm512_setzero_si512();
    ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7) ROW(8) ROW(9) ROW(10) ROW(11)
#undef ROW
    for (size_t k = 0; k < kc / 4; k++) {
        __m512i b0 = _mm512_loadu_si512(b + 2 * k), b1 = _mm512_loadu_si512(b + 2 * k + 1), av;
#define ROW(r)                                               \
    if (r < R) {                                             \
        av = _mm512_set1_epi32(a[k * MR + r]);               \
        DPBUSD(c##r##0, av, b0);                             \
        DPBUSD(c##r##1, av, b1);                             \
    }
        ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7) ROW(8) ROW(9) ROW(10) ROW(11)
#undef ROW
    }
#define ROW(r)                                                                  \
    if (r < R) {                                                                \
        sb_store_c512(c + r * ldc, _mm512_cvtepi32_ps(c##r##0), first);         \
        sb_store_c512(c + r * ldc + 16, _mm512_cvtepi32_ps(c##r##1), first);    \
    }
    ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7) ROW(8) ROW(9) ROW(10) ROW(11)
#undef ROW
}

SB_UKR_ROWS(12, ukr_u8s8, ukr_rows)

/*
 * One panel of A for ukr_u8s8_12 ([kcp/4][MR] quads of u8 = q + 128, as sb_pack_a
 * packs it; see gemm.h's pack_a) from the quantized int8 rows: 64 values of k of each
 * row per step (16 quads), the shift as one xor, a register transpose, each quad
 * index's 12 words one masked store. The padding is q = 0 (u8 128), in k and in rows.
 * sb_pack_a moved one byte at a time: 7.6% of the samples of a 720p fc2 profile
 * (3600x4608->1152, 1 thread), 1.5% with this packer.
 */
static void pack_a_12(const void *xv, size_t ldx, size_t rows, size_t kc, size_t kcp, void *dst)
{
    const int8_t *x = xv;
    const __m512i shift = _mm512_set1_epi32((int)0x80808080u);
    for (size_t k = 0; k < kcp; k += 64) {
        size_t n = kc - k < 64 ? kc - k : 64; /* real values in this step (kc > k here) */
        __m512 w[16];
        for (size_t r = 0; r < 16; r++) {
            __m512i q = _mm512_setzero_si512();
            if (r < rows && n == 64) {
                q = _mm512_loadu_si512(x + r * ldx + k);
            } else if (r < rows) { /* the tail, through a zeroed buffer */
                int8_t buf[64] = {0};
                memcpy(buf, x + r * ldx + k, n);
                q = _mm512_loadu_si512(buf);
            }
            w[r] = _mm512_castsi512_ps(_mm512_xor_si512(q, shift));
        }
        sb_store_columns_avx512(w, (float *)dst + k / 4 * MR, MR,
                                (kcp - k) / 4 < 16 ? (kcp - k) / 4 : 16);
    }
}

const sb_ukr_desc sb_ukr_avx512vnni_int8 = {.name = "avx512-vnni 12x32 u8s8", .mr = MR, .nr = NR,
                                            .pack = SB_PACK_U8S8_QUADS, .fn = ukr_u8s8_12,
                                            .epi = &sb_epi_avx512, .pack_a = pack_a_12,
                                            .rows = ukr_u8s8_rows};
