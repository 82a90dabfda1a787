/*
 * test_elementwise.c KERNEL - one registered elementwise/normalisation kernel
 * against the reference kernel of its op, on rows whose length is 1, shorter
 * than a vector, a vector plus a tail, and the catalog's widths (C = 1152,
 * 4C = 4608), with inputs from -10 to 10 (GELU's whole curve) and offset rows
 * (LayerNorm). q/k RMSNorm and RoPE, apart and fused, run on heads of 8, 16,
 * 72 (the models'), 6 and 10 (tails) values, and 9 for the RMSNorm alone.
 * Exits 77 when this host cannot execute the kernel.
 * Tolerances (FP32): GELU |y - ref| <= 2e-6 (1 + |x|); LayerNorm + modulate,
 * RMSNorm and RoPE |y - ref| <= 1e-5 (1 + |ref|). The BF16-storage kernels
 * (GELU, LayerNorm + modulate, gated residual on bfloat16 rows) are checked
 * against the BF16 reference and the FP32 one (check_bf16), GELU also on every
 * bfloat16 value (check_bf16_gelu_all); LayerNorm twice, the second time with
 * its output stored past the caches (stream_all); so are the q/k RMSNorm and
 * RoPE on bfloat16 heads (check_bf16_heads).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel_test.h"
#include "gemm/gemm.h"
#include "graph.h"
#include "kernel.h"

static const size_t widths[] = {1, 5, 16, 23, 64, 1152, 4608 + 3};

static int check_unary(const sb_kernel *k, sb_pool *pool)
{
    const sb_kernel *ref = sb_kernel_find(k->op, SB_DT_F32, false, 0);
    int bad = 0;
    for (size_t w = 0; w < SB_ARRAY_LEN(widths); w++) {
        size_t rows = 7, c = widths[w], n = rows * c;
        float *x = malloc(n * 4), *y = malloc(n * 4), *yr = malloc(n * 4);
        double worst = 0;
        sb_fill_uniform(x, n, 5, w, 10.0f);
        sb_unary_args a = {.x = x, .ldx = c, .y = y, .ldy = c, .rows = rows, .c = c};
        k->fn.unary(&a, pool);
        a.y = yr;
        ref->fn.unary(&a, NULL);
        for (size_t i = 0; i < n; i++) {
            double e = fabs((double)y[i] - yr[i]) / (1.0 + fabs(x[i]));
            worst = sb_test_worst(worst, e);
        }
        bad |= !(worst <= 2e-6);
        printf("%-22s c=%-5zu max |y - ref| / (1 + |x|) = %.2e %s\n", k->name, c, worst,
               worst <= 2e-6 ? "ok" : "FAIL");
        free(x), free(y), free(yr);
    }
    return bad;
}

/* n bytes (rounded up to 64) at a 64-byte boundary; free with free. */
static void *aligned64(size_t n)
{
    return aligned_alloc(64, (n + 63) / 64 * 64);
}

static int check_ln(const sb_kernel *k, sb_pool *pool)
{
    const sb_kernel *ref = sb_kernel_find(k->op, SB_DT_F32, false, 0);
    int bad = 0;
    for (size_t w = 0; w < SB_ARRAY_LEN(widths); w++) {
        size_t rows = 6, c = widths[w], n = rows * c;
        /* 64-byte aligned, so the rows that are can take the streaming stores (sb_cache_bypass) */
        float *x = aligned64(n * 4), *y = aligned64(n * 4), *yr = aligned64(n * 4);
        float *mod = malloc(2 * 2 * c * 4); /* 2 groups x (shift, scale) */
        double worst = 0;
        sb_fill_uniform(x, n, 6, w, 3.0f);
        for (size_t i = 0; i < n; i++)
            x[i] += (float)(i / c); /* each row offset: the mean must not matter */
        sb_fill_uniform(mod, 4 * c, 7, w, 0.5f);
        for (int variant = 0; variant < 2; variant++) {
            sb_ln_mod_args a = {.x = x, .ldx = c, .y = y, .ldy = c, .shift = variant ? mod : NULL,
                                .scale = variant ? mod + c : NULL, .ldm = 2 * c, .rows = rows,
                                .c = c, .group_rows = 3, .eps = 1e-6f};
            k->fn.ln_modulate(&a, pool);
            a.y = yr;
            ref->fn.ln_modulate(&a, NULL);
            for (size_t i = 0; i < n; i++) {
                double e = fabs((double)y[i] - yr[i]) / (1.0 + fabs(yr[i]));
                worst = sb_test_worst(worst, e);
            }
        }
        bad |= !(worst <= 1e-5);
        printf("%-22s c=%-5zu max |y - ref| / (1 + |ref|) = %.2e %s\n", k->name, c, worst,
               worst <= 1e-5 ? "ok" : "FAIL");
        free(x), free(y), free(yr), free(mod);
    }
    return bad;
}

/* Worst |y - ref| / (1 + |ref|) over n values. */
static double worst_rel(const float *y, const float *ref, size_t n)
{
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)y[i] - ref[i]) / (1.0 + fabs(ref[i]));
        worst = sb_test_worst(worst, e);
    }
    return worst;
}

/* Head sizes: the models' 72, whole vectors (64: whole bfloat16 slots, no tail), tails; 9 (odd)
   for the RMSNorm alone only. */
static const size_t head_dims[] = {8, 16, 72, 64, 6, 10, 9};

static int head_dim_fits(const sb_kernel *k, size_t d)
{
    return d % 2 == 0 || k->op == SB_OP_QK_RMSNORM; /* RoPE rotates pairs */
}

/* q and k of B = 2 samples of T = 5 frames of S = 3 tokens, inside qkv rows of 3 C; the
   heads loop and the token code take the heads in groups of 4 (6: one, then a part group). */
enum { HB = 2, HT = 5, HS = 3, HEADS = 6 };

static sb_qk_norm_rope_args heads_args(void *q, void *k, size_t C, size_t D, const float *w,
                                       const float *cs, int bf16)
{
    sb_qk_norm_rope_args a = {
        .rope = {.ldq = 3 * C, .ldk = 3 * C,
                 .layout = {.n_outer = HB, .outer_stride = HT * HS, .n_inner = HS,
                            .inner_stride = 1, .tok_stride = HS},
                 .n = HT, .heads = HEADS, .head_dim = D, .cos_t = cs, .sin_t = cs + HT * D / 2},
        .wq = w, .wk = w + D, .eps = 1e-6f};
    if (bf16)
        a.rope.qh = q, a.rope.kh = k;
    else
        a.rope.q = q, a.rope.k = k;
    return a;
}

/*
 * q/k RMSNorm (in place) on rows of heads x D inside a wider qkv row, RoPE
 * along temporal sequences (B = 2, T = 5 tokens, S = 3 sequences per sample),
 * or both in one pass, against the reference. The fused kernel (the fused
 * reference too) is checked against the two unfused reference kernels run
 * one after the other.
 */
static int check_heads(const sb_kernel *k, sb_pool *pool)
{
    const sb_kernel *ref = sb_kernel_find(k->op, SB_DT_F32, false, 0);
    const sb_kernel *ref_norm = sb_kernel_find(SB_OP_QK_RMSNORM, SB_DT_F32, false, 0);
    const sb_kernel *ref_rope = sb_kernel_find(SB_OP_ROPE, SB_DT_F32, false, 0);
    int bad = 0;
    for (size_t h = 0; h < SB_ARRAY_LEN(head_dims); h++) {
        size_t D = head_dims[h], C = HEADS * D, n = HB * HT * HS * 3 * C;
        if (!head_dim_fits(k, D))
            continue;
        float *qkv = malloc(n * 4), *mine = malloc(n * 4), *theirs = malloc(n * 4);
        float *w = malloc(2 * D * 4), *cs = malloc(HT * D * 4);
        sb_fill_uniform(qkv, n, 9, h, 4.0f);
        sb_fill_uniform(w, 2 * D, 10, h, 1.0f);
        sb_fill_uniform(cs, HT * D, 11, h, 1.0f);
        for (int pass = 0; pass < 2; pass++) {
            float *buf = pass ? theirs : mine;
            sb_qk_norm_rope_args a = heads_args(buf, buf + C, C, D, w, cs, 0);
            memcpy(buf, qkv, n * 4);
            if (pass == 0) {
                sb_test_run_heads(k, &a, pool);
            } else if (k->op == SB_OP_QK_NORM_ROPE) {
                sb_test_run_heads(ref_norm, &a, NULL);
                sb_test_run_heads(ref_rope, &a, NULL);
            } else {
                sb_test_run_heads(ref, &a, NULL);
            }
        }
        double worst = worst_rel(mine, theirs, n);
        bad |= !(worst <= 1e-5);
        printf("%-22s D=%-3zu max |y - ref| / (1 + |ref|) = %.2e %s\n", k->name, D, worst,
               worst <= 1e-5 ? "ok" : "FAIL");
        free(qkv), free(mine), free(theirs), free(w), free(cs);
    }
    return bad;
}

/*
 * BF16 storage (kernel.h, sb_bf16): x (and h) rounded to bfloat16, one run of k on bfloat16
 * rows, one of the BF16 reference on the same rows and one of the FP32 reference on the same
 * values widened. Each row of LayerNorm is offset, the gated residual runs with a gate and
 * without. yh: k's output; yr: the BF16 reference's; yf: the FP32 reference's.
 */
typedef struct bf16_case {
    size_t rows, c;
    sb_bf16 *xh, *hh, *yh, *yr;
    float *x, *h, *yf, *mod; /* the widened inputs, the FP32 output, shift/scale/gate rows */
} bf16_case;

static void run_bf16(const sb_kernel *k, const bf16_case *t, sb_bf16 *yh, float *yf, int with_mod,
                     sb_pool *pool)
{
    size_t c = t->c, n = t->rows * c;
    int f32 = yf != NULL;
    if (k->op == SB_OP_GELU_TANH) {
        sb_unary_args a = {.ldx = c, .ldy = c, .rows = t->rows, .c = c};
        if (f32)
            a.x = t->x, a.y = yf;
        else
            a.xh = t->xh, a.yh = yh;
        k->fn.unary(&a, pool);
    } else if (k->op == SB_OP_LN_MODULATE) {
        sb_ln_mod_args a = {.ldx = c, .ldy = c, .shift = with_mod ? t->mod : NULL,
                            .scale = with_mod ? t->mod + c : NULL, .ldm = 2 * c, .rows = t->rows,
                            .c = c, .group_rows = 3, .eps = 1e-6f};
        if (f32)
            a.x = t->x, a.y = yf;
        else
            a.xh = t->xh, a.yh = yh;
        k->fn.ln_modulate(&a, pool);
    } else { /* gated residual, in place: the output starts as x */
        sb_gres_args a = {.ldx = c, .ldh = c, .gate = with_mod ? t->mod : NULL, .ldg = 2 * c,
                          .rows = t->rows, .c = c, .group_rows = 3};
        if (f32) {
            memcpy(yf, t->x, n * sizeof(float));
            a.x = yf, a.h = t->h;
        } else if (yh) {
            memcpy(yh, t->xh, n * sizeof(sb_bf16));
            a.xh = yh, a.hh = t->hh;
        }
        k->fn.gated_residual(&a, pool);
    }
}

/*
 * k against the BF16 reference: within one bfloat16 step of its value (2^-7 |ref|; both
 * compute in FP32 and round once, so they differ where FP32 differences cross a rounding
 * boundary) plus the FP32 kernels' tolerance (GELU 2e-6 (1 + |x|): its vector exp is
 * clamped, so values near 0 differ absolutely; the others 1e-5 (1 + |ref|)). Against the
 * FP32 reference: at most that bound plus one rounding, 2^-8 |ref|.
 */
/* One output y of a BF16 kernel against the BF16 reference's r and the FP32 reference's f, with
   the FP32 kernels' tolerance tol (the bounds above); keeps the worst ratio to the first bound
   (*step) and the worst |y - f| / (1 + |f|) (*store). Returns nonzero when out of bounds. */
static int bf16_bounds(double y, double r, double f, double tol, double *step, double *store)
{
    double bound = 0x1p-7 * fabs(r) + tol, e = fabs(y - r) / bound;
    int bad = !(e <= 1.0) || !(fabs(y - f) <= bound + 0x1p-8 * fabs(f));
    *step = e > *step ? e : *step;
    e = fabs(y - f) / (1.0 + fabs(f));
    *store = e > *store ? e : *store;
    return bad;
}

static const float gelu_far[] = {16.5f, -16.5f, 20.0f, -20.0f, 1e30f, -1e30f, 3e38f, -3e38f};

static int check_bf16(const sb_kernel *k, const sb_kernel *rb, const sb_kernel *rf, sb_pool *pool)
{
    int bad = 0;
    for (size_t w = 0; w < SB_ARRAY_LEN(widths); w++) {
        size_t rows = 6, c = widths[w], n = rows * c;
        bf16_case t = {.rows = rows, .c = c, .xh = aligned64(n * 2), .hh = malloc(n * 2),
                       .yh = aligned64(n * 2), .yr = malloc(n * 2), .x = malloc(n * 4),
                       .h = malloc(n * 4), .yf = malloc(n * 4), .mod = malloc(4 * c * 4)};
        double step = 0, store = 0;
        int b = 0; /* this width's verdict */
        sb_fill_uniform(t.x, n, 8, w, k->op == SB_OP_GELU_TANH ? 10.0f : 3.0f);
        sb_fill_uniform(t.h, n, 9, w, 3.0f);
        sb_fill_uniform(t.mod, 4 * c, 10, w, 0.5f);
        if (k->op == SB_OP_GELU_TANH) /* beyond the clamps of the vector forms, and x^3 overflowing */
            for (size_t i = 0; i < SB_ARRAY_LEN(gelu_far) && i < n; i++)
                t.x[i] = gelu_far[i];
        for (size_t i = 0; i < n; i++) {
            if (k->op == SB_OP_LN_MODULATE) /* each row offset: the mean must not matter */
                t.x[i] = i / c == rows - 1 ? 1024.0f + 3.0f * t.x[i] /* mean^2 ~ 3e4 var */
                                           : t.x[i] + (float)(i / c);
            t.xh[i] = sb_f32_to_bf16(t.x[i]);
            t.hh[i] = sb_f32_to_bf16(t.h[i]);
            t.x[i] = sb_bf16_to_f32(t.xh[i]); /* the FP32 reference sees the same values */
            t.h[i] = sb_bf16_to_f32(t.hh[i]);
        }
        for (int with_mod = 0; with_mod < 2; with_mod++) {
            run_bf16(k, &t, t.yh, NULL, with_mod, pool);
            run_bf16(rb, &t, t.yr, NULL, with_mod, NULL);
            run_bf16(rf, &t, NULL, t.yf, with_mod, NULL);
            for (size_t i = 0; i < n; i++) {
                double y = sb_bf16_to_f32(t.yh[i]), yr = sb_bf16_to_f32(t.yr[i]), yf = t.yf[i];
                double tol = k->op == SB_OP_GELU_TANH ? 2e-6 * (1.0 + fabs(t.x[i]))
                                                      : 1e-5 * (1.0 + fabs(yf));
                if (k->op == SB_OP_GELU_TANH && i < SB_ARRAY_LEN(gelu_far))
                    tol = 1e-30; /* x or -0 exactly, up to one bfloat16 step */
                b |= bf16_bounds(y, yr, yf, tol, &step, &store);
            }
        }
        printf("%-26s c=%-5zu max |y - bf16 ref| / bound = %.2f, max |y - f32 ref| / (1 + |ref|) "
               "= %.2e %s\n", k->name, c, step, store, b ? "FAIL" : "ok");
        bad |= b;
        free(t.xh), free(t.hh), free(t.yh), free(t.yr), free(t.x), free(t.h), free(t.yf),
            free(t.mod);
    }
    return bad;
}

/*
 * GELU on every bfloat16 value (65536, as 64 rows of 1024), against the BF16 and FP32 references
 * with check_bf16's bounds; a NaN x must give NaN and inf inf, as the BF16 reference; -inf NaN
 * (the reference's inf * 0) or a zero within 2^-100 (the limit: the AVX2 form's). Prints how
 * many results differ from the BF16 reference's (by one step at most, within the bounds).
 */
static int check_bf16_gelu_all(const sb_kernel *k, const sb_kernel *rb, const sb_kernel *rf,
                               sb_pool *pool)
{
    size_t rows = 64, c = 1024, n = rows * c, differ = 0;
    bf16_case t = {.rows = rows, .c = c, .xh = malloc(n * 2), .yh = malloc(n * 2),
                   .yr = malloc(n * 2), .x = malloc(n * 4), .yf = malloc(n * 4)};
    double step = 0, store = 0;
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        t.xh[i] = (sb_bf16)i;
        t.x[i] = sb_bf16_to_f32(t.xh[i]);
    }
    run_bf16(k, &t, t.yh, NULL, 0, pool);
    run_bf16(rb, &t, t.yr, NULL, 0, NULL);
    run_bf16(rf, &t, NULL, t.yf, 0, NULL);
    for (size_t i = 0; i < n; i++) {
        double x = t.x[i], y = sb_bf16_to_f32(t.yh[i]), yr = sb_bf16_to_f32(t.yr[i]);
        differ += t.yh[i] != t.yr[i];
        if (x == -INFINITY) /* the reference's inf * 0, or the limit */
            bad |= !(isnan(y) || fabs(y) <= 0x1p-100);
        else if (!isfinite(x))
            bad |= isnan(yr) ? !isnan(y) : y != yr;
        else
            bad |= bf16_bounds(y, yr, t.yf[i], 2e-6 * (1.0 + fabs(x)), &step, &store);
    }
    printf("%-26s every bfloat16 x: %zu of %zu differ from the bf16 ref, max |y - bf16 ref| / "
           "bound = %.2f, max |y - f32 ref| / (1 + |ref|) = %.2e %s\n", k->name, differ, n, step,
           store, bad ? "FAIL" : "ok");
    free(t.xh), free(t.yh), free(t.yr), free(t.x), free(t.yf);
    return bad;
}

/*
 * BF16 storage on q/k heads (laid out as in check_heads): q and k rounded to bfloat16, one run
 * of k, one of the BF16 reference of its op on the same values and one of the FP32 reference
 * on them widened. Bounds as check_bf16's: within one bfloat16 step of the BF16 reference plus
 * the FP32 tolerance, 1e-5 (1 + |ref|); against the FP32 reference, plus one rounding.
 */
static int check_bf16_heads(const sb_kernel *k, const sb_kernel *rb, const sb_kernel *rf,
                            sb_pool *pool)
{
    int bad = 0;
    for (size_t h = 0; h < SB_ARRAY_LEN(head_dims); h++) {
        size_t D = head_dims[h], C = HEADS * D, n = HB * HT * HS * 3 * C;
        if (!head_dim_fits(k, D))
            continue;
        sb_bf16 *yh = malloc(n * 2), *yr = malloc(n * 2);
        float *yf = malloc(n * 4), *w = malloc(2 * D * 4), *cs = malloc(HT * D * 4);
        double step = 0, store = 0;
        int b = 0; /* this head size's verdict */
        sb_fill_uniform(yf, n, 9, h, 4.0f);
        sb_fill_uniform(w, 2 * D, 10, h, 1.0f);
        sb_fill_uniform(cs, HT * D, 11, h, 1.0f);
        for (size_t i = 0; i < n; i++) {
            yh[i] = yr[i] = sb_f32_to_bf16(yf[i]);
            yf[i] = sb_bf16_to_f32(yh[i]);
        }
        sb_qk_norm_rope_args a = heads_args(yh, yh + C, C, D, w, cs, 1);
        sb_test_run_heads(k, &a, pool);
        a = heads_args(yr, yr + C, C, D, w, cs, 1);
        sb_test_run_heads(rb, &a, NULL);
        a = heads_args(yf, yf + C, C, D, w, cs, 0);
        sb_test_run_heads(rf, &a, NULL);
        for (size_t i = 0; i < n; i++) {
            double y = sb_bf16_to_f32(yh[i]), r = sb_bf16_to_f32(yr[i]), f = yf[i];
            b |= bf16_bounds(y, r, f, 1e-5 * (1.0 + fabs(f)), &step, &store);
        }
        printf("%-26s D=%-3zu max |y - bf16 ref| / bound = %.2f, max |y - f32 ref| / (1 + |ref|) "
               "= %.2e %s\n", k->name, D, step, store, b ? "FAIL" : "ok");
        bad |= b;
        free(yh), free(yr), free(yf), free(w), free(cs);
    }
    return bad;
}

/* From here on, every output goes past the caches where a kernel can (an L3 of 1 byte for
   sb_cache_bypass), so the checks that follow cover the streaming stores. */
static void stream_all(void)
{
    sb_gemm_set_caches(0, 1);
    printf("-- again, with every output larger than L3 (streaming stores) --\n");
}

int main(int argc, char **argv)
{
    const sb_kernel *k;
    sb_pool *pool = NULL;
    int bad, rc = sb_kernel_test_setup(argc, argv, -1, &k, &pool);
    if (rc >= 0)
        return rc;
    if (k->io == SB_DT_BF16) { /* against the BF16 reference of its op and the FP32 one */
        char rname[64];
        snprintf(rname, sizeof(rname), "%s.bf16.ref", sb_op_name(k->op));
        const sb_kernel *rb = sb_kernel_by_name(rname);
        const sb_kernel *rf = sb_kernel_find(k->op, SB_DT_F32, false, 0);
        int heads = k->op == SB_OP_QK_RMSNORM || k->op == SB_OP_ROPE || k->op == SB_OP_QK_NORM_ROPE;
        bad = !rb || !rf ? 99
              : heads    ? check_bf16_heads(k, rb, rf, pool)
                         : check_bf16(k, rb, rf, pool);
        if (!heads && rb && rf && k->op == SB_OP_GELU_TANH)
            bad |= check_bf16_gelu_all(k, rb, rf, pool);
        if (rb && rf && k->op == SB_OP_LN_MODULATE) {
            stream_all();
            bad |= check_bf16(k, rb, rf, pool);
        }
        sb_pool_destroy(pool);
        return bad;
    }
    switch (k->op) {
    case SB_OP_GELU_TANH:
    case SB_OP_SILU: bad = check_unary(k, pool); break;
    case SB_OP_LN_MODULATE:
        bad = check_ln(k, pool);
        stream_all();
        bad |= check_ln(k, pool);
        break;
    case SB_OP_QK_RMSNORM:
    case SB_OP_ROPE:
    case SB_OP_QK_NORM_ROPE: bad = check_heads(k, pool); break;
    default:
        fprintf(stderr, "test_elementwise has no check for op %s yet\n", sb_op_name(k->op));
        bad = 99;
    }
    sb_pool_destroy(pool);
    return bad;
}
