/*
 * flash.c - the flash-attention framework (see flash.h): tasks, packing and
 * normalisation, portable C built for the baseline CPU; the only ISA-specific
 * code it calls is the block function.
 */
#include "flash/flash.h"
#include <stdio.h>
#include <string.h>
#include "ref/ref.h"
#include "scratch.h"

enum { QB = SB_FLASH_QB, KB = SB_FLASH_KB, QCHUNK = SB_FLASH_QCHUNK };

typedef struct flash_ctx {
    const sb_attn_args *a;
    sb_flash_fn block;
    size_t qchunks;        /* chunks of QCHUNK queries per (sequence, head) */
    size_t nkvp;           /* n_kv rounded up to KB */
} flash_ctx;

static void flash_task(void *ctx, size_t t, int worker)
{
    const flash_ctx *c = ctx;
    const sb_attn_args *a = c->a;
    size_t qc = t % c->qchunks, h = (t / c->qchunks) % a->heads, seq = t / c->qchunks / a->heads;
    size_t D = a->head_dim, off = h * D, nkvp = c->nkvp;
    float *kt = sb_thread_scratch(SB_SCRATCH_TASK, (2 * nkvp * D + 2 * QB * D + QB) * sizeof(float));
    float *v = kt + nkvp * D, *qt = v + nkvp * D, *o = qt + QB * D, *l = o + QB * D;
    (void)worker;

    for (size_t j = 0; j < nkvp; j++) {
        const float *kr = j < a->nkv ? a->k + sb_seq_row(&a->kvl, seq, j) * a->ldk + off : NULL;
        const float *vr = j < a->nkv ? a->v + sb_seq_row(&a->kvl, seq, j) * a->ldv + off : NULL;
        for (size_t d = 0; d < D; d++)
            kt[d * nkvp + j] = kr ? kr[d] : 0.0f;
        if (vr)
            memcpy(v + j * D, vr, D * sizeof(float));
        else
            memset(v + j * D, 0, D * sizeof(float));
    }
    sb_flash_block b = {.qt = qt, .kt = kt, .v = v, .nkv = a->nkv, .nkvp = nkvp, .d = D, .o = o,
                        .l = l};
    size_t i0 = qc * QCHUNK, i1 = i0 + QCHUNK < a->nq ? i0 + QCHUNK : a->nq;
    for (size_t ib = i0; ib < i1; ib += QB) {
        b.nq = i1 - ib < QB ? i1 - ib : QB;
        for (size_t i = 0; i < QB; i++) {
            const float *qr = i < b.nq ? a->q + sb_seq_row(&a->ql, seq, ib + i) * a->ldq + off : NULL;
            for (size_t d = 0; d < D; d++)
                qt[d * QB + i] = qr ? qr[d] * a->scale : 0.0f;
        }
        c->block(&b);
        for (size_t i = 0; i < b.nq; i++) {
            float *out = a->o + sb_seq_row(&a->ql, seq, ib + i) * a->ldo + off, inv = 1.0f / l[i];
            for (size_t d = 0; d < D; d++)
                out[d] = o[i * D + d] * inv;
        }
    }
}

void sb_attention_flash(const char *name, sb_flash_fn block, const sb_attn_args *a, sb_pool *pool)
{
    if (a->head_dim % 8 != 0 || a->head_dim > SB_FLASH_MAX_D) {
        /* outside the block functions' shapes (no model has them): the reference, loudly */
        static int warned;
        if (!warned++)
            fprintf(stderr, "sorabench: %s: head dim %zu is not a multiple of 8 (or > %d);"
                            " running the reference\n", name, a->head_dim, SB_FLASH_MAX_D);
        sb_attention_ref(a, pool);
        return;
    }
    flash_ctx c = {.a = a, .block = block, .qchunks = (a->nq + QCHUNK - 1) / QCHUNK,
                   .nkvp = (a->nkv + KB - 1) / KB * KB};
    size_t nseq = a->ql.n_outer * a->ql.n_inner;
    sb_pool_run(pool, flash_task, &c, nseq * a->heads * c.qchunks);
}
