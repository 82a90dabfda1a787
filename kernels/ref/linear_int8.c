/*
 * linear_int8.c - reference INT8 linear layer: weights quantized symmetrically
 * per output channel when packed, each activation row (token) quantized at
 * run time with the same quantizer, exact integer dot products, then
 *   y[m][n] = sx[m] * sw[n] * sum_k xq[m][k] wq[n][k] + bias[n].
 * Rows are split over the pool; each task quantizes its own rows.
 */
#include <stdlib.h>
#include "epilogue.h"
#include "gemm/gemm.h"
#include "ref.h"
#include "scratch.h"

typedef struct int8_w {
    size_t n, k;
    int8_t *q;             /* [n][k] */
    float *sw;             /* [n] per-channel scales */
} int8_w;

sb_status sb_linear_ref_int8_pack(const float *w, size_t n, size_t k, void **packed)
{
    int8_w *p = calloc(1, sizeof(*p));
    if (!p || !(p->q = malloc(n * k)) || !(p->sw = malloc(n * sizeof(float)))) {
        sb_linear_ref_int8_free(p);
        return SB_ENOMEM;
    }
    p->n = n;
    p->k = k;
    for (size_t i = 0; i < n; i++)
        p->sw[i] = sb_quantize_s8(w + i * k, k, p->q + i * k);
    *packed = p;
    return SB_OK;
}

void sb_linear_ref_int8_free(void *packed)
{
    int8_w *p = packed;
    if (p) {
        free(p->q);
        free(p->sw);
    }
    free(p);
}

static void rows_int8(const void *args, size_t r0, size_t r1)
{
    const sb_linear_args *a = args;
    const int8_w *p = a->w;
    int8_t *xq = sb_thread_scratch(SB_SCRATCH_TASK, a->k);
    for (size_t r = r0; r < r1; r++) {
        float sx = sb_quantize_s8(a->x + r * a->ldx, a->k, xq);
        for (size_t j = 0; j < a->n; j++) {
            const int8_t *wq = p->q + j * a->k;
            long dot = 0;
            for (size_t kk = 0; kk < a->k; kk++)
                dot += (long)xq[kk] * wq[kk];
            a->y[r * a->ldy + j] = sx * p->sw[j] * (float)dot + (a->bias ? a->bias[j] : 0.0f);
        }
        sb_linear_epilogue(a, NULL, r, r + 1, 0, a->n, 0); /* fused layers */
    }
}

void sb_linear_ref_int8(const sb_linear_args *a, sb_pool *pool)
{
    sb_ref_split_rows(pool, a->m, 1, rows_int8, a);
}
