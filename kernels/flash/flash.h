/*
 * flash.h - the portable flash-attention framework: online softmax over blocks
 * of keys (each block function chooses its block), the score matrix never
 * materialised (extra memory O(n_kv * D) per thread, not O(n_q * n_kv)). Shared by x86 and Arm: the
 * split into tasks, the packing of K, V and Q and the final normalisation are
 * here; per-ISA code is only the block function (S = Q K^T, online softmax,
 * O = O * correction + P V for a block of queries against all keys).
 *
 * A task is (sequence, head, chunk of queries), or, for short sequences
 * (temporal attention), a run of consecutive sequences with all their heads:
 * given to the ISA's short-sequence function where it has one, else staged
 * contiguously and run through the block function (see flash.c). For each
 * head it packs K transposed ([D][n_kv padded to `pad`], zeros beyond n_kv)
 * and V ([n_kv padded][D]) of its sequence and head into a per-thread buffer
 * (allocated on the warmup call only), then for each block of qb queries packs
 * them scaled and transposed ([D][qb], zero columns beyond the valid queries)
 * and calls the block function. qb is the ISA's choice: each call streams all
 * of the head's K and V, so more queries per call read them fewer times, at
 * the cost of more state in the cache. A BF16 block function gets the same
 * operands rounded to bfloat16 (nearest even) and laid out in pairs, as its
 * dot-product instruction consumes them (sb_flash_elem).
 */
#ifndef SB_FLASH_H
#define SB_FLASH_H
#include <stddef.h>
#include "kernel.h"

/* queries per block call, unless the ISA's sb_flash_impl says otherwise; a head's queries are
   split into chunks (tasks) only as far as it takes to give every worker about 4 tasks, since
   each task packs K and V of its head again */
enum { SB_FLASH_QB = 8, SB_FLASH_MAX_D = 256,
       SB_FLASH_SHORT = 64 /* tokens: a sequence this short is one task, all heads */ };

/* How a block function wants Q, K and V: FP32, or bfloat16 pairs (vdpbf16ps, BFDOT). */
typedef enum sb_flash_elem {
    SB_FLASH_F32,         /* the float layouts of sb_flash_block */
    SB_FLASH_BF16,        /* qt [d/2][qb][2] (pairs of d), kt [d/2][nkvp][2] (pairs of d per
                             key), v [nkvp/2][d][2] (pairs of keys per d); uint16_t bf16 bits */
} sb_flash_elem;

typedef struct sb_flash_block {
    const void *qt;       /* [d][qb]: query i's element e at qt[e * qb + i], pre-scaled, zero
                             columns beyond nq (qb: the impl's, below) */
    size_t nq;            /* valid queries, 1..qb */
    const void *kt;       /* [d][nkvp] keys transposed, zero beyond nkv */
    const void *v;        /* [nkvp][d] values, zero rows beyond nkv */
    size_t nkv, nkvp;     /* keys; keys rounded up to the block function's pad */
    size_t d;             /* head dim, a multiple of 8, at most SB_FLASH_MAX_D */
    float *o;             /* [qb][d] scratch for the unnormalised outputs */
    float *l;             /* [qb]: the block function leaves each query's softmax sum here */
} sb_flash_block;

/* Leaves o[i] = sum_j exp(s_ij - m_i) v_j and l[i] = sum_j exp(s_ij - m_i) for i < nq. */
typedef void (*sb_flash_fn)(const sb_flash_block *b);

/*
 * Optional per ISA: the short sequences [s0, s1) (at most SB_FLASH_SHORT queries and keys each),
 * consecutive and so adjacent in memory, with all their heads, read and written in place,
 * nothing packed (temporal attention, where per-head packing cost more than the arithmetic).
 * A run rather than one sequence, so the function can fetch the next sequence's rows while
 * this one computes.
 */
typedef void (*sb_flash_short_fn)(const sb_attn_args *a, size_t s0, size_t s1);

/* One ISA's flash attention. */
typedef struct sb_flash_impl {
    const char *name;            /* the registry's kernel name, for messages */
    sb_flash_fn block;
    size_t pad;                  /* K and V zero-padded to a multiple of pad keys (its vector
                                    width, even; its blocks may be longer and end short) */
    sb_flash_elem elem;          /* how the framework packs Q, K and V for block */
    sb_flash_short_fn short_seq; /* NULL: short sequences are staged and run through block */
    size_t qb;                   /* queries per block call (what block is written for);
                                    0 means SB_FLASH_QB */
} sb_flash_impl;

/* Attention with one ISA's functions. Head dims that are not a multiple of 8 run the reference,
   with a warning naming the kernel. */
void sb_attention_flash(const sb_flash_impl *impl, const sb_attn_args *a, sb_pool *pool);

#endif
