/*
 * gemm_f32.c - blocked FP32 GEMM framework (see gemm.h). Portable C: built for
 * the baseline CPU; the only ISA-specific code it calls is the micro-kernel.
 */
#include "gemm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_MR = 32, MAX_NR = 64 };

static size_t cache_l1 = 32 << 10, cache_l2 = 1 << 20, cache_l3 = 32 << 20;

void sb_gemm_set_caches(size_t l1d, size_t l2, size_t l3)
{
    if (l1d)
        cache_l1 = l1d;
    if (l2)
        cache_l2 = l2;
    if (l3)
        cache_l3 = l3;
}

/* v rounded down to a multiple of m, at least m. */
static size_t round_down(size_t v, size_t m)
{
    size_t r = v / m * m;
    return r ? r : m;
}

void sb_gemm_f32_blocking(const sb_ukr_f32_desc *d, size_t *kc, size_t *mc, size_t *nc)
{
    /* a KC x NR panel of B fills L1 (A micro-panels and C are small beside it) while
       MC/MR panels of A stream from L2; measured better than half of L1 on Zen 4 */
    *kc = round_down(cache_l1 / ((size_t)d->nr * sizeof(float)), 16);
    if (*kc < 64)
        *kc = 64;
    if (*kc > 512)
        *kc = 512;
    /* the packed MC x KC block of A uses half of L2 */
    *mc = round_down(cache_l2 / 2 / (*kc * sizeof(float)), (size_t)d->mr);
    /* a KC x NC slice of B stays in a share of L3 */
    *nc = round_down(cache_l3 / 8 / (*kc * sizeof(float)), (size_t)d->nr);
}

typedef struct packed_b {
    const sb_ukr_f32_desc *desc;
    size_t n, k;
    float *b;              /* [ceil(n/NR)][k][NR] */
} packed_b;

void sb_pack_panels(const float *w, size_t n, size_t k, size_t nr, float *out)
{
    memset(out, 0, ((n + nr - 1) / nr) * k * nr * sizeof(float));
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < k; j++)
            out[((i / nr) * k + j) * nr + i % nr] = w[i * k + j];
}

sb_status sb_gemm_f32_pack(const sb_ukr_f32_desc *desc, const float *w, size_t n, size_t k,
                           void **packed)
{
    size_t nr = (size_t)desc->nr, panels = (n + nr - 1) / nr;
    packed_b *p = malloc(sizeof(*p));
    if (!p || (p->b = aligned_alloc(64, ((panels * k * nr * sizeof(float)) + 63) & ~(size_t)63)) == NULL) {
        free(p);
        return SB_ENOMEM;
    }
    p->desc = desc;
    p->n = n;
    p->k = k;
    sb_pack_panels(w, n, k, nr, p->b);
    *packed = p;
    return SB_OK;
}

void sb_gemm_f32_free(void *packed)
{
    packed_b *p = packed;
    if (p)
        free(p->b);
    free(p);
}

typedef struct gemm_ctx {
    const sb_linear_args *a;
    const packed_b *p;
    size_t kc, mc, nc;     /* blocking */
    size_t col_blocks;     /* tasks along n */
    size_t apack_floats;   /* size of the A packing buffer each task needs */
} gemm_ctx;

/*
 * Per-thread A packing buffer. Pool workers are persistent, so after the
 * first (warmup) call a kernel call allocates nothing.
 */
static _Thread_local float *tl_apack;
static _Thread_local size_t tl_apack_floats;

static float *apack_buffer(size_t floats)
{
    if (tl_apack_floats < floats) {
        free(tl_apack);
        tl_apack = aligned_alloc(64, ((floats * sizeof(float)) + 63) & ~(size_t)63);
        if (!tl_apack) {
            fprintf(stderr, "sorabench: cannot allocate %zu bytes for GEMM packing\n",
                    floats * sizeof(float));
            abort();
        }
        tl_apack_floats = floats;
    }
    return tl_apack;
}

/* Pack rows [r0, r0 + mr_rows) x cols [k0, k0 + kc) of x into MR-row panels. */
static void pack_a(const sb_linear_args *a, size_t r0, size_t rows, size_t k0, size_t kc,
                   size_t mr, float *out)
{
    for (size_t p = 0; p < rows; p += mr) {
        size_t pr = rows - p < mr ? rows - p : mr;
        float *dst = out + p * kc;
        for (size_t kk = 0; kk < kc; kk++) {
            for (size_t r = 0; r < pr; r++)
                dst[kk * mr + r] = a->x[(r0 + p + r) * a->ldx + k0 + kk];
            for (size_t r = pr; r < mr; r++)
                dst[kk * mr + r] = 0.0f;
        }
    }
}

static void gemm_task(void *ctx, size_t t, int worker)
{
    (void)worker;
    const gemm_ctx *c = ctx;
    const sb_linear_args *a = c->a;
    const sb_ukr_f32_desc *d = c->p->desc;
    size_t mr = (size_t)d->mr, nr = (size_t)d->nr;
    size_t ic = (t / c->col_blocks) * c->mc, jc = (t % c->col_blocks) * c->nc;
    size_t mc = a->m - ic < c->mc ? a->m - ic : c->mc;
    size_t nc = a->n - jc < c->nc ? a->n - jc : c->nc;
    float *ap = apack_buffer(c->apack_floats);
    float tile[MAX_MR * MAX_NR];

    for (size_t pc = 0; pc < a->k; pc += c->kc) {
        size_t kc = a->k - pc < c->kc ? a->k - pc : c->kc;
        int first = pc == 0, last = pc + kc == a->k;
        pack_a(a, ic, mc, pc, kc, mr, ap);
        for (size_t jr = 0; jr < nc; jr += nr) {
            size_t j = jc + jr, nv = nc - jr < nr ? nc - jr : nr;
            const float *bp = c->p->b + ((j / nr) * c->p->k + pc) * nr;
            for (size_t ir = 0; ir < mc; ir += mr) {
                size_t i = ic + ir, mv = mc - ir < mr ? mc - ir : mr;
                float *cp = a->y + i * a->ldy + j;
                if (mv == mr && nv == nr) {
                    d->fn(kc, ap + ir * kc, bp, cp, a->ldy, first);
                } else { /* edge: through the scratch tile, copy the valid part */
                    for (size_t r = 0; r < mv && !first; r++)
                        memcpy(tile + r * nr, cp + r * a->ldy, nv * sizeof(float));
                    d->fn(kc, ap + ir * kc, bp, tile, nr, first);
                    for (size_t r = 0; r < mv; r++)
                        memcpy(cp + r * a->ldy, tile + r * nr, nv * sizeof(float));
                }
                if (last && a->bias)
                    for (size_t r = 0; r < mv; r++)
                        for (size_t q = 0; q < nv; q++)
                            cp[r * a->ldy + q] += a->bias[j + q];
            }
        }
    }
}

void sb_gemm_f32_linear(const sb_linear_args *a, sb_pool *pool)
{
    const packed_b *p = a->w;
    const sb_ukr_f32_desc *d = p->desc;
    size_t kc, mc, nc, workers = (size_t)sb_pool_threads(pool);
    gemm_ctx c = {.a = a, .p = p};

    sb_gemm_f32_blocking(d, &kc, &mc, &nc);
    /* enough tasks for every worker: shrink MC, then NC (never below MR / NR) */
    while (mc > (size_t)d->mr && ((a->m + mc - 1) / mc) * ((a->n + nc - 1) / nc) < 4 * workers &&
           mc >= a->m / 2)
        mc = round_down(mc / 2, (size_t)d->mr);
    while (nc > (size_t)d->nr && ((a->m + mc - 1) / mc) * ((a->n + nc - 1) / nc) < 4 * workers)
        nc = round_down(nc / 2, (size_t)d->nr);
    if (mc > round_down(a->m + (size_t)d->mr - 1, (size_t)d->mr))
        mc = round_down(a->m + (size_t)d->mr - 1, (size_t)d->mr);
    c.kc = kc < a->k ? kc : a->k;
    c.mc = mc;
    c.nc = nc;
    c.col_blocks = (a->n + nc - 1) / nc;
    c.apack_floats = (mc + (size_t)d->mr) * c.kc;
    sb_pool_run(pool, gemm_task, &c, ((a->m + mc - 1) / mc) * c.col_blocks);
}
