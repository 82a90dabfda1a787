/*
 * catalog.h - the OpenSora 1.2 layer catalog: every op of one spatial and one
 * temporal STDiT3 block in forward order (shared/opensora-shapes.md 1.3), plus
 * the patch embedder, timestep embedders, t_block, caption projection and the
 * final layer (section 2). Each layer, resolved at an sb_shape, knows its GEMM
 * or tensor dimensions, FLOPs (6.1/6.2: matmuls only, a multiply-add is 2) and
 * the bytes it must move at least (each FP32 input read once, output written
 * once), for GFLOP/s, GB/s and the roofline.
 *
 * Choices (docs/workloads.md): the x_mask/t0 branch of 1.5 is not run (it does
 * not change the result); the T<->S regroup is strided addressing in the
 * attention and RoPE kernels, not a copy; L = the model's padded text length.
 */
#ifndef SB_CATALOG_H
#define SB_CATALOG_H

#include <stdbool.h>
#include "kernel.h"
#include "presets.h"

typedef enum sb_layer_id {
    /* top level, in forward order */
    SB_L_PATCH_EMBED, SB_L_TIMESTEP, SB_L_T_BLOCK, SB_L_CAPTION,
    /* one block, in forward order; a fused layer follows the pair it replaces */
    SB_L_ADALN, SB_L_NORM1, SB_L_QKV, SB_L_QK_NORM, SB_L_ROPE, SB_L_QK_NORM_ROPE, SB_L_ATTN,
    SB_L_PROJ, SB_L_ATTN_RES, SB_L_PROJ_RES, SB_L_CROSS_Q, SB_L_CROSS_KV, SB_L_CROSS_ATTN,
    SB_L_CROSS_PROJ, SB_L_CROSS_RES, SB_L_CROSS_PROJ_RES, SB_L_NORM2, SB_L_FC1, SB_L_GELU,
    SB_L_FC1_GELU, SB_L_FC2, SB_L_MLP_RES, SB_L_FC2_RES,
    /* last */
    SB_L_FINAL,
    SB_LAYER_COUNT
} sb_layer_id;

typedef enum sb_scope { SB_SCOPE_TOP, SB_SCOPE_SPATIAL, SB_SCOPE_TEMPORAL } sb_scope;

/*
 * Which variants run a layer. The -fused variants replace pairs of layers by
 * one (docs/workloads.md): fc1 + GELU, proj + gated residual (attention,
 * cross-attention, MLP) as GEMM epilogues, and in temporal blocks q/k RMSNorm
 * + RoPE; the replaced layers exist in the unfused variants only.
 */
typedef enum sb_fusion {
    SB_FUSION_ALL,         /* every variant */
    SB_FUSION_UNFUSED,     /* replaced by a fused layer in the -fused variants */
    SB_FUSION_FUSED,       /* the -fused variants only */
    SB_FUSION_COUNT
} sb_fusion;

/* A layer resolved at a shape. */
typedef struct sb_layer {
    sb_layer_id id;
    sb_scope scope;
    char name[48];         /* "spatial.mlp.fc1", "embed.patch", "final" */
    sb_op op;              /* the op that does its main work */
    sb_fusion fusion;      /* which variants run it */
    long m, n, k;          /* GEMM rows, output and input channels; for other ops
                              rows (m) x columns (n), k = 0 */
    char shape[96];        /* human-readable shape */
    double flops;          /* per call */
    double bytes;          /* per call, minimum FP32 traffic */
} sb_layer;

/* Numeric variant: dtype x fusion. */
typedef struct sb_variant {
    const char *name;      /* "fp32" */
    sb_dtype dtype;
    bool fused;
} sb_variant;

extern const sb_variant sb_variants[];
extern const size_t sb_variants_count;
const sb_variant *sb_variant_find(const char *name);

/* Scope prefix text: "", "spatial", "temporal". */
const char *sb_scope_name(sb_scope s);

/* True when layer id exists in that scope (RoPE: temporal only). */
bool sb_layer_in_scope(sb_layer_id id, sb_scope scope);

/* True when a variant runs the layer (fused: a -fused variant). */
bool sb_layer_in_variant(const sb_layer *l, bool fused);

/* "all", "unfused", "fused". */
const char *sb_fusion_name(sb_fusion f);

/* Resolve one layer. */
void sb_layer_make(const sb_shape *s, sb_layer_id id, sb_scope scope, sb_layer *out);

/*
 * The catalog in forward order: embedders, the spatial block, the temporal
 * block, the final layer. Writes at most cap layers, returns how many exist.
 */
size_t sb_catalog_build(const sb_shape *s, sb_layer *out, size_t cap);

/* Find a catalog layer by its full name. SB_ENOTFOUND when unknown. */
sb_status sb_layer_find(const sb_shape *s, const char *name, sb_layer *out);

/*
 * FLOPs of one DiT forward (one sampling step): embedders, depth x (S + T),
 * final; the same for every variant (counted over the unfused layers).
 */
double sb_step_flops(const sb_shape *s);

#endif
