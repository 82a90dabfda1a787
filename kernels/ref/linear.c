/*
 * linear.c - reference FP32 linear layer: y[m][n] = bias[n] + sum_k x[m][k] w[n][k],
 * then the layer's fused epilogue (portable code, epilogue.h).
 *
 * Packing lays w out as panels of 8 output columns, [n/8][k][8], so the inner
 * loop reads contiguous memory and a compiler vectorises it for any baseline
 * ISA. Work is
 * split into tiles of ROWS_TILE rows x COLS_TILE columns; within a tile the k
 * loop is blocked by K_TILE so the w slice (K_TILE x COLS_TILE) stays in L2,
 * and blocks of 4 rows x 8 columns of y are accumulated in registers across k.
 */
#include <stdlib.h>
#include <string.h>
#include "epilogue.h"
#include "gemm/gemm.h"
#include "ref.h"

enum { ROWS_TILE = 32, COLS_TILE = 256, K_TILE = 256, PANEL = 8 };

/* w packed as panels of PANEL output columns: wp[panel][k][PANEL], zero-padded. */
typedef struct packed_w {
    size_t n, k;
    float *wp;               /* [ceil(n / PANEL)][k][PANEL] */
} packed_w;

sb_status sb_linear_ref_pack(const float *w, size_t n, size_t k, void **packed)
{
    size_t panels = (n + PANEL - 1) / PANEL;
    packed_w *p = malloc(sizeof(*p));
    if (!p || (p->wp = malloc(panels * k * PANEL * sizeof(float))) == NULL) {
        free(p);
        return SB_ENOMEM;
    }
    p->n = n;
    p->k = k;
    sb_pack_panels(w, n, k, PANEL, p->wp);
    *packed = p;
    return SB_OK;
}

void sb_linear_ref_free(void *packed)
{
    packed_w *p = packed;
    if (p)
        free(p->wp);
    free(p);
}

typedef struct tile_ctx {
    const sb_linear_args *a;
    size_t col_tiles;        /* tiles along n */
    int bf16;                /* round activations to bfloat16 (the BF16 reference) */
} tile_ctx;

/* 4 floats; GNU C vector extension, lowered to SSE2 / NEON / scalar as the target has. */
typedef float v4f __attribute__((vector_size(16)));

/*
 * y[0..NR)[0..nc) += x[0..NR)[k0..k1) * panel[k0..k1)[0..nc): an NR x 8 block
 * of y held in 2*NR vector accumulators across the k range (NR is a constant
 * at each call site; nc <= PANEL; panel columns past nc are zero).
 */
static inline __attribute__((always_inline)) void block(int NR, const float *x, size_t ldx,
                                                        const float *panel, float *y, size_t ldy,
                                                        size_t nc, size_t k0, size_t k1, int bf16)
{
    v4f acc[4][2];
    float tmp[PANEL];
    for (int r = 0; r < NR; r++) {
        for (size_t j = 0; j < PANEL; j++)
            tmp[j] = j < nc ? y[r * ldy + j] : 0.0f;
        memcpy(&acc[r][0], tmp, sizeof(acc[r]));
    }
    for (size_t kk = k0; kk < k1; kk++) {
        v4f w0, w1;
        memcpy(&w0, panel + kk * PANEL, sizeof(w0));
        memcpy(&w1, panel + kk * PANEL + 4, sizeof(w1));
        for (int r = 0; r < NR; r++) {
            float s = x[r * ldx + kk];
            if (bf16) /* the BF16 reference rounds activations to bfloat16 */
                s = sb_bf16_to_f32(sb_f32_to_bf16(s));
            v4f sv = {s, s, s, s};
            acc[r][0] += sv * w0;
            acc[r][1] += sv * w1;
        }
    }
    for (int r = 0; r < NR; r++) {
        memcpy(tmp, &acc[r][0], sizeof(acc[r]));
        for (size_t j = 0; j < nc; j++)
            y[r * ldy + j] = tmp[j];
    }
}

static void tile_task(void *ctx, size_t t, int worker)
{
    const tile_ctx *c = ctx;
    const sb_linear_args *a = c->a;
    const packed_w *p = a->w;
    size_t r0 = (t / c->col_tiles) * ROWS_TILE, c0 = (t % c->col_tiles) * COLS_TILE;
    size_t r1 = r0 + ROWS_TILE < a->m ? r0 + ROWS_TILE : a->m;
    size_t c1 = c0 + COLS_TILE < a->n ? c0 + COLS_TILE : a->n;
    (void)worker;

    for (size_t r = r0; r < r1; r++)
        for (size_t j = c0; j < c1; j++)
            a->y[r * a->ldy + j] = a->bias ? a->bias[j] : 0.0f;
    for (size_t k0 = 0; k0 < a->k; k0 += K_TILE) {
        size_t k1 = k0 + K_TILE < a->k ? k0 + K_TILE : a->k;
        for (size_t j = c0; j < c1; j += PANEL) {   /* COLS_TILE is a multiple of PANEL */
            const float *panel = p->wp + (j / PANEL) * p->k * PANEL;
            size_t nc = c1 - j < PANEL ? c1 - j : PANEL, r = r0;
            for (; r + 4 <= r1; r += 4)
                block(4, a->x + r * a->ldx, a->ldx, panel, a->y + r * a->ldy + j, a->ldy, nc, k0, k1,
                      c->bf16);
            for (; r < r1; r++)
                block(1, a->x + r * a->ldx, a->ldx, panel, a->y + r * a->ldy + j, a->ldy, nc, k0, k1,
                      c->bf16);
        }
    }
    sb_linear_epilogue(a, NULL, r0, r1, c0, c1, 0); /* fused layers: GELU, gate + residual */
}

static void run(const sb_linear_args *a, sb_pool *pool, int bf16)
{
    tile_ctx c = {.a = a, .col_tiles = (a->n + COLS_TILE - 1) / COLS_TILE, .bf16 = bf16};
    size_t row_tiles = (a->m + ROWS_TILE - 1) / ROWS_TILE;
    sb_pool_run(pool, tile_task, &c, row_tiles * c.col_tiles);
}

void sb_linear_ref(const sb_linear_args *a, sb_pool *pool) { run(a, pool, 0); }

/* BF16 reference: weights and activations rounded to bfloat16, FP32 accumulation. */
sb_status sb_linear_ref_bf16_pack(const float *w, size_t n, size_t k, void **packed)
{
    float *r = malloc(n * k * sizeof(float));
    sb_status st;
    if (!r)
        return SB_ENOMEM;
    for (size_t i = 0; i < n * k; i++)
        r[i] = sb_bf16_to_f32(sb_f32_to_bf16(w[i]));
    st = sb_linear_ref_pack(r, n, k, packed);
    free(r);
    return st;
}

void sb_linear_ref_bf16(const sb_linear_args *a, sb_pool *pool) { run(a, pool, 1); }
