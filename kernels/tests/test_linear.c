/*
 * test_linear.c KERNEL - one registered linear kernel against the reference,
 * on shapes with tails of every block size (M, N, K not multiples of MR, NR,
 * KC or MC; single rows and columns; last blocks of every row count from 1
 * to 7, which run the row-count kernels; K larger than one KC block), with and
 * without bias, on 1 and 2 threads. An FP32 kernel that can read A in place
 * (gemm.h's sb_gemm_direct_a) does so on the shapes of few columns and packs
 * on the others, and on 29 x 1024 -> 40, whose rows are 4 KiB apart.
 * Quantized kernels (BF16, INT8) are checked
 * against the exact result of their rounded / quantized inputs (an INT8 kernel's weights in
 * the range its int8_wmax gives). Exits 77 (skipped) when this host cannot
 * execute the kernel, so "cannot run here" is never counted as passed.
 * Tolerance: |y - ref| <= 1e-5 * (sum_k |x w| + |b|), ref in double; for a BF16
 * kernel the reference uses the bf16-rounded x and w (products of bfloat16
 * values are exact in FP32, so only the FP32 accumulation differs).
 * Fused epilogues (sb_epilogue): GELU-tanh and gate + residual, with the gate
 * broadcast over groups of rows, checked on every shape against the same
 * reference value carried through the epilogue in double; the tolerance adds
 * 2e-7 * (1 + |ref|) for the vector GELU's exp.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel_test.h"
#include "gemm/gemm.h"
#include "graph.h"
#include "kernel.h"

enum { GROUP = 4 }; /* rows per gate row */

static const char *const epi_names[] = {"none", "gelu", "gate+res"};

/* The epilogue on the exact value s of row i, column j (double); *scale: its slope bound. */
static double epi_ref(sb_epilogue epi, double s, const float *res, const float *gate, size_t i,
                      size_t j, size_t n, double *scale)
{
    *scale = 1.0;
    if (epi == SB_EPI_GELU) {
        *scale = 1.2; /* |gelu'| < 1.13 */
        return 0.5 * s * (1.0 + tanh(0.7978845608028654 * (s + 0.044715 * s * s * s)));
    }
    if (epi == SB_EPI_GATED_RES) {
        double g = gate[(i / GROUP) * n + j];
        *scale = fabs(g);
        return res[i * n + j] + g * s;
    }
    return s;
}

static int check(const sb_kernel *kern, sb_pool *pool, size_t m, size_t n, size_t k, int bias,
                 sb_epilogue epi)
{
    float *x = malloc(m * k * 4), *w = malloc(n * k * 4), *b = malloc(n * 4), *y = malloc(m * n * 4);
    float *res = malloc(m * n * 4), *gate = malloc(((m + GROUP - 1) / GROUP) * n * 4);
    void *p = NULL;
    int bad = 0;
    double worst = 0;
    sb_fill_uniform(x, m * k, 3, 1, 1.0f);
    sb_fill_uniform(w, n * k, 3, 2, 1.0f);
    sb_fill_uniform(b, n, 3, 3, 1.0f);
    sb_fill_uniform(res, m * n, 3, 4, 2.0f);
    sb_fill_uniform(gate, ((m + GROUP - 1) / GROUP) * n, 3, 5, 1.5f);
    for (size_t i = 0; i < m * n; i++)
        y[i] = NAN; /* every output must be written */
    /* a BF16 kernel is checked against the exact result of its bf16-rounded inputs,
       an INT8 kernel against that of its dequantized inputs (x per row, w per channel) */
    float *xr = malloc(m * k * 4), *wr = malloc(n * k * 4);
    int8_t *q = malloc(k);
    for (size_t i = 0; i < m * k; i++)
        xr[i] = kern->dtype == SB_DT_BF16 ? sb_bf16_to_f32(sb_f32_to_bf16(x[i])) : x[i];
    for (size_t i = 0; i < n * k; i++)
        wr[i] = kern->dtype == SB_DT_BF16 ? sb_bf16_to_f32(sb_f32_to_bf16(w[i])) : w[i];
    if (kern->dtype == SB_DT_INT8) {
        for (size_t i = 0; i < m; i++) {
            float s = sb_quantize_s8(x + i * k, k, q);
            for (size_t j = 0; j < k; j++)
                xr[i * k + j] = s * q[j];
        }
        int wmax = kern->int8_wmax ? kern->int8_wmax() : 127;
        for (size_t i = 0; i < n; i++) {
            float s = sb_quantize_sym(w + i * k, k, wmax, q);
            for (size_t j = 0; j < k; j++)
                wr[i * k + j] = s * q[j];
        }
    }
    free(q);
    if (kern->pack(w, n, k, &p) != SB_OK) {
        fprintf(stderr, "%s: pack failed\n", kern->name);
        return 1;
    }
    sb_linear_args a = {.x = x, .ldx = k, .w = p, .bias = bias ? b : NULL, .y = y, .ldy = n,
                        .m = m, .n = n, .k = k, .epi = epi, .res = res, .ldres = n,
                        .gate = gate, .ldg = n, .group_rows = GROUP};
    kern->fn.linear(&a, pool);
    for (size_t i = 0; i < m && !bad; i++)
        for (size_t j = 0; j < n; j++) {
            double s = bias ? b[j] : 0, mag = bias ? fabs(b[j]) : 0;
            for (size_t q = 0; q < k; q++) {
                s += (double)xr[i * k + q] * wr[j * k + q];
                mag += fabs((double)xr[i * k + q] * wr[j * k + q]);
            }
            double slope, ref = epi_ref(epi, s, res, gate, i, j, n, &slope);
            double err = fabs(y[i * n + j] - ref), tol = 1e-5 * slope * mag;
            if (epi != SB_EPI_NONE)
                tol += 2e-7 * (1.0 + fabs(ref));
            worst = err / (mag + 1e-30) > worst ? err / (mag + 1e-30) : worst;
            if (!(err <= tol + 1e-30)) {
                fprintf(stderr, "%s %zux%zux%zu bias=%d epi=%s: y[%zu][%zu] = %.9g, reference %.9g\n",
                        kern->name, m, k, n, bias, epi_names[epi], i, j, y[i * n + j], ref);
                bad = 1;
                break;
            }
        }
    printf("%-20s m=%-5zu k=%-5zu n=%-5zu bias=%d epi=%-8s threads=%d  max error / sum|xw| = "
           "%.2e  %s\n", kern->name, m, k, n, bias, epi_names[epi], sb_pool_threads(pool), worst,
           bad ? "FAIL" : "ok");
    kern->packed_free(p);
    free(x), free(w), free(b), free(y), free(xr), free(wr), free(res), free(gate);
    return bad;
}

int main(int argc, char **argv)
{
    const sb_kernel *kern;
    sb_pool *pool2 = NULL;
    int fails = 0, rc = sb_kernel_test_setup(argc, argv, SB_OP_LINEAR, &kern, &pool2);
    const size_t shapes[][3] = {{1, 1, 1}, {1, 33, 7}, {5, 17, 3}, {13, 35, 29},
                                {37, 53, 19}, {64, 1152, 64}, {97, 700, 129}, {2, 1152, 6912},
                                {300, 129, 1100}, {29, 1024, 40}, {3, 70, 9}, {6, 23, 50},
                                {7, 40, 19}};
    if (rc >= 0)
        return rc;
    for (size_t i = 0; i < SB_ARRAY_LEN(shapes); i++) {
        fails += check(kern, NULL, shapes[i][0], shapes[i][2], shapes[i][1], 1, SB_EPI_NONE);
        fails += check(kern, pool2, shapes[i][0], shapes[i][2], shapes[i][1], (int)(i % 2),
                       SB_EPI_NONE);
        /* the fused epilogues, each on every shape (tails of every tile edge) */
        fails += check(kern, pool2, shapes[i][0], shapes[i][2], shapes[i][1], 1, SB_EPI_GELU);
        fails += check(kern, NULL, shapes[i][0], shapes[i][2], shapes[i][1], (int)(i % 2),
                       SB_EPI_GATED_RES);
    }
    sb_pool_destroy(pool2);
    return fails ? 1 : 0;
}
