/*
 * graph.h - executable workloads: a static list of layer nodes over shared
 * activation buffers, with seeded synthetic weights.
 *
 *   layer : one node (one catalog layer, run in isolation on seeded inputs)
 *   block : one spatial then one temporal block, in forward order, data
 *           flowing from each node into the next
 *   step  : patch embed, embedders, depth x (spatial + temporal), final layer
 *
 * Creating a graph allocates and pre-faults every buffer it touches, generates
 * and packs the weights (nothing of that is timed); running a node only calls
 * kernels. Weights and inputs are a pure function of (seed, tensor): the same
 * seed gives the same bytes on every host. Knows nothing of timing or storage.
 */
#ifndef SB_GRAPH_H
#define SB_GRAPH_H

#include <stdint.h>
#include "catalog.h"

typedef enum sb_workload_kind { SB_WL_LAYER, SB_WL_BLOCK, SB_WL_STEP, SB_WL_COUNT } sb_workload_kind;

const char *sb_workload_name(sb_workload_kind k);
sb_status sb_workload_find(const char *name, sb_workload_kind *out);

typedef struct sb_graph sb_graph;

/* One node of a graph. */
typedef struct sb_node {
    sb_layer layer;          /* what it computes, with shapes/FLOPs/bytes */
    int block;               /* 0-based block pair index; -1 at top level */
    const sb_kernel *kernel; /* kernel of the layer's main op */
} sb_node;

typedef struct sb_graph_config {
    const sb_shape *shape;
    sb_workload_kind kind;
    const sb_layer *layer;   /* the layer for SB_WL_LAYER, else NULL */
    const sb_variant *variant;
    sb_isa_mask isa;         /* host features kernels may use */
    uint64_t seed;           /* weights and inputs */
    int max_threads;         /* largest pool the graph will run on (scratch) */
    const sb_kernel *force;  /* run this kernel for its op instead of the registry's
                                choice (a provider, or another ISA); NULL: choose */
} sb_graph_config;

/*
 * Build a graph. Before allocating anything, the bytes it will allocate are
 * counted; more than 90% of the memory the kernel says is available
 * (MemAvailable, which counts what this process already holds; physical memory
 * where it is unknown) is refused with SB_ENOMEM and the sizes in err. On any
 * failure err says what. Bytes allocated for activations and weights (weights
 * counted as n x k FP32, whatever the kernel packs) are reported by sb_graph_bytes.
 */
sb_status sb_graph_create(sb_graph **out, const sb_graph_config *cfg, char *err, size_t errlen);
void sb_graph_destroy(sb_graph *g);

size_t sb_graph_nodes(const sb_graph *g);
const sb_node *sb_graph_node(const sb_graph *g, size_t i);
double sb_graph_bytes(const sb_graph *g);

/* Run node i on the pool (the pool may have up to max_threads workers). */
void sb_graph_run_node(sb_graph *g, size_t i, sb_pool *pool);

/*
 * A layer graph repeats its layer on the same buffers. A layer whose kernels work in place and
 * compound (q/k RMSNorm: its weights multiply each channel once per call, so channels with the
 * smaller weights reach the subnormal range after some 250 calls) has its buffer put back by
 * sb_graph_restore, outside the timed region, at least every sb_graph_restore_every calls
 * (SB_GRAPH_RESTORE_EVERY; 0 for graphs that never need it). Layers that can write elsewhere
 * (GELU) do so when alone, and need nothing.
 */
#define SB_GRAPH_RESTORE_EVERY 32
long sb_graph_restore_every(const sb_graph *g);
void sb_graph_restore(sb_graph *g);

/* The final output of the graph's last node (for checks): pointer and count. */
const float *sb_graph_output(const sb_graph *g, size_t *count);

/* Deterministic uniform fill in [-scale, scale): a pure function of (seed, stream, i). */
void sb_fill_uniform(float *p, size_t n, uint64_t seed, uint64_t stream, float scale);

#endif
