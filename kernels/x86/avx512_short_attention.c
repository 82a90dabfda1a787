/*
 * avx512_short_attention.c - AVX-512 FP32 attention for short sequences (at
 * most SB_FLASH_SHORT = 64 tokens: temporal attention), the flash framework's
 * short-sequence function (flash.h). For such sequences the per-head packing
 * of the block path (K transposed, Q scaled and transposed, a staging copy of
 * every row) cost more than the arithmetic, so this reads Q, K and V in place
 * and puts the queries in the vector lanes:
 *
 *   Qt = 16 queries x 16 d transposed in registers (64 shuffles per 16 x 16),
 *        stored [D][16] on the stack: the only copy;
 *   S^T[j] (16 query lanes) = sum_d Qt[d] * k_j[d], k_j[d] broadcast from K's
 *        own row: 8 keys at a time, 8 accumulators;
 *   softmax per lane over j (scores scaled, and their maximum taken, as they
 *        leave the registers): elementwise exp and sum over the key vectors, no
 *        horizontal reduction; P^T kept [nkv][16];
 *   O: 16 lanes of D at a time, 16 query accumulators, per key one V load and
 *        16 FMAs with P broadcast; scaled by 1 / l and stored to the output row.
 *
 * The score matrix of a sequence (64 x 64 at most) is on the stack; extra
 * memory does not grow with the number of sequences.
 *
 * The BF16 form is avx512bf16_short_attention.c (vdpbf16ps); both share
 * short_avx512.h (the rows around the products, and the memory side: a run's
 * first sequence read in whole, the next one prefetched while a sequence
 * computes) and transpose_avx512.h.
 */
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include "flash/flash.h"
#include "ref/ref.h"
#include "x86/flash_avx512.h"
#include "x86/short_avx512.h"
#include "x86/x86.h"

enum { L = 16, JB = 8, MAXT = SB_FLASH_SHORT };

/* Queries [i0, i0 + nqg) (nqg <= 16) of one head against all keys. Row pointers point at the
   head's slice of token 0; tokens step by *step floats. */
static void head_group(const sb_attn_args *a, const float *q0, size_t qstep, const float *k0,
                       size_t kstep, const float *v0, size_t vstep, float *o0, size_t ostep,
                       size_t nqg, sb_short_pf *pfp)
{
    sb_short_pf cur = *pfp, *pf = &cur; /* a local copy, kept in registers in the loops */
    size_t D = a->head_dim, nkv = a->nkv;
    float qt[SB_FLASH_MAX_D][L] __attribute__((aligned(64)));
    float p[MAXT + JB][L] __attribute__((aligned(64)));
    float inv[L] __attribute__((aligned(64)));

    /* Qt: 16 rows (zeros beyond nqg) x 16 d per transpose */
    for (size_t dc = 0; dc < D; dc += L) {
        __mmask16 dm = sb_f512_dmask(dc, D);
        __m512 r[L];
        for (size_t i = 0; i < L; i++)
            r[i] = i < nqg ? _mm512_maskz_loadu_ps(dm, q0 + i * qstep + dc) : _mm512_setzero_ps();
        sb_transpose16_avx512(r);
        for (size_t e = 0; e < L && dc + e < D; e++)
            _mm512_store_ps(qt[dc + e], r[e]);
    }

    /* S^T, JB keys at a time; keys past nkv repeat key 0 (their scores are never read) */
    const __m512 sc = _mm512_set1_ps(a->scale);
    __m512 m = _mm512_set1_ps(-INFINITY);
    for (size_t j0 = 0; j0 < nkv; j0 += JB) {
        const float *kr[JB];
        __m512 s[JB];
        for (size_t jj = 0; jj < JB; jj++) {
            kr[jj] = k0 + (j0 + jj < nkv ? j0 + jj : 0) * kstep;
            s[jj] = _mm512_setzero_ps();
        }
        for (size_t d = 0; d < D; d++) {
            sb_short_pf_next(pf);
            __m512 qd = _mm512_load_ps(qt[d]);
            for (size_t jj = 0; jj < JB; jj++)
                s[jj] = _mm512_fmadd_ps(qd, _mm512_set1_ps(kr[jj][d]), s[jj]);
        }
        sb_short_scores_store(s, p, j0, nkv, sc, &m);
    }

    sb_short_softmax(p, nkv, m, inv);

    /* O = P V / l, 16 lanes of D at a time */
    for (size_t dc = 0; dc < D; dc += L) {
        __mmask16 dm = sb_f512_dmask(dc, D);
        __m512 acc[L];
        for (size_t i = 0; i < L; i++)
            acc[i] = _mm512_setzero_ps();
        for (size_t j = 0; j < nkv; j++) {
            __m512 vj = _mm512_maskz_loadu_ps(dm, v0 + j * vstep + dc);
            sb_short_pf_next(pf);
            for (size_t i = 0; i < L; i++)
                acc[i] = _mm512_fmadd_ps(_mm512_set1_ps(p[j][i]), vj, acc[i]);
        }
        sb_short_store(acc, inv, o0 + dc, ostep, nqg, dm);
    }
    *pfp = cur;
}

/* Head h of sequence seq (sb_short_head_fn): its query groups, read in place. */
static void short_head(const sb_attn_args *a, size_t seq, size_t h, float *o, size_t ostep,
                       sb_short_pf *pf)
{
    size_t off = h * a->head_dim;
    size_t qr = sb_seq_row(&a->ql, seq, 0), kr = sb_seq_row(&a->kvl, seq, 0);
    size_t qstep = a->ql.tok_stride * a->ldq;
    size_t kstep = a->kvl.tok_stride * a->ldk, vstep = a->kvl.tok_stride * a->ldv;
    for (size_t i0 = 0; i0 < a->nq; i0 += L)
        head_group(a, a->q + (qr + i0 * a->ql.tok_stride) * a->ldq + off, qstep,
                   a->k + kr * a->ldk + off, kstep, a->v + kr * a->ldv + off, vstep,
                   o + i0 * ostep, ostep, a->nq - i0 < L ? a->nq - i0 : L, pf);
}

void sb_attention_short_avx512(const sb_attn_args *a, size_t s0, size_t s1)
{
    sb_short_run(a, s0, s1, short_head);
}
