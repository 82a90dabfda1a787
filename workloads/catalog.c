/*
 * catalog.c - layer definitions (data) and their shape/FLOP/byte formulas.
 * Formulas: shared/opensora-shapes.md 6.1 and 6.2; shapes: 1.3 and 2.
 */
#include "catalog.h"

#include <stdio.h>
#include <string.h>

const sb_variant sb_variants[] = {
    {.name = "fp32", .dtype = SB_DT_F32, .fused = false},
    {.name = "fp32-fused", .dtype = SB_DT_F32, .fused = true},
    {.name = "bf16", .dtype = SB_DT_BF16, .fused = false},
    {.name = "bf16-fused", .dtype = SB_DT_BF16, .fused = true},
    {.name = "int8", .dtype = SB_DT_INT8, .fused = false},
    {.name = "int8-fused", .dtype = SB_DT_INT8, .fused = true},
};
const size_t sb_variants_count = SB_ARRAY_LEN(sb_variants);

const sb_variant *sb_variant_find(const char *name)
{
    for (size_t i = 0; name && i < sb_variants_count; i++)
        if (strcmp(sb_variants[i].name, name) == 0)
            return &sb_variants[i];
    return NULL;
}

/* How a layer's dimensions derive from the shape. */
typedef enum dims_kind {
    D_LINEAR,      /* rows x k -> n */
    D_SELF_ATTN,   /* self-attention over S (spatial) or T (temporal) tokens */
    D_CROSS_ATTN,  /* N queries per sample against L text tokens */
    D_ROWS,        /* elementwise over rows x cols; bytes = streams * 4 * rows * cols */
} dims_kind;

/* Row counts a layer may run over. */
typedef enum rows_of { R_TOKENS, R_TEXT, R_BATCH } rows_of;

/* Column counts, as a function of C, the MLP width, 6C, ... */
typedef enum cols_of {
    K_C, K_2C, K_3C, K_6C, K_MLP, K_PATCH, K_FREQ, K_CAPTION, K_OUT
} cols_of;

typedef struct layer_def {
    const char *name;      /* suffix after the scope prefix */
    bool block;            /* part of a block (else top level) */
    sb_op op;
    dims_kind dims;
    rows_of rows;
    cols_of k, n;          /* linear: input k, output n; rows: n = columns */
    int streams;           /* D_ROWS: tensors of rows x n read or written;
                              D_LINEAR: rows x n tensors read besides x (a residual) */
    int extra_linears;     /* composite layers: extra linears of n x n (t MLPs) */
    sb_fusion fusion;      /* variants that run it (SB_L_QK_NORM: see layer_fusion) */
} layer_def;

/* row shorthands for the fusion column */
#define ALL SB_FUSION_ALL
#define UNF SB_FUSION_UNFUSED
#define FUS SB_FUSION_FUSED

static const layer_def defs[] = {
    [SB_L_PATCH_EMBED] = {"embed.patch", false, SB_OP_LINEAR,
     D_LINEAR, R_TOKENS, K_PATCH, K_C, 0, 0, ALL},
    [SB_L_TIMESTEP] = {"embed.timestep", false, SB_OP_LINEAR,
     D_LINEAR, R_BATCH, K_FREQ, K_C, 0, 2, ALL},
    [SB_L_T_BLOCK] = {"embed.t_block", false, SB_OP_LINEAR,
     D_LINEAR, R_BATCH, K_C, K_6C, 0, 0, ALL},
    [SB_L_CAPTION] = {"embed.caption", false, SB_OP_LINEAR,
     D_LINEAR, R_TEXT, K_CAPTION, K_C, 0, 1, ALL},
    [SB_L_ADALN] = {"adaln", true, SB_OP_ADD_ROWS, D_ROWS, R_BATCH, K_6C, K_6C, 3, 0, ALL},
    [SB_L_NORM1] = {"norm1", true, SB_OP_LN_MODULATE, D_ROWS, R_TOKENS, K_C, K_C, 2, 0, ALL},
    [SB_L_QKV] = {"attn.qkv", true, SB_OP_LINEAR, D_LINEAR, R_TOKENS, K_C, K_3C, 0, 0, ALL},
    [SB_L_QK_NORM] = {"attn.qk_norm", true, SB_OP_QK_RMSNORM,
     D_ROWS, R_TOKENS, K_C, K_C, 4, 0, UNF},
    [SB_L_ROPE] = {"attn.rope", true, SB_OP_ROPE, D_ROWS, R_TOKENS, K_C, K_C, 4, 0, UNF},
    [SB_L_QK_NORM_ROPE] = {"attn.qk_norm_rope", true, SB_OP_QK_NORM_ROPE,
     D_ROWS, R_TOKENS, K_C, K_C, 4, 0, FUS},
    [SB_L_ATTN] = {"attn.core", true, SB_OP_ATTENTION, D_SELF_ATTN, R_TOKENS, K_C, K_C, 0, 0, ALL},
    [SB_L_PROJ] = {"attn.proj", true, SB_OP_LINEAR, D_LINEAR, R_TOKENS, K_C, K_C, 0, 0, UNF},
    [SB_L_ATTN_RES] = {"attn.residual", true, SB_OP_GATED_RESIDUAL,
     D_ROWS, R_TOKENS, K_C, K_C, 3, 0, UNF},
    [SB_L_PROJ_RES] = {"attn.proj_residual", true, SB_OP_LINEAR,
     D_LINEAR, R_TOKENS, K_C, K_C, 1, 0, FUS},
    [SB_L_CROSS_Q] = {"cross.q", true, SB_OP_LINEAR, D_LINEAR, R_TOKENS, K_C, K_C, 0, 0, ALL},
    [SB_L_CROSS_KV] = {"cross.kv", true, SB_OP_LINEAR, D_LINEAR, R_TEXT, K_C, K_2C, 0, 0, ALL},
    [SB_L_CROSS_ATTN] = {"cross.core", true, SB_OP_ATTENTION,
     D_CROSS_ATTN, R_TOKENS, K_C, K_C, 0, 0, ALL},
    [SB_L_CROSS_PROJ] = {"cross.proj", true, SB_OP_LINEAR, D_LINEAR, R_TOKENS, K_C, K_C, 0, 0, UNF},
    [SB_L_CROSS_RES] = {"cross.residual", true, SB_OP_GATED_RESIDUAL,
     D_ROWS, R_TOKENS, K_C, K_C, 3, 0, UNF},
    [SB_L_CROSS_PROJ_RES] = {"cross.proj_residual", true, SB_OP_LINEAR,
     D_LINEAR, R_TOKENS, K_C, K_C, 1, 0, FUS},
    [SB_L_NORM2] = {"norm2", true, SB_OP_LN_MODULATE, D_ROWS, R_TOKENS, K_C, K_C, 2, 0, ALL},
    [SB_L_FC1] = {"mlp.fc1", true, SB_OP_LINEAR, D_LINEAR, R_TOKENS, K_C, K_MLP, 0, 0, UNF},
    [SB_L_GELU] = {"mlp.gelu", true, SB_OP_GELU_TANH, D_ROWS, R_TOKENS, K_MLP, K_MLP, 2, 0, UNF},
    [SB_L_FC1_GELU] = {"mlp.fc1_gelu", true, SB_OP_LINEAR,
     D_LINEAR, R_TOKENS, K_C, K_MLP, 0, 0, FUS},
    [SB_L_FC2] = {"mlp.fc2", true, SB_OP_LINEAR, D_LINEAR, R_TOKENS, K_MLP, K_C, 0, 0, UNF},
    [SB_L_MLP_RES] = {"mlp.residual", true, SB_OP_GATED_RESIDUAL,
     D_ROWS, R_TOKENS, K_C, K_C, 3, 0, UNF},
    [SB_L_FC2_RES] = {"mlp.fc2_residual", true, SB_OP_LINEAR,
     D_LINEAR, R_TOKENS, K_MLP, K_C, 1, 0, FUS},
    [SB_L_FINAL] = {"final", false, SB_OP_LINEAR, D_LINEAR, R_TOKENS, K_C, K_OUT, 0, 0, ALL},
};
_Static_assert(SB_ARRAY_LEN(defs) == SB_LAYER_COUNT, "one definition per layer id");
#undef ALL
#undef UNF
#undef FUS

static const char *const scope_names[] = {"", "spatial", "temporal"};

const char *sb_scope_name(sb_scope s) { return scope_names[s]; }

bool sb_layer_in_scope(sb_layer_id id, sb_scope scope)
{
    if (id >= SB_LAYER_COUNT)
        return false;
    if (!defs[id].block)
        return scope == SB_SCOPE_TOP;
    if (scope == SB_SCOPE_TOP)
        return false;
    /* RoPE: temporal blocks only */
    return (id != SB_L_ROPE && id != SB_L_QK_NORM_ROPE) || scope == SB_SCOPE_TEMPORAL;
}

/* A spatial block has no RoPE to fuse with: its q/k RMSNorm runs in every variant. */
static sb_fusion layer_fusion(sb_layer_id id, sb_scope scope)
{
    return id == SB_L_QK_NORM && scope != SB_SCOPE_TEMPORAL ? SB_FUSION_ALL : defs[id].fusion;
}

bool sb_layer_in_variant(const sb_layer *l, bool fused)
{
    return l->fusion == SB_FUSION_ALL || (l->fusion == SB_FUSION_FUSED) == fused;
}

const char *sb_fusion_name(sb_fusion f)
{
    static const char *const names[] = {[SB_FUSION_ALL] = "all", [SB_FUSION_UNFUSED] = "unfused",
                                        [SB_FUSION_FUSED] = "fused"};
    _Static_assert(SB_ARRAY_LEN(names) == SB_FUSION_COUNT, "one name per fusion");
    return f < SB_FUSION_COUNT ? names[f] : "?";
}

static long rows_value(const sb_shape *s, rows_of r)
{
    switch (r) {
    case R_TOKENS: return (long)s->B * s->N;
    case R_TEXT: return (long)s->B * s->model->text_len;
    case R_BATCH: return s->B;
    }
    return 0;
}

static long cols_value(const sb_shape *s, cols_of c)
{
    const sb_model *m = s->model;
    const long values[] = {
        [K_C] = s->C, [K_2C] = 2L * s->C, [K_3C] = 3L * s->C, [K_6C] = 6L * s->C,
        [K_MLP] = m->mlp_hidden, [K_PATCH] = (long)m->in_ch * m->patch_h * m->patch_w,
        [K_FREQ] = m->freq_dim, [K_CAPTION] = m->caption_ch,
        [K_OUT] = (long)m->patch_h * m->patch_w * m->out_ch,
    };
    return values[c];
}

void sb_layer_make(const sb_shape *s, sb_layer_id id, sb_scope scope, sb_layer *out)
{
    const layer_def *d = &defs[id];
    const double f4 = 4.0; /* bytes per FP32 element */
    memset(out, 0, sizeof(*out));
    out->id = id;
    out->scope = scope;
    out->op = d->op;
    out->fusion = layer_fusion(id, scope);
    if (scope == SB_SCOPE_TOP)
        snprintf(out->name, sizeof(out->name), "%s", d->name);
    else
        snprintf(out->name, sizeof(out->name), "%s.%s", sb_scope_name(scope), d->name);

    long m = rows_value(s, d->rows), k = cols_value(s, d->k), n = cols_value(s, d->n);
    double B = s->B, N = (double)s->N, C = s->C, L = s->L;
    switch (d->dims) {
    case D_LINEAR: {
        /* composite layers (timestep: t and fps embedders; caption: the MLP) */
        double lin = 2.0 * m * k * n, lin_bytes = f4 * (m * k + k * n + n + m * n);
        lin_bytes += f4 * d->streams * m * n; /* a fused residual read in the epilogue */
        if (id == SB_L_TIMESTEP) {
            /* two embedders, each freq->C then C->C (6.2) */
            lin = 2.0 * (2.0 * m * k * n + 2.0 * m * n * n);
            lin_bytes = 2.0 * f4 * (m * k + k * n + n * n + 2 * n + 2 * m * n);
        } else if (d->extra_linears) {
            lin += d->extra_linears * 2.0 * m * n * n;
            lin_bytes += d->extra_linears * f4 * (n * n + n + m * n);
        }
        out->m = m, out->n = n, out->k = k;
        out->flops = lin;
        out->bytes = lin_bytes;
        snprintf(out->shape, sizeof(out->shape), "%ldx%ld -> %ld", m, k, n);
        break;
    }
    case D_SELF_ATTN: {
        double n_tok = scope == SB_SCOPE_SPATIAL ? s->S : s->T;
        double seqs = B * N / n_tok;
        out->m = m, out->n = (long)C;
        out->flops = 4.0 * B * N * n_tok * C;          /* QK^T and PV over all heads */
        out->bytes = f4 * 4.0 * B * N * C;               /* q, k, v read, o written */
        snprintf(out->shape, sizeof(out->shape), "%.0f seq x %.0f tok, %d heads x %d",
                 seqs, n_tok, s->heads, s->D);
        break;
    }
    case D_CROSS_ATTN:
        out->m = m, out->n = (long)C;
        out->flops = 4.0 * B * N * L * C;
        out->bytes = f4 * (2.0 * B * N * C + 2.0 * B * L * C);
        snprintf(out->shape, sizeof(out->shape), "%d x (%ld q, %d kv), %d heads x %d", s->B,
                 s->N, s->L, s->heads, s->D);
        break;
    case D_ROWS:
        out->m = m, out->n = n;
        out->flops = 0.0;
        out->bytes = f4 * d->streams * (double)m * n;
        snprintf(out->shape, sizeof(out->shape), "%ldx%ld", m, n);
        break;
    }
    if (id == SB_L_FINAL) {
        /* + LN and modulate of the [B*N, C] input (read once; written once before the GEMM) */
        out->bytes += f4 * 2.0 * B * N * C;
    }
}

size_t sb_catalog_build(const sb_shape *s, sb_layer *out, size_t cap)
{
    static const struct {
        sb_scope scope;
        int first, last;
    } order[] = {
        {SB_SCOPE_TOP, SB_L_PATCH_EMBED, SB_L_CAPTION},
        {SB_SCOPE_SPATIAL, SB_L_ADALN, SB_L_FC2_RES},
        {SB_SCOPE_TEMPORAL, SB_L_ADALN, SB_L_FC2_RES},
        {SB_SCOPE_TOP, SB_L_FINAL, SB_L_FINAL},
    };
    size_t n = 0;
    for (size_t g = 0; g < SB_ARRAY_LEN(order); g++)
        for (int id = order[g].first; id <= order[g].last; id++) {
            if (!sb_layer_in_scope((sb_layer_id)id, order[g].scope))
                continue;
            if (n < cap)
                sb_layer_make(s, (sb_layer_id)id, order[g].scope, &out[n]);
            n++;
        }
    return n;
}

sb_status sb_layer_find(const sb_shape *s, const char *name, sb_layer *out)
{
    sb_layer all[2 * SB_LAYER_COUNT];
    size_t n = sb_catalog_build(s, all, SB_ARRAY_LEN(all));
    for (size_t i = 0; i < n; i++)
        if (strcmp(all[i].name, name) == 0) {
            *out = all[i];
            return SB_OK;
        }
    return SB_ENOTFOUND;
}

double sb_step_flops(const sb_shape *s)
{
    sb_layer all[2 * SB_LAYER_COUNT];
    size_t n = sb_catalog_build(s, all, SB_ARRAY_LEN(all));
    double total = 0.0;
    for (size_t i = 0; i < n; i++)
        if (sb_layer_in_variant(&all[i], false))
            total += all[i].flops * (all[i].scope == SB_SCOPE_TOP ? 1.0 : s->model->depth);
    return total;
}
