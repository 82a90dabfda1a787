/*
 * neon_short_attention.c - NEON FP32 attention for short sequences (at most SB_FLASH_SHORT =
 * 64 tokens: temporal attention), the flash framework's short-sequence function (flash.h) on
 * aarch64. The staged path (flash.c) packs each (sequence, head) and runs it in blocks of 8
 * queries; on x86 its overheads were most of the time at 15 tokens, and the in-place form
 * halved it (avx2_short_attention.c, docs/performance.md). The same form here; a head of a
 * sequence reads Q, K and V in place:
 *
 *   Kt = the head's keys transposed, [D][nkv rounded up to 4] on the stack (4 x 4 transposes,
 *        zeros past nkv): the only copy;
 *   S = Q K^T in tiles of 4 queries x W <= 4 key vectors (16 keys): per 4 values of d, a load
 *        of each query's 4 elements and 4 W Kt loads feed 16 W FMLA by element; scaled as
 *        stored, [nq][ld];
 *   softmax per query row, in place (lanes past nkv set to 0);
 *   O = P V / l in tiles of 4 queries x W <= 4 vectors of D: per 4 keys, a load of each
 *        query's 4 probabilities and 4 W V loads feed 16 W FMLA by element (the keys past the
 *        last multiple of 4 one at a time, since V rows past nkv are another sequence's).
 *
 * Query rows past the last (a group of fewer than 4) repeat the group's first; their results
 * are not stored. The memory side (the next sequence's rows prefetched from the inner loops,
 * paced over a head's steps) is flash/short_run.h's, as in the AVX2 function. Registers: 16
 * accumulators, 4 query and up to 4 key or value vectors. Checked against the reference by
 * test_attention (its temporal shapes: 15, 13 and 7 tokens); not timed (qemu only so far).
 */
#include <arm_neon.h>
#include <math.h>
#include <stdint.h>
#include "arm/arm.h"
#include "arm/neon_vecmath.h"
#include "flash/flash.h"
#include "flash/short_run.h"
#include "ref/ref.h"

enum { QG = 4, MAXT = SB_FLASH_SHORT };

#define ACC_ZERO(i)                                                                             \
    float32x4_t a##i##0 = vdupq_n_f32(0), a##i##1 = a##i##0, a##i##2 = a##i##0, a##i##3 = a##i##0;

/* acc<i><w> += b[w] * lane l of x<i>, for the 4 rows i and the first W vectors b */
#define FMA_LANE(b, l, W)                                                                       \
    do {                                                                                        \
        a00 = vfmaq_laneq_f32(a00, b[0], x0v, l); a10 = vfmaq_laneq_f32(a10, b[0], x1v, l);     \
        a20 = vfmaq_laneq_f32(a20, b[0], x2v, l); a30 = vfmaq_laneq_f32(a30, b[0], x3v, l);     \
        if (W > 1) {                                                                            \
            a01 = vfmaq_laneq_f32(a01, b[1], x0v, l); a11 = vfmaq_laneq_f32(a11, b[1], x1v, l); \
            a21 = vfmaq_laneq_f32(a21, b[1], x2v, l); a31 = vfmaq_laneq_f32(a31, b[1], x3v, l); \
        }                                                                                       \
        if (W > 2) {                                                                            \
            a02 = vfmaq_laneq_f32(a02, b[2], x0v, l); a12 = vfmaq_laneq_f32(a12, b[2], x1v, l); \
            a22 = vfmaq_laneq_f32(a22, b[2], x2v, l); a32 = vfmaq_laneq_f32(a32, b[2], x3v, l); \
        }                                                                                       \
        if (W > 3) {                                                                            \
            a03 = vfmaq_laneq_f32(a03, b[3], x0v, l); a13 = vfmaq_laneq_f32(a13, b[3], x1v, l); \
            a23 = vfmaq_laneq_f32(a23, b[3], x2v, l); a33 = vfmaq_laneq_f32(a33, b[3], x3v, l); \
        }                                                                                       \
    } while (0)

/* b[w] = the W vectors at row + 4w */
#define LOAD_W(b, row, W)                                                                       \
    do {                                                                                        \
        b[0] = vld1q_f32(row);                                                                  \
        if (W > 1) b[1] = vld1q_f32((row) + 4);                                                 \
        if (W > 2) b[2] = vld1q_f32((row) + 8);                                                 \
        if (W > 3) b[3] = vld1q_f32((row) + 12);                                                \
    } while (0)

/* One step of 4: x<i>v = the 4 rows' elements [xo, xo + 4), then for l < 4 the W vectors at
   base + l * stride times lane l of each (d of S = Q K^T, or keys of O = P V) */
#define STEP4(xo, base, stride, W)                                                              \
    do {                                                                                        \
        float32x4_t x0v = vld1q_f32(x0 + (xo)), x1v = vld1q_f32(x1 + (xo));                     \
        float32x4_t x2v = vld1q_f32(x2 + (xo)), x3v = vld1q_f32(x3 + (xo));                     \
        LOAD_W(b, base, W);                                                                     \
        FMA_LANE(b, 0, W);                                                                      \
        LOAD_W(b, (base) + (stride), W);                                                        \
        FMA_LANE(b, 1, W);                                                                      \
        LOAD_W(b, (base) + 2 * (stride), W);                                                    \
        FMA_LANE(b, 2, W);                                                                      \
        LOAD_W(b, (base) + 3 * (stride), W);                                                    \
        FMA_LANE(b, 3, W);                                                                      \
    } while (0)

/* out(i, w, acc) for the 4 rows and W vectors */
#define EACH_ACC(W, out)                                                                        \
    out(0, 0, a00) out(1, 0, a10) out(2, 0, a20) out(3, 0, a30)                                 \
    if (W > 1) { out(0, 1, a01) out(1, 1, a11) out(2, 1, a21) out(3, 1, a31) }                  \
    if (W > 2) { out(0, 2, a02) out(1, 2, a12) out(2, 2, a22) out(3, 2, a32) }                  \
    if (W > 3) { out(0, 3, a03) out(1, 3, a13) out(2, 3, a23) out(3, 3, a33) }

/*
 * p[i * ldp + 4w ..] = scale * (scores of query x<i> against keys kt[.][4w .. 4w + 4)) for
 * i < 4, w < W; x<i> point at the queries' rows (D a multiple of 8), kt is [D][ldk].
 */
static inline __attribute__((always_inline)) void score_tile(
    const float *kt, size_t ldk, size_t D, const float *x0, const float *x1, const float *x2,
    const float *x3, float scale, float *p, size_t ldp, sb_short_pace *pf, const int W)
{
    ACC_ZERO(0) ACC_ZERO(1) ACC_ZERO(2) ACC_ZERO(3)
    float32x4_t b[4];
    for (size_t d = 0; d < D; d += 4) {
        sb_short_pace_step(pf);
        STEP4(d, kt + d * ldk, ldk, W);
    }
    const float32x4_t sc = vdupq_n_f32(scale);
#define OUT(i, w, acc) vst1q_f32(p + i * ldp + 4 * w, vmulq_f32(acc, sc));
    EACH_ACC(W, OUT)
#undef OUT
}

/*
 * o + i * ostep, lanes [0, 4W) = inv[i] * sum_j x<i>[j] v[j * vstep ..] for i < n (n <= 4),
 * j < nkv: P V for 4 queries (rows x<i> of P) and 4W values of D.
 */
static inline __attribute__((always_inline)) void pv_tile(
    const float *v, size_t vstep, size_t nkv, const float *x0, const float *x1, const float *x2,
    const float *x3, const float *inv, float *o, size_t ostep, size_t n, sb_short_pace *pf,
    const int W)
{
    ACC_ZERO(0) ACC_ZERO(1) ACC_ZERO(2) ACC_ZERO(3)
    float32x4_t b[4];
    size_t j = 0;
    for (; j + 4 <= nkv; j += 4) {
        sb_short_pace_step(pf);
        STEP4(j, v + j * vstep, vstep, W);
    }
    for (; j < nkv; j++) { /* the last nkv % 4 keys: lane 0 of a vector holding x<i>[j] */
        sb_short_pace_step(pf);
        float32x4_t x0v = vld1q_dup_f32(x0 + j), x1v = vld1q_dup_f32(x1 + j);
        float32x4_t x2v = vld1q_dup_f32(x2 + j), x3v = vld1q_dup_f32(x3 + j);
        LOAD_W(b, v + j * vstep, W);
        FMA_LANE(b, 0, W);
    }
#define OUT(i, w, acc)                                                                          \
    if (i < n)                                                                                  \
        vst1q_f32(o + i * ostep + 4 * w, vmulq_n_f32(acc, inv[i]));
    EACH_ACC(W, OUT)
#undef OUT
}
#undef ACC_ZERO
#undef FMA_LANE
#undef LOAD_W
#undef STEP4
#undef EACH_ACC

/* Softmax of the scaled scores p[i][j] (rows of ldp, a multiple of 4) over j < nkv for rows
   i < nq, in place; inv[i] = 1 / the row's sum. Lanes past nkv are set to 0. */
static void softmax_rows(float *p, size_t ldp, size_t nq, size_t nkv, float *inv)
{
    static const uint32_t lane[4] = {0, 1, 2, 3};
    size_t nv = (nkv + 3) / 4;
    const uint32x4_t last = vcltq_u32(vld1q_u32(lane), vdupq_n_u32((uint32_t)(nkv - 4 * (nv - 1))));
    const float32x4_t ninf = vdupq_n_f32(-INFINITY);
    for (size_t i = 0; i < nq; i++) {
        float *r = p + i * ldp;
        float32x4_t mx = ninf, sum = vdupq_n_f32(0);
        for (size_t w = 0; w < nv; w++) {
            float32x4_t x = vld1q_f32(r + 4 * w);
            mx = vmaxq_f32(mx, w + 1 < nv ? x : vbslq_f32(last, x, ninf));
        }
        float32x4_t m = vdupq_n_f32(vmaxvq_f32(mx));
        for (size_t w = 0; w < nv; w++) {
            float32x4_t e = vexp4(vsubq_f32(vld1q_f32(r + 4 * w), m));
            if (w + 1 == nv)
                e = vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(e), last));
            vst1q_f32(r + 4 * w, e);
            sum = vaddq_f32(sum, e);
        }
        inv[i] = 1.0f / vaddvq_f32(sum);
    }
}

/* Kt[d][j] = k[j * kstep + d] for d < D, j < ld (ld a multiple of 4; zero for j >= nkv). */
static void transpose_keys(const float *k, size_t kstep, size_t nkv, size_t D, float *kt, size_t ld)
{
    for (size_t j0 = 0; j0 < ld; j0 += 4)
        for (size_t dc = 0; dc < D; dc += 4) {
            float32x4_t r[4];
            for (size_t jj = 0; jj < 4; jj++)
                r[jj] = j0 + jj < nkv ? vld1q_f32(k + (j0 + jj) * kstep + dc) : vdupq_n_f32(0);
            float32x4_t t0 = vtrn1q_f32(r[0], r[1]), t1 = vtrn2q_f32(r[0], r[1]);
            float32x4_t t2 = vtrn1q_f32(r[2], r[3]), t3 = vtrn2q_f32(r[2], r[3]);
            float64x2_t u0 = vreinterpretq_f64_f32(t0), u1 = vreinterpretq_f64_f32(t1);
            float64x2_t u2 = vreinterpretq_f64_f32(t2), u3 = vreinterpretq_f64_f32(t3);
            vst1q_f32(kt + (dc + 0) * ld + j0, vreinterpretq_f32_f64(vtrn1q_f64(u0, u2)));
            vst1q_f32(kt + (dc + 1) * ld + j0, vreinterpretq_f32_f64(vtrn1q_f64(u1, u3)));
            vst1q_f32(kt + (dc + 2) * ld + j0, vreinterpretq_f32_f64(vtrn2q_f64(u0, u2)));
            vst1q_f32(kt + (dc + 3) * ld + j0, vreinterpretq_f32_f64(vtrn2q_f64(u1, u3)));
        }
}

/* Head h of sequence seq (sb_short_head_fn): its output slice of token i at o + i * ostep. */
static void short_head(const sb_attn_args *a, size_t seq, size_t h, float *o, size_t ostep,
                       sb_short_pf *pfp)
{
    size_t D = a->head_dim, nq = a->nq, nkv = a->nkv, ld = (nkv + 3) / 4 * 4, nv = ld / 4;
    /* the loop steps that prefetch: per group of 4 queries, D / 4 per score tile of 4 key
       vectors, and nkv / 4 + nkv % 4 per P V tile of 16 lanes of D */
    size_t steps = (nq + QG - 1) / QG * ((nv + 3) / 4 * (D / 4) + (D + 15) / 16 * (nkv / 4 + nkv % 4));
    sb_short_pace cur = sb_short_pace_start(pfp, steps), *pf = &cur;
    const sb_short_io io = sb_short_head_io(a, seq, h);
    const float *q = io.q, *k = io.k, *v = io.v;
    size_t qstep = io.qstep, kstep = io.kstep, vstep = io.vstep;
    float kt[SB_FLASH_MAX_D * MAXT] __attribute__((aligned(16))); /* [D][ld] */
    float p[MAXT * MAXT] __attribute__((aligned(16)));             /* [nq rounded to 4][ld] */
    float inv[MAXT];

    transpose_keys(k, kstep, nkv, D, kt, ld);
    for (size_t i0 = 0; i0 < nq; i0 += QG) {
        const float *x[QG];
        for (size_t i = 0; i < QG; i++)
            x[i] = q + (i0 + i < nq ? i0 + i : i0) * qstep;
        for (size_t w0 = 0; w0 < nv; w0 += 4) {
            float *pt = p + i0 * ld + 4 * w0;
            const float *kw = kt + 4 * w0;
            switch (nv - w0 >= 4 ? 4 : nv - w0) { /* W is a constant in each inlined copy */
            case 4: score_tile(kw, ld, D, x[0], x[1], x[2], x[3], a->scale, pt, ld, pf, 4); break;
            case 3: score_tile(kw, ld, D, x[0], x[1], x[2], x[3], a->scale, pt, ld, pf, 3); break;
            case 2: score_tile(kw, ld, D, x[0], x[1], x[2], x[3], a->scale, pt, ld, pf, 2); break;
            default: score_tile(kw, ld, D, x[0], x[1], x[2], x[3], a->scale, pt, ld, pf, 1); break;
            }
        }
    }

    softmax_rows(p, ld, nq, nkv, inv);

    for (size_t i0 = 0; i0 < nq; i0 += QG) {
        const float *x0 = p + i0 * ld; /* rows past nq hold finite scores; never stored */
        size_t n = nq - i0 < QG ? nq - i0 : QG;
        float *oi = o + i0 * ostep;
        size_t dc = 0;
        for (; dc + 16 <= D; dc += 16)
            pv_tile(v + dc, vstep, nkv, x0, x0 + ld, x0 + 2 * ld, x0 + 3 * ld, inv + i0, oi + dc,
                    ostep, n, pf, 4);
        if (D - dc == 8) /* D is a multiple of 8 */
            pv_tile(v + dc, vstep, nkv, x0, x0 + ld, x0 + 2 * ld, x0 + 3 * ld, inv + i0, oi + dc,
                    ostep, n, pf, 2);
    }
    *pfp = cur.pf;
}

void sb_attention_short_neon(const sb_attn_args *a, size_t s0, size_t s1)
{
    sb_short_run(a, s0, s1, short_head);
}
