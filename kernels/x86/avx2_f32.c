/*
 * avx2_f32.c - FP32 GEMM micro-kernel for AVX2 + FMA: a 6 x 16 block of C.
 *
 * Registers: 12 ymm accumulators (6 rows x 2 vectors of 8), 2 ymm for the B
 * row, 1 for the broadcast A element: 15 of 16. Per k step: 2 B loads and 6
 * broadcasts feed 12 FMAs (192 FLOPs per 8 loads), enough to cover the FMA
 * latency on two pipes. Built with -mavx2 -mfma only; chosen at run time.
 */
#include <immintrin.h>
#include "gemm/gemm.h"

enum { MR = 6, NR = 16 };

static void ukr_6x16(size_t kc, const float *a, const float *b, float *c, size_t ldc, int first)
{
    /* named accumulators (not an array): GCC 12 kept an array of vectors on the stack */
#define ROW(r) __m256 c##r##0 = _mm256_setzero_ps(), c##r##1 = _mm256_setzero_ps();
    ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5)
#undef ROW
    for (size_t k = 0; k < kc; k++) {
        __m256 b0 = _mm256_loadu_ps(b + k * NR), b1 = _mm256_loadu_ps(b + k * NR + 8), av;
#define ROW(r) av = _mm256_broadcast_ss(a + k * MR + r); c##r##0 = _mm256_fmadd_ps(av, b0, c##r##0); \
               c##r##1 = _mm256_fmadd_ps(av, b1, c##r##1);
        ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5)
#undef ROW
    }
#define ROW(r) \
    if (!first) { \
        c##r##0 = _mm256_add_ps(c##r##0, _mm256_loadu_ps(c + r * ldc)); \
        c##r##1 = _mm256_add_ps(c##r##1, _mm256_loadu_ps(c + r * ldc + 8)); \
    } \
    _mm256_storeu_ps(c + r * ldc, c##r##0); \
    _mm256_storeu_ps(c + r * ldc + 8, c##r##1);
    ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5)
#undef ROW
}

const sb_ukr_f32_desc sb_ukr_f32_avx2 = {.name = "avx2 6x16", .mr = MR, .nr = NR, .fn = ukr_6x16};
