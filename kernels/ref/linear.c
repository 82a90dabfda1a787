/*
 * linear.c - reference FP32 linear layer: y[m][n] = bias[n] + sum_k x[m][k] w[n][k].
 *
 * Packing transposes w to [k][n] so the inner loop is a contiguous axpy over
 * output columns, which a compiler vectorises for any baseline ISA. Work is
 * split into tiles of ROWS_TILE rows x COLS_TILE columns; within a tile the k
 * loop is blocked by K_TILE so the w slice (K_TILE x COLS_TILE) stays in L2,
 * and four rows share each w load.
 */
#include <stdlib.h>
#include <string.h>
#include "ref.h"

enum { ROWS_TILE = 32, COLS_TILE = 256, K_TILE = 256 };

typedef struct packed_w {
    size_t n, k;
    float *wt;               /* [k][n] */
} packed_w;

sb_status sb_linear_ref_pack(const float *w, size_t n, size_t k, void **packed)
{
    packed_w *p = malloc(sizeof(*p));
    if (!p || (p->wt = malloc(n * k * sizeof(float))) == NULL) {
        free(p);
        return SB_ENOMEM;
    }
    p->n = n;
    p->k = k;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < k; j++)
            p->wt[j * n + i] = w[i * k + j];
    *packed = p;
    return SB_OK;
}

void sb_linear_ref_free(void *packed)
{
    packed_w *p = packed;
    if (p)
        free(p->wt);
    free(p);
}

typedef struct tile_ctx {
    const sb_linear_args *a;
    size_t col_tiles;        /* tiles along n */
} tile_ctx;

static void tile_task(void *ctx, size_t t, int worker)
{
    const tile_ctx *c = ctx;
    const sb_linear_args *a = c->a;
    const packed_w *p = a->w;
    size_t r0 = (t / c->col_tiles) * ROWS_TILE, c0 = (t % c->col_tiles) * COLS_TILE;
    size_t r1 = r0 + ROWS_TILE < a->m ? r0 + ROWS_TILE : a->m;
    size_t c1 = c0 + COLS_TILE < a->n ? c0 + COLS_TILE : a->n;
    size_t nc = c1 - c0;
    (void)worker;

    for (size_t r = r0; r < r1; r++) {
        float *y = a->y + r * a->ldy + c0;
        for (size_t j = 0; j < nc; j++)
            y[j] = a->bias ? a->bias[c0 + j] : 0.0f;
    }
    for (size_t k0 = 0; k0 < a->k; k0 += K_TILE) {
        size_t k1 = k0 + K_TILE < a->k ? k0 + K_TILE : a->k;
        size_t r = r0;
        for (; r + 4 <= r1; r += 4) {
            float *restrict y0 = a->y + r * a->ldy + c0, *restrict y1 = y0 + a->ldy;
            float *restrict y2 = y1 + a->ldy, *restrict y3 = y2 + a->ldy;
            const float *x0 = a->x + r * a->ldx, *x1 = x0 + a->ldx;
            const float *x2 = x1 + a->ldx, *x3 = x2 + a->ldx;
            for (size_t kk = k0; kk < k1; kk++) {
                const float *restrict w = p->wt + kk * p->n + c0;
                float s0 = x0[kk], s1 = x1[kk], s2 = x2[kk], s3 = x3[kk];
                for (size_t j = 0; j < nc; j++) {
                    y0[j] += s0 * w[j];
                    y1[j] += s1 * w[j];
                    y2[j] += s2 * w[j];
                    y3[j] += s3 * w[j];
                }
            }
        }
        for (; r < r1; r++) {
            float *restrict y = a->y + r * a->ldy + c0;
            const float *x = a->x + r * a->ldx;
            for (size_t kk = k0; kk < k1; kk++) {
                const float *restrict w = p->wt + kk * p->n + c0;
                float s = x[kk];
                for (size_t j = 0; j < nc; j++)
                    y[j] += s * w[j];
            }
        }
    }
}

void sb_linear_ref(const sb_linear_args *a, sb_pool *pool)
{
    tile_ctx c = {.a = a, .col_tiles = (a->n + COLS_TILE - 1) / COLS_TILE};
    size_t row_tiles = (a->m + ROWS_TILE - 1) / ROWS_TILE;
    sb_pool_run(pool, tile_task, &c, row_tiles * c.col_tiles);
}
