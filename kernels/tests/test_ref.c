/*
 * test_ref.c - the reference kernels: hand-computed small cases, invariants,
 * and comparisons with naive double-precision loops on odd shapes (tails of
 * every tile size, single rows, strided sequence layouts). Also: thread count
 * never changes a result, and the registry has a reference for every op.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cpu.h"
#include "epilogue.h"
#include "graph.h"
#include "kernel.h"
#include "gemm/gemm.h"
#include "ref/ref.h"
#include "kernel_test.h"

static sb_pool *pool2;

static int setup(void **state)
{
    char err[128];
    (void)state;
    return sb_pool_create(&pool2, NULL, 2, NULL, err, sizeof(err)) == SB_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    sb_pool_destroy(pool2);
    return 0;
}

static float *rnd(size_t n, uint64_t stream)
{
    float *p = malloc(n * sizeof(float));
    sb_fill_uniform(p, n, 42, stream, 1.0f);
    return p;
}

#define NEAR(got, want, tol)                                                             \
    do {                                                                                 \
        double g_ = (got), w_ = (want);                                                  \
        if (!(fabs(g_ - w_) <= (tol)))                                                   \
            fail_msg("%s = %.9g, want %.9g (tolerance %g)", #got, g_, w_, (double)(tol)); \
    } while (0)

/* ==== linear ==== */

static void linear_case(size_t m, size_t n, size_t k)
{
    float *x = rnd(m * k, 1), *w = rnd(n * k, 2), *b = rnd(n, 3);
    float *y1 = malloc(m * n * sizeof(float)), *y2 = malloc(m * n * sizeof(float));
    void *p = NULL;
    assert_int_equal(sb_linear_ref_pack(w, n, k, &p), SB_OK);
    sb_linear_args a = {.x = x, .ldx = k, .w = p, .bias = b, .y = y1, .ldy = n, .m = m, .n = n, .k = k};
    sb_linear_ref(&a, NULL);
    a.y = y2;
    sb_linear_ref(&a, pool2);
    assert_memory_equal(y1, y2, m * n * sizeof(float)); /* threads never change a result */
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            double s = b[j];
            for (size_t q = 0; q < k; q++)
                s += (double)x[i * k + q] * w[j * k + q];
            NEAR(y1[i * n + j], s, 1e-6 * sqrt((double)k) + 1e-6 * fabs(s));
        }
    sb_linear_ref_free(p);
    free(x), free(w), free(b), free(y1), free(y2);
}

static void test_linear(void **state)
{
    (void)state;
    /* hand case: y = x W^T + b with x = [1 2 3], W = [[1 0 -1], [2 1 0]], b = [0.5, -1] */
    float x[] = {1, 2, 3}, w[] = {1, 0, -1, 2, 1, 0}, b[] = {0.5f, -1}, y[2];
    void *p = NULL;
    assert_int_equal(sb_linear_ref_pack(w, 2, 3, &p), SB_OK);
    sb_linear_args a = {.x = x, .ldx = 3, .w = p, .bias = b, .y = y, .ldy = 2, .m = 1, .n = 2, .k = 3};
    sb_linear_ref(&a, pool2);
    assert_true(y[0] == -1.5f && y[1] == 3.0f);
    a.bias = NULL;
    sb_linear_ref(&a, NULL);
    assert_true(y[0] == -2.0f && y[1] == 4.0f);
    sb_linear_ref_free(p);
    /* tails of the 32-row, 256-column and 256-k tiles, single rows and columns */
    const size_t shapes[][3] = {{1, 1, 1}, {1, 7, 3}, {3, 1, 5}, {37, 19, 53}, {5, 300, 260},
                                {33, 257, 513}, {64, 16, 1152}, {2, 384, 64}};
    for (size_t i = 0; i < SB_ARRAY_LEN(shapes); i++)
        linear_case(shapes[i][0], shapes[i][1], shapes[i][2]);
}

/* ==== attention ==== */

static void test_attention_hand(void **state)
{
    /* one query [1,0]; keys [1,0], [0,0]; values [1,2], [3,4]; scale 1 */
    float q[] = {1, 0}, k[] = {1, 0, 0, 0}, v[] = {1, 2, 3, 4}, o[2], scratch[2];
    sb_seq_layout one = {.n_outer = 1, .n_inner = 1, .tok_stride = 1};
    sb_attn_args a = {.q = q, .k = k, .v = v, .ldq = 2, .ldk = 2, .ldv = 2, .o = o, .ldo = 2,
                      .ql = one, .kvl = one, .nq = 1, .nkv = 2, .heads = 1, .head_dim = 2,
                      .scale = 1.0f, .scratch = scratch};
    (void)state;
    sb_attention_ref(&a, NULL);
    double p0 = exp(1.0) / (exp(1.0) + 1.0), p1 = 1.0 - p0;
    NEAR(o[0], p0 * 1 + p1 * 3, 1e-6);
    NEAR(o[1], p0 * 2 + p1 * 4, 1e-6);
}

/* Explicit softmax loops in double, for every sequence, head and query (kernel_test.h). */
static void attention_naive(const sb_attn_args *a, double *out /* like o */)
{
    size_t nseq = a->ql.n_outer * a->ql.n_inner;
    for (size_t j = 0; j < nseq; j++)
        for (size_t h = 0; h < a->heads; h++)
            for (size_t i = 0; i < a->nq; i++)
                for (size_t e = 0; e < a->head_dim; e++)
                    out[sb_seq_row(&a->ql, j, i) * a->ldo + h * a->head_dim + e] =
                        sb_naive_attention(a, j, h, i, e);
}

static void attention_case(size_t B, size_t T, size_t S, size_t heads, size_t D, int temporal)
{
    size_t C = heads * D, rows = B * T * S;
    float *qkv = rnd(rows * 3 * C, 9), *o1 = calloc(rows * C, 4), *o2 = calloc(rows * C, 4);
    double *want = calloc(rows * C, sizeof(double));
    size_t n = temporal ? T : S;
    float *scratch = malloc(sb_attn_scratch(n, D, 2) * sizeof(float));
    sb_seq_layout l = temporal
        ? (sb_seq_layout){.n_outer = B, .outer_stride = T * S, .n_inner = S, .inner_stride = 1, .tok_stride = S}
        : (sb_seq_layout){.n_outer = B, .outer_stride = T * S, .n_inner = T, .inner_stride = S, .tok_stride = 1};
    sb_attn_args a = {.q = qkv, .k = qkv + C, .v = qkv + 2 * C, .ldq = 3 * C, .ldk = 3 * C,
                      .ldv = 3 * C, .o = o1, .ldo = C, .ql = l, .kvl = l, .nq = n, .nkv = n,
                      .heads = heads, .head_dim = D, .scale = 1.0f / sqrtf((float)D),
                      .scratch = scratch};
    sb_attention_ref(&a, NULL);
    a.o = o2;
    sb_attention_ref(&a, pool2);
    assert_memory_equal(o1, o2, rows * C * sizeof(float));
    attention_naive(&a, want);
    for (size_t i = 0; i < rows * C; i++)
        NEAR(o1[i], want[i], 2e-6);
    free(qkv), free(o1), free(o2), free(want), free(scratch);
}

static void test_attention_layouts(void **state)
{
    (void)state;
    attention_case(2, 3, 5, 2, 8, 0);   /* spatial: sequences of S tokens */
    attention_case(2, 3, 5, 2, 8, 1);   /* temporal: T tokens, stride S */
    attention_case(1, 1, 70, 1, 72, 0); /* one long sequence, more than one 64-query block */
    attention_case(1, 2, 1, 3, 1, 1);   /* head dim 1, single-token spatial */
}

static void test_cross_attention(void **state)
{
    /* B sequences of N queries against their own L keys (block-diagonal) */
    size_t B = 2, N = 9, L = 4, heads = 2, D = 4, C = heads * D;
    float *q = rnd(B * N * C, 11), *kv = rnd(B * L * 2 * C, 12), *o = calloc(B * N * C, 4);
    float scratch[8];
    double *want = calloc(B * N * C, sizeof(double));
    sb_attn_args a = {.q = q, .k = kv, .v = kv + C, .ldq = C, .ldk = 2 * C, .ldv = 2 * C, .o = o,
                      .ldo = C, .ql = {.n_outer = B, .outer_stride = N, .n_inner = 1, .tok_stride = 1},
                      .kvl = {.n_outer = B, .outer_stride = L, .n_inner = 1, .tok_stride = 1},
                      .nq = N, .nkv = L, .heads = heads, .head_dim = D, .scale = 0.5f,
                      .scratch = scratch};
    (void)state;
    sb_attention_ref(&a, pool2);
    attention_naive(&a, want);
    for (size_t i = 0; i < B * N * C; i++)
        NEAR(o[i], want[i], 2e-6);
    free(q), free(kv), free(o), free(want);
}

/* ==== norms ==== */

static void test_layernorm_invariants(void **state)
{
    size_t rows = 7, c = 1152;
    float *x = rnd(rows * c, 20), *y = malloc(rows * c * sizeof(float));
    (void)state;
    for (size_t i = 0; i < rows * c; i++)
        x[i] = 3.0f + 5.0f * x[i]; /* offset and scale must not matter */
    sb_ln_mod_args a = {.x = x, .ldx = c, .y = y, .ldy = c, .rows = rows, .c = c, .group_rows = rows,
                        .eps = 1e-6f};
    sb_ln_modulate_ref(&a, pool2);
    for (size_t r = 0; r < rows; r++) {
        double mean = 0, var = 0;
        for (size_t i = 0; i < c; i++)
            mean += y[r * c + i];
        mean /= c;
        for (size_t i = 0; i < c; i++)
            var += (y[r * c + i] - mean) * (y[r * c + i] - mean);
        NEAR(mean, 0.0, 1e-6);
        NEAR(var / c, 1.0, 1e-5);
    }
    free(x), free(y);
}

static void test_layernorm_modulate(void **state)
{
    /* two groups of 2 rows, c = 2: LN([a, b]) = [-1, 1] for a < b (eps 0) */
    float x[] = {1, 3, 5, 1, 0, 2, -4, -8};
    float shift[] = {10, 20, 30, 40}, scale[] = {1, 0, -0.5f, 2}, y[8];
    sb_ln_mod_args a = {.x = x, .ldx = 2, .y = y, .ldy = 2, .shift = shift, .scale = scale,
                        .ldm = 2, .rows = 4, .c = 2, .group_rows = 2, .eps = 0.0f};
    (void)state;
    sb_ln_modulate_ref(&a, NULL);
    const float want[] = {-1 * 2 + 10, 1 * 1 + 20, 1 * 2 + 10, -1 * 1 + 20,
                          -1 * 0.5f + 30, 1 * 3 + 40, 1 * 0.5f + 30, -1 * 3 + 40};
    for (int i = 0; i < 8; i++)
        NEAR(y[i], want[i], 1e-6);
}

static void test_qk_rmsnorm(void **state)
{
    /* row of 2 heads x D = 2 for q and k: [3, 4 | 0, 2] ; weights [1, 2] */
    float q[] = {3, 4, 0, 2}, k[] = {1, 1, -2, 0}, wq[] = {1, 2}, wk[] = {1, 1};
    sb_qk_norm_args a = {.q = q, .k = k, .ldq = 4, .ldk = 4, .wq = wq, .wk = wk, .rows = 1,
                         .heads = 2, .head_dim = 2, .eps = 0.0f};
    (void)state;
    sb_qk_rmsnorm_ref(&a, NULL);
    double r = sqrt((9 + 16) / 2.0);
    NEAR(q[0], 3 / r, 1e-6);
    NEAR(q[1], 2 * 4 / r, 1e-6);
    NEAR(q[2], 0, 1e-6);
    NEAR(q[3], 2 * 2 / sqrt(2.0), 1e-6);
    NEAR(k[0], 1, 1e-6);
    NEAR(k[1], 1, 1e-6);
    NEAR(k[2], -2 / sqrt(2.0), 1e-6);
    NEAR(k[3], 0, 1e-6);
}

/* ==== elementwise ==== */

static void test_rope(void **state)
{
    /* temporal layout: B 1, S 2, T 3; head_dim 4 (2 pairs); angle p * f_j */
    size_t T = 3, S = 2, D = 4, C = D;
    float *q = rnd(T * S * C, 30), *k = rnd(T * S * C, 31);
    float *q0 = malloc(T * S * C * 4), cs[6], sn[6];
    memcpy(q0, q, T * S * C * 4);
    for (size_t t = 0; t < T; t++)
        for (size_t j = 0; j < 2; j++) {
            double f = pow(10000.0, -2.0 * j / D);
            cs[t * 2 + j] = (float)cos(t * f);
            sn[t * 2 + j] = (float)sin(t * f);
        }
    sb_rope_args a = {.q = q, .k = k, .ldq = C, .ldk = C,
                      .layout = {.n_outer = 1, .outer_stride = T * S, .n_inner = S, .inner_stride = 1,
                                 .tok_stride = S},
                      .n = T, .heads = 1, .head_dim = D, .cos_t = cs, .sin_t = sn};
    (void)state;
    sb_rope_ref(&a, pool2);
    for (size_t t = 0; t < T; t++)
        for (size_t s = 0; s < S; s++) {
            const float *x = q0 + (t * S + s) * C, *y = q + (t * S + s) * C;
            for (size_t j = 0; j < 2; j++) {
                double f = pow(10000.0, -2.0 * j / D), th = t * f;
                NEAR(y[2 * j], x[2 * j] * cos(th) - x[2 * j + 1] * sin(th), 1e-6);
                NEAR(y[2 * j + 1], x[2 * j + 1] * cos(th) + x[2 * j] * sin(th), 1e-6);
            }
        }
    free(q), free(k), free(q0);
}

static void test_gelu_silu(void **state)
{
    float x[] = {0, 1, -1, 3, -3, 0.5f, 10, -10}, y[8];
    sb_unary_args a = {.x = x, .ldx = 8, .y = y, .ldy = 8, .rows = 1, .c = 8};
    (void)state;
    sb_gelu_tanh_ref(&a, NULL);
    NEAR(y[0], 0.0, 0);
    NEAR(y[1], 0.841192, 1e-6);   /* tanh approximation at 1 */
    NEAR(y[2], -0.158808, 1e-6);
    for (int i = 0; i < 8; i++) {
        double v = x[i];
        NEAR(y[i], 0.5 * v * (1 + tanh(sqrt(2 / M_PI) * (v + 0.044715 * v * v * v))), 2e-6);
    }
    sb_silu_ref(&a, pool2);
    NEAR(y[0], 0.0, 0);
    NEAR(y[1], 0.7310586, 1e-6);
    NEAR(y[2], -0.2689414, 1e-6);
    NEAR(y[7], -10 / (1 + exp(10.0)), 1e-7);
}

static void test_residual_and_rows(void **state)
{
    /* 4 rows x 2, groups of 2 rows; gate row per group */
    float x[] = {1, 1, 1, 1, 1, 1, 1, 1}, h[] = {2, 4, 6, 8, 10, 12, 14, 16};
    float gate[] = {0.5f, 0, 1, -1};
    sb_gres_args a = {.x = x, .ldx = 2, .h = h, .ldh = 2, .gate = gate, .ldg = 2, .rows = 4, .c = 2,
                      .group_rows = 2};
    (void)state;
    sb_gated_residual_ref(&a, NULL);
    const float want[] = {2, 1, 4, 1, 11, -11, 15, -15};
    assert_memory_equal(x, want, sizeof(want));
    a.gate = NULL; /* plain residual */
    sb_gated_residual_ref(&a, pool2);
    const float want2[] = {4, 5, 10, 9, 21, 1, 29, 1};
    assert_memory_equal(x, want2, sizeof(want2));

    float in[] = {1, 2, 3, 4, 5, 6}, t[] = {10, 20, 30, 40}, y[6];
    sb_add_rows_args r = {.a = in, .lda = 2, .t = t, .ldt = 2, .period = 2, .y = y, .ldy = 2,
                          .rows = 3, .c = 2};
    sb_add_rows_ref(&r, NULL);
    const float want3[] = {11, 22, 33, 44, 15, 26};
    assert_memory_equal(y, want3, sizeof(want3));
}

static void test_timestep_freq(void **state)
{
    float t[] = {0, 1, 500}, y[3 * 4];
    sb_tfreq_args a = {.t = t, .y = y, .ldy = 4, .rows = 3, .dim = 4, .max_period = 10000};
    (void)state;
    sb_timestep_freq_ref(&a, pool2);
    /* freq_k = exp(-ln(10000) k / 2): 1 and 0.01; cos half first */
    const float want[] = {1, 1, 0, 0, (float)cos(1.0), (float)cos(0.01), (float)sin(1.0),
                          (float)sin(0.01), (float)cos(500.0), (float)cos(5.0), (float)sin(500.0),
                          (float)sin(5.0)};
    for (int i = 0; i < 12; i++)
        NEAR(y[i], want[i], 1e-6);
}

static void test_patchify(void **state)
{
    /* B 1, 2 channels, T 1, 3x3 latent -> 2x2 patches of 2x2 (padded), row = (c, i, j) */
    float z[18], y[4 * 8];
    for (int i = 0; i < 18; i++)
        z[i] = (float)(i + 1);
    sb_patchify_args a = {.z = z, .y = y, .ldy = 8, .B = 1, .cin = 2, .T = 1, .hl = 3, .wl = 3,
                          .ph = 2, .pw = 2};
    (void)state;
    sb_patchify_ref(&a, NULL);
    const float want[4][8] = {{1, 2, 4, 5, 10, 11, 13, 14},
                              {3, 0, 6, 0, 12, 0, 15, 0},
                              {7, 8, 0, 0, 16, 17, 0, 0},
                              {9, 0, 0, 0, 18, 0, 0, 0}};
    assert_memory_equal(y, want, sizeof(want));
}

/* ==== INT8 quantizer ==== */

/* sb_quantize_s8 against the definition: s = max|x| / 127, q = lrintf(x / s) clamped to +-127
   (round half to even), on ties, a scale that is not a power of two, zeros and NaN. */
static void test_quantize_s8(void **state)
{
    float x[67];
    int8_t q[67];
    (void)state;
    x[0] = 127.0f; /* s = 1: the rest are exact ties */
    for (int i = 1; i < 67; i++)
        x[i] = (float)(i - 33) + 0.5f * (float)(i % 2 ? 1 : -1);
    assert_true(sb_quantize_s8(x, 67, q) == 1.0f);
    for (int i = 0; i < 67; i++)
        assert_int_equal(q[i], (int8_t)lrintf(x[i]));
    float *r = rnd(1003, 77); /* U(-1, 1), odd length */
    int8_t *rq = malloc(1003);
    float s = sb_quantize_s8(r, 1003, rq), mx = 0.0f;
    for (int i = 0; i < 1003; i++)
        mx = fabsf(r[i]) > mx ? fabsf(r[i]) : mx;
    assert_true(s == mx / 127.0f);
    for (int i = 0; i < 1003; i++) {
        long v = lrintf(r[i] * (1.0f / s));
        assert_int_equal(rq[i], v > 127 ? 127 : v < -127 ? -127 : v);
    }
    memset(x, 0, sizeof(x));
    assert_true(sb_quantize_s8(x, 67, q) == 1.0f); /* all zero: scale 1, q 0 */
    for (int i = 0; i < 67; i++)
        assert_int_equal(q[i], 0);
    x[3] = NAN, x[4] = 2.0f;
    assert_true(sb_quantize_s8(x, 67, q) == 2.0f / 127.0f); /* NaN ignored by the max ... */
    assert_int_equal(q[3], -127);                            /* ... and quantized to -127 */
    assert_int_equal(q[4], 127);
    free(r);
    free(rq);
}

/* The host's row-code tables (sb_epi_find): its best, and capped to AVX2 / NEON, each once. */
static size_t host_epi_rows(const sb_epi_ops **rows, size_t max)
{
    static const char *const caps[] = {NULL, "avx2", "neon"};
    size_t n = 0;
    for (size_t c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
        sb_cpu cpu;
        char err[256];
        assert_int_equal(sb_cpu_detect(&cpu, err, sizeof(err)), SB_OK);
        if (caps[c] && sb_cpu_cap(&cpu, caps[c], err, sizeof(err)) != SB_OK) {
            printf("row code: no %s row here (%s)\n", caps[c], err);
            continue;
        }
        const sb_epi_ops *ops = sb_epi_find(cpu.isa);
        int dup = ops == &sb_epi_portable;
        for (size_t i = 0; i < n; i++)
            dup |= rows[i] == ops;
        if (!dup && n < max)
            rows[n++] = ops;
    }
    return n;
}

/* Inputs for the bit-for-bit checks: 0 random, 1 ties of the quantizer, 2 specials, 3 an
   infinity, 4 tiny values (max 1e-30), 5 ties of bfloat16 rounding. */
static void special_inputs(float *x, size_t n, int variant)
{
    sb_fill_uniform(x, n, 42, 91, 1.0f);
    for (size_t i = 0; i < n; i++) {
        if (variant == 1) /* scale 1: halves are exact ties */
            x[i] = i == 5 ? 127.0f : (float)((int)(i % 255) - 127) + 0.5f;
        if (variant == 2 && i % 7 == 0)
            x[i] = (float[]){NAN, -0.0f, 1e-40f, -1e-41f, 3.0f, -NAN, INFINITY}[(i / 7) % 7];
        if (variant == 2 && i % 11 == 5) { /* NaNs whose rounding would carry into inf or -0 */
            uint32_t u = (uint32_t[]){0x7f800001u, 0xffffffffu, 0x7fbfffffu}[(i / 11) % 3];
            memcpy(x + i, &u, sizeof(u));
        }
        if (variant == 4)
            x[i] *= i % 2 ? 1e-30f : 1e-38f;
        if (variant == 5) { /* the low 16 bits exactly 0x8000: a tie, even or odd upper half */
            uint32_t u = 0x3f800000u + ((uint32_t)i << 16) + 0x8000u;
            memcpy(x + i, &u, sizeof(u));
        }
    }
    if (variant == 3)
        x[n / 3] = -INFINITY;
}

/*
 * Each ISA's softmax row against the portable one (libm expf, double sum) on rows of scores
 * like attention's (and wider, and with one dominant score), every length 1..70 and two
 * long ones, with scale 0.118 (72^-0.5) and 1: each value within 2e-6 relative + 1e-12,
 * and the sum of each row 1 within 1e-5.
 */
static void softmax_rows(const sb_epi_ops **rows, size_t nrows)
{
    enum { NMAX = 3600 };
    float *x = malloc(NMAX * sizeof(float)), *want = malloc(NMAX * sizeof(float)),
          *got = malloc(NMAX * sizeof(float));
    double worst = 0.0;
    for (size_t r = 0; r < nrows; r++)
        for (int variant = 0; variant < 3; variant++)
            for (size_t n = 1; n <= NMAX; n = n < 70 ? n + 1 : n == 70 ? 1003 : n == 1003 ? NMAX : NMAX + 1) {
                float scale = variant == 1 ? 1.0f : 0.11785113f;
                sb_fill_uniform(x, n, 7, (uint64_t)n, variant == 0 ? 8.0f : 30.0f);
                if (variant == 2)
                    x[n / 2] = 200.0f; /* one score dominates: the rest underflow toward 0 */
                memcpy(want, x, n * sizeof(float));
                memcpy(got, x, n * sizeof(float));
                sb_epi_portable.softmax(want, n, scale);
                rows[r]->softmax(got, n, scale);
                double sum = 0.0;
                for (size_t j = 0; j < n; j++) {
                    double d = fabs((double)got[j] - want[j]);
                    sum += got[j];
                    if (!(d <= 2e-6 * want[j] + 1e-12)) /* NaN fails too */
                        fail_msg("softmax: ISA row %zu, inputs %d, n %zu, value %zu: %.9g, portable %.9g",
                                 r, variant, n, j, got[j], want[j]);
                    if (want[j] > 1e-30 && d / want[j] > worst)
                        worst = d / want[j];
                }
                if (!(fabs(sum - 1.0) <= 1e-5))
                    fail_msg("softmax: ISA row %zu, inputs %d, n %zu: the row sums to %.9g", r, variant,
                             n, sum);
            }
    printf("softmax: %zu vector row(s), worst relative difference from the portable row %.2e\n",
           nrows, worst);
    free(x);
    free(want);
    free(got);
}

/*
 * Each ISA's vector row code gives the same bits as the definition: the quantizer
 * (sb_epi_ops.quantize vs sb_quantize_s8) and the bfloat16 conversion (.to_bf16 vs
 * sb_f32_to_bf16), on every length 0..70 (vector tails), 1003 and 4608, with ties, NaN,
 * +-inf, -0, subnormals and a row too small for 1 / scale. An ISA the host lacks is
 * reported, not tested.
 */
static void test_row_code_isa(void **state)
{
    const sb_epi_ops *rows[5];
    size_t nrows = host_epi_rows(rows, 4), nmax = 4608;
    float *x = malloc(nmax * sizeof(float));
    int8_t *want = malloc(nmax), *got = malloc(nmax);
    uint16_t *hw = malloc(nmax * 2), *hg = malloc(nmax * 2);
    (void)state;
    rows[nrows] = &sb_epi_portable; /* every table fills every field (epilogue.h) */
    for (size_t r = 0; r <= nrows; r++) {
        const sb_epi_ops *o = rows[r];
        assert_true(o->bias && o->gelu && o->gres && o->dequant && o->quantize && o->to_bf16 &&
                    o->softmax);
    }
    softmax_rows(rows, nrows);
    for (size_t r = 0; r < nrows; r++)
        for (int variant = 0; variant < 6; variant++) {
            special_inputs(x, nmax, variant);
            for (size_t n = 0; n <= nmax;
                 n = n < 70 ? n + 1 : n < 1003 ? 1003 : n == 1003 ? nmax : nmax + 1) {
                float s0 = sb_quantize_s8(x, n, want), s1 = rows[r]->quantize(x, n, got);
                if (memcmp(&s0, &s1, sizeof(s0)) != 0 || memcmp(want, got, n) != 0)
                    fail_msg("quantize: ISA row %zu, inputs %d, n %zu: not the definition's bits",
                             r, variant, n);
                for (size_t i = 0; i < n; i++)
                    hw[i] = sb_f32_to_bf16(x[i]);
                rows[r]->to_bf16(x, n, hg);
                if (memcmp(hw, hg, n * 2) != 0)
                    fail_msg("to_bf16: ISA row %zu, inputs %d, n %zu: not the definition's bits",
                             r, variant, n);
            }
        }
    for (size_t i = 0; i < 8; i++) /* subnormal max: scale 1, all 0 */
        x[i] = (float)(i % 3) * 1e-40f;
    assert_true(sb_quantize_s8(x, 8, want) == 1.0f);
    for (size_t r = 0; r < nrows; r++) {
        assert_true(rows[r]->quantize(x, 8, got) == 1.0f);
        for (size_t j = 0; j < 8; j++)
            assert_int_equal(got[j], 0);
    }
    printf("row code: %zu vector row(s) checked against the definitions\n", nrows);
    free(x);
    free(want);
    free(got);
    free(hw);
    free(hg);
}

/* ==== registry ==== */

static void test_registry(void **state)
{
    size_t n;
    const sb_kernel *t = sb_kernel_table(&n);
    (void)state;
    for (int op = 0; op < SB_OP_COUNT; op++) {
        const sb_kernel *k = sb_kernel_find((sb_op)op, SB_DT_F32, false, 0);
        assert_non_null(k);
        assert_string_equal(k->isa, "ref");
        assert_int_equal(k->requires, 0);
        assert_ptr_equal(sb_kernel_by_name(k->name), k);
        /* a fused request falls back to the unfused reference when no fused kernel exists */
        assert_non_null(sb_kernel_find((sb_op)op, SB_DT_F32, true, 0));
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            assert_string_not_equal(t[i].name, t[j].name);
    assert_null(sb_kernel_by_name("no.such.kernel"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linear),           cmocka_unit_test(test_attention_hand),
        cmocka_unit_test(test_attention_layouts), cmocka_unit_test(test_cross_attention),
        cmocka_unit_test(test_layernorm_invariants), cmocka_unit_test(test_layernorm_modulate),
        cmocka_unit_test(test_qk_rmsnorm),       cmocka_unit_test(test_rope),
        cmocka_unit_test(test_gelu_silu),        cmocka_unit_test(test_residual_and_rows),
        cmocka_unit_test(test_timestep_freq),    cmocka_unit_test(test_patchify),
        cmocka_unit_test(test_quantize_s8),      cmocka_unit_test(test_row_code_isa),      cmocka_unit_test(test_registry),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
