/*
 * avx512vnni_gemm.c - INT8 GEMM micro-kernel for AVX512-VNNI (vpdpbusd):
 * an 8 x 32 block of C with int32 accumulation.
 *
 * vpdpbusd adds to each int32 lane the dot product of 4 u8 values of A
 * (activations shifted by +128) and 4 s8 values of B (weights), so k advances
 * by 4 per instruction. Registers: 16 zmm accumulators, 2 for the B quads of
 * this k step, 1 for the broadcast A quad = 19 of 32 (with 12 rows, GCC 12
 * spilled accumulators around the destructive vpdpbusd on every step). Per k
 * quad: 2 B loads and 8 broadcasts feed 16 vpdpbusd (2048 integer ops). The sums of one KC
 * block (<= 512) stay below 2^24, so C is written exactly as FP32; the
 * framework's epilogue removes the +128 shift and dequantizes.
 * Built with -mavx512f -mavx512vnni only; chosen at run time.
 */
#include <immintrin.h>
#include "gemm/gemm.h"
#include "x86/ukr_store.h"
#include "x86/x86.h"

enum { MR = 8, NR = 32 };

static void ukr_12x32_u8s8(size_t kc, const void *ap, const void *bp, float *c, size_t ldc, int first)
{
    const int32_t *a = ap;   /* [kc/4][MR] quads of u8 */
    const __m512i *b = bp;   /* [kc/4][2] vectors of 16 quads of s8 */
#define ROW(r) __m512i c##r##0 = _mm512_setzero_si512(), c##r##1 = _mm512_setzero_si512();
    ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7)
#undef ROW
    for (size_t k = 0; k < kc / 4; k++) {
        __m512i b0 = _mm512_loadu_si512(b + 2 * k), b1 = _mm512_loadu_si512(b + 2 * k + 1), av;
#define ROW(r)                                               \
    av = _mm512_set1_epi32(a[k * MR + r]);                   \
    c##r##0 = _mm512_dpbusd_epi32(c##r##0, av, b0);          \
    c##r##1 = _mm512_dpbusd_epi32(c##r##1, av, b1);
        ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7)
#undef ROW
    }
#define ROW(r)                                                                  \
    sb_store_c512(c + r * ldc, _mm512_cvtepi32_ps(c##r##0), first);                   \
    sb_store_c512(c + r * ldc + 16, _mm512_cvtepi32_ps(c##r##1), first);
    ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7)
#undef ROW
}

const sb_ukr_desc sb_ukr_avx512vnni_int8 = {.name = "avx512-vnni 8x32 u8s8", .mr = MR, .nr = NR,
                                            .pack = SB_PACK_U8S8_QUADS, .fn = ukr_12x32_u8s8,
                                            .epi = &sb_epi_avx512};
