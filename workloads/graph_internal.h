/*
 * graph_internal.h - the graph's private data, shared by graph.c (building)
 * and exec.c (what each layer computes). Not part of the public interface.
 */
#ifndef SB_GRAPH_INTERNAL_H
#define SB_GRAPH_INTERNAL_H

#include "graph.h"

/* ==== buffers ==== */

typedef enum buf_id {
    B_Z, B_PATCH, B_POS, B_X, B_H, B_QKV, B_AO, B_P, B_CQ, B_KV, B_F, B_ADA, B_TMLP, B_TEMB,
    B_TSTEP, B_FPS, B_TFREQ, B_TH, B_TE2, B_YT, B_YH, B_Y, B_FMOD, B_OUT,
    B_ALONE,               /* layer graphs only: the output of, or a copy for, an in-place layer
                              (graph.c, alone_rule); as large as that layer's own output buffer */
    B_COUNT
} buf_id;

/* ==== weights ==== */

typedef struct lin {
    void *packed;          /* kernel-specific packed [n][k] weight; NULL = not built */
    float *bias;           /* [n] */
    size_t n, k;
} lin;

typedef struct block_w {
    float *table;          /* scale_shift_table [6C] */
    float *wq_norm, *wk_norm; /* [D] */
    lin qkv, proj, cq, ckv, cproj, fc1, fc2;
} block_w;

typedef struct top_w {
    lin patch, t1, t2, f1, f2, tblock, cap1, cap2, final;
    float *final_table;    /* [2C] */
} top_w;

/* ==== the graph ==== */

typedef struct gnode {
    sb_node pub;
    int wblk;              /* index into blocks[]; -1 at top level */
} gnode;

struct sb_graph {
    sb_graph_config cfg;
    sb_shape shape;
    const sb_kernel *kern[SB_OP_COUNT]; /* chosen per op for the variant */
    float *buf[B_COUNT];   /* NULL when unused */
    size_t buf_n[B_COUNT]; /* elements */
    bool alone_out;        /* a layer graph whose node writes B_ALONE (graph.c, ALONE_OUT) */
    long restore_every;    /* calls before sb_graph_restore is due (ALONE_RESTORE); 0: never */
    float *rope_cos, *rope_sin; /* [T][D/2] */
    float *scratch;        /* attention scratch */
    block_w *blocks;       /* [nblocks] */
    int nblocks;
    top_w top;
    gnode *nodes;
    size_t nnodes;
    double bytes;          /* allocated for buffers and weights */
    double planned;        /* bytes counted by the plan before allocating (plan_bytes) */
    bool dry;              /* planning: sb_lin_make and sb_vec_make count, allocate nothing */
};

typedef void (*exec_fn)(sb_graph *g, const gnode *n, sb_pool *pool);

/* graph.c: the buffer node n writes its result to (B_ALONE for a layer alone whose rule says so). */
float *sb_node_out(const sb_graph *g, const gnode *n);

/* exec.c: one function per layer id, and the weights each layer needs. */
extern const exec_fn sb_exec_table[];
sb_status sb_prepare_node(sb_graph *g, const gnode *n);

/* graph.c: create a packed linear (n out, k in) / a vector, once, seeded by (block, tensor);
   while g->dry, only add the bytes that would be allocated to g->bytes. */
sb_status sb_lin_make(sb_graph *g, lin *l, size_t n, size_t k, int wblk, int tensor);
float *sb_vec_make(sb_graph *g, float **slot, size_t n, int wblk, int tensor, float center,
                   float scale);

#endif
