/*
 * test_graph.c - layer, block and step graphs on the tiny model: every layer
 * builds and runs alone; graphs give finite, seed-determined results that do
 * not depend on the thread count; a step has the node list of one DiT forward;
 * a -fused variant's block and step compute what the unfused ones do; the
 * memory plan checked before allocating is what is allocated.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cpu.h"
#include "graph_internal.h" /* the plan (g->planned) */

static sb_shape tiny(const char *dur)
{
    sb_shape s;
    sb_shape_resolve(sb_model_find("tiny"), sb_res_find("144p", NULL), sb_dur_find(dur), true, &s);
    return s;
}

/* Build (variant, ISA cap), run once on threads workers, return a malloc'd copy of the output. */
static float *run_variant(const sb_shape *s, sb_workload_kind kind, const sb_layer *layer,
                          const char *variant, sb_isa_mask isa, uint64_t seed, int threads,
                          size_t *count)
{
    sb_graph *g = NULL;
    sb_pool *pool = NULL;
    char err[256] = "";
    sb_graph_config cfg = {.shape = s, .kind = kind, .layer = layer,
                           .variant = sb_variant_find(variant), .isa = isa, .seed = seed,
                           .max_threads = threads};
    assert_int_equal(sb_graph_create(&g, &cfg, err, sizeof(err)), SB_OK);
    assert_int_equal(sb_pool_create(&pool, NULL, threads, NULL, err, sizeof(err)), SB_OK);
    for (size_t i = 0; i < sb_graph_nodes(g); i++)
        sb_graph_run_node(g, i, pool);
    const float *out = sb_graph_output(g, count);
    float *copy = malloc(*count * sizeof(float));
    memcpy(copy, out, *count * sizeof(float));
    for (size_t i = 0; i < *count; i++)
        if (!isfinite(copy[i]))
            fail_msg("non-finite output %g at %zu", copy[i], i);
    sb_pool_destroy(pool);
    sb_graph_destroy(g);
    return copy;
}

/* The FP32 reference kernels (ISA cap 0). */
static float *run_graph(const sb_shape *s, sb_workload_kind kind, const sb_layer *layer,
                        uint64_t seed, int threads, size_t *count)
{
    return run_variant(s, kind, layer, "fp32", 0, seed, threads, count);
}

static double rel_l2(const float *a, const float *b, size_t n)
{
    double d = 0, r = 0;
    for (size_t i = 0; i < n; i++) {
        d += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        r += (double)b[i] * b[i];
    }
    return sqrt(d / r);
}

/*
 * fp32-fused against fp32, block and step: the same function of the same
 * inputs (fused layers use the unfused pair's weights). With the reference
 * kernels (cap 0) only the order of a few roundings differs; with the host's
 * kernels the fused graph also runs flash attention and the vector epilogues.
 */
static void test_fused_matches_unfused(void **state)
{
    sb_cpu cpu;
    char err[256];
    const char *durs[] = {"2s", "image"};
    const sb_workload_kind kinds[] = {SB_WL_BLOCK, SB_WL_STEP};
    (void)state;
    assert_int_equal(sb_cpu_detect(&cpu, err, sizeof(err)), SB_OK);
    for (int w = 0; w < 2; w++) {
        sb_shape s = tiny(durs[w]);
        sb_isa_mask caps[] = {0, cpu.isa};
        for (int c = 0; c < 2; c++) {
            size_t n1, n2;
            float *u = run_variant(&s, kinds[w], NULL, "fp32", caps[c], 3, 2, &n1);
            float *f = run_variant(&s, kinds[w], NULL, "fp32-fused", caps[c], 3, 2, &n2);
            assert_int_equal(n1, n2);
            double e = rel_l2(f, u, n1);
            print_message("%s, %s kernels: fused vs unfused relative L2 %.2e\n",
                          sb_workload_name(kinds[w]), c ? "host" : "reference", e);
            assert_true(e < 1e-5);
            free(u);
            free(f);
        }
    }
}

static void test_every_layer_runs(void **state)
{
    sb_shape s = tiny("2s");
    sb_layer all[2 * SB_LAYER_COUNT];
    size_t n = sb_catalog_build(&s, all, SB_ARRAY_LEN(all)), count;
    (void)state;
    for (size_t i = 0; i < n; i++) {
        float *a = run_graph(&s, SB_WL_LAYER, &all[i], 7, 1, &count);
        float *b = run_graph(&s, SB_WL_LAYER, &all[i], 7, 2, &count);
        if (memcmp(a, b, count * sizeof(float)) != 0)
            fail_msg("layer %s differs between 1 and 2 threads", all[i].name);
        free(a);
        free(b);
    }
}

static void test_block_deterministic(void **state)
{
    sb_shape s = tiny("2s");
    size_t n1, n2, n3;
    (void)state;
    float *a = run_graph(&s, SB_WL_BLOCK, NULL, 1, 1, &n1);
    float *b = run_graph(&s, SB_WL_BLOCK, NULL, 1, 3, &n2);
    float *c = run_graph(&s, SB_WL_BLOCK, NULL, 2, 1, &n3);
    assert_int_equal(n1, (size_t)s.B * s.N * s.C); /* the residual stream x */
    assert_memory_equal(a, b, n1 * sizeof(float));
    assert_memory_not_equal(a, c, n1 * sizeof(float)); /* the seed matters */
    free(a);
    free(b);
    free(c);
}

static void test_step_graph(void **state)
{
    sb_shape s = tiny("image");
    sb_graph *g = NULL;
    char err[256] = "";
    size_t count;
    sb_graph_config cfg = {.shape = &s, .kind = SB_WL_STEP, .variant = sb_variant_find("fp32"),
                           .seed = 1, .max_threads = 1};
    (void)state;
    assert_int_equal(sb_graph_create(&g, &cfg, err, sizeof(err)), SB_OK);
    size_t depth = (size_t)s.model->depth;
    assert_int_equal(sb_graph_nodes(g), 4 + depth * (17 + 18) + 1);
    assert_string_equal(sb_graph_node(g, 0)->layer.name, "embed.patch");
    assert_string_equal(sb_graph_node(g, 4)->layer.name, "spatial.adaln");
    assert_int_equal(sb_graph_node(g, 4)->block, 0);
    assert_int_equal(sb_graph_node(g, 4 + 17 + 18)->block, 1);
    assert_string_equal(sb_graph_node(g, sb_graph_nodes(g) - 1)->layer.name, "final");
    double flops = 0;
    for (size_t i = 0; i < sb_graph_nodes(g); i++)
        flops += sb_graph_node(g, i)->layer.flops;
    assert_true(fabs(flops - sb_step_flops(&s)) < 1e-6 * flops);
    sb_graph_destroy(g);
    float *a = run_graph(&s, SB_WL_STEP, NULL, 1, 2, &count);
    assert_int_equal(count, (size_t)s.B * s.N * 32); /* [B, N, 2*2*8] */
    free(a);
    /* fused: proj/cross.proj/fc1/fc2 pairs merged per block, q/k norm + RoPE in temporal */
    cfg.variant = sb_variant_find("fp32-fused");
    assert_int_equal(sb_graph_create(&g, &cfg, err, sizeof(err)), SB_OK);
    assert_int_equal(sb_graph_nodes(g), 4 + depth * (13 + 13) + 1);
    flops = 0;
    for (size_t i = 0; i < sb_graph_nodes(g); i++)
        flops += sb_graph_node(g, i)->layer.flops;
    assert_true(fabs(flops - sb_step_flops(&s)) < 1e-6 * flops);
    sb_graph_destroy(g);
}

/*
 * The plan checked against the memory available before allocating (graph.c's plan_bytes)
 * counts exactly what the graph then allocates: every layer alone, a block and a step, unfused
 * and fused (other layers, so other buffers and weights). The dtype changes neither count:
 * weights are counted as n x k FP32 whatever a kernel packs, so the BF16 and INT8 variants,
 * slow to pack under qemu, are left out.
 */
static void test_plan_is_what_is_allocated(void **state)
{
    sb_shape s = tiny("2s");
    sb_layer all[2 * SB_LAYER_COUNT];
    size_t n = sb_catalog_build(&s, all, SB_ARRAY_LEN(all));
    char err[256] = "";
    (void)state;
    const sb_variant *vs[] = {sb_variant_find("fp32"), sb_variant_find("fp32-fused")};
    for (size_t v = 0; v < SB_ARRAY_LEN(vs); v++)
        for (size_t i = 0; i < n + 2; i++) {
            sb_graph *g = NULL;
            sb_graph_config cfg = {.shape = &s, .kind = i < n ? SB_WL_LAYER : i == n ? SB_WL_BLOCK
                                                                                    : SB_WL_STEP,
                                   .layer = i < n ? &all[i] : NULL, .variant = vs[v],
                                   .seed = 1, .max_threads = 2};
            assert_int_equal(sb_graph_create(&g, &cfg, err, sizeof(err)), SB_OK);
            if (g->planned != sb_graph_bytes(g) || g->planned <= 0.0)
                fail_msg("%s %s: planned %.0f bytes, allocated %.0f", vs[v]->name,
                         i < n ? all[i].name : sb_workload_name(cfg.kind), g->planned,
                         sb_graph_bytes(g));
            sb_graph_destroy(g);
        }
}

static void test_memory_guard(void **state)
{
    sb_shape s;
    sb_graph *g = NULL;
    char err[256] = "";
    (void)state;
    /* 720p 16s step of the 3B model needs far more than any CI machine has */
    sb_shape_resolve(sb_model_find("stdit3-3b2"), sb_res_find("720p", NULL), sb_dur_find("16s"),
                     true, &s);
    sb_graph_config cfg = {.shape = &s, .kind = SB_WL_BLOCK, .variant = sb_variant_find("fp32"),
                           .seed = 1, .max_threads = 1};
    assert_int_equal(sb_graph_create(&g, &cfg, err, sizeof(err)), SB_ENOMEM);
    assert_null(g);
    assert_non_null(strstr(err, "GiB"));
}

/* Zero and subnormal values in n floats; fails on a non-finite one. */
static void count_small(const float *x, size_t n, const char *what, size_t *zero, size_t *sub)
{
    *zero = *sub = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]))
            fail_msg("%s: non-finite output %g at %zu", what, x[i], i);
        *zero += x[i] == 0.0f;
        *sub += x[i] != 0.0f && fabsf(x[i]) < FLT_MIN;
    }
}

/*
 * Run layer l alone ALONE_ITERS times as the runner runs it (restoring when the graph asks) and
 * return how many of these fail: an output value has become subnormal, or more are zero than
 * after the first call; a layer writing B_ALONE gives another output than its first; a restored
 * layer's next call differs from its first. *restoring and *writing count the rules met.
 */
#define ALONE_ITERS 300
static int check_alone(const sb_shape *s, const sb_layer *l, const sb_variant *var,
                       sb_isa_mask isa, sb_pool *pool, int *restoring, int *writing)
{
    sb_graph *g = NULL;
    sb_graph_config cfg = {.shape = s, .kind = SB_WL_LAYER, .layer = l, .variant = var,
                           .isa = isa, .seed = 5, .max_threads = 2};
    char err[256], what[128];
    size_t count, z1, s1, z, sub;
    int failed = 0;
    snprintf(what, sizeof(what), "%s, %s, %s kernels", l->name, var->name,
             isa ? "host" : "reference");
    assert_int_equal(sb_graph_create(&g, &cfg, err, sizeof(err)), SB_OK);
    sb_graph_run_node(g, 0, pool);
    const float *out = sb_graph_output(g, &count);
    float *first = malloc(count * sizeof(float));
    memcpy(first, out, count * sizeof(float));
    count_small(first, count, what, &z1, &s1);
    long every = sb_graph_restore_every(g), since = 1;
    for (int it = 1; it < ALONE_ITERS; it++, since++) {
        if (every && since == every) {
            sb_graph_restore(g);
            since = 0;
        }
        sb_graph_run_node(g, 0, pool);
    }
    count_small(out, count, what, &z, &sub);
    if (sub > 0 || z > z1) {
        print_error("%s: after %d calls %zu values are subnormal and %zu zero (%zu after one)\n",
                    what, ALONE_ITERS, sub, z, z1);
        failed++;
    }
    if (g->alone_out && memcmp(out, first, count * sizeof(float)) != 0) {
        print_error("%s: writes B_ALONE, but its output changed\n", what);
        failed++;
    }
    sb_graph_restore(g); /* puts back what the first call read */
    sb_graph_run_node(g, 0, pool);
    if (every && memcmp(out, first, count * sizeof(float)) != 0) {
        print_error("%s: restored, its next call differs from its first\n", what);
        failed++;
    }
    *restoring += every > 0;
    *writing += g->alone_out;
    free(first);
    sb_graph_destroy(g);
    return failed;
}

/*
 * A layer case repeats its layer on the same buffers, so a layer that works in place must not
 * walk its data away from real activations (GELU's negatives halve per call and pass through
 * subnormals to 0 within some 130 calls; RMSNorm's weights compound per channel, subnormal after
 * some 250): check_alone each elementwise layer, once per op and shape (the spatial and temporal
 * ones are the same work), in the FP32 variants (every variant's activations are FP32), with the
 * reference kernels and the host's.
 */
static void test_alone_layers_keep_their_data(void **state)
{
    sb_cpu cpu;
    char err[256];
    sb_shape s = tiny("image"); /* the drift does not depend on the size */
    sb_layer all[2 * SB_LAYER_COUNT];
    size_t n = sb_catalog_build(&s, all, SB_ARRAY_LEN(all));
    const char *variants[] = {"fp32", "fp32-fused"};
    sb_pool *pool = NULL;
    int failed = 0, restoring = 0, writing = 0;
    (void)state;
    assert_int_equal(sb_cpu_detect(&cpu, err, sizeof(err)), SB_OK);
    assert_int_equal(sb_pool_create(&pool, NULL, 2, NULL, err, sizeof(err)), SB_OK);
    for (size_t i = 0; i < n; i++) {
        bool seen = all[i].flops > 0.0 || all[i].op == SB_OP_ATTENTION; /* these write elsewhere */
        for (size_t j = 0; j < i && !seen; j++)
            seen = all[j].op == all[i].op && all[j].m == all[i].m && all[j].n == all[i].n;
        for (size_t v = 0; v < SB_ARRAY_LEN(variants) && !seen; v++) {
            const sb_variant *var = sb_variant_find(variants[v]);
            if (!sb_layer_in_variant(&all[i], var->fused))
                continue;
            failed += check_alone(&s, &all[i], var, 0, pool, &restoring, &writing);
            failed += check_alone(&s, &all[i], var, cpu.isa, pool, &restoring, &writing);
        }
    }
    sb_pool_destroy(pool);
    assert_int_equal(failed, 0);
    assert_true(restoring > 0 && writing > 0); /* q/k RMSNorm restores, GELU writes B_ALONE */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_layer_runs), cmocka_unit_test(test_block_deterministic),
        cmocka_unit_test(test_step_graph), cmocka_unit_test(test_memory_guard),
        cmocka_unit_test(test_plan_is_what_is_allocated),
        cmocka_unit_test(test_fused_matches_unfused),
        cmocka_unit_test(test_alone_layers_keep_their_data),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
