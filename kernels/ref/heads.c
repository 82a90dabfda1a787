/*
 * heads.c - the q/k RMSNorm and RoPE of STDiT3 attention, apart and fused, on FP32 and on
 * bfloat16 storage (kernel.h, sb_bf16): the reference kernels, and the one loop that runs an
 * ISA's head code (ref.h: sb_qk_rmsnorm_with and the others).
 *
 * Every form walks the tokens of sequences (sb_rope_args' layout; the RMSNorm alone sees its
 * rows as sequences of one token), and on each head of q, then of k, does the RMSNorm (when
 * asked), then RoPE (when the angle tables are given), in place. The reference works a head
 * pair by pair in scalar code, the RMSNorm's sum of squares in double; on bfloat16 it widens
 * each value and rounds each result once. The vector loop prefetches the heads of the token
 * SB_HEAD_PREFETCH_ROWS ahead (ref.h has why).
 */
#include <math.h>
#include <stdbool.h>
#include "gemm/gemm.h"
#include "ref.h"

/* One call: the arguments, what to do, and the head code (all NULL: the reference's). */
typedef struct heads_job {
    sb_qk_norm_rope_args a;  /* a.rope.cos_t NULL: no RoPE */
    bool norm;               /* the RMSNorm first */
    bool bf16;               /* q and k are bfloat16 (qh, kh) */
    sb_rms_head_fn rms;      /* FP32 head code (the rows of norm, of RoPE) */
    sb_rope_head_fn rope;
    sb_bf16_head_fn head16;  /* bfloat16 head code (both in one call) */
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

/* One head x with the norm weights w (or NULL) and the angles: c, s of the reference (half a
   head each), or cd, sd of the head code (sb_rope_expand), or NULL for no RoPE. */
static void run_head(const heads_job *j, char *x, const float *w, const float *c, const float *s)
{
    size_t d = j->a.rope.head_dim;
    if (j->head16) {
        j->head16((sb_bf16 *)x, w, c, s, d, j->a.eps);
    } else if (j->rms || j->rope) {
        if (w)
            j->rms((float *)x, w, d, j->a.eps);
        if (c)
            j->rope((float *)x, c, s, d);
    } else {
        ref_head(x, j->bf16, w, c, s, d, j->a.eps);
    }
}

/* Sequences [s0, s1): token i % n of sequence i / n, every head of q and k. */
static void heads_seqs(const void *args, size_t s0, size_t s1)
{
    const heads_job *j = args;
    const sb_rope_args *ro = &j->a.rope;
    bool vec = j->rms || j->rope || j->head16, rot = ro->cos_t != NULL;
    size_t d = ro->head_dim, half = d / 2, n = ro->n, i1 = s1 * n;
    size_t es = j->bf16 ? sizeof(sb_bf16) : sizeof(float), hb = d * es; /* bytes per head */
    char *q0 = j->bf16 ? (char *)ro->qh : (char *)ro->q, *k0 = j->bf16 ? (char *)ro->kh : (char *)ro->k;
    const float *wq = j->norm ? j->a.wq : NULL, *wk = j->norm ? j->a.wk : NULL;
    float cd[SB_ROPE_MAX_D], sd[SB_ROPE_MAX_D];
    for (size_t i = s0 * n; i < i1; i++) {
        size_t t = i % n, row = sb_seq_row(&ro->layout, i / n, t);
        size_t f = i + SB_HEAD_PREFETCH_ROWS; /* the token whose heads are prefetched */
        char *q = q0 + row * ro->ldq * es, *k = k0 + row * ro->ldk * es, *fq = NULL, *fk = NULL;
        if (vec && f < i1) {
            size_t frow = sb_seq_row(&ro->layout, f / n, f % n);
            fq = q0 + frow * ro->ldq * es;
            fk = k0 + frow * ro->ldk * es;
        }
        const float *c = rot ? ro->cos_t + t * half : NULL, *s = rot ? ro->sin_t + t * half : NULL;
        if (vec && rot) {
            sb_rope_expand(c, s, half, cd, sd);
            c = cd, s = sd;
        }
        for (size_t h = 0; h < ro->heads; h++) {
            if (fq) {
                sb_prefetch_w_bytes(fq + h * hb, hb);
                sb_prefetch_w_bytes(fk + h * hb, hb);
            }
            run_head(j, q + h * hb, wq, c, s);
            run_head(j, k + h * hb, wk, c, s);
        }
    }
}

static void heads_run(heads_job *j, sb_pool *pool)
{
    const sb_rope_args *ro = &j->a.rope;
    if (ro->cos_t && ro->head_dim > SB_ROPE_MAX_D) /* no model has such heads; the reference is exact */
        j->rms = NULL, j->rope = NULL, j->head16 = NULL;
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

void sb_qk_rmsnorm_with(const sb_qk_norm_args *a, sb_pool *pool, sb_rms_head_fn head)
{
    heads_job j = norm_job(a, false);
    j.rms = head;
    heads_run(&j, pool);
}

void sb_rope_with(const sb_rope_args *a, sb_pool *pool, sb_rope_head_fn head)
{
    heads_job j = {.a = {.rope = *a}, .rope = head};
    heads_run(&j, pool);
}

void sb_qk_norm_rope_with(const sb_qk_norm_rope_args *a, sb_pool *pool, sb_rms_head_fn rms,
                          sb_rope_head_fn rope)
{
    heads_job j = {.a = *a, .norm = true, .rms = rms, .rope = rope};
    heads_run(&j, pool);
}

void sb_qk_rmsnorm_bf16_with(const sb_qk_norm_args *a, sb_pool *pool, sb_bf16_head_fn head)
{
    heads_job j = norm_job(a, true);
    j.head16 = head;
    heads_run(&j, pool);
}

void sb_rope_bf16_with(const sb_rope_args *a, sb_pool *pool, sb_bf16_head_fn head)
{
    heads_job j = {.a = {.rope = *a}, .bf16 = true, .head16 = head};
    heads_run(&j, pool);
}

void sb_qk_norm_rope_bf16_with(const sb_qk_norm_rope_args *a, sb_pool *pool, sb_bf16_head_fn head)
{
    heads_job j = {.a = *a, .norm = true, .bf16 = true, .head16 = head};
    heads_run(&j, pool);
}
