/*
 * flash.c - the flash-attention framework (see flash.h): tasks, packing and
 * normalisation, portable C built for the baseline CPU; the only ISA-specific
 * code it calls is the block function.
 */
#include "flash/flash.h"
#include <stdio.h>
#include <string.h>
#include "gemm/gemm.h"
#include "ref/ref.h"
#include "scratch.h"

typedef struct flash_ctx {
    const sb_attn_args *a;
    const sb_flash_impl *impl;
    size_t qb;             /* queries per block call (the impl's, or SB_FLASH_QB) */
    size_t qchunk;         /* queries per task (a multiple of qb) */
    size_t qchunks;        /* tasks per (sequence, head) */
    int short_seqs;        /* 1: a task is a run of whole sequences with all heads */
    size_t run;            /* short_seqs: sequences per task */
    size_t nkvp;           /* n_kv rounded up to the block function's pad */
} flash_ctx;

/* One head of one chunk of queries of a's sequence seq: pack K, V and the queries, run the
   blocks, normalise into the output. */
/* Two floats rounded to bfloat16 (nearest even), a in the low half: one k or v pair. */
static inline uint32_t bf16_pair(float a, float b)
{
    return (uint32_t)sb_f32_to_bf16(a) | (uint32_t)sb_f32_to_bf16(b) << 16;
}

/* K (row j at k0 + j kstep) and V of one head as the block function wants them (flash.h). */
static void pack_kv(const flash_ctx *c, const float *k0, size_t kstep, const float *v0,
                    size_t vstep, float *kt, float *v)
{
    size_t D = c->a->head_dim, nkv = c->a->nkv, nkvp = c->nkvp;
    if (c->impl->elem == SB_FLASH_BF16) {
        /* 32-bit words of two bf16: K word [d/2][j] = (k[j][d], k[j][d+1]), V word [j/2][d] =
           (v[j][d], v[j+1][d]); whole words, so the V loop over d vectorises */
        uint32_t *k32 = (uint32_t *)kt, *v32 = (uint32_t *)v;
        for (size_t j = 0; j < nkvp; j += 2) {
            const float *ka = j < nkv ? k0 + j * kstep : NULL;
            const float *kb = j + 1 < nkv ? k0 + (j + 1) * kstep : NULL;
            const float *va = j < nkv ? v0 + j * vstep : NULL;
            const float *vb = j + 1 < nkv ? v0 + (j + 1) * vstep : NULL;
            for (size_t dp = 0; dp < D / 2; dp++) {
                k32[dp * nkvp + j] = ka ? bf16_pair(ka[2 * dp], ka[2 * dp + 1]) : 0;
                k32[dp * nkvp + j + 1] = kb ? bf16_pair(kb[2 * dp], kb[2 * dp + 1]) : 0;
            }
            uint32_t *vw = v32 + (j / 2) * D;
            if (va && vb)
                for (size_t d = 0; d < D; d++)
                    vw[d] = bf16_pair(va[d], vb[d]);
            else
                for (size_t d = 0; d < D; d++)
                    vw[d] = va ? bf16_pair(va[d], 0.0f) : 0;
        }
        return;
    }
    for (size_t j = 0; j < nkv; j++) {
        const float *kr = k0 + j * kstep;
        for (size_t d = 0; d < D; d++)
            kt[d * nkvp + j] = kr[d];
        memcpy(v + j * D, v0 + j * vstep, D * sizeof(float));
    }
    for (size_t j = nkv; j < nkvp; j++) {
        for (size_t d = 0; d < D; d++)
            kt[d * nkvp + j] = 0.0f;
        memset(v + j * D, 0, D * sizeof(float));
    }
}

/* Query i of the block (row qr, NULL beyond the valid ones: zeros), scaled, as elem wants. */
static void pack_q(sb_flash_elem elem, const float *qr, size_t i, size_t D, size_t qb, float scale,
                   float *qt)
{
    uint16_t *q16 = (uint16_t *)qt;
    for (size_t d = 0; d < D; d++) {
        float x = qr ? qr[d] * scale : 0.0f;
        if (elem == SB_FLASH_BF16)
            q16[((d / 2) * qb + i) * 2 + d % 2] = sb_f32_to_bf16(x);
        else
            qt[d * qb + i] = x;
    }
}

static void flash_head(const flash_ctx *c, const sb_attn_args *a, size_t seq, size_t h, size_t qc,
                       float *kt)
{
    size_t D = a->head_dim, off = h * D, nkvp = c->nkvp, qb = c->qb;
    float *v = kt + nkvp * D, *qt = v + nkvp * D, *o = qt + qb * D, *l = o + qb * D;
    /* a sequence's rows are base + t * tok_stride: no division per token */
    const float *k0 = a->k + sb_seq_row(&a->kvl, seq, 0) * a->ldk + off;
    const float *v0 = a->v + sb_seq_row(&a->kvl, seq, 0) * a->ldv + off;
    const float *q0 = a->q + sb_seq_row(&a->ql, seq, 0) * a->ldq + off;
    float *out0 = a->o + sb_seq_row(&a->ql, seq, 0) * a->ldo + off;
    size_t kstep = a->kvl.tok_stride * a->ldk, vstep = a->kvl.tok_stride * a->ldv;
    size_t qstep = a->ql.tok_stride * a->ldq, ostep = a->ql.tok_stride * a->ldo;

    pack_kv(c, k0, kstep, v0, vstep, kt, v);
    sb_flash_block b = {.qt = qt, .kt = kt, .v = v, .nkv = a->nkv, .nkvp = nkvp, .d = D, .o = o,
                        .l = l};
    size_t i0 = qc * c->qchunk, i1 = i0 + c->qchunk < a->nq ? i0 + c->qchunk : a->nq;
    for (size_t ib = i0; ib < i1; ib += qb) {
        b.nq = i1 - ib < qb ? i1 - ib : qb;
        for (size_t i = 0; i < qb; i++) /* columns past the last query are zero */
            pack_q(c->impl->elem, i < b.nq ? q0 + (ib + i) * qstep : NULL, i, D, qb, a->scale, qt);
        c->impl->block(&b);
        for (size_t i = 0; i < b.nq; i++) {
            float *out = out0 + (ib + i) * ostep, inv = 1.0f / l[i];
            for (size_t d = 0; d < D; d++)
                out[d] = o[i * D + d] * inv;
        }
    }
}

/*
 * A short sequence with all its heads. Its rows are far apart (temporal attention: S rows
 * between tokens) and each head reads a 4 D-byte slice of each, which leaves too many
 * streams for the hardware prefetcher and the task waits on memory. So the rows of Q, K
 * and V are first copied whole, front to back, into a contiguous [tokens][heads * D]
 * stage, the heads run on the stage, and the output rows are copied back whole.
 */
static void flash_short(const flash_ctx *c, size_t seq, float *stage, float *kt)
{
    const sb_attn_args *a = c->a;
    size_t C = a->heads * a->head_dim, nq = a->nq, nkv = a->nkv;
    float *qs = stage, *ks = qs + nq * C, *vs = ks + nkv * C, *os = vs + nkv * C;
    for (size_t t = 0; t < nq; t++)
        memcpy(qs + t * C, a->q + sb_seq_row(&a->ql, seq, t) * a->ldq, C * sizeof(float));
    for (size_t t = 0; t < nkv; t++) {
        size_t row = sb_seq_row(&a->kvl, seq, t);
        memcpy(ks + t * C, a->k + row * a->ldk, C * sizeof(float));
        memcpy(vs + t * C, a->v + row * a->ldv, C * sizeof(float));
    }
    const sb_seq_layout one = {.n_outer = 1, .n_inner = 1, .tok_stride = 1};
    sb_attn_args st = *a;
    st.q = qs, st.k = ks, st.v = vs, st.o = os;
    st.ldq = st.ldk = st.ldv = st.ldo = C;
    st.ql = st.kvl = one;
    for (size_t h = 0; h < a->heads; h++)
        flash_head(c, &st, 0, h, 0, kt);
    for (size_t t = 0; t < nq; t++)
        memcpy(a->o + sb_seq_row(&a->ql, seq, t) * a->ldo, os + t * C, C * sizeof(float));
}

static void flash_task(void *ctx, size_t t, int worker)
{
    const flash_ctx *c = ctx;
    const sb_attn_args *a = c->a;
    size_t D = a->head_dim, nkvp = c->nkvp, C = a->heads * D;
    size_t nseq = a->ql.n_outer * a->ql.n_inner, s0 = t * c->run;
    size_t s1 = s0 + c->run < nseq ? s0 + c->run : nseq;
    (void)worker;
    if (c->short_seqs && c->impl->short_seq) { /* in place: no packing, no scratch */
        c->impl->short_seq(a, s0, s1);
        return;
    }
    size_t pack = 2 * nkvp * D + 2 * c->qb * D + c->qb; /* kt, v, qt, o, l of flash_head */
    size_t stage = c->short_seqs ? 2 * (a->nq + a->nkv) * C : 0;
    float *kt = sb_thread_scratch(SB_SCRATCH_TASK, (pack + stage) * sizeof(float));
    if (c->short_seqs) {
        for (size_t seq = s0; seq < s1; seq++)
            flash_short(c, seq, kt + pack, kt);
        return;
    }
    size_t qc = t % c->qchunks, h = (t / c->qchunks) % a->heads, seq = t / c->qchunks / a->heads;
    flash_head(c, a, seq, h, qc, kt);
}

void sb_attention_flash(const sb_flash_impl *impl, const sb_attn_args *a, sb_pool *pool)
{
    if (a->head_dim % 8 != 0 || a->head_dim > SB_FLASH_MAX_D) {
        /* outside the block functions' shapes (no model has them): the reference, loudly */
        static int warned;
        if (!warned++)
            fprintf(stderr, "sorabench: %s: head dim %zu is not a multiple of 8 (or > %d);"
                            " running the reference\n", impl->name, a->head_dim, SB_FLASH_MAX_D);
        sb_attention_ref(a, pool);
        return;
    }
    flash_ctx c = {.a = a, .impl = impl, .nkvp = (a->nkv + impl->pad - 1) / impl->pad * impl->pad,
                   .qb = impl->qb ? impl->qb : SB_FLASH_QB};
    size_t nseq = a->ql.n_outer * a->ql.n_inner, units = nseq * a->heads;
    size_t want = 4 * (size_t)sb_pool_threads(pool);
    /* each task packs K and V of its (sequence, head) again: split a head's queries only as
       far as it takes to give every worker about 4 tasks (in multiples of qb) */
    size_t split = units >= want ? 1 : (want + units - 1) / units;
    c.qchunk = ((a->nq + split - 1) / split + c.qb - 1) / c.qb * c.qb;
    c.qchunks = (a->nq + c.qchunk - 1) / c.qchunk;
    /* short sequences (temporal attention), where there are enough of them to keep every
       worker busy: a task is a run of consecutive sequences (about 4 runs per worker), whose
       rows are adjacent in memory */
    c.short_seqs = a->nq <= SB_FLASH_SHORT && a->nkv <= SB_FLASH_SHORT && nseq >= want;
    c.run = c.short_seqs ? (nseq + want - 1) / want : 1;
    sb_pool_run(pool, flash_task, &c,
                c.short_seqs ? (nseq + c.run - 1) / c.run : nseq * a->heads * c.qchunks);
}
