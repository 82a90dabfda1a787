/*
 * epilogue.c - the portable linear epilogues (see epilogue.h): scalar row
 * functions and the loops that apply an ISA's row functions to a block of y.
 */
#include "epilogue.h"
#include "gemm/gemm.h"

static void bias_row(float *y, const float *bias, size_t n)
{
    for (size_t j = 0; j < n; j++)
        y[j] += bias[j];
}

static void gelu_row(float *y, const float *bias, size_t n)
{
    for (size_t j = 0; j < n; j++)
        y[j] = sb_gelu_tanh1(y[j] + (bias ? bias[j] : 0.0f));
}

static void gres_row(float *y, const float *bias, const float *gate, const float *res, size_t n)
{
    for (size_t j = 0; j < n; j++) {
        float h = y[j] + (bias ? bias[j] : 0.0f);
        y[j] = res[j] + (gate ? gate[j] * h : h);
    }
}

static void dequant_row(float *restrict y, float sx, const float *restrict sw,
                        const float *restrict comp, const float *restrict bias, size_t n)
{
    for (size_t j = 0; j < n; j++)
        y[j] = sx * sw[j] * (y[j] - comp[j]) + (bias ? bias[j] : 0.0f);
}

static void to_bf16_row(const float *x, size_t n, uint16_t *y)
{
    for (size_t j = 0; j < n; j++)
        y[j] = sb_f32_to_bf16(x[j]);
}

static void softmax_row(float *x, size_t n, float scale)
{
    float m = -INFINITY;
    for (size_t j = 0; j < n; j++) {
        x[j] *= scale;
        m = x[j] > m ? x[j] : m;
    }
    double sum = 0.0;
    for (size_t j = 0; j < n; j++) {
        x[j] = expf(x[j] - m);
        sum += x[j];
    }
    float inv = (float)(1.0 / sum);
    for (size_t j = 0; j < n; j++)
        x[j] *= inv;
}

const sb_epi_ops sb_epi_portable = {.bias = bias_row, .gelu = gelu_row, .gres = gres_row,
                                    .dequant = dequant_row, .quantize = sb_quantize_s8,
                                    .to_bf16 = to_bf16_row, .softmax = softmax_row};

void sb_linear_epilogue(const sb_linear_args *a, const sb_epi_ops *ops, size_t r0, size_t r1,
                        size_t c0, size_t c1, int add_bias)
{
    const float *bias = add_bias && a->bias ? a->bias + c0 : NULL;
    size_t n = c1 - c0;
    if (!ops)
        ops = &sb_epi_portable;
    for (size_t r = r0; r < r1; r++) {
        float *y = a->y + r * a->ldy + c0;
        switch (a->epi) {
        case SB_EPI_GELU:
            ops->gelu(y, bias, n);
            break;
        case SB_EPI_GATED_RES:
            ops->gres(y, bias, a->gate ? a->gate + (r / a->group_rows) * a->ldg + c0 : NULL,
                      a->res + r * a->ldres + c0, n);
            break;
        default: /* SB_EPI_NONE */
            if (bias)
                ops->bias(y, bias, n);
            break;
        }
    }
}

enum { EPI_ROWS = 16 }; /* rows per task */

static void epi_task(void *ctx, size_t t, int worker)
{
    const sb_linear_args *a = ctx;
    size_t r1 = (t + 1) * EPI_ROWS < a->m ? (t + 1) * EPI_ROWS : a->m;
    (void)worker;
    sb_linear_epilogue(a, NULL, t * EPI_ROWS, r1, 0, a->n, 0);
}

void sb_linear_epilogue_all(const sb_linear_args *a, sb_pool *pool)
{
    if (a->epi != SB_EPI_NONE)
        sb_pool_run(pool, epi_task, (void *)a, (a->m + EPI_ROWS - 1) / EPI_ROWS);
}
