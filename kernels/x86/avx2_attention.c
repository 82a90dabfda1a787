/*
 * avx2_attention.c - the AVX2 + FMA block function of flash attention (the framework,
 * flash/flash.c, splits the work and packs Q, K and V), for x86 CPUs without AVX-512 (Zen 2/3,
 * Intel client cores). With 16 vector registers the tiles are 4 queries x 3 vectors: 12
 * accumulators, 3 loads and 4 broadcasts per 12 FMAs. A call takes QB = 16 queries (the
 * framework's qb), and for each block of KB = 48 keys:
 *   S = Q K^T for each group of 4 queries, 24 keys per tile: per d, 3 key loads (kt is
 *       [D][nkvp]) and 4 query broadcasts feed 12 FMAs (1 or 2 key vectors where the block
 *       ends: K is padded to 8 keys, so a block may end after any vector);
 *   online softmax per query: new max (kept in every lane, so no scalar round trip),
 *       correction exp(m_old - m_new), P = exp(S - m_new) (keys beyond n_kv masked to -inf
 *       first), running sum kept lane by lane: one horizontal max per query per 48 keys,
 *       one horizontal sum per query per call;
 *   O = O * correction + P V for each group of 4 queries, 24 lanes of D at a time (then the
 *       8 or 16 left): per key 3 V loads and 4 broadcasts of P feed 12 FMAs.
 * The 16 queries and 48 keys, against 8 and 24 before: the same layer 1.10-1.17x -> 0.98x
 * the unfused kernel's time (docs/performance.md).
 * A first form with the 8 queries in the lanes of one vector (no horizontal reductions, but
 * one broadcast per FMA) ran 720p spatial attention at 41 GFLOP/s against 59 for unfused.
 * Built with -mavx2 -mfma only.
 */
#include <immintrin.h>
#include <math.h>
#include <string.h>
#include "flash/flash.h"
#include "x86/tile_avx2.h"
#include "x86/vecmath.h"
#include "x86/x86.h"

/* 16 queries per call, not the framework's default 8: each call streams all of a head's K and
   V (2 MB at 720p, more than L2), so twice the queries per pass halve that traffic */
enum { QB = 16, KB = 48, QG = 4 /* queries per tile */ };
_Static_assert(QB % QG == 0, "whole tiles of 4 queries per block");

/* s[q0 + i][v] = the scores of queries q0 + i (i < 4) against keys kt[.][8v .. 8v + 8), v < NV. */
static inline __attribute__((always_inline)) void scores(const float *qt, const float *kt,
                                                         size_t nkvp, size_t D, size_t q0,
                                                         size_t w0, __m256 s[QB][KB / 8],
                                                         const int NV)
{
#define ACC(i) __m256 a##i##0 = _mm256_setzero_ps(), a##i##1 = a##i##0, a##i##2 = a##i##0;
    ACC(0) ACC(1) ACC(2) ACC(3)
#undef ACC
    for (size_t d = 0; d < D; d++) {
        const float *x = qt + d * QB + q0;
        SB_TILE_STEP(kt + d * nkvp, x, x + 1, x + 2, x + 3, NV);
    }
#define ACC(i)                                                                                  \
    s[q0 + i][w0] = a##i##0;                                                                    \
    if (NV > 1)                                                                                 \
        s[q0 + i][w0 + 1] = a##i##1;                                                            \
    if (NV > 2)                                                                                 \
        s[q0 + i][w0 + 2] = a##i##2;
    ACC(0) ACC(1) ACC(2) ACC(3)
#undef ACC
}

/*
 * o[q0 + i][dc .. dc + 8W) = o * corr[q0 + i] + sum_j p[q0 + i][j] v[j][dc ..] for i < 4,
 * j < nk (v [nkvp][D]).
 */
static inline __attribute__((always_inline)) void pv(float *o, const float *v, size_t D,
                                                     size_t dc, size_t q0, size_t nk,
                                                     const float p[QB][KB], const float *corr,
                                                     const int W)
{
#define ACC(i)                                                                                  \
    __m256 c##i = _mm256_broadcast_ss(corr + q0 + i), a##i##0, a##i##1 = c##i, a##i##2 = c##i; \
    float *o##i = o + (q0 + i) * D + dc;                                                        \
    a##i##0 = _mm256_mul_ps(_mm256_loadu_ps(o##i), c##i);                                       \
    if (W > 1)                                                                                  \
        a##i##1 = _mm256_mul_ps(_mm256_loadu_ps(o##i + 8), c##i);                               \
    if (W > 2)                                                                                  \
        a##i##2 = _mm256_mul_ps(_mm256_loadu_ps(o##i + 16), c##i);
    ACC(0) ACC(1) ACC(2) ACC(3)
#undef ACC
    for (size_t j = 0; j < nk; j++) {
        SB_TILE_STEP(v + j * D + dc, &p[q0][j], &p[q0 + 1][j], &p[q0 + 2][j], &p[q0 + 3][j], W);
    }
#define ACC(i)                                                                                  \
    _mm256_storeu_ps(o##i, a##i##0);                                                            \
    if (W > 1)                                                                                  \
        _mm256_storeu_ps(o##i + 8, a##i##1);                                                    \
    if (W > 2)                                                                                  \
        _mm256_storeu_ps(o##i + 16, a##i##2);
    ACC(0) ACC(1) ACC(2) ACC(3)
#undef ACC
}

static void block_avx2(const sb_flash_block *b)
{
    static const int32_t lane[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    size_t D = b->d, nkvp = b->nkvp;
    const float *qt = b->qt, *kt = b->kt;
    float *o = b->o, *l = b->l;
    float p[QB][KB] __attribute__((aligned(32))), corr[QB] __attribute__((aligned(32)));
    /* per query: the running max in every lane, and the running sum lane by lane (one
       horizontal sum per call, at the end) */
    __m256 s[QB][KB / 8], m[QB], lv[QB], sums[QB];
    for (int i = 0; i < QB; i++) {
        m[i] = _mm256_set1_ps(-INFINITY);
        lv[i] = _mm256_setzero_ps();
    }
    memset(o, 0, QB * D * sizeof(float));
    for (size_t kb = 0; kb < nkvp; kb += KB) {
        size_t nk = b->nkv - kb < KB ? b->nkv - kb : KB, nv = (nk + 7) / 8, tail = nk % 8;
        for (size_t q0 = 0; q0 < QB; q0 += QG)
            for (size_t w0 = 0; w0 < nv; w0 += 3) {
                if (nv - w0 > 2)
                    scores(qt, kt + kb + 8 * w0, nkvp, D, q0, w0, s, 3);
                else if (nv - w0 > 1)
                    scores(qt, kt + kb + 8 * w0, nkvp, D, q0, w0, s, 2);
                else
                    scores(qt, kt + kb + 8 * w0, nkvp, D, q0, w0, s, 1);
            }
        /* K is padded to 8 keys: only the last vector of the last block has lanes to mask */
        __m256 valid = _mm256_castsi256_ps(_mm256_cmpgt_epi32(
            _mm256_set1_epi32((int)tail), _mm256_loadu_si256((const __m256i *)lane)));
        for (int i = 0; i < QB; i++) {
            if (tail)
                s[i][nv - 1] = _mm256_blendv_ps(_mm256_set1_ps(-INFINITY), s[i][nv - 1], valid);
            __m256 mx = s[i][0], sum = _mm256_setzero_ps();
            for (size_t w = 1; w < nv; w++)
                mx = _mm256_max_ps(mx, s[i][w]);
            __m256 mnew = _mm256_max_ps(m[i], sb_bmax8(mx));
            /* exponentiated below, 8 at a time */
            corr[i] = _mm256_cvtss_f32(_mm256_sub_ps(m[i], mnew));
            m[i] = mnew;
            for (size_t w = 0; w < nv; w++) { /* masked lanes: exp clamps to ~1e-38, against a
                                                   sum of at least 1, and their V rows are 0 */
                __m256 e = vexp8(_mm256_sub_ps(s[i][w], mnew));
                sum = _mm256_add_ps(sum, e);
                _mm256_store_ps(&p[i][8 * w], e);
            }
            sums[i] = sum;
        }
        /* m = -inf on the first block: exp clamps its argument, so the correction is ~1e-38
           and multiplies l = 0 and O = 0 */
        for (int i = 0; i < QB; i += 8)
            _mm256_store_ps(corr + i, vexp8(_mm256_load_ps(corr + i)));
        for (int i = 0; i < QB; i++)
            lv[i] = _mm256_fmadd_ps(lv[i], _mm256_broadcast_ss(corr + i), sums[i]);
        const float *vb = (const float *)b->v + kb * D;
        for (size_t q0 = 0; q0 < QB; q0 += QG) {
            size_t dc = 0;
            for (; dc + 24 <= D; dc += 24)
                pv(o, vb, D, dc, q0, nk, p, corr, 3);
            if (D - dc == 16)
                pv(o, vb, D, dc, q0, nk, p, corr, 2);
            else if (D - dc == 8)
                pv(o, vb, D, dc, q0, nk, p, corr, 1);
        }
    }
    for (int i = 0; i < QB; i++)
        l[i] = sb_hsum8(lv[i]);
}

void sb_attention_flash_avx2(const sb_attn_args *a, sb_pool *pool)
{
    /* keys padded to 8 (one vector), not 24; short (temporal) sequences run in place */
    static const sb_flash_impl impl = {.name = "attention.f32.avx2-flash", .block = block_avx2,
                                       .pad = 8, .elem = SB_FLASH_F32, .qb = QB,
                                       .short_seq = sb_attention_short_avx2};
    sb_attention_flash(&impl, a, pool);
}
