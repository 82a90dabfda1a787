/*
 * ref.h - the plain-C FP32 reference kernels, one per op.
 *
 * Written for clarity and built for the baseline CPU: these are what every
 * other kernel is checked against. Reductions (norm statistics, softmax sums)
 * accumulate in double; dot products in the linear layer accumulate in float in
 * k order, as a framework's FP32 GEMM would.
 */
#ifndef SB_REF_H
#define SB_REF_H

#include <stdbool.h>
#include "kernel.h"

sb_status sb_linear_ref_pack(const float *w, size_t n, size_t k, void **packed);
void sb_linear_ref_free(void *packed);
void sb_linear_ref(const sb_linear_args *a, sb_pool *pool);
sb_status sb_linear_ref_bf16_pack(const float *w, size_t n, size_t k, void **packed);
void sb_linear_ref_bf16(const sb_linear_args *a, sb_pool *pool);
sb_status sb_linear_ref_int8_pack(const float *w, size_t n, size_t k, void **packed);
void sb_linear_ref_int8_free(void *packed);
void sb_linear_ref_int8(const sb_linear_args *a, sb_pool *pool);
void sb_attention_ref(const sb_attn_args *a, sb_pool *pool);
void sb_ln_modulate_ref(const sb_ln_mod_args *a, sb_pool *pool);
void sb_qk_rmsnorm_ref(const sb_qk_norm_args *a, sb_pool *pool);
void sb_rope_ref(const sb_rope_args *a, sb_pool *pool);
void sb_qk_norm_rope_ref(const sb_qk_norm_rope_args *a, sb_pool *pool);
void sb_gelu_tanh_ref(const sb_unary_args *a, sb_pool *pool);
void sb_silu_ref(const sb_unary_args *a, sb_pool *pool);
void sb_gated_residual_ref(const sb_gres_args *a, sb_pool *pool);
void sb_add_rows_ref(const sb_add_rows_args *a, sb_pool *pool);
void sb_timestep_freq_ref(const sb_tfreq_args *a, sb_pool *pool);
void sb_patchify_ref(const sb_patchify_args *a, sb_pool *pool);
/* BF16 storage (bf16_storage.c): rows of bfloat16, FP32 arithmetic, one rounding per value */
void sb_gelu_tanh_bf16_ref(const sb_unary_args *a, sb_pool *pool);
void sb_ln_modulate_bf16_ref(const sb_ln_mod_args *a, sb_pool *pool);
void sb_gated_residual_bf16_ref(const sb_gres_args *a, sb_pool *pool);
/* ... and the q/k RMSNorm and RoPE on heads of bfloat16 (heads.c) */
void sb_qk_rmsnorm_bf16_ref(const sb_qk_norm_args *a, sb_pool *pool);
void sb_rope_bf16_ref(const sb_rope_args *a, sb_pool *pool);
void sb_qk_norm_rope_bf16_ref(const sb_qk_norm_rope_args *a, sb_pool *pool);

/* ---- helper shared by the row-wise reference kernels ---- */

/* Calls fn(args, r0, r1) over [0, rows) in chunks of at least min_rows rows. */
typedef void (*sb_rows_fn)(const void *args, size_t r0, size_t r1);
void sb_ref_split_rows(sb_pool *pool, size_t rows, size_t min_rows, sb_rows_fn fn,
                       const void *args);

/* Row of token t of sequence j under layout l. */
static inline size_t sb_seq_row(const sb_seq_layout *l, size_t j, size_t t)
{
    return (j / l->n_inner) * l->outer_stride + (j % l->n_inner) * l->inner_stride +
           t * l->tok_stride;
}

enum { SB_ROPE_MAX_D = 512 }; /* head dims the vector RoPE kernels expand on the stack */

/*
 * The q/k RMSNorm and RoPE loop (rows, sequences, heads, split over the pool;
 * heads.c) is the same for every ISA and storage; an ISA gives only its head
 * code, for one storage (FP32 or bfloat16):
 *  - sumsq(x, d): the sum of x[i]^2 over a head of d values;
 *  - apply(x, w, r, cd, sd, d): the head rewritten in place as w * (x * r)
 *    (the RMSNorm, r = 1 / sqrt(mean(x^2) + eps); w NULL: x unchanged), then
 *    as x * cd + swap(x) * sd (RoPE, see sb_rope_expand; cd NULL: none, else d
 *    is even), computed in FP32 and, on bfloat16, rounded once per value.
 * The loop takes the sums of 4 heads of q and 4 of k before it rewrites any,
 * so their reductions, square roots and divisions overlap; one head at a time,
 * each head's rewrite waited on its own sum. Measured on Zen 4 (bench_elementwise,
 * docs/performance.md): the BF16 RMSNorm 1.5x faster, the FP32 one unchanged;
 * groups of 16 heads made the FP32 RMSNorm slower (12-15 GB/s against 17-19).
 * RoPE on heads over SB_ROPE_MAX_D runs the reference.
 */
typedef struct sb_head_ops {
    bool bf16; /* heads of sb_bf16, else of float */
    float (*sumsq)(const void *x, size_t d);
    void (*apply)(void *x, const float *w, float r, const float *cd, const float *sd, size_t d);
    /* Optional (NULL: none), and then used instead of the two above: the nh heads of d values
       of one token's q (or k) at x, back to back, each normalised when w is given (its own r,
       with eps) and rotated when cd is given, as apply does; for even d <= token_max_d only.
       pf (NULL: none): the same span of a later token, to prefetch into L2 meanwhile. */
    void (*token)(void *x, size_t nh, size_t d, const float *w, float eps, const float *cd,
                  const float *sd, const void *pf);
    size_t token_max_d; /* values per head */
} sb_head_ops;

/*
 * These loops work in place on rows of q and k that are a few KB each and
 * strided (the v third, or other tokens, lie between). One core's hardware
 * prefetchers did not keep enough lines in flight for them: the head code
 * waited on its first loads. So while a row's heads run, the loops prefetch
 * the same heads of the row SB_HEAD_PREFETCH_ROWS rows ahead, a head or a
 * group at a time so the prefetches spread out, into L2 (sb_prefetch_l2_bytes).
 * Measured on Zen 4 (docs/performance.md): 1, 2 and 4 rows gave the same gain,
 * and 16 no more; all at once at the start of a row made it slower; into L2
 * rather than L1, a pass with no arithmetic over the q and k thirds of bfloat16
 * qkv rows went from 12-13 to 23-25 GB/s.
 */
enum { SB_HEAD_PREFETCH_ROWS = 4 };

void sb_qk_rmsnorm_with(const sb_qk_norm_args *a, sb_pool *pool, const sb_head_ops *ops);
void sb_rope_with(const sb_rope_args *a, sb_pool *pool, const sb_head_ops *ops);
/* The fused layer: each head of q and k normalised and rotated in one pass, while in L1. */
void sb_qk_norm_rope_with(const sb_qk_norm_rope_args *a, sb_pool *pool, const sb_head_ops *ops);

/* The three public kernels of one ISA's head code: sb_qk_rmsnorm_<name>, sb_rope_<name> and
   sb_qk_norm_rope_<name>, each the loop above with ops (a const sb_head_ops *). */
#define SB_DEFINE_HEAD_KERNELS(name, ops)                                                      \
    void sb_qk_rmsnorm_##name(const sb_qk_norm_args *a, sb_pool *pool)                        \
    {                                                                                          \
        sb_qk_rmsnorm_with(a, pool, ops);                                                      \
    }                                                                                          \
    void sb_rope_##name(const sb_rope_args *a, sb_pool *pool)                                 \
    {                                                                                          \
        sb_rope_with(a, pool, ops);                                                            \
    }                                                                                          \
    void sb_qk_norm_rope_##name(const sb_qk_norm_rope_args *a, sb_pool *pool)                 \
    {                                                                                          \
        sb_qk_norm_rope_with(a, pool, ops);                                                    \
    }

/*
 * RoPE as a vector operation: with cd = (c0, c0, c1, c1, ...) and
 * sd = (-s0, s0, -s1, s1, ...), a head rotates as y = x * cd + swap(x) * sd,
 * swap exchanging the two values of each pair. Fills cd and sd [2 half].
 */
static inline void sb_rope_expand(const float *c, const float *s, size_t half, float *cd, float *sd)
{
    for (size_t j = 0; j < half; j++) {
        cd[2 * j] = cd[2 * j + 1] = c[j];
        sd[2 * j] = -s[j];
        sd[2 * j + 1] = s[j];
    }
}

/* The same rotation in scalar code, on values [i, d) of a head: a vector kernel's tail. */
static inline void sb_rope_tail(float *x, const float *cd, const float *sd, size_t i, size_t d)
{
    for (; i < d; i += 2) {
        float p = x[i], q = x[i + 1];
        x[i] = p * cd[i] + q * sd[i];
        x[i + 1] = q * cd[i + 1] + p * sd[i + 1];
    }
}

/* sb_head_ops.apply in scalar code on values [i, d) of a head (i even when cd is given): a
   vector kernel's tail. */
static inline void sb_head_tail(float *x, const float *w, float r, const float *cd,
                                const float *sd, size_t i, size_t d)
{
    for (size_t j = i; j < d && w; j++)
        x[j] = w[j] * (x[j] * r);
    if (cd)
        sb_rope_tail(x, cd, sd, i, d);
}

#endif
