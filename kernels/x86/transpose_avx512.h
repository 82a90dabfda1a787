/*
 * transpose_avx512.h - the 16 x 16 transpose of 32-bit lanes in AVX-512
 * registers, inline in the files that need it (the short-sequence attention
 * functions put queries in the lanes with it; the AVX-512 GEMM micro-kernels
 * pack their A panels with it). Needs -mavx512f.
 */
#ifndef SB_TRANSPOSE_AVX512_H
#define SB_TRANSPOSE_AVX512_H
#include <immintrin.h>
#include "x86/vecmath.h" /* sb_lanes16 */

/* r[0..16) rows -> r[k] = column k (64 shuffles). */
static inline void sb_transpose16_avx512(__m512 r[16])
{
    __m512 t[16], u[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    /* u[4g + c], 128-bit lane l: column 4l + c of rows 4g..4g+3 */
    for (int g = 0; g < 4; g++) {
        __m512d a = _mm512_castps_pd(t[4 * g]), b = _mm512_castps_pd(t[4 * g + 1]);
        __m512d c = _mm512_castps_pd(t[4 * g + 2]), d = _mm512_castps_pd(t[4 * g + 3]);
        u[4 * g] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
        u[4 * g + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
        u[4 * g + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
        u[4 * g + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
    }
    for (int c = 0; c < 4; c++) {
        __m512 v0 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0x44);
        __m512 v1 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0x44);
        __m512 w0 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0xee);
        __m512 w1 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0xee);
        r[c] = _mm512_shuffle_f32x4(v0, v1, 0x88);
        r[4 + c] = _mm512_shuffle_f32x4(v0, v1, 0xdd);
        r[8 + c] = _mm512_shuffle_f32x4(w0, w1, 0x88);
        r[12 + c] = _mm512_shuffle_f32x4(w0, w1, 0xdd);
    }
}

/*
 * The A-panel packers' last step: w[r] holds 16 words (floats, bf16 pairs or u8 quads) of row r
 * (zeros beyond the panel's rows); word j of rows 0..mr-1 goes to dst + j * mr, for
 * j < cols (mr <= 16, cols <= 16), one masked store each.
 */
static inline void sb_store_columns_avx512(__m512 w[16], float *dst, size_t mr, size_t cols)
{
    __mmask16 rows = (__mmask16)((1u << mr) - 1);
    sb_transpose16_avx512(w);
    for (size_t j = 0; j < cols; j++)
        _mm512_mask_storeu_ps(dst + j * mr, rows, w[j]);
}
#endif
