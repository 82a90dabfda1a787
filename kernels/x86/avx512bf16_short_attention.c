/*
 * avx512bf16_short_attention.c - BF16 attention for short sequences (at most
 * SB_FLASH_SHORT = 64 tokens: temporal attention) with vdpbf16ps, the
 * short-sequence function of attention.bf16.avx512bf16-flash (flash.h). It is
 * the FP32 function of avx512_short_attention.c (queries in the vector lanes,
 * Q, K and V read in place, the memory side of short_avx512.h) with both
 * products on bfloat16 pairs, so each instruction advances two elements:
 *
 *   Q: each query row rounded to bf16 (vcvtne2ps2bf16), whose 32-bit words
 *      are then pairs of d; 16 rows x 16 words transposed in registers, so
 *      qt[dp] holds pair dp of the 16 query lanes; D/2 pairs;
 *   K: per head, each key row rounded into kp[j][dp], the same pairs of d,
 *      broadcast as one 32-bit word per (key, pair);
 *   S^T[j] (16 query lanes) = sum_dp qt[dp] . kp[j][dp]: 8 keys at a time,
 *      8 accumulators, D/2 steps;
 *   softmax per lane in FP32 (short_avx512.h), then P rounded to pairs of
 *      keys (p_j, p_j+1) per query lane; the sum l is of the unrounded
 *      values, as in the block function;
 *   V: per head, rows j and j + 1 rounded and interleaved (vpermw) into
 *      vp[j/2][d], pairs of keys per d;
 *   O: 16 lanes of D at a time, 16 query accumulators, per pair of keys one
 *      V load and 16 vdpbf16ps with the query's P pair broadcast.
 * An odd last key pairs with a zero p and a zero v (row nkv is never read).
 *
 * It computes what the BF16 block function (avx512bf16_attention.c) does: Q
 * (here unscaled; the scale multiplies the FP32 scores), K, V and P rounded to
 * bfloat16 (nearest even), products exact in FP32, FP32 accumulation. Before
 * this form, the BF16 short path rounded with integer operations and ran FP32
 * FMAs, which kept it behind FP32 (docs/performance.md).
 *
 * Stack: K and V of one head in pairs, 64 KB at the largest (64 tokens, D =
 * 256), and the scores of 16 queries; nothing grows with the sequence count.
 */
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include "flash/flash.h"
#include "ref/ref.h"
#include "x86/flash_avx512.h"
#include "x86/short_avx512.h"
#include "x86/x86.h"

enum { L = 16, JB = 8, MAXT = SB_FLASH_SHORT, MAXP = SB_FLASH_MAX_D / 2 };

/* bf16 lanes [a0..a15, b0..b15] -> (a_e, b_e) in 32-bit lane e */
static const uint16_t interleave[32] __attribute__((aligned(64))) = {
    0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23,
    8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31};

/* Lane e = the pair (bf16 of a[e], bf16 of b[e]), a in the low half as vdpbf16ps pairs it. */
static inline __m512i pair_lanes(__m512 a, __m512 b)
{
    return _mm512_permutexvar_epi16(_mm512_load_si512(interleave),
                                    (__m512i)_mm512_cvtne2ps_pbh(b, a));
}

/* The 32 floats x[dc..dc+32) of a row of D (zeros beyond D) as 16 bf16 pairs of d. */
static inline __m512i pair_row(const float *x, size_t dc, size_t D)
{
    __mmask16 lo = sb_f512_dmask(dc, D), hi = dc + L < D ? sb_f512_dmask(dc + L, D) : 0;
    return (__m512i)_mm512_cvtne2ps_pbh(_mm512_maskz_loadu_ps(hi, x + dc + L),
                                        _mm512_maskz_loadu_ps(lo, x + dc));
}

/* The valid pair words of a 32-float chunk at dc of a row of D (D even). */
static inline __mmask16 pair_mask(size_t dc, size_t D)
{
    return sb_f512_dmask(dc / 2, D / 2);
}

/* Queries [i0, i0 + nqg) (nqg <= 16) of one head against all keys, K and V in pairs (kp, vp).
   q0 and o0 point at the head's slice of the group's first token; tokens step by *step floats. */
static void head_group(const sb_attn_args *a, const float *q0, size_t qstep,
                       const uint32_t (*kp)[MAXP], const uint32_t (*vp)[SB_FLASH_MAX_D],
                       float *o0, size_t ostep, size_t nqg, sb_short_pf *pfp)
{
    sb_short_pf cur = *pfp, *pf = &cur; /* a local copy, kept in registers in the loops */
    size_t D = a->head_dim, nkv = a->nkv, npairs = (nkv + 1) / 2;
    uint32_t qt[MAXP][L] __attribute__((aligned(64)));
    float p[MAXT + JB][L] __attribute__((aligned(64)));
    uint32_t pp[MAXT / 2][L] __attribute__((aligned(64)));
    float inv[L] __attribute__((aligned(64)));

    /* qt: 16 rows (zeros beyond nqg) x 16 pairs of d per transpose */
    for (size_t dc = 0; dc < D; dc += 2 * L) {
        __m512 r[L];
        for (size_t i = 0; i < L; i++)
            r[i] = i < nqg ? _mm512_castsi512_ps(pair_row(q0 + i * qstep, dc, D))
                           : _mm512_setzero_ps();
        sb_transpose16_avx512(r);
        for (size_t w = 0; w < L && dc / 2 + w < D / 2; w++)
            _mm512_store_ps((float *)qt[dc / 2 + w], r[w]);
    }

    /* S^T, JB keys at a time; keys past nkv repeat key 0 (their scores are never read) */
    const __m512 sc = _mm512_set1_ps(a->scale);
    __m512 m = _mm512_set1_ps(-INFINITY);
    for (size_t j0 = 0; j0 < nkv; j0 += JB) {
        const uint32_t *kr[JB];
        __m512 s[JB];
        for (size_t jj = 0; jj < JB; jj++) {
            kr[jj] = kp[j0 + jj < nkv ? j0 + jj : 0];
            s[jj] = _mm512_setzero_ps();
        }
        for (size_t dp = 0; dp < D / 2; dp++) {
            sb_short_pf_next(pf);
            sb_short_pf_next(pf);
            __m512bh qd = (__m512bh)_mm512_load_si512(qt[dp]);
            for (size_t jj = 0; jj < JB; jj++)
                s[jj] = _mm512_dpbf16_ps(s[jj], qd, (__m512bh)_mm512_set1_epi32((int)kr[jj][dp]));
        }
        sb_short_scores_store(s, p, j0, nkv, sc, &m);
    }

    sb_short_softmax(p, nkv, m, inv);
    for (size_t jp = 0; jp < npairs; jp++) { /* P in pairs of keys; zero past nkv */
        __m512 odd = 2 * jp + 1 < nkv ? _mm512_load_ps(p[2 * jp + 1]) : _mm512_setzero_ps();
        _mm512_store_si512(pp[jp], pair_lanes(_mm512_load_ps(p[2 * jp]), odd));
    }

    /* O = P V / l, 16 lanes of D at a time */
    for (size_t dc = 0; dc < D; dc += L) {
        __mmask16 dm = sb_f512_dmask(dc, D);
        __m512 acc[L];
        for (size_t i = 0; i < L; i++)
            acc[i] = _mm512_setzero_ps();
        for (size_t jp = 0; jp < npairs; jp++) {
            __m512bh vj = (__m512bh)_mm512_maskz_loadu_epi32(dm, vp[jp] + dc);
            sb_short_pf_next(pf);
            for (size_t i = 0; i < L; i++)
                acc[i] = _mm512_dpbf16_ps(acc[i], (__m512bh)_mm512_set1_epi32((int)pp[jp][i]), vj);
        }
        sb_short_store(acc, inv, o0 + dc, ostep, nqg, dm);
    }
    *pfp = cur;
}

/* Head h of sequence seq (sb_short_head_fn): K and V rounded into pairs once, for all its
   query groups. */
static void short_head(const sb_attn_args *a, size_t seq, size_t h, float *o, size_t ostep,
                       sb_short_pf *pf)
{
    size_t D = a->head_dim, nkv = a->nkv, off = h * D;
    size_t qr = sb_seq_row(&a->ql, seq, 0), kr = sb_seq_row(&a->kvl, seq, 0);
    size_t qstep = a->ql.tok_stride * a->ldq;
    size_t kstep = a->kvl.tok_stride * a->ldk, vstep = a->kvl.tok_stride * a->ldv;
    const float *k0 = a->k + kr * a->ldk + off, *v0 = a->v + kr * a->ldv + off;
    uint32_t kp[MAXT][MAXP] __attribute__((aligned(64)));
    uint32_t vp[MAXT / 2][SB_FLASH_MAX_D] __attribute__((aligned(64)));
    /* chunk-outer, so each chunk's masks are computed once */
    for (size_t dc = 0; dc < D; dc += 2 * L) {
        __mmask16 wm = pair_mask(dc, D);
        for (size_t j = 0; j < nkv; j++) {
            sb_short_pf_next(pf);
            _mm512_mask_storeu_epi32(kp[j] + dc / 2, wm, pair_row(k0 + j * kstep, dc, D));
        }
    }
    for (size_t dc = 0; dc < D; dc += L) {
        __mmask16 dm = sb_f512_dmask(dc, D);
        for (size_t j = 0; j < nkv; j += 2) {
            __m512 odd = j + 1 < nkv ? _mm512_maskz_loadu_ps(dm, v0 + (j + 1) * vstep + dc)
                                     : _mm512_setzero_ps();
            sb_short_pf_next(pf);
            _mm512_mask_storeu_epi32(vp[j / 2] + dc, dm,
                pair_lanes(_mm512_maskz_loadu_ps(dm, v0 + j * vstep + dc), odd));
        }
    }
    for (size_t i0 = 0; i0 < a->nq; i0 += L)
        head_group(a, a->q + (qr + i0 * a->ql.tok_stride) * a->ldq + off, qstep,
                   (const uint32_t(*)[MAXP])kp, (const uint32_t(*)[SB_FLASH_MAX_D])vp,
                   o + i0 * ostep, ostep, a->nq - i0 < L ? a->nq - i0 : L, pf);
}

void sb_attention_short_avx512_bf16(const sb_attn_args *a, size_t s0, size_t s1)
{
    sb_short_run(a, s0, s1, short_head);
}
