/*
 * epilogue.h - the linear layer's fused epilogues (sb_epilogue): per-ISA
 * vector row functions and the portable code that applies them.
 *
 * An ISA gives one sb_epi_ops (its vector code for one row segment); the GEMM
 * framework calls it on each row of a tile of C after the tile's last KC
 * block, while the tile is in L1. The portable ops (scalar C, built for the
 * baseline CPU) serve the reference kernels, the providers and any
 * micro-kernel without its own. GELU is the tanh form of the reference
 * elementwise kernel, so a fused layer computes what the unfused pair does.
 */
#ifndef SB_EPILOGUE_H
#define SB_EPILOGUE_H

#include <math.h>
#include "kernel.h"

/*
 * Vector code for one row segment of n values (bias, gate may be NULL). Every table fills
 * every field (test_ref checks the host's), so callers need no per-field fallback.
 */
typedef struct sb_epi_ops {
    /* y[j] += bias[j] (an unfused layer's bias) */
    void (*bias)(float *y, const float *bias, size_t n);
    /* y[j] = gelu_tanh(y[j] + bias[j]) */
    void (*gelu)(float *y, const float *bias, size_t n);
    /* y[j] = res[j] + gate[j] * (y[j] + bias[j]) */
    void (*gres)(float *y, const float *bias, const float *gate, const float *res, size_t n);
    /* INT8 dequantization: y[j] = sx * sw[j] * (y[j] - comp[j]) + bias[j] */
    void (*dequant)(float *y, float sx, const float *sw, const float *comp, const float *bias,
                    size_t n);
    /*
     * The INT8 prologue, one activation row: sb_quantize_s8 (gemm.h), the same bits. A scalar
     * max loop in it once cost 14% of an INT8 fc2 (K = 4608).
     */
    float (*quantize)(const float *x, size_t n, int8_t *q);
    /* BF16 packing of A, one row segment: y[j] = sb_f32_to_bf16(x[j]) (gemm.h), the same bits */
    void (*to_bf16)(const float *x, size_t n, uint16_t *y);
    /*
     * A row of attention scores in place (unfused attention), n >= 1:
     * x[j] = exp(scale x[j] - m) / sum_i exp(scale x[i] - m), m = max_i scale x[i].
     * The vector forms use the kernels' exp (vecmath.h) and FP32 sums; test_ref bounds
     * their difference from the portable form (libm expf, double sum).
     */
    void (*softmax)(float *x, size_t n, float scale);
} sb_epi_ops;

/* Scalar C, for the reference kernels and for micro-kernels that bring none. */
extern const sb_epi_ops sb_epi_portable;

/*
 * The best row code whose CPU features are all in host_isa (registry.c; the portable
 * ops at worst): for code that is not tied to one micro-kernel, such as the providers'
 * INT8 quantization.
 */
const sb_epi_ops *sb_epi_find(sb_isa_mask host_isa);

/* gelu_tanh(v) = 0.5 v (1 + tanh(sqrt(2/pi) (v + 0.044715 v^3))), as the reference computes it. */
static inline float sb_gelu_tanh1(float v)
{
    return 0.5f * v * (1.0f + tanhf(0.7978845608028654f * (v + 0.044715f * v * v * v)));
}

/*
 * Finish y[r0, r1) x [c0, c1) of a linear layer: add the bias if add_bias
 * (else it is already in y), then apply a->epi through ops (NULL = portable).
 */
void sb_linear_epilogue(const sb_linear_args *a, const sb_epi_ops *ops, size_t r0, size_t r1,
                        size_t c0, size_t c1, int add_bias);

/*
 * The same over all of y (bias already in y), rows split over the pool: for
 * kernels whose GEMM is a black box (the providers). Does nothing for SB_EPI_NONE.
 */
void sb_linear_epilogue_all(const sb_linear_args *a, sb_pool *pool);

#endif
