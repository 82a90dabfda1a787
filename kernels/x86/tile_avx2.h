/*
 * tile_avx2.h - AVX2 register tiles, inline in the files that need them (built with -mavx2
 * -mfma): the 8 x 8 transpose of 32-bit lanes (the FP32 GEMM's A packing, the short-sequence
 * attention's K), and one step of a 4 x W tile of FMA accumulators (flash attention's block
 * and short-sequence functions, for S = Q K^T and for O = P V).
 */
#ifndef SB_TILE_AVX2_H
#define SB_TILE_AVX2_H
#include <immintrin.h>

/* r[0..8) rows of 8 floats -> r[k] = column k (24 shuffles). */
static inline void sb_transpose8_avx2(__m256 r[8])
{
    __m256 t[8], s[8];
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 8; i += 4) {
        s[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
        s[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xee);
        s[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        s[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xee);
    }
    for (int c = 0; c < 4; c++) {
        r[c] = _mm256_permute2f128_ps(s[c], s[4 + c], 0x20);
        r[4 + c] = _mm256_permute2f128_ps(s[c], s[4 + c], 0x31);
    }
}

/*
 * One step of a 4 x W tile of accumulators a<i><w> (declared by the caller, W a constant
 * 1..3): a<i><w> += *x<i> * row[8w .. 8w + 8) for i < 4, w < W. With W = 3: 3 loads and 4
 * broadcasts feed 12 FMAs, all 16 ymm registers.
 */
#define SB_TILE_ROW(i, x, W)                                                                    \
    xb_ = _mm256_broadcast_ss(x);                                                               \
    a##i##0 = _mm256_fmadd_ps(xb_, r0_, a##i##0);                                               \
    if ((W) > 1)                                                                                \
        a##i##1 = _mm256_fmadd_ps(xb_, r1_, a##i##1);                                           \
    if ((W) > 2)                                                                                \
        a##i##2 = _mm256_fmadd_ps(xb_, r2_, a##i##2);
#define SB_TILE_STEP(row, x0, x1, x2, x3, W)                                                    \
    do {                                                                                        \
        const float *row_ = (row);                                                              \
        __m256 r0_ = _mm256_loadu_ps(row_), r1_ = r0_, r2_ = r0_, xb_;                          \
        if ((W) > 1)                                                                            \
            r1_ = _mm256_loadu_ps(row_ + 8);                                                    \
        if ((W) > 2)                                                                            \
            r2_ = _mm256_loadu_ps(row_ + 16);                                                   \
        SB_TILE_ROW(0, x0, W) SB_TILE_ROW(1, x1, W) SB_TILE_ROW(2, x2, W) SB_TILE_ROW(3, x3, W) \
    } while (0)

#endif
