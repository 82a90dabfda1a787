/*
 * bench_elementwise.c [--in-cache] [--only TEXT] [THREADS...] - memory bandwidth of the elementwise kernels on data far
 * larger than the caches, FP32 beside BF16 storage, each against a triad timed alternately
 * with it on the same threads (the target: 70% of the triad). `meson test --benchmark`
 * runs it; docs/performance.md has its output. Not a test: it asserts nothing and times.
 *
 * Shapes: 240p 4s rows (24300), GELU in place on 4608 columns, LayerNorm + modulate 1152 ->
 * 1152 into another buffer, the gated residual in place on 1152 with h and a gate row; the q/k
 * RMSNorm and RoPE (apart and fused) in place on the q and k thirds of qkv rows of 3456, 16
 * heads of 72, RoPE along the temporal sequences (405 of T = 60). GB/s counts the minimum
 * traffic: each input read once, each output written once. The triad is
 * a = b + s c over 3 x 2^26 floats (768 MiB), 12 bytes per element (no write-allocate, as in
 * STREAM). Every large buffer is on huge pages where granted (mem.h), as the graph's. Each
 * line: REPS calls of the kernel, each after a timed triad (median_gbs); GB/s and triad are
 * the medians of each, "of triad" the median of the pairs' ratios.
 * The q/k pass rows (qk_pass.*) time the heads' access pattern with no arithmetic (see there).
 * THREADS: the pool sizes to run (default 1 2); --only: the kernels whose name contains TEXT.
 * --in-cache: every row of a call is the same row (row strides 0; GELU then writes another
 * row), so the data stay in L1 and the figure is the kernel's arithmetic limit in the same
 * units. Meaningful on 1 thread (with more, the threads write the same row).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cpu.h"
#include "gemm/gemm.h"
#include "graph.h"
#include "kernel.h"
#include "kernel_test.h"
#include "mem.h"
#include "ref/ref.h"
#include "stats.h"

enum { ROWS = 24300, C = 1152, C4 = 4 * 1152, REPS = 10 };
enum { SEQS = 405, T = ROWS / SEQS, HEADS = 16, D = C / HEADS }; /* the q/k heads */
#define TRIAD_N ((size_t)1 << 26)

typedef struct bufs {
    float *x, *y, *h, *mod;          /* FP32 rows (x: qkv too), shift/scale/gate rows [2][2C] */
    float *x0;                       /* x as filled: restored before each kernel */
    float *cs;                       /* RoPE's cos, then sin tables [T][D/2] */
    sb_bf16 *xh, *yh, *hh, *xh0;     /* the same rows in bfloat16 */
    float *ta, *tb, *tc;             /* the triad's arrays */
} bufs;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct triad_args {
    float *a;
    const float *b, *c;
} triad_args;

static void triad_rows(const void *args, size_t r0, size_t r1)
{
    const triad_args *t = args;
    size_t chunk = TRIAD_N / 1024;
    for (size_t i = r0 * chunk; i < r1 * chunk; i++)
        t->a[i] = t->b[i] + 3.0f * t->c[i];
}

/*
 * The q/k pass: the access pattern of the in-place head kernels with no arithmetic. Row by row,
 * the q and k thirds of each qkv row are read and written back unchanged (FP32 values times a
 * 1 the compiler cannot see; bfloat16 bits xored with a 0), with the rows SB_HEAD_PREFETCH_ROWS
 * ahead prefetched into L2 as the head loop does: about the most a head kernel could move.
 * Timed as a qk_rmsnorm kernel (sb_test_run_heads), so it gets the same rows and bytes.
 */
static volatile float pass_one = 1.0f;
static volatile sb_bf16 pass_zero;

static void pass_rows(const sb_qk_norm_args *a, size_t es, size_t r0, size_t r1)
{
    size_t span = a->heads * a->head_dim, ahead = SB_HEAD_PREFETCH_ROWS;
    float one = pass_one;
    sb_bf16 zero = pass_zero;
    for (size_t r = r0; r < r1; r++) {
        char *row[2] = {(char *)a->q + r * a->ldq * es, (char *)a->k + r * a->ldk * es};
        for (int t = 0; t < 2; t++) {
            if (r + ahead < r1)
                sb_prefetch_l2_bytes(row[t] + ahead * (t ? a->ldk : a->ldq) * es, span * es);
            for (size_t i = 0; i < span; i++)
                if (es == 4)
                    ((float *)row[t])[i] *= one;
                else
                    ((sb_bf16 *)row[t])[i] ^= zero;
        }
    }
}

static void pass_rows_f32(const void *a, size_t r0, size_t r1)
{
    pass_rows(a, 4, r0, r1);
}

static void pass_rows_bf16(const void *a, size_t r0, size_t r1)
{
    pass_rows(a, 2, r0, r1);
}

static void pass_f32(const sb_qk_norm_args *a, sb_pool *pool)
{
    sb_ref_split_rows(pool, a->rows, 16, pass_rows_f32, a);
}

static void pass_bf16(const sb_qk_norm_args *a, sb_pool *pool)
{
    sb_ref_split_rows(pool, a->rows, 16, pass_rows_bf16, a);
}

static const sb_kernel passes[] = {
    {.name = "qk_pass.f32 (no arithmetic)", .op = SB_OP_QK_RMSNORM, .dtype = SB_DT_F32,
     .fn.qk_rmsnorm = pass_f32},
    {.name = "qk_pass.bf16 (no arithmetic)", .op = SB_OP_QK_RMSNORM, .dtype = SB_DT_F32,
     .io = SB_DT_BF16, .fn.qk_rmsnorm = pass_bf16},
};

/* One timed call: which kernel on which buffers (k == NULL: the triad). */
static int in_cache; /* --in-cache: row strides 0 (see the header) */

static void call(const sb_kernel *k, bufs *b, sb_pool *pool)
{
    int bf = k && k->io == SB_DT_BF16;
    size_t ld1 = in_cache ? 0 : C, ld4 = in_cache ? 0 : C4;
    if (!k) {
        triad_args t = {b->ta, b->tb, b->tc};
        sb_ref_split_rows(pool, 1024, 1, triad_rows, &t);
    } else if (k->op == SB_OP_GELU_TANH) {
        sb_unary_args a = {.ldx = ld4, .ldy = ld4, .rows = ROWS, .c = C4};
        if (bf)
            a.xh = b->xh, a.yh = in_cache ? b->yh : b->xh;
        else
            a.x = b->x, a.y = in_cache ? b->y : b->x;
        k->fn.unary(&a, pool);
    } else if (k->op == SB_OP_LN_MODULATE) {
        sb_ln_mod_args a = {.ldx = ld1, .ldy = ld1, .shift = b->mod, .scale = b->mod + C, .ldm = 2 * C,
                            .rows = ROWS, .c = C, .group_rows = ROWS / 2, .eps = 1e-6f};
        if (bf)
            a.xh = b->xh, a.yh = b->yh;
        else
            a.x = b->x, a.y = b->y;
        k->fn.ln_modulate(&a, pool);
    } else if (k->op == SB_OP_QK_RMSNORM || k->op == SB_OP_ROPE || k->op == SB_OP_QK_NORM_ROPE) {
        size_t ld = in_cache ? 0 : 3 * C;
        sb_qk_norm_rope_args a = {
            .rope = {.ldq = ld, .ldk = ld,
                     .layout = {.n_outer = 1, .outer_stride = ROWS, .n_inner = SEQS,
                                .inner_stride = 1, .tok_stride = SEQS},
                     .n = T, .heads = HEADS, .head_dim = D, .cos_t = b->cs,
                     .sin_t = b->cs + T * D / 2},
            .wq = b->mod, .wk = b->mod + D, .eps = 1e-6f};
        if (bf)
            a.rope.qh = b->xh, a.rope.kh = b->xh + C;
        else
            a.rope.q = b->x, a.rope.k = b->x + C;
        sb_test_run_heads(k, &a, pool);
    } else {
        sb_gres_args a = {.ldx = ld1, .ldh = ld1, .gate = b->mod, .ldg = 2 * C, .rows = ROWS, .c = C,
                          .group_rows = ROWS / 2};
        if (bf)
            a.xh = b->xh, a.hh = b->hh;
        else
            a.x = b->x, a.h = b->h;
        k->fn.gated_residual(&a, pool);
    }
}

/* Bytes one call moves at the minimum (see the header). */
static double bytes_of(const sb_kernel *k)
{
    double es = k && k->io == SB_DT_BF16 ? 2.0 : 4.0;
    if (!k)
        return 12.0 * (double)TRIAD_N;
    if (k->op == SB_OP_GELU_TANH)
        return 2.0 * es * ROWS * C4;
    if (k->op == SB_OP_QK_RMSNORM || k->op == SB_OP_ROPE || k->op == SB_OP_QK_NORM_ROPE)
        return 4.0 * es * ROWS * C; /* q and k, each read and written */
    return (k->op == SB_OP_LN_MODULATE ? 2.0 : 3.0) * es * ROWS * C;
}

/* The GB/s of one timed call. */
static double timed_gbs(const sb_kernel *k, bufs *b, sb_pool *pool)
{
    double t0 = now_s();
    call(k, b, pool);
    return bytes_of(k) / (now_s() - t0) / 1e9;
}

/*
 * k (NULL: the triad alone) and the triad timed alternately, REPS pairs after one untimed call
 * of each, on x as filled: the kernels that work in place (GELU, the gated residual, the heads)
 * would otherwise feed each other drifting values, GELU's negative ones halving per call
 * towards subnormals. The triad's figure moved from 17 to 32 GB/s between runs minutes apart on
 * the development VM, so each kernel is set against the triads timed beside it: *ratio is the
 * median of the pairs' ratios, *gbs and *triad the medians of each.
 */
static void median_gbs(const sb_kernel *k, bufs *b, sb_pool *pool, double *gbs, double *triad,
                       double *ratio)
{
    double s[REPS], t[REPS], q[REPS];
    size_t n = (size_t)ROWS * C4;
    memcpy(b->x, b->x0, n * 4);
    memcpy(b->xh, b->xh0, n * 2);
    call(NULL, b, pool);
    call(k, b, pool);
    for (int r = 0; r < REPS; r++) {
        t[r] = timed_gbs(NULL, b, pool);
        s[r] = k ? timed_gbs(k, b, pool) : t[r];
        q[r] = s[r] / t[r];
    }
    *gbs = sb_median(s, REPS);
    *triad = sb_median(t, REPS);
    *ratio = sb_median(q, REPS);
}

/* One line: k timed on threads threads, beside the triad timed alternately with it. */
static void report(const sb_kernel *k, long threads, bufs *b, sb_pool *pool)
{
    double gbs, triad, ratio;
    median_gbs(k, b, pool, &gbs, &triad, &ratio);
    if (!k)
        printf("%-32s %7ld %9.0f %8s %8.2f\n", "triad a = b + s c", threads, bytes_of(NULL) / 1e6,
               "", triad);
    else
        printf("%-32s %7ld %9.0f %8.2f %8.2f %8.0f%%\n", k->name, threads, bytes_of(k) / 1e6, gbs,
               triad, 100.0 * ratio);
    fflush(stdout);
}

static int alloc_bufs(bufs *b)
{
    size_t n = (size_t)ROWS * C4; /* the largest rows: GELU's */
    /* on huge pages, as the graph's activations (mem.h) */
    b->x = sb_mem_alloc(n * 4, NULL), b->y = sb_mem_alloc(n * 4, NULL);
    b->h = sb_mem_alloc(n * 4, NULL), b->mod = malloc(4 * C * 4), b->cs = malloc(T * D * 4);
    b->x0 = sb_mem_alloc(n * 4, NULL), b->xh0 = sb_mem_alloc(n * 2, NULL);
    b->xh = sb_mem_alloc(n * 2, NULL), b->yh = sb_mem_alloc(n * 2, NULL);
    b->hh = sb_mem_alloc(n * 2, NULL), b->ta = sb_mem_alloc(TRIAD_N * 4, NULL);
    b->tb = sb_mem_alloc(TRIAD_N * 4, NULL), b->tc = sb_mem_alloc(TRIAD_N * 4, NULL);
    if (!b->x || !b->y || !b->h || !b->mod || !b->cs || !b->x0 || !b->xh0 || !b->xh || !b->yh ||
        !b->hh || !b->ta || !b->tb || !b->tc)
        return -1;
    /* every page written before timing: values in [-3, 3], gate and modulation in [-0.5, 0.5] */
    sb_fill_uniform(b->x, n, 1, 0, 3.0f);
    sb_fill_uniform(b->h, n, 2, 0, 3.0f);
    sb_fill_uniform(b->mod, 4 * C, 3, 0, 0.5f);
    sb_fill_uniform(b->cs, T * D, 6, 0, 1.0f);
    memset(b->y, 0, n * 4);
    memset(b->yh, 0, n * 2);
    for (size_t i = 0; i < n; i++) {
        b->xh[i] = sb_f32_to_bf16(b->x[i]);
        b->hh[i] = sb_f32_to_bf16(b->h[i]);
    }
    memcpy(b->x0, b->x, n * 4);
    memcpy(b->xh0, b->xh, n * 2);
    sb_fill_uniform(b->tb, TRIAD_N, 4, 0, 1.0f);
    sb_fill_uniform(b->tc, TRIAD_N, 5, 0, 1.0f);
    memset(b->ta, 0, TRIAD_N * 4);
    return 0;
}

static void free_bufs(bufs *b)
{
    free(b->x), free(b->y), free(b->h), free(b->mod), free(b->cs), free(b->x0), free(b->xh0);
    free(b->xh), free(b->yh), free(b->hh);
    free(b->ta), free(b->tb), free(b->tc);
}

int main(int argc, char **argv)
{
    static const sb_op ops[] = {SB_OP_GELU_TANH,  SB_OP_LN_MODULATE, SB_OP_GATED_RESIDUAL,
                                SB_OP_QK_RMSNORM, SB_OP_ROPE,        SB_OP_QK_NORM_ROPE};
    const char *deflt[] = {"1", "2"}, *only = "";
    int rc = 1;
    if (argc > 1 && strcmp(argv[1], "--in-cache") == 0) {
        in_cache = 1;
        argc--, argv++;
    }
    if (argc > 2 && strcmp(argv[1], "--only") == 0) {
        only = argv[2];
        argc -= 2, argv += 2;
    }
    const char **thr = argc > 1 ? (const char **)argv + 1 : deflt;
    int nthr = argc > 1 ? argc - 1 : 2;
    sb_cpu cpu;
    char err[256];
    bufs b = {0};
    size_t nk;
    const sb_kernel *tab = sb_kernel_table(&nk);

    if (sb_cpu_detect(&cpu, err, sizeof(err)) != SB_OK) {
        fprintf(stderr, "bench_elementwise: %s\n", err);
        return 1;
    }
    if (cpu.emulated)
        printf("EMULATED CPU (%s): these timings are not performance\n", cpu.emulated_why);
    if (alloc_bufs(&b) != 0) {
        fprintf(stderr, "bench_elementwise: out of memory (about 2.5 GiB needed)\n");
        goto out;
    }
    printf("%-32s %7s %9s %8s %8s %9s\n", "kernel", "threads", "MB/call", "GB/s", "triad",
           "of triad");
    for (int t = 0; t < nthr; t++) {
        sb_pool *pool = NULL;
        char *end;
        long n = strtol(thr[t], &end, 10);
        if (*end || n < 1 || n > 4096 ||
            sb_pool_create(&pool, NULL, (int)n, NULL, err, sizeof(err)) != SB_OK) {
            fprintf(stderr, "bench_elementwise: bad thread count '%s' %s\n", thr[t], err);
            goto out;
        }
        report(NULL, n, &b, pool);
        for (size_t i = 0; i < sizeof(passes) / sizeof(passes[0]); i++)
            if (strstr(passes[i].name, only))
                report(&passes[i], n, &b, pool);
        for (size_t o = 0; o < sizeof(ops) / sizeof(ops[0]); o++)
            for (size_t i = 0; i < nk; i++) {
                const sb_kernel *k = &tab[i];
                if (k->op != ops[o] || k->provider || (k->requires & ~cpu.isa) ||
                    (k->dtype != SB_DT_F32 && k->io != SB_DT_BF16) || !strstr(k->name, only))
                    continue;
                report(k, n, &b, pool);
            }
        sb_pool_destroy(pool);
    }
    rc = 0;
out:
    free_bufs(&b);
    return rc;
}
