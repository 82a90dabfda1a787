/*
 * attention.c - reference scaled dot-product attention, no mask.
 *
 * For each sequence, head and query: the full row of scores q.k * scale is
 * materialised in per-worker scratch, then a max-subtracted softmax (sum in
 * double) weights the values. Tasks are (sequence, head, block of QBLOCK
 * queries), so long sequences with few heads still spread over the pool.
 */
#include <math.h>
#include "ref.h"

enum { QBLOCK = 64 };

size_t sb_attn_scratch(size_t nkv, size_t head_dim, int n_workers)
{
    (void)head_dim;
    return nkv * (size_t)(n_workers > 0 ? n_workers : 1);
}

typedef struct attn_ctx {
    const sb_attn_args *a;
    size_t qblocks;        /* query blocks per (sequence, head) */
} attn_ctx;

static void attn_task(void *ctx, size_t t, int worker)
{
    const attn_ctx *c = ctx;
    const sb_attn_args *a = c->a;
    size_t qb = t % c->qblocks, h = (t / c->qblocks) % a->heads;
    size_t seq = t / c->qblocks / a->heads;
    size_t D = a->head_dim, off = h * D;
    size_t i0 = qb * QBLOCK, i1 = i0 + QBLOCK < a->nq ? i0 + QBLOCK : a->nq;
    float *s = a->scratch + (size_t)worker * a->nkv;

    for (size_t i = i0; i < i1; i++) {
        size_t qrow = sb_seq_row(&a->ql, seq, i);
        const float *q = a->q + qrow * a->ldq + off;
        float *o = a->o + qrow * a->ldo + off;
        float mx = -INFINITY;
        for (size_t j = 0; j < a->nkv; j++) {
            const float *k = a->k + sb_seq_row(&a->kvl, seq, j) * a->ldk + off;
            float dot = 0.0f;
            for (size_t d = 0; d < D; d++)
                dot += q[d] * k[d];
            s[j] = dot * a->scale;
            if (s[j] > mx)
                mx = s[j];
        }
        double sum = 0.0;
        for (size_t j = 0; j < a->nkv; j++) {
            s[j] = expf(s[j] - mx);
            sum += s[j];
        }
        for (size_t d = 0; d < D; d++)
            o[d] = 0.0f;
        for (size_t j = 0; j < a->nkv; j++) {
            const float *v = a->v + sb_seq_row(&a->kvl, seq, j) * a->ldv + off;
            for (size_t d = 0; d < D; d++)
                o[d] += s[j] * v[d];
        }
        float inv = (float)(1.0 / sum);
        for (size_t d = 0; d < D; d++)
            o[d] *= inv;
    }
}

void sb_attention_ref(const sb_attn_args *a, sb_pool *pool)
{
    attn_ctx c = {.a = a, .qblocks = (a->nq + QBLOCK - 1) / QBLOCK};
    size_t nseq = a->ql.n_outer * a->ql.n_inner;
    sb_pool_run(pool, attn_task, &c, nseq * a->heads * c.qblocks);
}
