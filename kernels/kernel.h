/*
 * kernel.h - the compute interface: ops, their typed argument structs, and the
 * kernel registry (op x dtype x ISA x fusion).
 *
 * Every op has one argument struct and one function type. The registry is a
 * table ordered best first; sb_kernel_find() returns the first entry the host
 * can execute, and every (op, dtype) has a plain-C reference entry with no CPU
 * requirement, so a lookup for an existing (op, dtype) never fails. Each entry's
 * name is stored with every result so reports say which kernel actually ran.
 *
 * Conventions for all kernels:
 *  - tensors are row-major float32 (bfloat16 for the BF16-storage kernels,
 *    see sb_bf16); ld* are row strides in elements;
 *  - a linear weight is given as [n_out][k] (PyTorch layout) to pack(), which
 *    returns an opaque packed form used by run; packing is never timed;
 *  - work is split over the pool with sb_pool_run(); kernels allocate nothing
 *    while running (scratch comes from the caller, sized by *_scratch()).
 */
#ifndef SB_KERNEL_H
#define SB_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pool.h"
#include "sb_status.h"

/* ==== ops and types ==== */

typedef enum sb_op {
    SB_OP_LINEAR,         /* y = x W^T + b */
    SB_OP_ATTENTION,      /* o = softmax(q k^T * scale) v, per sequence and head */
    SB_OP_LN_MODULATE,    /* y = LN(x) * (1 + scale) + shift, LN without affine */
    SB_OP_QK_RMSNORM,     /* q, k <- w * x / sqrt(mean(x^2) + eps) over head dim */
    SB_OP_ROPE,           /* rotary embedding of q, k along the sequence */
    SB_OP_QK_NORM_ROPE,   /* q/k RMSNorm then RoPE, one pass (fused variants) */
    SB_OP_GELU_TANH,      /* y = gelu_tanh(x) */
    SB_OP_SILU,           /* y = x * sigmoid(x) */
    SB_OP_GATED_RESIDUAL, /* x += gate * h (gate broadcast per group of rows) */
    SB_OP_ADD_ROWS,       /* y[r] = a[r] + t[r % period] */
    SB_OP_TIMESTEP_FREQ,  /* y[b] = [cos(t_b f), sin(t_b f)] */
    SB_OP_PATCHIFY,       /* latent [B,Cin,T,Hl,Wl] -> patch rows [B*T*S, Cin*ph*pw] */
    SB_OP_COUNT
} sb_op;

/*
 * Numeric type of a kernel's arithmetic. Activations between layers are FP32
 * buffers in every variant; a BF16 kernel rounds its inputs to bfloat16 (while
 * packing) and accumulates in FP32; an INT8 kernel quantizes its weights per
 * output channel (when packed) and its activations per row (inside the timed
 * layer), accumulates in int32 and writes FP32 (docs/workloads.md).
 */
typedef enum sb_dtype { SB_DT_F32, SB_DT_BF16, SB_DT_INT8, SB_DT_COUNT } sb_dtype;

/*
 * A bfloat16 in memory: the upper 16 bits of an IEEE binary32, rounded to
 * nearest even when written (NaN stays NaN). The BF16-storage elementwise
 * kernels (sb_kernel.io == SB_DT_BF16: GELU, LayerNorm + modulate, gated
 * residual, q/k RMSNorm and RoPE, apart and fused) read and write rows of
 * these, computing in FP32 and rounding once per stored value; their argument
 * structs name the bfloat16 pointers (xh, yh, hh, qh, kh), the other kernels
 * the float ones. No workload stores activations in
 * bfloat16 yet, so these kernels are chosen by name only: kernels/tests
 * checks them and `meson test --benchmark` times them (docs/performance.md).
 */
typedef uint16_t sb_bf16;

/* CPU features a kernel may require (bit mask; see harness/cpu.h). */
typedef uint64_t sb_isa_mask;

/* Text keys, stored in the database. */
const char *sb_op_name(sb_op op);
const char *sb_dtype_name(sb_dtype dt);

/* ==== argument structs ==== */

/*
 * What a linear layer applies to x W^T + b before it stores y (the fused
 * variants' GEMM epilogues). Every linear kernel honours it: the GEMM
 * framework per tile while the tile is in L1 (kernels/epilogue.h), the
 * reference and the providers after their GEMM.
 */
typedef enum sb_epilogue {
    SB_EPI_NONE,          /* y = x W^T + b */
    SB_EPI_GELU,          /* y = gelu_tanh(x W^T + b) */
    SB_EPI_GATED_RES,     /* y = res + gate (.) (x W^T + b), gate row r / group_rows (NULL = 1) */
    SB_EPI_COUNT
} sb_epilogue;

typedef struct sb_linear_args {
    const float *x;       /* [m][k], row stride ldx */
    size_t ldx;
    const void *w;        /* packed weight from the entry's pack() */
    const float *bias;    /* [n] or NULL */
    float *y;             /* [m][n], row stride ldy; must not alias x (or res) */
    size_t ldy;
    size_t m, n, k;       /* rows, output channels, input channels */
    sb_epilogue epi;      /* SB_EPI_NONE (0) unless a fused layer asks */
    const float *res;     /* SB_EPI_GATED_RES: residual [m][n], row stride ldres */
    size_t ldres;
    const float *gate;    /* SB_EPI_GATED_RES: row r / group_rows, stride ldg; NULL = no gate */
    size_t ldg, group_rows;
} sb_linear_args;

/*
 * Where the tokens of each sequence live, in rows of a [rows][ld] matrix.
 * Sequence j = o * n_inner + i has token t at row
 *   o * outer_stride + i * inner_stride + t * tok_stride.
 * Spatial attention over [B, T*S]: outer B (stride T*S), inner T (stride S),
 * tokens step 1. Temporal: outer B (stride T*S), inner S (stride 1), tokens
 * step S. So the (T S) <-> (S T) regroup is addressing, not a copy.
 */
typedef struct sb_seq_layout {
    size_t n_outer, outer_stride;
    size_t n_inner, inner_stride;
    size_t tok_stride;
} sb_seq_layout;

typedef struct sb_attn_args {
    const float *q, *k, *v; /* channel h*D + d of head h; strides ldq, ldk, ldv */
    size_t ldq, ldk, ldv;
    float *o;               /* output, laid out like q, stride ldo */
    size_t ldo;
    sb_seq_layout ql;       /* query sequences */
    sb_seq_layout kvl;      /* key/value sequences (same count as ql) */
    size_t nq, nkv;         /* tokens per query / key sequence */
    size_t heads, head_dim;
    float scale;            /* usually head_dim^-0.5 */
    float *scratch;         /* sb_attn_scratch() floats, owned by the caller */
} sb_attn_args;

typedef struct sb_ln_mod_args {
    union {
        const float *x;   /* [rows][c], stride ldx */
        const sb_bf16 *xh; /* the same, bfloat16 (BF16-storage kernels) */
    };
    size_t ldx;
    union {
        float *y;         /* [rows][c], stride ldy; may alias x */
        sb_bf16 *yh;      /* the same, bfloat16 (BF16-storage kernels) */
    };
    size_t ldy;
    const float *shift;   /* row g = r / group_rows, stride ldm; NULL = 0 */
    const float *scale;   /* row g, stride ldm; NULL = no modulation (y = LN) */
    size_t ldm;
    size_t rows, c, group_rows;
    float eps;            /* 1e-6 in STDiT3 */
} sb_ln_mod_args;

/* The shift/scale rows (NULL when absent) for row r: those of its group. */
static inline void sb_ln_mod_modulation(const sb_ln_mod_args *a, size_t r, const float **shift,
                                        const float **scale)
{
    size_t g = r / a->group_rows;
    *shift = a->shift ? a->shift + g * a->ldm : NULL;
    *scale = a->scale ? a->scale + g * a->ldm : NULL;
}

/* Rows of x and y (FP32) and the shift/scale rows for row r. */
static inline void sb_ln_mod_row(const sb_ln_mod_args *a, size_t r, const float **x, float **y,
                                 const float **shift, const float **scale)
{
    *x = a->x + r * a->ldx;
    *y = a->y + r * a->ldy;
    sb_ln_mod_modulation(a, r, shift, scale);
}

/* The same for the bfloat16 rows of the BF16-storage kernels. */
static inline void sb_ln_mod_row_bf16(const sb_ln_mod_args *a, size_t r, const sb_bf16 **x,
                                      sb_bf16 **y, const float **shift, const float **scale)
{
    *x = a->xh + r * a->ldx;
    *y = a->yh + r * a->ldy;
    sb_ln_mod_modulation(a, r, shift, scale);
}

/*
 * Whether a call that writes bytes of output, and does not read them, should store them past
 * the caches (non-temporal stores): when they exceed the L3 size (sb_gemm_set_caches, from
 * hwloc; 32 MiB until set), they cannot stay in cache for their reader anyway, and streaming
 * saves the read of each line that a plain store first fetches. The caller ends its stores with
 * a store fence. Implemented in gemm.c, beside the cache sizes.
 */
bool sb_cache_bypass(size_t bytes);

/* A LayerNorm + modulate call as its rows see it: the arguments, and whether the output rows
   go past the caches (out of place, and larger than L3: sb_cache_bypass). es: bytes per value. */
typedef struct sb_ln_call {
    const sb_ln_mod_args *a;
    bool stream;
} sb_ln_call;

static inline sb_ln_call sb_ln_call_make(const sb_ln_mod_args *a, size_t es)
{
    return (sb_ln_call){a, (const void *)a->y != (const void *)a->x &&
                               sb_cache_bypass(a->rows * a->c * es)};
}

typedef struct sb_qk_norm_args {
    union {
        float *q;         /* normalised in place; rows of heads*head_dim */
        sb_bf16 *qh;      /* the same, bfloat16 (BF16-storage kernels) */
    };
    union {
        float *k;         /* the same for k */
        sb_bf16 *kh;
    };
    size_t ldq, ldk;
    const float *wq, *wk; /* [head_dim] weights */
    size_t rows, heads, head_dim;
    float eps;
} sb_qk_norm_args;

typedef struct sb_rope_args {
    union {
        float *q;         /* rotated in place, stride ldq */
        sb_bf16 *qh;      /* the same, bfloat16 (BF16-storage kernels) */
    };
    union {
        float *k;         /* the same for k, stride ldk */
        sb_bf16 *kh;
    };
    size_t ldq, ldk;
    sb_seq_layout layout; /* sequences; position = token index in its sequence */
    size_t n;             /* tokens per sequence */
    size_t heads, head_dim;
    const float *cos_t;   /* [n][head_dim/2], angle p * f_j */
    const float *sin_t;
} sb_rope_args;

/* q/k RMSNorm and RoPE in one pass over each head (the fused temporal layer). */
typedef struct sb_qk_norm_rope_args {
    sb_rope_args rope;    /* q, k, strides, sequences, heads, angle tables */
    const float *wq, *wk; /* RMSNorm weights [head_dim] */
    float eps;
} sb_qk_norm_rope_args;

typedef struct sb_unary_args {
    union {
        const float *x;   /* [rows][c], stride ldx */
        const sb_bf16 *xh; /* the same, bfloat16 (BF16-storage kernels) */
    };
    size_t ldx;
    union {
        float *y;         /* may alias x */
        sb_bf16 *yh;      /* the same, bfloat16 (BF16-storage kernels) */
    };
    size_t ldy;
    size_t rows, c;
} sb_unary_args;

typedef struct sb_gres_args {
    union {
        float *x;         /* residual [rows][c], updated in place */
        sb_bf16 *xh;      /* the same, bfloat16 (BF16-storage kernels) */
    };
    size_t ldx;
    union {
        const float *h;   /* branch output [rows][c] */
        const sb_bf16 *hh; /* the same, bfloat16 (BF16-storage kernels) */
    };
    size_t ldh;
    const float *gate;    /* row g = r / group_rows, stride ldg; NULL = plain add */
    size_t ldg;
    size_t rows, c, group_rows;
} sb_gres_args;

/* The gate row for row r (that of its group), or NULL for a plain add. */
static inline const float *sb_gres_gate(const sb_gres_args *a, size_t r)
{
    return a->gate ? a->gate + (r / a->group_rows) * a->ldg : NULL;
}

/* Rows of x and h (bfloat16, the BF16-storage kernels) for row r; returns its gate row. */
static inline const float *sb_gres_row_bf16(const sb_gres_args *a, size_t r, sb_bf16 **x,
                                            const sb_bf16 **h)
{
    *x = a->xh + r * a->ldx;
    *h = a->hh + r * a->ldh;
    return sb_gres_gate(a, r);
}

typedef struct sb_add_rows_args {
    const float *a;       /* [rows][c] */
    size_t lda;
    const float *t;       /* [period][c], stride ldt */
    size_t ldt, period;
    float *y;             /* may alias a */
    size_t ldy;
    size_t rows, c;
} sb_add_rows_args;

typedef struct sb_tfreq_args {
    const float *t;       /* [rows] scalar per row (timestep or fps) */
    float *y;             /* [rows][dim]: cos half first, then sin */
    size_t ldy, rows, dim;
    float max_period;     /* 10000 */
} sb_tfreq_args;

typedef struct sb_patchify_args {
    const float *z;       /* latent [B][cin][T][hl][wl] */
    float *y;             /* [B*T*hp*wp][cin*ph*pw], channel order (c, i, j) */
    size_t ldy;
    size_t B, cin, T, hl, wl, ph, pw;
} sb_patchify_args;

/* Scratch floats the attention kernels need for a pool of n_workers. */
size_t sb_attn_scratch(size_t nkv, size_t head_dim, int n_workers);

/* ==== function types and registry ==== */

typedef void (*sb_linear_fn)(const sb_linear_args *a, sb_pool *pool);
typedef void (*sb_attn_fn)(const sb_attn_args *a, sb_pool *pool);
typedef void (*sb_ln_mod_fn)(const sb_ln_mod_args *a, sb_pool *pool);
typedef void (*sb_qk_norm_fn)(const sb_qk_norm_args *a, sb_pool *pool);
typedef void (*sb_rope_fn)(const sb_rope_args *a, sb_pool *pool);
typedef void (*sb_qk_norm_rope_fn)(const sb_qk_norm_rope_args *a, sb_pool *pool);
typedef void (*sb_unary_fn)(const sb_unary_args *a, sb_pool *pool);
typedef void (*sb_gres_fn)(const sb_gres_args *a, sb_pool *pool);
typedef void (*sb_add_rows_fn)(const sb_add_rows_args *a, sb_pool *pool);
typedef void (*sb_tfreq_fn)(const sb_tfreq_args *a, sb_pool *pool);
typedef void (*sb_patchify_fn)(const sb_patchify_args *a, sb_pool *pool);

/* Pack a [n][k] weight for a linear kernel; *packed freed with the entry's free. */
typedef sb_status (*sb_pack_fn)(const float *w, size_t n, size_t k, void **packed);
typedef void (*sb_packed_free_fn)(void *packed);

typedef struct sb_kernel {
    const char *name;          /* unique, stored per case, e.g. "linear.f32.ref" */
    sb_op op;
    sb_dtype dtype;
    bool fused;                /* part of a -fused variant */
    const char *isa;           /* text key: "ref", "avx2", "avx512", "sve", ... */
    sb_isa_mask requires;      /* CPU features needed; 0 for reference kernels */
    bool provider;             /* another library's kernel: only ever chosen by name */
    sb_dtype io;               /* activations it reads and writes: SB_DT_F32 (0), or SB_DT_BF16
                                  (the BF16-storage kernels: chosen by name only, see sb_bf16) */
    union {
        sb_linear_fn linear;
        sb_attn_fn attention;
        sb_ln_mod_fn ln_modulate;
        sb_qk_norm_fn qk_rmsnorm;
        sb_rope_fn rope;
        sb_qk_norm_rope_fn qk_norm_rope;
        sb_unary_fn unary;     /* GELU_TANH, SILU */
        sb_gres_fn gated_residual;
        sb_add_rows_fn add_rows;
        sb_tfreq_fn timestep_freq;
        sb_patchify_fn patchify;
    } fn;
    sb_pack_fn pack;           /* linear only */
    sb_packed_free_fn packed_free;
    int (*int8_wmax)(void);    /* INT8 linear: the largest |q| its pack gives the weights on this
                                  host (sb_quantize_sym's qmax); NULL: 127, sb_quantize_s8's */
    /*
     * Providers only (NULL for sorabench's kernels): hold the library to the features in isa
     * when capped is true (run --isa, SB_ISA_CAP), and write what it then runs into info, e.g.
     * "onednn 2.6.3 avx2" (library, version, its own name for its code path). Call it before
     * the first pack. A library's choice is made once per process, so every later call must
     * pass the same isa and capped. Returns SB_ENOSUPP, or SB_EINVAL for a second, different
     * cap, with the reason in info.
     */
    sb_status (*lib_setup)(sb_isa_mask isa, bool capped, char *info, size_t len);
} sb_kernel;

/* The whole table, best first within each (op, dtype). */
const sb_kernel *sb_kernel_table(size_t *count);

/*
 * First kernel for (op, dtype, fused) whose requirements are a subset of
 * host_isa and whose activations are FP32; providers and BF16-storage kernels
 * are skipped (they are chosen by name only). An op with
 * no such kernel falls back to its unfused kernel, then to FP32 (fused, then
 * unfused, then fused for ops that exist only fused, like qk_norm_rope); the
 * caller stores the returned kernel's name, so a report says
 * what ran. Returns NULL only for an op without any entry.
 */
const sb_kernel *sb_kernel_find(sb_op op, sb_dtype dtype, bool fused, sb_isa_mask host_isa);

/* Kernel by exact name, or NULL. */
const sb_kernel *sb_kernel_by_name(const char *name);

/*
 * Ask for the cache lines of the bytes [x, x + bytes) for writing, into every
 * level: every line the span touches, whatever x's alignment (the last byte's
 * line too). For row code that is about to rewrite a span of memory it has not
 * touched yet. sb_prefetch_w: the same for the floats x[0, n).
 */
static inline void sb_prefetch_w_bytes(const void *x, size_t bytes)
{
    const char *p = (const char *)((uintptr_t)x & ~(uintptr_t)63), *end = (const char *)x + bytes;
    for (; p < end; p += 64) /* one prefetch per 64-byte line */
        __builtin_prefetch(p, 1, 3);
}

/*
 * Ask for the cache lines of [x, x + bytes) into L2 only (prefetcht2), every line the span
 * touches. For row code that walks spans too short or too far apart for the hardware
 * prefetchers. On Zen 4 a pass that rewrites the q and k thirds of qkv rows moved 23-25 GB/s
 * with these, 12-13 with prefetches into L1 (docs/performance.md); presumably a core keeps
 * more misses in flight towards L2 than towards L1.
 */
static inline void sb_prefetch_l2_bytes(const void *x, size_t bytes)
{
    const char *p = (const char *)((uintptr_t)x & ~(uintptr_t)63), *end = (const char *)x + bytes;
    for (; p < end; p += 64)
        __builtin_prefetch(p, 0, 1);
}

static inline void sb_prefetch_w(const float *x, size_t n)
{
    sb_prefetch_w_bytes(x, n * sizeof(*x));
}

#endif
