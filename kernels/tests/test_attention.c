/*
 * test_attention.c KERNEL - one registered attention kernel against explicit
 * softmax loops in double, on the three layouts the model uses (spatial:
 * sequences of S tokens; temporal: T tokens with stride S; cross: N queries
 * against L keys) with tails: key counts not multiples of 16 or 32, query counts not
 * multiples of 8, head dims 8, 16, 24 and 72, temporal sequences of 1, 7, 13,
 * 15, 17 and 60 tokens. Exits 77 where the host cannot run
 * the kernel. Tolerance (outputs are O(1), inputs U(-2, 2)): FP32 |o - ref|
 * <= 2e-5; BF16 (q, k, v and the softmax weights rounded to 8 significant
 * bits, FP32 accumulation) |o - ref| <= 1.5e-2, against the exact attention of
 * the unrounded inputs (measured worst: 7.8e-3), and >= 1e-4, so a BF16
 * kernel that did not round fails (the smallest case error measured: 1.9e-3).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "kernel_test.h"
#include "graph.h"
#include "kernel.h"
#include "ref/ref.h"

/* layout: 0 spatial, 1 temporal, 2 cross */
static int check(const sb_kernel *k, sb_pool *pool, int layout, size_t B, size_t T, size_t S,
                 size_t L, size_t heads, size_t D)
{
    size_t C = heads * D, rows = B * T * S, kvrows = layout == 2 ? B * L : rows;
    float *q = malloc(rows * 3 * C * 4), *kv = malloc(kvrows * 2 * C * 4), *o = malloc(rows * C * 4);
    int bad = 0;
    double worst = 0;
    sb_fill_uniform(q, rows * 3 * C, 8, 1, 2.0f);
    sb_fill_uniform(kv, kvrows * 2 * C, 8, 2, 2.0f);
    sb_seq_layout sp = {.n_outer = B, .outer_stride = T * S, .n_inner = T, .inner_stride = S, .tok_stride = 1};
    sb_seq_layout tp = {.n_outer = B, .outer_stride = T * S, .n_inner = S, .inner_stride = 1, .tok_stride = S};
    sb_seq_layout cq = {.n_outer = B, .outer_stride = T * S, .n_inner = 1, .tok_stride = 1};
    sb_seq_layout ck = {.n_outer = B, .outer_stride = L, .n_inner = 1, .tok_stride = 1};
    sb_attn_args a = {.q = q, .ldq = 3 * C, .o = o, .ldo = C, .heads = heads, .head_dim = D,
                      .scale = 1.0f / sqrtf((float)D)};
    if (layout == 2) {
        a.k = kv, a.v = kv + C, a.ldk = a.ldv = 2 * C, a.ql = cq, a.kvl = ck, a.nq = T * S, a.nkv = L;
    } else {
        a.k = q + C, a.v = q + 2 * C, a.ldk = a.ldv = 3 * C;
        a.ql = a.kvl = layout == 0 ? sp : tp;
        a.nq = a.nkv = layout == 0 ? S : T;
    }
    float *scratch = malloc(sb_attn_scratch(a.nkv, D, 2) * 4);
    a.scratch = scratch;
    k->fn.attention(&a, pool);
    size_t nseq = a.ql.n_outer * a.ql.n_inner;
    for (size_t seq = 0; seq < nseq; seq++)
        for (size_t h = 0; h < heads; h++)
            for (size_t i = 0; i < a.nq; i++)
                for (size_t e = 0; e < D; e += (D > 8 ? 7 : 1)) { /* a sample of d */
                    double want = sb_naive_attention(&a, seq, h, i, e);
                    double got = o[sb_seq_row(&a.ql, seq, i) * C + h * D + e];
                    double err = fabs(got - want);
                    worst = sb_test_worst(worst, err);
                }
    double tol = k->dtype == SB_DT_BF16 ? 1.5e-2 : 2e-5;
    /* a BF16 kernel must compute the BF16 function: FP32 arithmetic throughout would be
       within 1e-5 and pass the tolerance alone (rounding v alone errs by up to 2^-8) */
    double floor_err = k->dtype == SB_DT_BF16 ? 1e-4 : 0.0;
    bad = !(worst <= tol && worst >= floor_err);
    printf("%-28s %-8s B=%zu T=%zu S=%zu L=%zu heads=%zu D=%zu: max |o - ref| = %.2e %s\n", k->name,
           layout == 0 ? "spatial" : layout == 1 ? "temporal" : "cross", B, T, S, L, heads, D, worst,
           bad ? "FAIL" : "ok");
    free(q), free(kv), free(o), free(scratch);
    return bad;
}

int main(int argc, char **argv)
{
    const sb_kernel *k;
    sb_pool *pool = NULL;
    int bad = 0, rc = sb_kernel_test_setup(argc, argv, SB_OP_ATTENTION, &k, &pool);
    if (rc >= 0)
        return rc;
    bad |= check(k, pool, 0, 2, 3, 37, 0, 2, 72);  /* 37 keys: 2 full blocks + 5 */
    bad |= check(k, pool, 1, 2, 15, 5, 0, 3, 72);  /* T = 15 tokens, stride S; 10 sequences:
                                                      the flash framework's short-sequence path */
    bad |= check(k, pool, 2, 2, 1, 300, 13, 2, 72); /* 300 queries vs 13 keys */
    bad |= check(k, pool, 2, 1, 1, 20, 50, 2, 72);  /* 50 keys: blocks of 32 + 18 or 3 x 16 + 2 */
    bad |= check(k, pool, 0, 1, 1, 260, 0, 1, 16); /* one head split in chunks (2 workers: 8
                                                      of 40 queries, the last 20), D = 16 */
    bad |= check(k, pool, 1, 1, 1, 3, 0, 4, 8);    /* a single token per sequence; 3 sequences:
                                                      one task per head */
    /* enough sequences (>= 4 per worker) for the short-sequence path: runs of sequences */
    bad |= check(k, pool, 1, 1, 60, 9, 0, 2, 72);  /* T = 60: 3 groups of 16 queries + 12 */
    bad |= check(k, pool, 1, 2, 17, 4, 0, 3, 24);  /* 17 tokens (16 + 1), D = 24 = 16 + 8 */
    bad |= check(k, pool, 1, 1, 1, 12, 0, 2, 8);   /* one token each, D = 8 < one vector */
    bad |= check(k, pool, 1, 1, 13, 9, 0, 2, 72);  /* 13 tokens: 16 keys or fewer, queries in
                                                      groups of 5 (AVX2), the last of 3 */
    bad |= check(k, pool, 1, 1, 7, 8, 0, 3, 16);   /* 7 tokens: one key vector, 5 + 2 queries */
    sb_pool_destroy(pool);
    return bad;
}
