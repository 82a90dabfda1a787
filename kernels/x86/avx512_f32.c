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
    __m512 acc[MR][2];
    for (int r = 0; r < MR; r++) {
        acc[r][0] = first ? _mm512_setzero_ps() : _mm512_loadu_ps(c + r * ldc);
        acc[r][1] = first ? _mm512_setzero_ps() : _mm512_loadu_ps(c + r * ldc + 16);
    }
    for (size_t k = 0; k < kc; k++) {
        __m512 b0 = _mm512_loadu_ps(b + k * NR), b1 = _mm512_loadu_ps(b + k * NR + 16);
        for (int r = 0; r < MR; r++) {
            __m512 av = _mm512_set1_ps(a[k * MR + r]);
            acc[r][0] = _mm512_fmadd_ps(av, b0, acc[r][0]);
            acc[r][1] = _mm512_fmadd_ps(av, b1, acc[r][1]);
        }
    }
    for (int r = 0; r < MR; r++) {
        _mm512_storeu_ps(c + r * ldc, acc[r][0]);
        _mm512_storeu_ps(c + r * ldc + 16, acc[r][1]);
    }
}

const sb_ukr_f32_desc sb_ukr_f32_avx512 = {.name = "avx512 12x32", .mr = MR, .nr = NR,
                                           .fn = ukr_12x32};
