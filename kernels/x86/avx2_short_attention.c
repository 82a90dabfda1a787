/*
 * avx2_short_attention.c - AVX2 + FMA FP32 attention for short sequences (at most
 * SB_FLASH_SHORT = 64 tokens: temporal attention), the flash framework's short-sequence
 * function (flash.h) for x86 CPUs without AVX-512. Through the block function, each
 * (sequence, head) of 15 tokens was staged, packed (K transposed, Q scaled and transposed)
 * and run in blocks of 8 queries, and the overheads were most of the time. Here a head of a
 * sequence reads Q, K and V in place:
 *
 *   Kt = the head's keys transposed, [D][nkv rounded up to 8] on the stack (8 x 8 transposes,
 *        zeros past nkv): the only copy;
 *   S = Q K^T in tiles of 4 queries x 3 key vectors (24 keys): per d, the 4 queries' elements
 *        broadcast from their own rows and 3 Kt loads feed 12 FMAs; scaled as stored, [nq][nkv];
 *   softmax per query row (one horizontal max and one sum per row), in place;
 *   O = P V / l in tiles of 4 queries x 3 vectors of D: per key, 3 loads of its V row and 4
 *        broadcasts of P feed 12 FMAs; scaled by 1 / l and stored to the output rows.
 *
 * Query rows past the last (a group of fewer than 4) repeat the group's first; their results
 * are not stored. The tiles and the transpose are tile_avx2.h's; the memory side of a run of
 * sequences (the next sequence prefetched from the inner loops) is flash/short_run.h, with the
 * prefetches spread evenly over a head's loop steps (sb_short_pace).
 * Built with -mavx2 -mfma only.
 */
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include "flash/flash.h"
#include "flash/short_run.h"
#include "ref/ref.h"
#include "x86/tile_avx2.h"
#include "x86/vecmath.h"
#include "x86/x86.h"

enum { QG = 4, MAXT = SB_FLASH_SHORT };

#define ACC_ZERO(i) __m256 a##i##0 = _mm256_setzero_ps(), a##i##1 = a##i##0, a##i##2 = a##i##0;

/*
 * p[i * ldp + 8w ..] = scale * (scores of query x<i> against keys kt[.][8w .. 8w + 8)) for
 * i < 4, w < W; x<i> point at the queries' rows, kt is [D][ldk].
 */
static inline __attribute__((always_inline)) void score_tile(
    const float *kt, size_t ldk, size_t D, const float *x0, const float *x1, const float *x2,
    const float *x3, float scale, float *p, size_t ldp, sb_short_pace *pf, const int W)
{
    ACC_ZERO(0) ACC_ZERO(1) ACC_ZERO(2) ACC_ZERO(3)
    for (size_t d = 0; d < D; d++) {
        sb_short_pace_step(pf);
        SB_TILE_STEP(kt + d * ldk, x0 + d, x1 + d, x2 + d, x3 + d, W);
    }
    const __m256 sc = _mm256_set1_ps(scale);
#define OUT(i)                                                                                  \
    _mm256_store_ps(p + i * ldp, _mm256_mul_ps(a##i##0, sc));                                   \
    if (W > 1)                                                                                  \
        _mm256_store_ps(p + i * ldp + 8, _mm256_mul_ps(a##i##1, sc));                           \
    if (W > 2)                                                                                  \
        _mm256_store_ps(p + i * ldp + 16, _mm256_mul_ps(a##i##2, sc));
    OUT(0) OUT(1) OUT(2) OUT(3)
#undef OUT
}

/*
 * o + i * ostep, lanes [0, 8W) = inv[i] * sum_j x<i>[j] v[j * vstep ..] for i < n (n <= 4),
 * j < nkv: P V for 4 queries (rows x<i> of P) and 8W values of D.
 */
static inline __attribute__((always_inline)) void pv_tile(
    const float *v, size_t vstep, size_t nkv, const float *x0, const float *x1, const float *x2,
    const float *x3, const float *inv, float *o, size_t ostep, size_t n, sb_short_pace *pf,
    const int W)
{
    ACC_ZERO(0) ACC_ZERO(1) ACC_ZERO(2) ACC_ZERO(3)
    for (size_t j = 0; j < nkv; j++) {
        sb_short_pace_step(pf);
        SB_TILE_STEP(v + j * vstep, x0 + j, x1 + j, x2 + j, x3 + j, W);
    }
#define OUT(i)                                                                                  \
    if (i < n) {                                                                                \
        __m256 s_ = _mm256_set1_ps(inv[i]);                                                     \
        _mm256_storeu_ps(o + i * ostep, _mm256_mul_ps(a##i##0, s_));                            \
        if (W > 1)                                                                              \
            _mm256_storeu_ps(o + i * ostep + 8, _mm256_mul_ps(a##i##1, s_));                    \
        if (W > 2)                                                                              \
            _mm256_storeu_ps(o + i * ostep + 16, _mm256_mul_ps(a##i##2, s_));                   \
    }
    OUT(0) OUT(1) OUT(2) OUT(3)
#undef OUT
}
#undef ACC_ZERO

/* Softmax of the scaled scores p[i][j] (rows of ldp) over j < nkv for rows i < nq, in place;
   inv[i] = 1 / the row's sum. Lanes past nkv are left at 0. */
static void softmax_rows(float *p, size_t ldp, size_t nq, size_t nkv, float *inv)
{
    static const int32_t lane[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    size_t nv = (nkv + 7) / 8;
    __m256 last = _mm256_castsi256_ps(_mm256_cmpgt_epi32(
        _mm256_set1_epi32((int)(nkv - 8 * (nv - 1))), _mm256_loadu_si256((const __m256i *)lane)));
    const __m256 ninf = _mm256_set1_ps(-INFINITY);
    for (size_t i = 0; i < nq; i++) {
        float *r = p + i * ldp;
        __m256 mx = ninf, sum = _mm256_setzero_ps();
        for (size_t w = 0; w < nv; w++) {
            __m256 x = _mm256_load_ps(r + 8 * w);
            mx = _mm256_max_ps(mx, w + 1 < nv ? x : _mm256_blendv_ps(ninf, x, last));
        }
        __m256 m = _mm256_set1_ps(sb_hmax8(mx));
        for (size_t w = 0; w < nv; w++) {
            __m256 e = vexp8(_mm256_sub_ps(_mm256_load_ps(r + 8 * w), m));
            if (w + 1 == nv)
                e = _mm256_and_ps(e, last);
            _mm256_store_ps(r + 8 * w, e);
            sum = _mm256_add_ps(sum, e);
        }
        inv[i] = 1.0f / sb_hsum8(sum);
    }
}

/* Head h of sequence seq (sb_short_head_fn): its output slice of token i at o + i * ostep. */
static void short_head(const sb_attn_args *a, size_t seq, size_t h, float *o, size_t ostep,
                       sb_short_pf *pfp)
{
    size_t D = a->head_dim, nq = a->nq, nkv = a->nkv, ld = (nkv + 7) / 8 * 8, nv = ld / 8;
    /* the loop steps that prefetch: per group of 4 queries, D per score tile of 3 key vectors
       and nkv per P V tile of 24 lanes of D */
    size_t steps = (nq + QG - 1) / QG * ((nv + 2) / 3 * D + (D + 23) / 24 * nkv);
    sb_short_pace cur = sb_short_pace_start(pfp, steps), *pf = &cur; /* kept in registers */
    const sb_short_io io = sb_short_head_io(a, seq, h);
    const float *q = io.q, *k = io.k, *v = io.v;
    size_t qstep = io.qstep, kstep = io.kstep, vstep = io.vstep;
    float kt[SB_FLASH_MAX_D * MAXT] __attribute__((aligned(32))); /* [D][ld] */
    float p[MAXT * MAXT] __attribute__((aligned(32)));             /* [nq rounded to 4][ld] */
    float inv[MAXT];

    for (size_t j0 = 0; j0 < ld; j0 += 8)
        for (size_t dc = 0; dc < D; dc += 8) {
            __m256 r[8];
            for (size_t jj = 0; jj < 8; jj++)
                r[jj] = j0 + jj < nkv ? _mm256_loadu_ps(k + (j0 + jj) * kstep + dc)
                                      : _mm256_setzero_ps();
            sb_transpose8_avx2(r);
            for (size_t e = 0; e < 8; e++)
                _mm256_store_ps(kt + (dc + e) * ld + j0, r[e]);
        }

    for (size_t i0 = 0; i0 < nq; i0 += QG) {
        const float *x[QG];
        for (size_t i = 0; i < QG; i++)
            x[i] = q + (i0 + i < nq ? i0 + i : i0) * qstep;
        for (size_t w0 = 0; w0 < nv; w0 += 3) {
            float *pt = p + i0 * ld + 8 * w0;
            if (nv - w0 >= 3)
                score_tile(kt + 8 * w0, ld, D, x[0], x[1], x[2], x[3], a->scale, pt, ld, pf, 3);
            else if (nv - w0 == 2)
                score_tile(kt + 8 * w0, ld, D, x[0], x[1], x[2], x[3], a->scale, pt, ld, pf, 2);
            else
                score_tile(kt + 8 * w0, ld, D, x[0], x[1], x[2], x[3], a->scale, pt, ld, pf, 1);
        }
    }

    softmax_rows(p, ld, nq, nkv, inv);

    for (size_t i0 = 0; i0 < nq; i0 += QG) {
        const float *x0 = p + i0 * ld; /* rows past nq hold finite scores; never stored */
        size_t n = nq - i0 < QG ? nq - i0 : QG;
        float *oi = o + i0 * ostep;
        size_t dc = 0;
        for (; dc + 24 <= D; dc += 24)
            pv_tile(v + dc, vstep, nkv, x0, x0 + ld, x0 + 2 * ld, x0 + 3 * ld, inv + i0, oi + dc,
                    ostep, n, pf, 3);
        if (D - dc == 16)
            pv_tile(v + dc, vstep, nkv, x0, x0 + ld, x0 + 2 * ld, x0 + 3 * ld, inv + i0, oi + dc,
                    ostep, n, pf, 2);
        else if (D - dc == 8)
            pv_tile(v + dc, vstep, nkv, x0, x0 + ld, x0 + 2 * ld, x0 + 3 * ld, inv + i0, oi + dc,
                    ostep, n, pf, 1);
    }
    *pfp = cur.pf;
}

void sb_attention_short_avx2(const sb_attn_args *a, size_t s0, size_t s1)
{
    sb_short_run(a, s0, s1, short_head);
}
