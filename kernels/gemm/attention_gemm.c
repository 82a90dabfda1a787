/*
 * attention_gemm.c - unfused attention the way frameworks run it (matmul,
 * softmax, matmul), built from the GEMM framework's micro-kernels and the
 * ISA's softmax row: the baseline the flash kernels are compared against on
 * equal terms (the same micro-kernels, the same vector exp).
 *
 * A task is one (sequence, head) and a chunk of its queries:
 *   S = Q K^T * scale   (sb_gemm_strided: K read in place through its strides),
 *   P = softmax(S)      (per row, the micro-kernel's sb_epi_ops.softmax),
 *   O = P V             (sb_gemm_strided: V^T is V read with swapped strides),
 * both GEMMs on the task's thread. The scores are materialised: a worker holds
 * chunk x nkv floats (the whole S x S of a head when there are enough heads,
 * 52 MB at 720p), which is the memory the flash kernels avoid. For BF16
 * micro-kernels Q, K, P and V are rounded to bfloat16 as they are packed.
 */
#include "gemm/gemm.h"
#include "ref/ref.h"
#include "scratch.h"

typedef struct unfused_ctx {
    const sb_ukr_desc *d;
    const sb_attn_args *a;
    size_t qchunk, qchunks; /* queries per task, tasks per (sequence, head) */
    size_t pack_bytes;      /* the larger of the two packed B operands, 64-byte multiple */
} unfused_ctx;

static void unfused_task(void *ctx, size_t t, int worker)
{
    const unfused_ctx *c = ctx;
    const sb_attn_args *a = c->a;
    const sb_epi_ops *ops = sb_ukr_ops(c->d);
    size_t qc = t % c->qchunks, h = (t / c->qchunks) % a->heads, seq = t / c->qchunks / a->heads;
    size_t D = a->head_dim, off = h * D, nkv = a->nkv;
    size_t i0 = qc * c->qchunk, nq = a->nq - i0 < c->qchunk ? a->nq - i0 : c->qchunk;
    (void)worker;
    /* a sequence's tokens are its first row plus t * tok_stride rows */
    size_t qstep = a->ql.tok_stride * a->ldq, ostep = a->ql.tok_stride * a->ldo;
    size_t kstep = a->kvl.tok_stride * a->ldk, vstep = a->kvl.tok_stride * a->ldv;
    size_t qrow = sb_seq_row(&a->ql, seq, 0) + i0 * a->ql.tok_stride;
    const float *q = a->q + qrow * a->ldq + off;
    const float *k = a->k + sb_seq_row(&a->kvl, seq, 0) * a->ldk + off;
    const float *v = a->v + sb_seq_row(&a->kvl, seq, 0) * a->ldv + off;
    float *o = a->o + qrow * a->ldo + off;

    char *buf = sb_thread_scratch(SB_SCRATCH_LAYER, c->pack_bytes + c->qchunk * nkv * sizeof(float));
    float *s = (float *)(buf + c->pack_bytes);
    /* S [nq][nkv] = Q K^T: B = K, B[j][d] = k[j kstep + d] */
    sb_gemm_strided(c->d, q, qstep, k, kstep, 1, nq, nkv, D, s, nkv, buf, NULL);
    for (size_t i = 0; i < nq; i++)
        ops->softmax(s + i * nkv, nkv, a->scale);
    /* O [nq][D] = P V: B = V^T, B[d][j] = v[j vstep + d] */
    sb_gemm_strided(c->d, s, nkv, v, 1, vstep, nq, D, nkv, o, ostep, buf, NULL);
}

void sb_attention_unfused(const sb_ukr_desc *d, const sb_attn_args *a, sb_pool *pool)
{
    size_t nseq = a->ql.n_outer * a->ql.n_inner, units = nseq * a->heads;
    size_t want = 4 * (size_t)sb_pool_threads(pool);
    /* split a head's queries only as far as it takes to give every worker about 4 tasks:
       each task packs K and V of its head again */
    size_t split = units >= want ? 1 : (want + units - 1) / units;
    size_t pk = sb_gemm_packed_bytes(d, a->nkv, a->head_dim);
    size_t pv = sb_gemm_packed_bytes(d, a->head_dim, a->nkv);
    unfused_ctx c = {.d = d, .a = a, .pack_bytes = ((pk > pv ? pk : pv) + 63) / 64 * 64};
    c.qchunk = ((a->nq + split - 1) / split + 15) / 16 * 16;
    c.qchunks = (a->nq + c.qchunk - 1) / c.qchunk;
    sb_pool_run(pool, unfused_task, &c, units * c.qchunks);
}
