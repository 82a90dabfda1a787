/*
 * gemm.c - blocked GEMM framework, FP32 and BF16 panels (see gemm.h). Portable C: built for
 * the baseline CPU; the only ISA-specific code it calls is the micro-kernel.
 */
#include "gemm.h"
#include "scratch.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_MR = 32, MAX_NR = 64 };

static size_t round_up(size_t v, size_t m) { return (v + m - 1) / m * m; }

static size_t cache_l2 = 1 << 20, cache_l3 = 32 << 20;

void sb_gemm_set_caches(size_t l2, size_t l3)
{
    if (l2)
        cache_l2 = l2;
    if (l3)
        cache_l3 = l3;
}

bool sb_cache_bypass(size_t bytes) { return bytes > cache_l3; }

/* v rounded down to a multiple of m, at least m. */
static size_t round_down(size_t v, size_t m)
{
    size_t r = v / m * m;
    return r ? r : m;
}

void sb_gemm_blocking(const sb_ukr_desc *d, size_t k, size_t *kc, size_t *mc, size_t *nc)
{
    /*
     * C is read and written once per KC block, so the fewer KC blocks the less
     * C traffic (C is the largest operand on OpenSora's shapes). A KC x NR panel
     * of B may take an eighth of L2 (it is reused from L2 by the MC/MR
     * micro-kernel calls), and K is cut into equal blocks of at most that.
     * Measured on Zen 4, 3600x1152->4608, 1 thread: KC 256 -> 576 took FP32
     * from 389 to 360 ms, INT8 KC 512 -> 1152 from 116 to 105 ms; a panel of B
     * that fits L1 was the slower rule.
     */
    size_t es = sb_pack_bytes(d->pack);
    size_t kmax = round_down(cache_l2 / 8 / ((size_t)d->nr * es), 16);
    if (kmax < 64)
        kmax = 64;
    if (kmax > 4096)
        kmax = 4096;
    size_t kk = k ? k : 1, blocks = (kk + kmax - 1) / kmax;
    *kc = round_up((kk + blocks - 1) / blocks, 16);
    /* the packed MC x KC block of A uses half of L2 */
    *mc = round_down(cache_l2 / 2 / (*kc * es), (size_t)d->mr);
    /*
     * A KC x NC slice of B stays in half of L3. A is packed again for every NC
     * block, so the wider the slice the less packing; measured on Zen 4 (1
     * thread, 720p qkv and fc1), half of L3 instead of an eighth took 2-5% off
     * FP32 and BF16, about 1% off INT8.
     */
    *nc = round_down(cache_l3 / 2 / (*kc * es), (size_t)d->nr);
}

typedef struct packed_b {
    const sb_ukr_desc *desc;
    size_t n, k, kp;       /* kp: k rounded up to the group size */
    void *b;               /* [ceil(n/NR)][kp/g][NR][g] elements */
    float *sw;             /* INT8: per-channel weight scale [n]; else NULL */
    float *comp;           /* INT8: what the u8 shift adds to each column's sum [n] */
} packed_b;

/* INT8: quantize w per output channel (to +-desc.wmax, 127 if 0), then pack the int8 values. */
static sb_status pack_int8(packed_b *p, const float *w)
{
    size_t n = p->n, k = p->k;
    int8_t *q = malloc(n * k);
    p->sw = malloc(n * sizeof(float));
    p->comp = malloc(n * sizeof(float));
    if (!q || !p->sw || !p->comp) {
        free(q);
        return SB_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        long sum = 0;
        p->sw[i] = sb_quantize_sym(w + i * k, k, p->desc->wmax ? p->desc->wmax : 127, q + i * k);
        for (size_t j = 0; j < k; j++)
            sum += q[i * k + j];
        p->comp[i] = p->desc->pack == SB_PACK_U8S8_QUADS ? 128.0f * (float)sum : 0.0f;
    }
    sb_pack_b(p->desc->pack, q, n, k, p->kp, (size_t)p->desc->nr, p->b);
    free(q);
    return SB_OK;
}

sb_status sb_gemm_pack(const sb_ukr_desc *desc, const float *w, size_t n, size_t k, void **packed)
{
    size_t kp = round_up(k, sb_pack_group(desc->pack)), bytes = sb_gemm_packed_bytes(desc, n, k);
    packed_b *p = calloc(1, sizeof(*p));
    sb_status st = SB_OK;
    if (!p || (p->b = aligned_alloc(64, (bytes + 63) & ~(size_t)63)) == NULL) {
        free(p);
        return SB_ENOMEM;
    }
    p->desc = desc;
    p->n = n;
    p->k = k;
    p->kp = kp;
    if (sb_pack_is_int8(desc->pack))
        st = pack_int8(p, w);
    else
        sb_pack_b(desc->pack, w, n, k, kp, (size_t)desc->nr, p->b);
    if (st != SB_OK) {
        sb_gemm_free(p);
        return st;
    }
    *packed = p;
    return SB_OK;
}

void sb_gemm_free(void *packed)
{
    packed_b *p = packed;
    if (p) {
        free(p->b);
        free(p->sw);
        free(p->comp);
    }
    free(p);
}

typedef struct gemm_ctx {
    const sb_linear_args *a;
    const packed_b *p;
    size_t kc, mc, nc;     /* blocking */
    size_t col_blocks;     /* tasks along n */
    size_t apack_bytes;    /* size of the A packing buffer each task needs */
    const int8_t *xq;      /* INT8: the quantized activations [m][k] */
    const float *sx;       /* INT8: their per-row scales [m] */
    const sb_epi_ops *ops; /* the micro-kernel's row code (the portable one if it names none) */
    int direct;            /* A read in place by d->direct, not packed */
} gemm_ctx;

/* After a tile's last KC block (in L1): INT8 dequantization, bias, the fused epilogue. */
static void tile_finish(const gemm_ctx *c, float *cp, size_t i, size_t j, size_t mv, size_t nv)
{
    const sb_linear_args *a = c->a;
    const packed_b *p = c->p;
    if (sb_pack_is_int8(p->desc->pack)) { /* y = sx sw (C - comp) + b */
        for (size_t r = 0; r < mv; r++)
            c->ops->dequant(cp + r * a->ldy, c->sx[i + r], p->sw + j, p->comp + j,
                         a->bias ? a->bias + j : NULL, nv);
        if (a->epi != SB_EPI_NONE)
            sb_linear_epilogue(a, c->ops, i, i + mv, j, j + nv, 0);
        return;
    }
    sb_linear_epilogue(a, c->ops, i, i + mv, j, j + nv, 1);
}

/*
 * Ask for the lines of a C tile (for writing) before its micro-kernel runs.
 * The first KC block writes C without reading it, but each store still has to
 * fetch its line, and C is the largest operand: a BF16 fc1 profile (720p, 1
 * thread) put 3% of the micro-kernel's time in the bias row code that first
 * touched the tile after those stores. The k loop of one tile is thousands of
 * cycles, so the lines arrive before it ends. A k loop shorter than SHORT_K
 * (the patch embedding's K = 16: a few hundred cycles, less than a miss to
 * memory) asks for the next tile's lines instead: 4320x16->1152, FP32, 1
 * thread, 3.5-3.9 ms -> 2.8-3.4 (docs/performance.md).
 */
enum { SHORT_K = 128 }; /* packed k values */
static void prefetch_tile(const float *cp, size_t ldc, size_t rows, size_t cols)
{
    for (size_t r = 0; r < rows; r++)
        sb_prefetch_w(cp + r * ldc, cols);
}

sb_gemm_pf_plan sb_gemm_pf_plan_make(size_t bytes, size_t tiles, size_t steps)
{
    sb_gemm_pf_plan pl = {.lines = (bytes + 63) / 64};
    pl.per = tiles ? (pl.lines + tiles - 1) / tiles : pl.lines;
    pl.every = pl.per && steps / pl.per ? steps / pl.per : 1;
    return pl;
}

sb_ukr_pf sb_gemm_pf_slice(const sb_gemm_pf_plan *plan, const char *next, size_t t)
{
    sb_ukr_pf pf = {NULL, 0, 1};
    size_t at = t * plan->per;
    if (next && at < plan->lines) {
        pf.p = next + at * 64;
        pf.lines = plan->lines - at < plan->per ? plan->lines - at : plan->per;
        pf.every = plan->every;
    }
    return pf;
}

/*
 * The micro-kernel on one tile of mv rows, kcp (packed) values of k, into c (row stride ldc):
 * A packed (apan) or read in place (arow; FP32 only, whose group of 1 makes kcp = kc); only mv
 * rows where the descriptor has the kernel for that; pf: what it may prefetch.
 */
static void tile_run(const gemm_ctx *c, size_t mv, size_t kcp, const void *apan, const float *arow,
                     const void *bp, float *cp, size_t ldc, int first, const sb_ukr_pf *pf)
{
    const sb_ukr_desc *d = c->p->desc;
    if (c->direct)
        d->direct[mv](kcp, arow, c->a->ldx, bp, cp, ldc, first, pf);
    else
        (mv < (size_t)d->mr && d->rows ? d->rows[mv] : d->fn)(kcp, apan, bp, cp, ldc, first, pf);
}

static void gemm_task(void *ctx, size_t t, int worker)
{
    (void)worker;
    const gemm_ctx *c = ctx;
    const sb_linear_args *a = c->a;
    const sb_ukr_desc *d = c->p->desc;
    size_t mr = (size_t)d->mr, nr = (size_t)d->nr, es = sb_pack_bytes(d->pack);
    size_t g = sb_pack_group(d->pack);
    int int8 = sb_pack_is_int8(d->pack);
    size_t ic = (t / c->col_blocks) * c->mc, jc = (t % c->col_blocks) * c->nc;
    size_t mc = a->m - ic < c->mc ? a->m - ic : c->mc;
    size_t nc = a->n - jc < c->nc ? a->n - jc : c->nc;
    /* A's packed panels (none when it is read in place); grows on the warmup call */
    char *ap = c->direct ? NULL : sb_thread_scratch(SB_SCRATCH_TASK, c->apack_bytes);
    float tile[MAX_MR * MAX_NR];
    /* A's rows for this task: the quantized int8 rows (INT8) or the FP32 activations */
    const char *asrc = int8 ? (const char *)(c->xq + ic * a->k) : (const char *)(a->x + ic * a->ldx);
    size_t lda = int8 ? a->k : a->ldx, aes = int8 ? 1 : sizeof(float); /* elements, bytes */

    for (size_t pc = 0; pc < a->k; pc += c->kc) {
        size_t kc = a->k - pc < c->kc ? a->k - pc : c->kc, kcp = round_up(kc, g);
        int first = pc == 0, last = pc + kc == a->k;
        if (c->direct) {
            /* A is read in place: nothing to pack */
        } else if (d->pack_a) /* the micro-kernel's own packer, a panel at a time */
            for (size_t p = 0; p < mc; p += mr)
                d->pack_a(asrc + (p * lda + pc) * aes, lda, mc - p < mr ? mc - p : mr, kc, kcp,
                          ap + p * kcp * es);
        else
            sb_pack_a(d->pack, asrc, lda, mc, pc, kc, kcp, mr, c->ops, ap);
        /*
         * the next column's B panel, shared among this column's tiles: not on k loops shorter
         * than SHORT_K, whose panels are a few lines (K = 16: all of B fits L2). (A column of
         * one tile, t_block's 2 rows, asks for the whole panel: with or without that, 0.95-1.08
         * of each other's time in alternating runs, within the driver's own A-A spread.)
         */
        int pf_on = kcp >= SHORT_K;
        sb_gemm_pf_plan pfp = sb_gemm_pf_plan_make(kcp * nr * es, (mc + mr - 1) / mr, kcp / g);
        for (size_t jr = 0; jr < nc; jr += nr) {
            size_t j = jc + jr, nv = nc - jr < nr ? nc - jr : nr;
            const char *bp = (const char *)c->p->b + ((j / nr) * c->p->kp + pc) * nr * es;
            const char *bnext = pf_on && jr + nr < nc ? bp + c->p->kp * nr * es : NULL;
            for (size_t ir = 0, t = 0; ir < mc; ir += mr, t++) {
                size_t i = ic + ir, mv = mc - ir < mr ? mc - ir : mr;
                float *cp = a->y + i * a->ldy + j;
                const char *apan = ap ? ap + ir * kcp * es : NULL;
                sb_ukr_pf pf, *pfa = NULL;
                if (bnext) {
                    pf = sb_gemm_pf_slice(&pfp, bnext, t);
                    pfa = &pf;
                }
                if (kcp >= SHORT_K) {
                    prefetch_tile(cp, a->ldy, mv, nv);
                } else { /* this tile's lines were asked for one tile ago; ask for the next */
                    if (ir == 0)
                        prefetch_tile(cp, a->ldy, mv, nv);
                    if (ir + mr < mc)
                        prefetch_tile(cp + mr * a->ldy, a->ldy, mc - ir - mr < mr ? mc - ir - mr : mr,
                                      nv);
                }
                const float *arow = a->x + i * a->ldx + pc; /* direct: A in place */
                if (nv == nr && (mv == mr || d->rows || c->direct)) {
                    tile_run(c, mv, kcp, apan, arow, bp, cp, a->ldy, first, pfa);
                } else { /* edge: through the scratch tile, copy the valid part */
                    for (size_t r = 0; r < mv && !first; r++)
                        memcpy(tile + r * nr, cp + r * a->ldy, nv * sizeof(float));
                    tile_run(c, mv, kcp, apan, arow, bp, tile, nr, first, pfa);
                    for (size_t r = 0; r < mv; r++)
                        memcpy(cp + r * a->ldy, tile + r * nr, nv * sizeof(float));
                }
                if (last)
                    tile_finish(c, cp, i, j, mv, nv);
            }
        }
    }
}

enum { QROWS = 16 }; /* rows per quantization task */

static void quantize_task(void *ctx, size_t t, int worker)
{
    const gemm_ctx *c = ctx;
    const sb_linear_args *a = c->a;
    (void)worker;
    for (size_t r = t * QROWS; r < a->m && r < (t + 1) * QROWS; r++)
        ((float *)c->sx)[r] = c->ops->quantize(a->x + r * a->ldx, a->k, (int8_t *)c->xq + r * a->k);
}

void sb_gemm_plan_tasks(const sb_ukr_desc *d, size_t m, size_t n, size_t k, size_t workers,
                        sb_gemm_plan *out)
{
    size_t kc, mc, nc, mr = (size_t)d->mr, nr = (size_t)d->nr;
    size_t um = (m + mr - 1) / mr, un = (n + nr - 1) / nr; /* MR x NR tiles along m and n */
    size_t w = workers ? workers : 1, best = SIZE_MAX, bmu = um, bnu = un;

    sb_gemm_blocking(d, k, &kc, &mc, &nc);
    um = um ? um : 1;
    un = un ? un : 1;
    /* the fewest blocks the caches allow */
    size_t rb0 = (um + mc / mr - 1) / (mc / mr), cb0 = (un + nc / nr - 1) / (nc / nr);
    /*
     * Within those bounds, the split whose busiest worker has the least to do,
     * counted in micro-kernel tiles; each task also packs its rows of A, about
     * one column of tiles. Fewer column blocks first, then fewer row blocks, on
     * ties. The rule before halved MC, then NC, until there were 4 tasks per
     * worker: the caption's 600 x 4096 -> 1152 (FP32, 2 threads) got 5 tasks
     * of 1024 columns and 5 of 128, and 720p fc1 17 blocks of rows for 2
     * workers.
     */
    for (size_t cb = cb0; cb <= un && cb <= cb0 + 4 * w && cb <= cb0 + 64; cb++)
        for (size_t rb = rb0; rb <= um && rb <= rb0 + 4 * w && rb <= rb0 + 64; rb++) {
            size_t mu = (um + rb - 1) / rb, nu = (un + cb - 1) / cb; /* tiles per block */
            size_t tasks = (um + mu - 1) / mu * ((un + nu - 1) / nu);
            size_t span = (tasks + w - 1) / w * mu * (nu + 1);
            if (span < best) {
                best = span;
                bmu = mu;
                bnu = nu;
            }
        }
    /* equal blocks: each a whole number of tiles, the last the shortest */
    out->kc = kc < k ? kc : (k ? k : 1);
    out->mc = bmu * mr;
    out->nc = bnu * nr;
    out->row_blocks = (m + out->mc - 1) / out->mc;
    out->col_blocks = (n + out->nc - 1) / out->nc;
}

/*
 * Packing A is one more pass over it, from memory; it pays only when the packed block feeds
 * many column panels (N = 32: one). Reading A in place instead (d->direct), 3600 x K -> N, FP32,
 * 1 thread, Zen 4, against packing it: N = 32 (final) 4.1-5.1 -> 3.2-4.0 ms; N = 64 12-15%
 * less time, N = 128 7-10%, N = 256 2-4%, N = 512 1-2%; N = 1152 to 4608 within the noise
 * either way (docs/performance.md). In place, the kernel's rows are lda apart: a stride that
 * is a multiple of L1_WAY puts all of them in one L1 set, which holds fewer lines than the
 * kernel has rows, and 600 x 4096 -> 1152 took 10-17% more time than packed.
 */
enum {
    DIRECT_PANELS = 16, /* the most column panels per task for which A is read in place */
    L1_WAY = 4096,      /* bytes of one L1D way: 64 sets of 64 bytes (x86 from Haswell, Zen) */
};

bool sb_gemm_direct_a(const sb_ukr_desc *d, const sb_gemm_plan *plan, size_t lda)
{
    size_t panels = (plan->nc + (size_t)d->nr - 1) / (size_t)d->nr;
    return d->direct && d->pack == SB_PACK_F32 && panels <= DIRECT_PANELS &&
           lda * sizeof(float) % L1_WAY != 0;
}

void sb_gemm_linear(const sb_linear_args *a, sb_pool *pool)
{
    const packed_b *p = a->w;
    const sb_ukr_desc *d = p->desc;
    sb_gemm_plan plan;
    gemm_ctx c = {.a = a, .p = p, .ops = sb_ukr_ops(d)};

    sb_gemm_plan_tasks(d, a->m, a->n, a->k, (size_t)sb_pool_threads(pool), &plan);
    c.kc = plan.kc;
    c.mc = plan.mc;
    c.nc = plan.nc;
    c.col_blocks = plan.col_blocks;
    c.direct = sb_gemm_direct_a(d, &plan, a->ldx);
    c.apack_bytes = (plan.mc + (size_t)d->mr) * round_up(c.kc, sb_pack_group(d->pack)) *
                    sb_pack_bytes(d->pack);
    if (sb_pack_is_int8(d->pack)) {
        /* quantize the activations per row: part of the timed layer */
        char *buf = sb_thread_scratch(SB_SCRATCH_LAYER, a->m * (a->k + sizeof(float)) + 64);
        c.sx = (float *)buf;
        c.xq = (int8_t *)(buf + ((a->m * sizeof(float) + 63) & ~(size_t)63));
        sb_pool_run(pool, quantize_task, &c, (a->m + QROWS - 1) / QROWS);
    }
    sb_pool_run(pool, gemm_task, &c, plan.row_blocks * plan.col_blocks);
}

size_t sb_gemm_packed_bytes(const sb_ukr_desc *d, size_t n, size_t k)
{
    size_t nr = (size_t)d->nr, kp = round_up(k, sb_pack_group(d->pack));
    return (n + nr - 1) / nr * kp * nr * sb_pack_bytes(d->pack);
}

sb_status sb_gemm_strided(const sb_ukr_desc *d, const float *x, size_t ldx, const float *b,
                          size_t bs_n, size_t bs_k, size_t m, size_t n, size_t k, float *y,
                          size_t ldy, void *buf, sb_pool *pool)
{
    if (sb_pack_is_int8(d->pack)) /* B would need quantizing, with scales the tiles apply */
        return SB_EINVAL;
    size_t nr = (size_t)d->nr, kp = round_up(k, sb_pack_group(d->pack));
    packed_b p = {.desc = d, .n = n, .k = k, .kp = kp, .b = buf};
    sb_pack_b_strided(d->pack, b, bs_n, bs_k, n, k, kp, nr, buf);
    sb_linear_args la = {.x = x, .ldx = ldx, .w = &p, .y = y, .ldy = ldy, .m = m, .n = n, .k = k};
    sb_gemm_linear(&la, pool);
    return SB_OK;
}
