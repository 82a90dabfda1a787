/*
 * openblas.c - comparison provider: the linear layer through OpenBLAS sgemm
 * (what NumPy or a BLAS-backed framework would call on the same shape).
 * Registered as "linear.f32.openblas", chosen only by name (run --kernel).
 *
 * y = bias (row broadcast), then y += x W^T with cblas_sgemm (beta = 1), as a
 * framework's addmm does. OpenBLAS runs on its own threads, set per call to
 * the case's thread count; it does not use sorabench's pinned pool.
 */
#include <cblas.h>
#include <stdlib.h>
#include <string.h>
#include "epilogue.h"
#include "providers/providers.h"

typedef struct blas_w {
    size_t n, k;
    float *w;              /* [n][k] as given */
} blas_w;

sb_status sb_openblas_pack(const float *w, size_t n, size_t k, void **packed)
{
    blas_w *p = malloc(sizeof(*p));
    if (!p || (p->w = malloc(n * k * sizeof(float))) == NULL) {
        free(p);
        return SB_ENOMEM;
    }
    memcpy(p->w, w, n * k * sizeof(float));
    p->n = n;
    p->k = k;
    *packed = p;
    return SB_OK;
}

void sb_openblas_free(void *packed)
{
    blas_w *p = packed;
    if (p)
        free(p->w);
    free(p);
}

void sb_openblas_linear(const sb_linear_args *a, sb_pool *pool)
{
    const blas_w *p = a->w;
    openblas_set_num_threads(sb_pool_threads(pool));
    if (a->bias)
        for (size_t r = 0; r < a->m; r++)
            memcpy(a->y + r * a->ldy, a->bias, a->n * sizeof(float));
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)a->m, (blasint)a->n,
                (blasint)a->k, 1.0f, a->x, (blasint)a->ldx, p->w, (blasint)p->k,
                a->bias ? 1.0f : 0.0f, a->y, (blasint)a->ldy);
    sb_linear_epilogue_all(a, pool); /* a fused layer's epilogue: a second pass, portable code */
}
