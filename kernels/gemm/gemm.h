/*
 * gemm.h - the portable blocked GEMM framework behind the fast linear kernels.
 *
 * BLIS-style: per-ISA code is only a micro-kernel that computes one MR x NR
 * block of C (FP32) from packed panels of A and B; blocking, packing and
 * threading are here, shared by x86 and Arm, so hosts compare hardware, not
 * programs. A micro-kernel's descriptor says how its panels are packed:
 *
 *  - element: FP32, BF16 (round to nearest even) or int8, in groups of g
 *    consecutive k values (the group one instruction consumes: 2 for vdpbf16ps
 *    and BFDOT, 4 for BFMMLA, vpdpbusd and SDOT, 8 for SMMLA);
 *  - B (the weight, [n][k]) is packed once, outside the timed region, into
 *    NR-column panels [ceil(n/NR)][Kp/g][NR][g] (g = k values per group,
 *    Kp = k rounded up to g), zero-padded;
 *  - at run time each task (a block of MC rows x NC columns of C) packs its
 *    rows of A, KC columns at a time, into MR-row panels [kc/g][MR][g] in a
 *    per-thread buffer, then sweeps the micro-kernel over the block (a
 *    micro-kernel with a direct form reads FP32 A in place instead where a
 *    task has too few column panels to pay for packing: sb_gemm_direct_a). A tile
 *    of fewer than MR rows runs the descriptor's kernel for that many rows
 *    where it has one; other edge tiles go through an MR x NR scratch tile.
 *    After a tile's last KC block,
 *    while it is in L1, the framework dequantizes it (INT8), adds the bias
 *    and applies the layer's fused epilogue (GELU, gate + residual) with the
 *    descriptor's row code.
 *  - KC, MC and NC come from the cache sizes (sb_gemm_set_caches, from hwloc)
 *    and MR/NR, not from constants tuned for one machine; the blocks of one
 *    call are then made equal and as many as keep every worker busy
 *    (sb_gemm_plan_tasks).
 */
#ifndef SB_GEMM_H
#define SB_GEMM_H

#include <stddef.h>
#include <stdint.h>
#include "epilogue.h"
#include "kernel.h"

/* How a micro-kernel wants its operands packed. */
typedef enum sb_pack_kind {
    SB_PACK_F32,           /* 4-byte floats, groups of 1 */
    SB_PACK_BF16_PAIRS,    /* 2-byte bfloat16, groups of 2 consecutive k */
    SB_PACK_U8S8_QUADS,    /* INT8: A as u8 (q + 128), B as s8, groups of 4 k (vpdpbusd) */
    SB_PACK_S16_PAIRS,     /* INT8 widened: A and B as s16, groups of 2 k (vpmaddwd) */
    SB_PACK_BF16_QUADS,    /* bfloat16, groups of 4 k: 2 rows x 4 k = one 2x4 BFMMLA operand */
    SB_PACK_S8S8_QUADS,    /* INT8: A and B as s8, groups of 4 k (SDOT) */
    SB_PACK_S8S8_OCTETS,   /* INT8: A and B as s8, groups of 8 k: 2 rows x 8 k = one SMMLA operand */
    SB_PACK_COUNT
} sb_pack_kind;

/*
 * INT8 kinds: the weight is quantized symmetrically per output channel
 * (scale = max|w| / 127) when packed; activations per row (token) when the
 * layer runs, as part of its timed work. The micro-kernel accumulates exact
 * int32 sums of one KC block (no overflow: |sum| <= 255 * 127 * KC < 2^31) and
 * adds them to the FP32 C, which rounds only once |C| passes 2^24 (relative
 * 2^-24, like an FP32 kernel's accumulation); the tile epilogue dequantizes:
 *   y = sx[row] * sw[col] * (C - 128 * sum_k wq[col]) (u8 kind) + bias.
 */
static inline int sb_pack_is_int8(sb_pack_kind k)
{
    return k == SB_PACK_U8S8_QUADS || k == SB_PACK_S16_PAIRS || k == SB_PACK_S8S8_QUADS ||
           k == SB_PACK_S8S8_OCTETS;
}

/*
 * Symmetric int8 quantization of n values: q = round(x / s), s = max|x| / 127 (1 if all 0;
 * sb_quant_scale says when else),
 * rounding half to even; NaN is left out of the max and quantizes to -127. The definition
 * (portable C); each ISA's sb_epi_ops.quantize computes the same bits.
 */
float sb_quantize_s8(const float *x, size_t n, int8_t *q);

/*
 * The same with the range +-qmax (1 <= qmax <= 127) instead of +-127: s = max|x| / qmax.
 * For a library whose int8 products on some hosts pass through saturating 16-bit sums
 * (oneDNN without VNNI: onednn.c), which takes 7-bit weights (qmax 63).
 */
float sb_quantize_sym(const float *x, size_t n, int qmax, int8_t *q);

/*
 * max(mb, the largest |x[i]| of n values) as bit patterns with the sign cleared (ordered as
 * the values are; NaN left out). Signed compares, which SSE2 has, and a select and a max with
 * no branch, so it vectorises at the baseline ISA; the vector quantizers' scalar tails too.
 */
static inline int32_t sb_quant_max_bits(const float *x, size_t n, int32_t mb)
{
    for (size_t i = 0; i < n; i++) {
        int32_t u;
        __builtin_memcpy(&u, x + i, sizeof(u));
        u &= 0x7fffffff;
        u = u <= 0x7f800000 ? u : 0; /* NaN bit patterns are above inf's */
        mb = u > mb ? u : mb;
    }
    return mb;
}

/*
 * The scale of sb_quantize_s8 from max|x| given as its bit pattern; *inv = 1 / scale. A row
 * whose max|x| is at most 2^-64 (zero, or so small that 1 / scale would overflow) gets scale 1,
 * so all its values quantize to 0.
 */
static inline float sb_quant_scale_q(int32_t max_bits, int qmax, float *inv)
{
    float mx;
    __builtin_memcpy(&mx, &max_bits, sizeof(mx));
    float s = mx > 0x1p-64f ? mx / (float)qmax : 1.0f;
    *inv = 1.0f / s;
    return s;
}
static inline float sb_quant_scale(int32_t max_bits, float *inv)
{
    return sb_quant_scale_q(max_bits, 127, inv);
}

/*
 * One value of sb_quantize_sym: round(x * inv) to nearest even by adding and subtracting
 * 1.5 * 2^23 (exact for |v| < 2^22; here |v| <= qmax), clamped to +-qmax; NaN gives -qmax.
 */
static inline int8_t sb_quant_sq_1(float x, float inv, int qmax)
{
    const float magic = 12582912.0f; /* 1.5 * 2^23 */
    float p = x * inv; /* its own statement: never contracted into an FMA with magic */
    float v = (p + magic) - magic, lim = (float)qmax;
    v = v >= -lim ? v : -lim; /* NaN compares false: -qmax */
    v = v <= lim ? v : lim;
    return (int8_t)(int)v;
}
/* One value of sb_quantize_s8. */
static inline int8_t sb_quant_s8_1(float x, float inv) { return sb_quant_sq_1(x, inv, 127); }

/*
 * Memory a micro-kernel may ask for, into L2, while it runs: `lines` 64-byte lines from p, one
 * before every `every` steps of its k loop (every >= 1; steps of a k group, as the kernel
 * loops), for a later call. The framework names a share of the B panel that its next column
 * of tiles reads (sb_gemm_pf_slice): that panel comes from L3 or memory, and a tile that waited
 * for it took twice as long as the tiles after it. A kernel that does not prefetch ignores it.
 */
typedef struct sb_ukr_pf {
    const char *p;
    size_t lines, every;
} sb_ukr_pf;

/*
 * C[MR][NR] (row stride ldc, FP32) = A * B if first, else C += A * B, over kc
 * values of k (a multiple of the group size); a and b point at packed panels.
 * pf: NULL or lines to prefetch (sb_ukr_pf).
 */
typedef void (*sb_ukr)(size_t kc, const void *a, const void *b, float *c, size_t ldc, int first,
                       const sb_ukr_pf *pf);
/*
 * The same with A read in place, not packed: rows i of a at a + i * lda (FP32, lda elements),
 * k values a[i * lda + 0 .. kc) (kc need not be a multiple of anything).
 */
typedef void (*sb_ukr_direct)(size_t kc, const float *a, size_t lda, const void *b, float *c,
                              size_t ldc, int first, const sb_ukr_pf *pf);

typedef struct sb_ukr_desc {
    const char *name;      /* "avx512 12x32 f32" */
    int mr, nr;            /* block of C the micro-kernel computes */
    sb_pack_kind pack;
    sb_ukr fn;
    const sb_epi_ops *epi; /* the ISA's fused-epilogue row code; NULL = portable */
    /*
     * Optional: packs one panel of A as sb_pack_a would, with the ISA's vector code
     * (NULL: sb_pack_a). x: the layer's FP32 activations, or for the INT8 packings the
     * quantized int8 rows; rows <= mr of it, row stride ldx elements, from its first
     * column; kc values, padded to kcp and in rows beyond rows as sb_pack_a pads.
     */
    void (*pack_a)(const void *x, size_t ldx, size_t rows, size_t kc, size_t kcp, void *dst);
    /*
     * Optional: rows[r] (0 < r <= mr) computes only the first r rows of the block, from the
     * same packed panels (NULL: fn on all mr rows, through a scratch tile). The framework
     * calls it for a block of fewer than mr rows: a batch of 2 tokens (t_block) or the last
     * rows of a layer, where fn would compute mr rows to keep r.
     */
    const sb_ukr *rows;
    /*
     * Optional, FP32 packing only: direct[r] (0 < r <= mr) computes the first r rows of the
     * block as rows[r] does, reading A in place (NULL: A is always packed).
     */
    const sb_ukr_direct *direct;
    /*
     * Optional, INT8 packings only: the largest |q| of the quantized weights (sb_quantize_sym's
     * qmax; 0: 127). A micro-kernel whose 16-bit pair sums would saturate with 8-bit weights
     * (vpmaddubsw on u8 activations) asks for 63.
     */
    int wmax;
} sb_ukr_desc;

/* The row code a micro-kernel's tiles use: its own, or the portable ops if it names none. */
static inline const sb_epi_ops *sb_ukr_ops(const sb_ukr_desc *d)
{
    return d->epi ? d->epi : &sb_epi_portable;
}
/* L2 and L3 sizes in bytes used for blocking (0 keeps the current value). */
void sb_gemm_set_caches(size_t l2, size_t l3);
/* (sb_cache_bypass, kernel.h, reads the L3 size set here.) */

/* Pack w [n][k] for desc's micro-kernel; free with sb_gemm_free. */
sb_status sb_gemm_pack(const sb_ukr_desc *desc, const float *w, size_t n, size_t k, void **packed);
void sb_gemm_free(void *packed);

/* The linear layer over a packed weight (any micro-kernel): y = epi(x W^T + b). */
void sb_gemm_linear(const sb_linear_args *a, sb_pool *pool);

/* Bytes of B [n][k] packed for d's micro-kernel (what sb_gemm_pack allocates). */
size_t sb_gemm_packed_bytes(const sb_ukr_desc *d, size_t n, size_t k);

/*
 * y[m][n] (row stride ldy) = x[m][k] (row stride ldx) times B^T, for B [n][k] given by
 * element strides, B[i][j] = b[i * bs_n + j * bs_k] (a transposed operand is just other
 * strides), no bias: for operands that change on every call (attention's K and V). B is
 * packed on the calling thread into buf (sb_gemm_packed_bytes(d, n, k) bytes, 64-byte
 * aligned), then the GEMM runs on pool (NULL: on the calling thread). FP32 and BF16
 * micro-kernels; SB_EINVAL for the INT8 ones.
 */
sb_status sb_gemm_strided(const sb_ukr_desc *d, const float *x, size_t ldx, const float *b,
                          size_t bs_n, size_t bs_k, size_t m, size_t n, size_t k, float *y,
                          size_t ldy, void *buf, sb_pool *pool);

/*
 * Unfused attention (matmul, softmax, matmul) with micro-kernel d, whose sb_epi_ops gives
 * the softmax row (attention_gemm.c): the baseline of the flash kernels, scores
 * materialised per (sequence, head).
 */
void sb_attention_unfused(const sb_ukr_desc *d, const sb_attn_args *a, sb_pool *pool);
/* Blocking chosen for a micro-kernel on k input channels at the current cache sizes (gemm.c says how). */
void sb_gemm_blocking(const sb_ukr_desc *desc, size_t k, size_t *kc, size_t *mc, size_t *nc);

/*
 * How a column's `tiles` tiles share the prefetch of the next column's B panel (`bytes` long)
 * while each runs `steps` k steps (k groups): lines in all, per tile, k steps between two.
 * Computed once per KC block, so a tile's share costs no division (a tile of K = 16 takes
 * about 220 cycles).
 */
typedef struct sb_gemm_pf_plan {
    size_t lines, per, every;
} sb_gemm_pf_plan;
sb_gemm_pf_plan sb_gemm_pf_plan_make(size_t bytes, size_t tiles, size_t steps);

/*
 * What the t-th tile of a column may prefetch (sb_ukr_pf): its share of the next column's panel,
 * which starts at next (NULL: the task's last column; nothing). The shares are contiguous, in
 * order, one per tile until the panel's lines run out, and cover it once. Each tile then reads
 * its own column's panel from L2, where the previous column's tiles put it; without this the
 * column's first tile waited for it from L3 or memory: 3600x4608->1152, AVX2, 1 thread (KC
 * 1536, MC 84), the first tile took 2.2x the time of the others, 8% of the layer
 * (docs/performance.md).
 */
sb_ukr_pf sb_gemm_pf_slice(const sb_gemm_pf_plan *plan, const char *next, size_t t);

/* How sb_gemm_linear cuts one call into tasks (sb_gemm_plan_tasks). */
typedef struct sb_gemm_plan {
    size_t kc, mc, nc;               /* block sizes, elements: MC a multiple of MR, NC of NR */
    size_t row_blocks, col_blocks;   /* tasks = row_blocks x col_blocks MC x NC blocks of C */
} sb_gemm_plan;

/*
 * The tasks of an m x n x k GEMM on workers threads: KC as sb_gemm_blocking gives it, MC and
 * NC at most its bounds, cut into blocks of equal whole numbers of MR x NR tiles (the last
 * block may be shorter) so that the busiest worker has the fewest tiles to compute (gemm.c
 * says how ties and A's packing count). workers 0 counts as 1.
 */
void sb_gemm_plan_tasks(const sb_ukr_desc *d, size_t m, size_t n, size_t k, size_t workers,
                        sb_gemm_plan *out);

/*
 * Whether sb_gemm_linear, cutting a call as plan says, reads A (row stride lda elements) in
 * place with d->direct rather than packing it: only where d has direct kernels (FP32), the
 * packed block would feed few column panels, and the stride does not put the rows in one L1
 * set (gemm.c gives the measurements).
 */
bool sb_gemm_direct_a(const sb_ukr_desc *d, const sb_gemm_plan *plan, size_t lda);

/*
 * Lay w [n][k] out as FP32 panels of nr output columns, out[ceil(n/nr)][k][nr],
 * zero-padding the last panel (out holds ceil(n/nr) * k * nr floats).
 */
void sb_pack_panels(const float *w, size_t n, size_t k, size_t nr, float *out);

/* Bytes and k-group size of a packed element kind. */
size_t sb_pack_bytes(sb_pack_kind k);
size_t sb_pack_group(sb_pack_kind k);

/*
 * Pack a [n][k] matrix (float, or int8 for the INT8 kinds) into NR-column
 * panels [ceil(n/nr)][kp/g][nr][g] of kind's element, zero-padded.
 */
void sb_pack_b(sb_pack_kind kind, const void *src, size_t n, size_t k, size_t kp, size_t nr,
               void *out);
/* The same from element strides: B[i][j] = src[i * bs_n + j * bs_k]. */
void sb_pack_b_strided(sb_pack_kind kind, const void *src, size_t bs_n, size_t bs_k, size_t n,
                       size_t k, size_t kp, size_t nr, void *out);

/*
 * Pack rows [0, rows) (of mr-row panels; rows beyond are zero) x columns
 * [k0, k0 + kc) of src (float rows, or int8 rows for the INT8 kinds; row
 * stride lds elements) into panels [kcp/g][mr][g] of kind's element. The BF16
 * kinds convert with ops->to_bf16.
 */
void sb_pack_a(sb_pack_kind kind, const void *src, size_t lds, size_t rows, size_t k0, size_t kc,
               size_t kcp, size_t mr, const sb_epi_ops *ops, void *out);

/* FP32 -> bfloat16 bits, round to nearest even (NaN stays NaN). */
static inline uint16_t sb_f32_to_bf16(float f)
{
    uint32_t u;
    __builtin_memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u)
        return (uint16_t)((u >> 16) | 0x40);
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

static inline float sb_bf16_to_f32(uint16_t h)
{
    uint32_t u = (uint32_t)h << 16;
    float f;
    __builtin_memcpy(&f, &u, 4);
    return f;
}

#endif
