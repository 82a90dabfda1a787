/*
 * avx512_f32.c - FP32 GEMM micro-kernel for AVX-512F: a 12 x 32 block of C.
 *
 * Registers: 24 zmm accumulators (12 rows x 2 vectors of 16), 2 zmm for the
 * B row, 1 for the broadcast A element: 27 of 32. Per k step: 2 B loads and
 * 12 broadcast loads of A feed 24 FMAs (768 FLOPs per 14 loads), enough
 * independent FMAs to cover the FMA latency on two 512-bit (or four 256-bit
 * double-pumped) pipes. Built with -mavx512f -mfma only; chosen at run time.
 */
#include <immintrin.h>
#include "gemm/gemm.h"

enum { MR = 12, NR = 32 };

static void ukr_12x32(size_t kc, const float *a, const float *b, float *c, size_t ldc, int first)
{
    /* named accumulators (not an array): GCC 12 kept an array of vectors on the stack */
#define ROW(r) __m512 c##r##0 = _mm512_setzero_ps(), c##r##1 = _mm512_setzero_ps();
    ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7) ROW(8) ROW(9) ROW(10) ROW(11)
#undef ROW
    for (size_t k = 0; k < kc; k++) {
        __m512 b0 = _mm512_loadu_ps(b + k * NR), b1 = _mm512_loadu_ps(b + k * NR + 16), av;
#define ROW(r) av = _mm512_set1_ps(a[k * MR + r]); c##r##0 = _mm512_fmadd_ps(av, b0, c##r##0); \
               c##r##1 = _mm512_fmadd_ps(av, b1, c##r##1);
        ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7) ROW(8) ROW(9) ROW(10) ROW(11)
#undef ROW
    }
#define ROW(r) \
    if (!first) { \
        c##r##0 = _mm512_add_ps(c##r##0, _mm512_loadu_ps(c + r * ldc)); \
        c##r##1 = _mm512_add_ps(c##r##1, _mm512_loadu_ps(c + r * ldc + 16)); \
    } \
    _mm512_storeu_ps(c + r * ldc, c##r##0); \
    _mm512_storeu_ps(c + r * ldc + 16, c##r##1);
    ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7) ROW(8) ROW(9) ROW(10) ROW(11)
#undef ROW
}

const sb_ukr_f32_desc sb_ukr_f32_avx512 = {.name = "avx512 12x32", .mr = MR, .nr = NR,
                                           .fn = ukr_12x32};
