/*
 * heads.c - the q/k RMSNorm and RoPE of STDiT3 attention, apart and fused, on FP32 and on
 * bfloat16 storage (kernel.h, sb_bf16): the reference kernels, and the one loop that runs an
 * ISA's head code (ref.h: sb_qk_rmsnorm_with and the others).
 *
 * Every form walks the tokens of sequences (sb_rope_args' layout; the RMSNorm alone sees its
 * rows as sequences of one token), and on each head of q, then of k, does the RMSNorm (when
 * asked), then RoPE (when the angle tables are given), in place. The reference works a head
 * pair by pair in scalar code, the RMSNorm's sum of squares in double; on bfloat16 it widens
 * each value and rounds each result once. The vector loop runs an ISA's sb_head_ops on groups
 * of heads (ref.h has why) and prefetches the heads of the token SB_HEAD_PREFETCH_ROWS ahead.
 */
#include <math.h>
#include <stdbool.h>
#include "gemm/gemm.h"
#include "ref.h"

/* One call: the arguments, what to do, and the head code (NULL: the reference's). */
typedef struct heads_job {
    sb_qk_norm_rope_args a;  /* a.rope.cos_t NULL: no RoPE */
    bool norm;               /* the RMSNorm first */
    bool bf16;               /* q and k are bfloat16 (qh, kh) */
    const sb_head_ops *ops;
} heads_job;

static inline float load1(const char *x, bool bf16, size_t i)
{
    return bf16 ? sb_bf16_to_f32(((const sb_bf16 *)x)[i]) : ((const float *)x)[i];
}

static inline void store1(char *x, bool bf16, size_t i, float v)
{
    if (bf16)
        ((sb_bf16 *)x)[i] = sb_f32_to_bf16(v);
    else
        ((float *)x)[i] = v;
}

/* The reference on one head of d values: x = w * x / sqrt(mean(x^2) + eps) when w is given,
   then pairs (2j, 2j + 1) rotated by the angle of cos c[j], sin s[j] when c is given. */
static void ref_head(char *x, bool bf16, const float *w, const float *c, const float *s, size_t d,
                     float eps)
{
    float r = 1.0f;
    if (w) {
        double ss = 0.0;
        for (size_t i = 0; i < d; i++)
            ss += (double)load1(x, bf16, i) * load1(x, bf16, i);
        r = (float)(1.0 / sqrt(ss / (double)d + eps));
    }
    if (!c) {
        for (size_t i = 0; i < d && w; i++)
            store1(x, bf16, i, w[i] * (load1(x, bf16, i) * r));
        return;
    }
    for (size_t j = 0; j < d / 2; j++) {
        float p = load1(x, bf16, 2 * j), q = load1(x, bf16, 2 * j + 1);
        if (w) {
            p = w[2 * j] * (p * r);
            q = w[2 * j + 1] * (q * r);
        }
        store1(x, bf16, 2 * j, p * c[j] - q * s[j]);
        store1(x, bf16, 2 * j + 1, q * c[j] + p * s[j]);
    }
}

enum { HEAD_GROUP = 4 }; /* heads of q (and of k) whose sums the vector loop takes first (ref.h) */

/* A token's heads of q and k (from q and k), with the vector head code: the sums of squares of
   a group of heads first, then their scales, then each head rewritten. The heads of the token
   SB_HEAD_PREFETCH_ROWS ahead (fq, fk; NULL: none) are prefetched one by one meanwhile. */
static void vec_token(const heads_job *j, char *q, char *k, const char *fq, const char *fk,
                      const float *cd, const float *sd)
{
    const sb_qk_norm_rope_args *a = &j->a;
    size_t d = a->rope.head_dim, hb = d * (j->bf16 ? sizeof(sb_bf16) : sizeof(float));
    const float *wq = j->norm ? a->wq : NULL, *wk = j->norm ? a->wk : NULL;
    float rq[HEAD_GROUP], rk[HEAD_GROUP];
    if (j->ops->token && d % 2 == 0 && d <= j->ops->token_max_d) {
        j->ops->token(q, a->rope.heads, d, wq, a->eps, cd, sd, fq);
        j->ops->token(k, a->rope.heads, d, wk, a->eps, cd, sd, fk);
        return;
    }
    for (size_t h0 = 0; h0 < a->rope.heads; h0 += HEAD_GROUP) {
        size_t g = a->rope.heads - h0 < HEAD_GROUP ? a->rope.heads - h0 : HEAD_GROUP;
        for (size_t h = 0; h < g && j->norm; h++) {
            rq[h] = j->ops->sumsq(q + (h0 + h) * hb, d);
            rk[h] = j->ops->sumsq(k + (h0 + h) * hb, d);
        }
        for (size_t h = 0; h < g; h++) {
            rq[h] = j->norm ? 1.0f / sqrtf(rq[h] / (float)d + a->eps) : 1.0f;
            rk[h] = j->norm ? 1.0f / sqrtf(rk[h] / (float)d + a->eps) : 1.0f;
        }
        for (size_t h = 0; h < g; h++) {
            if (fq) {
                sb_prefetch_l2_bytes(fq + (h0 + h) * hb, hb);
                sb_prefetch_l2_bytes(fk + (h0 + h) * hb, hb);
            }
            j->ops->apply(q + (h0 + h) * hb, wq, rq[h], cd, sd, d);
            j->ops->apply(k + (h0 + h) * hb, wk, rk[h], cd, sd, d);
        }
    }
}

/* Sequences [s0, s1): token i % n of sequence i / n, every head of q and k. */
static void heads_seqs(const void *args, size_t s0, size_t s1)
{
    const heads_job *j = args;
    const sb_rope_args *ro = &j->a.rope;
    bool rot = ro->cos_t != NULL;
    size_t d = ro->head_dim, half = d / 2, n = ro->n, i1 = s1 * n;
    size_t es = j->bf16 ? sizeof(sb_bf16) : sizeof(float), hb = d * es; /* bytes per head */
    char *q0 = j->bf16 ? (char *)ro->qh : (char *)ro->q, *k0 = j->bf16 ? (char *)ro->kh : (char *)ro->k;
    float cd[SB_ROPE_MAX_D], sd[SB_ROPE_MAX_D];
    for (size_t i = s0 * n; i < i1; i++) {
        size_t t = i % n, row = sb_seq_row(&ro->layout, i / n, t);
        size_t f = i + SB_HEAD_PREFETCH_ROWS; /* the token whose heads are prefetched */
        char *q = q0 + row * ro->ldq * es, *k = k0 + row * ro->ldk * es, *fq = NULL, *fk = NULL;
        const float *c = rot ? ro->cos_t + t * half : NULL, *s = rot ? ro->sin_t + t * half : NULL;
        if (!j->ops) { /* the reference */
            for (size_t h = 0; h < ro->heads; h++) {
                ref_head(q + h * hb, j->bf16, j->norm ? j->a.wq : NULL, c, s, d, j->a.eps);
                ref_head(k + h * hb, j->bf16, j->norm ? j->a.wk : NULL, c, s, d, j->a.eps);
            }
            continue;
        }
        if (f < i1) {
            size_t frow = sb_seq_row(&ro->layout, f / n, f % n);
            fq = q0 + frow * ro->ldq * es;
            fk = k0 + frow * ro->ldk * es;
        }
        if (rot)
            sb_rope_expand(c, s, half, cd, sd);
        vec_token(j, q, k, fq, fk, rot ? cd : NULL, sd);
    }
}

static void heads_run(heads_job *j, sb_pool *pool)
{
    const sb_rope_args *ro = &j->a.rope;
    if (ro->cos_t && ro->head_dim > SB_ROPE_MAX_D) /* no model has such heads; the reference is exact */
        j->ops = NULL;
    /* at least 4 sequences, or 16 rows of the RMSNorm alone, per task */
    sb_ref_split_rows(pool, ro->layout.n_outer * ro->layout.n_inner, ro->n == 1 ? 16 : 4,
                      heads_seqs, j);
}

/* The RMSNorm alone: its rows as sequences of one token, without angle tables. */
static heads_job norm_job(const sb_qk_norm_args *a, bool bf16)
{
    heads_job j = {.a = {.rope = {.ldq = a->ldq, .ldk = a->ldk,
                                  .layout = {.n_outer = a->rows, .outer_stride = 1, .n_inner = 1},
                                  .n = 1, .heads = a->heads, .head_dim = a->head_dim},
                         .wq = a->wq, .wk = a->wk, .eps = a->eps},
                   .norm = true, .bf16 = bf16};
    if (bf16)
        j.a.rope.qh = a->qh, j.a.rope.kh = a->kh;
    else
        j.a.rope.q = a->q, j.a.rope.k = a->k;
    return j;
}

void sb_qk_rmsnorm_ref(const sb_qk_norm_args *a, sb_pool *pool)
{
    heads_job j = norm_job(a, false);
    heads_run(&j, pool);
}

void sb_rope_ref(const sb_rope_args *a, sb_pool *pool)
{
    heads_job j = {.a = {.rope = *a}};
    heads_run(&j, pool);
}

void sb_qk_norm_rope_ref(const sb_qk_norm_rope_args *a, sb_pool *pool)
{
    heads_job j = {.a = *a, .norm = true};
    heads_run(&j, pool);
}

void sb_qk_rmsnorm_bf16_ref(const sb_qk_norm_args *a, sb_pool *pool)
{
    heads_job j = norm_job(a, true);
    heads_run(&j, pool);
}

void sb_rope_bf16_ref(const sb_rope_args *a, sb_pool *pool)
{
    heads_job j = {.a = {.rope = *a}, .bf16 = true};
    heads_run(&j, pool);
}

void sb_qk_norm_rope_bf16_ref(const sb_qk_norm_rope_args *a, sb_pool *pool)
{
    heads_job j = {.a = *a, .norm = true, .bf16 = true};
    heads_run(&j, pool);
}

void sb_qk_rmsnorm_with(const sb_qk_norm_args *a, sb_pool *pool, const sb_head_ops *ops)
{
    heads_job j = norm_job(a, ops->bf16);
    j.ops = ops;
    heads_run(&j, pool);
}

void sb_rope_with(const sb_rope_args *a, sb_pool *pool, const sb_head_ops *ops)
{
    heads_job j = {.a = {.rope = *a}, .bf16 = ops->bf16, .ops = ops};
    heads_run(&j, pool);
}

void sb_qk_norm_rope_with(const sb_qk_norm_rope_args *a, sb_pool *pool, const sb_head_ops *ops)
{
    heads_job j = {.a = *a, .norm = true, .bf16 = ops->bf16, .ops = ops};
    heads_run(&j, pool);
}
