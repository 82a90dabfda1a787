/*
 * avx512_attention.c - flash-style FP32 attention for AVX-512: online softmax
 * over blocks of KB keys, the score matrix never materialised (extra memory
 * O(n_kv * D) per thread, not O(n_q * n_kv)).
 *
 * A task is (sequence, head, chunk of QCHUNK queries). It packs K transposed
 * ([D][n_kv padded to KB]) and V ([n_kv][D]) of its sequence and head into a
 * per-thread buffer (allocated on the warmup call only), then for each block
 * of QB queries:
 *   S = Q K^T for KB keys: QB zmm accumulators, one FMA per (query, d) with
 *       the query element broadcast and 16 keys in the lanes;
 *   online softmax per query: new max, correction exp(m_old - m_new),
 *       P = exp(S - m_new) (vector exp), running sum l;
 *   O = O * correction + P V: O rows in a QB x D buffer in L1, 8 lanes of D
 *       per FMA (D must be a multiple of 8: 16, 72, 128 in the models).
 * Per block: QB*D zmm FMAs for S and QB*KB*D/8 ymm FMAs for P V.
 */
#include <immintrin.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ref/ref.h"
#include "scratch.h"
#include "x86/vecmath.h"
#include "x86/x86.h"

#define _mm512_roundscale(v) _mm512_roundscale_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define _mm512_castsi_ps _mm512_castsi512_ps
SB_DEFINE_VEXP(vexp16, __m512, __m512i, _mm512)

enum { QB = 8, KB = 16, QCHUNK = 256, MAX_D = 256 };

typedef struct flash_ctx {
    const sb_attn_args *a;
    size_t qchunks;        /* chunks of QCHUNK queries per (sequence, head) */
    size_t nkvp;           /* n_kv rounded up to KB */
} flash_ctx;

/* One block of up to QB queries (rows q[0..nq) of D, scaled) against all keys. */
static void query_block(const flash_ctx *c, const float *q, size_t nq, const float *kt,
                        const float *v, float *o, float *out[QB])
{
    const sb_attn_args *a = c->a;
    size_t D = a->head_dim, nkv = a->nkv, nkvp = c->nkvp;
    float m[QB], l[QB], p[QB][KB] __attribute__((aligned(64)));
    for (size_t i = 0; i < QB; i++) {
        m[i] = -INFINITY;
        l[i] = 0.0f;
    }
    memset(o, 0, QB * D * sizeof(float));
    for (size_t kb = 0; kb < nkvp; kb += KB) {
        __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
        for (size_t d = 0; d < D; d++) {
            __m512 kv = _mm512_load_ps(kt + d * nkvp + kb);
            s0 = _mm512_fmadd_ps(_mm512_set1_ps(q[0 * D + d]), kv, s0);
            s1 = _mm512_fmadd_ps(_mm512_set1_ps(q[1 * D + d]), kv, s1);
            s2 = _mm512_fmadd_ps(_mm512_set1_ps(q[2 * D + d]), kv, s2);
            s3 = _mm512_fmadd_ps(_mm512_set1_ps(q[3 * D + d]), kv, s3);
            s4 = _mm512_fmadd_ps(_mm512_set1_ps(q[4 * D + d]), kv, s4);
            s5 = _mm512_fmadd_ps(_mm512_set1_ps(q[5 * D + d]), kv, s5);
            s6 = _mm512_fmadd_ps(_mm512_set1_ps(q[6 * D + d]), kv, s6);
            s7 = _mm512_fmadd_ps(_mm512_set1_ps(q[7 * D + d]), kv, s7);
        }
        __m512 s[QB] = {s0, s1, s2, s3, s4, s5, s6, s7};
        __mmask16 valid = nkv - kb >= KB ? (__mmask16)0xffff : (__mmask16)((1u << (nkv - kb)) - 1);
        float corr[QB] __attribute__((aligned(64)));
        for (size_t i = 0; i < QB; i++) {
            __m512 si = _mm512_mask_mov_ps(_mm512_set1_ps(-INFINITY), valid, s[i]);
            float mnew = fmaxf(m[i], _mm512_reduce_max_ps(si));
            __m512 pi = vexp16(_mm512_sub_ps(si, _mm512_set1_ps(mnew)));
            pi = _mm512_maskz_mov_ps(valid, pi);
            _mm512_store_ps(p[i], pi);
            corr[i] = m[i] - mnew; /* exponentiated below, all rows at once */
            m[i] = mnew;
            s[i] = pi;
        }
        __m256 cv = _mm512_castps512_ps256(vexp16(_mm512_castps256_ps512(_mm256_loadu_ps(corr))));
        _mm256_storeu_ps(corr, cv);
        for (size_t i = 0; i < nq; i++) {
            l[i] = l[i] * corr[i] + _mm512_reduce_add_ps(s[i]);
            float *oi = o + i * D;
            __m256 ci = _mm256_set1_ps(corr[i]);
            for (size_t dc = 0; dc < D; dc += 8) {
                __m256 acc = _mm256_mul_ps(_mm256_loadu_ps(oi + dc), ci);
                for (size_t j = 0; j < KB; j++)
                    acc = _mm256_fmadd_ps(_mm256_set1_ps(p[i][j]), _mm256_loadu_ps(v + (kb + j) * D + dc), acc);
                _mm256_storeu_ps(oi + dc, acc);
            }
        }
    }
    for (size_t i = 0; i < nq; i++) {
        float inv = 1.0f / l[i];
        for (size_t d = 0; d < D; d++)
            out[i][d] = o[i * D + d] * inv;
    }
}

static void flash_task(void *ctx, size_t t, int worker)
{
    const flash_ctx *c = ctx;
    const sb_attn_args *a = c->a;
    size_t qc = t % c->qchunks, h = (t / c->qchunks) % a->heads, seq = t / c->qchunks / a->heads;
    size_t D = a->head_dim, off = h * D, nkvp = c->nkvp;
    float *kt = sb_thread_scratch(SB_SCRATCH_TASK, (2 * nkvp * D + 2 * QB * D) * sizeof(float));
    float *v = kt + nkvp * D, *q = v + nkvp * D;
    float *o = q + QB * D;
    (void)worker;

    for (size_t j = 0; j < nkvp; j++) {
        const float *kr = j < a->nkv ? a->k + sb_seq_row(&a->kvl, seq, j) * a->ldk + off : NULL;
        const float *vr = j < a->nkv ? a->v + sb_seq_row(&a->kvl, seq, j) * a->ldv + off : NULL;
        for (size_t d = 0; d < D; d++) {
            kt[d * nkvp + j] = kr ? kr[d] : 0.0f;
            v[j * D + d] = vr ? vr[d] : 0.0f;
        }
    }
    size_t i0 = qc * QCHUNK, i1 = i0 + QCHUNK < a->nq ? i0 + QCHUNK : a->nq;
    for (size_t ib = i0; ib < i1; ib += QB) {
        size_t nq = i1 - ib < QB ? i1 - ib : QB;
        float *out[QB];
        for (size_t i = 0; i < QB; i++) {
            const float *qr = i < nq ? a->q + sb_seq_row(&a->ql, seq, ib + i) * a->ldq + off : NULL;
            out[i] = i < nq ? a->o + sb_seq_row(&a->ql, seq, ib + i) * a->ldo + off : NULL;
            for (size_t d = 0; d < D; d++)
                q[i * D + d] = qr ? qr[d] * a->scale : 0.0f;
        }
        query_block(c, q, nq, kt, v, o, out);
    }
}

void sb_attention_flash_avx512(const sb_attn_args *a, sb_pool *pool)
{
    if (a->head_dim % 8 != 0 || a->head_dim > MAX_D) {
        /* outside this kernel's shapes (no model has them): the reference, loudly */
        static int warned;
        if (!warned++)
            fprintf(stderr, "sorabench: attention.f32.avx512-flash: head dim %zu is not a multiple"
                            " of 8; running the reference\n", a->head_dim);
        sb_attention_ref(a, pool);
        return;
    }
    flash_ctx c = {.a = a, .qchunks = (a->nq + QCHUNK - 1) / QCHUNK,
                   .nkvp = (a->nkv + KB - 1) / KB * KB};
    size_t nseq = a->ql.n_outer * a->ql.n_inner;
    sb_pool_run(pool, flash_task, &c, nseq * a->heads * c.qchunks);
}
