/*
 * gemm.c - blocked GEMM framework, FP32 and BF16 panels (see gemm.h). Portable C: built for
 * the baseline CPU; the only ISA-specific code it calls is the micro-kernel.
 */
#include "gemm.h"
#include "scratch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_MR = 32, MAX_NR = 64 };

/* Packed element of each kind: bytes, and k values per group. */
static const struct {
    size_t bytes, group;
} elem[] = {[SB_PACK_F32] = {4, 1}, [SB_PACK_BF16_PAIRS] = {2, 2}};
_Static_assert(sizeof(elem) / sizeof(elem[0]) == SB_PACK_COUNT, "one row per pack kind");

static size_t round_up(size_t v, size_t m) { return (v + m - 1) / m * m; }

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

void sb_gemm_blocking(const sb_ukr_desc *d, size_t *kc, size_t *mc, size_t *nc)
{
    /* a KC x NR panel of B fills L1 (A micro-panels and C are small beside it) while
       MC/MR panels of A stream from L2; measured better than half of L1 on Zen 4 */
    size_t es = elem[d->pack].bytes;
    *kc = round_down(cache_l1 / ((size_t)d->nr * es), 16);
    if (*kc < 64)
        *kc = 64;
    if (*kc > 512)
        *kc = 512;
    /* the packed MC x KC block of A uses half of L2 */
    *mc = round_down(cache_l2 / 2 / (*kc * es), (size_t)d->mr);
    /* a KC x NC slice of B stays in a share of L3 */
    *nc = round_down(cache_l3 / 8 / (*kc * es), (size_t)d->nr);
}

typedef struct packed_b {
    const sb_ukr_desc *desc;
    size_t n, k, kp;       /* kp: k rounded up to the group size */
    void *b;               /* [ceil(n/NR)][kp/g][NR][g] elements */
} packed_b;

void sb_pack_panels(const float *w, size_t n, size_t k, size_t nr, float *out)
{
    memset(out, 0, ((n + nr - 1) / nr) * k * nr * sizeof(float));
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < k; j++)
            out[((i / nr) * k + j) * nr + i % nr] = w[i * k + j];
}

/* BF16 pairs: element (i, j) at [(i/nr) kp + j - j%2][i%nr][j%2] in units of one value. */
static void pack_panels_bf16(const float *w, size_t n, size_t k, size_t kp, size_t nr, uint16_t *out)
{
    memset(out, 0, ((n + nr - 1) / nr) * kp * nr * sizeof(uint16_t));
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < k; j++)
            out[((i / nr) * kp + (j & ~(size_t)1)) * nr + (i % nr) * 2 + (j & 1)] =
                sb_f32_to_bf16(w[i * k + j]);
}

sb_status sb_gemm_pack(const sb_ukr_desc *desc, const float *w, size_t n, size_t k, void **packed)
{
    size_t nr = (size_t)desc->nr, panels = (n + nr - 1) / nr;
    size_t kp = round_up(k, elem[desc->pack].group);
    size_t bytes = panels * kp * nr * elem[desc->pack].bytes;
    packed_b *p = malloc(sizeof(*p));
    if (!p || (p->b = aligned_alloc(64, (bytes + 63) & ~(size_t)63)) == NULL) {
        free(p);
        return SB_ENOMEM;
    }
    p->desc = desc;
    p->n = n;
    p->k = k;
    p->kp = kp;
    if (desc->pack == SB_PACK_F32)
        sb_pack_panels(w, n, k, nr, p->b);
    else
        pack_panels_bf16(w, n, k, kp, nr, p->b);
    *packed = p;
    return SB_OK;
}

void sb_gemm_free(void *packed)
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
    size_t apack_bytes;    /* size of the A packing buffer each task needs */
} gemm_ctx;

/*
 * Pack rows [r0, r0 + rows) x columns [k0, k0 + kc) of x into MR-row panels of
 * kcp (kc rounded up to the group) values each, zero-padding rows and k.
 */
static void pack_a(const sb_linear_args *a, sb_pack_kind kind, size_t r0, size_t rows, size_t k0,
                   size_t kc, size_t kcp, size_t mr, void *out)
{
    for (size_t p = 0; p < rows; p += mr) {
        size_t pr = rows - p < mr ? rows - p : mr;
        if (kind == SB_PACK_F32) {
            float *dst = (float *)out + p * kcp;
            for (size_t kk = 0; kk < kc; kk++) {
                for (size_t r = 0; r < pr; r++)
                    dst[kk * mr + r] = a->x[(r0 + p + r) * a->ldx + k0 + kk];
                for (size_t r = pr; r < mr; r++)
                    dst[kk * mr + r] = 0.0f;
            }
        } else { /* BF16 pairs: [kcp/2][mr][2] */
            uint16_t *dst = (uint16_t *)out + p * kcp;
            for (size_t kk = 0; kk < kcp; kk++)
                for (size_t r = 0; r < mr; r++) {
                    float v = r < pr && kk < kc ? a->x[(r0 + p + r) * a->ldx + k0 + kk] : 0.0f;
                    dst[((kk >> 1) * mr + r) * 2 + (kk & 1)] = sb_f32_to_bf16(v);
                }
        }
    }
}

static void gemm_task(void *ctx, size_t t, int worker)
{
    (void)worker;
    const gemm_ctx *c = ctx;
    const sb_linear_args *a = c->a;
    const sb_ukr_desc *d = c->p->desc;
    size_t mr = (size_t)d->mr, nr = (size_t)d->nr, es = elem[d->pack].bytes;
    size_t g = elem[d->pack].group;
    size_t ic = (t / c->col_blocks) * c->mc, jc = (t % c->col_blocks) * c->nc;
    size_t mc = a->m - ic < c->mc ? a->m - ic : c->mc;
    size_t nc = a->n - jc < c->nc ? a->n - jc : c->nc;
    char *ap = sb_thread_scratch(c->apack_bytes); /* per thread; grows on the warmup call */
    float tile[MAX_MR * MAX_NR];

    for (size_t pc = 0; pc < a->k; pc += c->kc) {
        size_t kc = a->k - pc < c->kc ? a->k - pc : c->kc, kcp = round_up(kc, g);
        int first = pc == 0, last = pc + kc == a->k;
        pack_a(a, d->pack, ic, mc, pc, kc, kcp, mr, ap);
        for (size_t jr = 0; jr < nc; jr += nr) {
            size_t j = jc + jr, nv = nc - jr < nr ? nc - jr : nr;
            const char *bp = (const char *)c->p->b + ((j / nr) * c->p->kp + pc) * nr * es;
            for (size_t ir = 0; ir < mc; ir += mr) {
                size_t i = ic + ir, mv = mc - ir < mr ? mc - ir : mr;
                float *cp = a->y + i * a->ldy + j;
                const char *apan = ap + ir * kcp * es;
                if (mv == mr && nv == nr) {
                    d->fn(kcp, apan, bp, cp, a->ldy, first);
                } else { /* edge: through the scratch tile, copy the valid part */
                    for (size_t r = 0; r < mv && !first; r++)
                        memcpy(tile + r * nr, cp + r * a->ldy, nv * sizeof(float));
                    d->fn(kcp, apan, bp, tile, nr, first);
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

void sb_gemm_linear(const sb_linear_args *a, sb_pool *pool)
{
    const packed_b *p = a->w;
    const sb_ukr_desc *d = p->desc;
    size_t kc, mc, nc, workers = (size_t)sb_pool_threads(pool);
    gemm_ctx c = {.a = a, .p = p};

    sb_gemm_blocking(d, &kc, &mc, &nc);
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
    c.apack_bytes = (mc + (size_t)d->mr) * round_up(c.kc, elem[d->pack].group) * elem[d->pack].bytes;
    sb_pool_run(pool, gemm_task, &c, ((a->m + mc - 1) / mc) * c.col_blocks);
}
