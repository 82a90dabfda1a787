/*
 * test_presets.c - presets and FLOP totals against shared/opensora-shapes.md:
 * patches per frame (4.1), latent frames (4.2), per-step TFLOP (4.3, every
 * cell, to 3 significant figures) and the worked example of 6.3.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "catalog.h"

static sb_shape shape_of(const char *model, const char *res, const char *aspect, const char *dur)
{
    sb_shape s;
    const sb_model *m = sb_model_find(model);
    const sb_res *r = sb_res_find(res, aspect);
    const sb_dur *d = sb_dur_find(dur);
    assert_non_null(m);
    assert_non_null(r);
    assert_non_null(d);
    sb_shape_resolve(m, r, d, true, &s);
    return s;
}

static void test_patches_per_frame(void **state)
{
    static const struct { const char *res, *aspect; int S; } t[] = {
        {"144p", "9:16", 144}, {"240p", "9:16", 405}, {"360p", "9:16", 920}, {"480p", "9:16", 1590},
        {"720p", "9:16", 3600}, {"144p", "1:1", 144}, {"240p", "1:1", 400}, {"360p", "1:1", 900},
        {"480p", "1:1", 1600}, {"720p", "1:1", 3600}, {"144p", "16:9", 144}, {"240p", "16:9", 405},
        {"360p", "16:9", 920}, {"480p", "16:9", 1590}, {"720p", "16:9", 3600},
    };
    (void)state;
    for (size_t i = 0; i < SB_ARRAY_LEN(t); i++)
        assert_int_equal(shape_of("stdit3-xl2", t[i].res, t[i].aspect, "2s").S, t[i].S);
    sb_shape s = shape_of("stdit3-xl2", "240p", "9:16", "4s");
    assert_int_equal(s.Hl, 30);
    assert_int_equal(s.Wl, 53);
    assert_int_equal(s.Wp, 27); /* 53 padded to 54 */
    assert_int_equal(s.N, 12150);
    assert_int_equal(s.B, 2);
    assert_int_equal(s.D, 72);
}

static void test_latent_frames(void **state)
{
    (void)state;
    assert_int_equal(sb_latent_frames(1), 1);
    assert_int_equal(sb_latent_frames(51), 15);
    assert_int_equal(sb_latent_frames(102), 30);
    assert_int_equal(sb_latent_frames(204), 60);
    assert_int_equal(sb_latent_frames(408), 120);
    assert_int_equal(sb_latent_frames(816), 240);
    assert_int_equal(sb_latent_frames(20), 6); /* 17 -> 5, then ceil(3/4) = 1 */
}

/* |got - want| within half a unit of the 3rd significant figure of want */
static void assert_3sf(double got, double want)
{
    double unit = pow(10.0, floor(log10(fabs(want))) - 2);
    if (fabs(got - want) > 0.5 * unit + 1e-12)
        fail_msg("%.6g does not agree with %.6g to 3 significant figures", got, want);
}

/*
 * A table cell as written: agree to 3 significant figures, or to the last
 * digit written where the document gives fewer (0.81 has two).
 */
static void assert_cell(double got, const char *written)
{
    double want = atof(written);
    const char *dot = strchr(written, '.');
    int decimals = dot ? (int)strlen(dot + 1) : 0;
    double tol = fmax(0.5 * pow(10.0, -decimals), 0.5 * pow(10.0, floor(log10(want)) - 2));
    if (fabs(got - want) > tol + 1e-12)
        fail_msg("%.6g does not agree with the table's %s", got, written);
}

static void test_step_flops_table(void **state)
{
    /* opensora-shapes.md 4.3: TFLOP per step, B = 2, L = 300 */
    static const char *res[] = {"144p", "240p", "360p", "480p", "720p"};
    static const char *dur[] = {"image", "2s", "4s", "8s", "16s"};
    static const char *tflop[5][5] = {
        {"0.81", "9.60", "19.03", "37.9", "76.0"},     {"1.98", "27.07", "54.00", "108.0", "216.6"},
        {"4.38", "63.1", "126.1", "252.4", "506.4"},   {"7.70", "113.0", "226.0", "452.6", "908.0"},
        {"19.07", "283.7", "567.6", "1136.6", "2279.8"},
    };
    (void)state;
    for (int r = 0; r < 5; r++)
        for (int d = 0; d < 5; d++) {
            sb_shape s = shape_of("stdit3-xl2", res[r], "9:16", dur[d]);
            assert_cell(sb_step_flops(&s) / 1e12, tflop[r][d]);
        }
}

static void test_worked_example(void **state)
{
    /* 6.3: 240p 4s; per-sample block totals and the largest GEMMs per step */
    sb_shape s = shape_of("stdit3-xl2", "240p", "9:16", "4s");
    sb_layer l;
    double spatial[2] = {0}, temporal[2] = {0}; /* [fused] */
    sb_layer all[2 * SB_LAYER_COUNT];
    size_t n = sb_catalog_build(&s, all, SB_ARRAY_LEN(all));
    (void)state;
    for (int fused = 0; fused < 2; fused++)
        for (size_t i = 0; i < n; i++) {
            if (!sb_layer_in_variant(&all[i], fused))
                continue;
            if (all[i].scope == SB_SCOPE_SPATIAL)
                spatial[fused] += all[i].flops;
            if (all[i].scope == SB_SCOPE_TEMPORAL)
                temporal[fused] += all[i].flops;
        }
    /* a fused block does the same matmuls as the unfused one */
    for (int fused = 0; fused < 2; fused++) {
        assert_3sf(spatial[fused] / s.B, 4.92544e11);
        assert_3sf(temporal[fused] / s.B, 4.71549e11);
    }
    assert_3sf(sb_step_flops(&s), 5.3999e13);
    assert_int_equal(sb_layer_find(&s, "spatial.mlp.fc1", &l), SB_OK);
    assert_3sf(l.flops, 258e9);
    assert_int_equal(l.m, 24300);
    assert_int_equal(l.k, 1152);
    assert_int_equal(l.n, 4608);
    assert_int_equal(sb_layer_find(&s, "temporal.attn.qkv", &l), SB_OK);
    assert_3sf(l.flops, 193.5e9);
    assert_int_equal(sb_layer_find(&s, "embed.caption", &l), SB_OK);
    assert_3sf(l.flops, 2 * 3.627e9);
    assert_int_equal(sb_layer_find(&s, "spatial.attn.rope", &l), SB_ENOTFOUND); /* temporal only */
    assert_int_equal(sb_layer_find(&s, "nope", &l), SB_ENOTFOUND);
}

static void test_catalog_order(void **state)
{
    sb_shape s = shape_of("tiny", "144p", "9:16", "2s");
    sb_layer all[2 * SB_LAYER_COUNT];
    size_t n = sb_catalog_build(&s, all, SB_ARRAY_LEN(all));
    (void)state;
    size_t per_variant[2] = {0};
    /* 4 embedders; spatial: 17 ops + 4 fused; temporal: 18 ops (with RoPE) + 5 fused; final */
    assert_int_equal(n, 4 + 21 + 23 + 1);
    assert_string_equal(all[0].name, "embed.patch");
    assert_string_equal(all[4].name, "spatial.adaln");
    assert_string_equal(all[5].name, "spatial.norm1");
    assert_string_equal(all[24].name, "spatial.mlp.fc2_residual");
    assert_string_equal(all[29].name, "temporal.attn.rope");
    assert_string_equal(all[30].name, "temporal.attn.qk_norm_rope");
    assert_string_equal(all[31].name, "temporal.attn.core");
    assert_string_equal(all[n - 1].name, "final");
    for (size_t i = 0; i < n; i++) {
        assert_true(all[i].bytes > 0);
        assert_true(all[i].flops >= 0);
        per_variant[0] += sb_layer_in_variant(&all[i], false);
        per_variant[1] += sb_layer_in_variant(&all[i], true);
    }
    /* unfused: 17 + 18 block ops; fused: 4 pairs merged per block, 5 in temporal blocks */
    assert_int_equal(per_variant[0], 4 + 17 + 18 + 1);
    assert_int_equal(per_variant[1], 4 + 13 + 13 + 1);
    /* spatial blocks have no RoPE: their q/k RMSNorm runs in every variant */
    assert_int_equal(all[7].fusion, SB_FUSION_ALL);
    assert_string_equal(all[7].name, "spatial.attn.qk_norm");
    assert_int_equal(all[28].fusion, SB_FUSION_UNFUSED);
    assert_string_equal(all[28].name, "temporal.attn.qk_norm");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_patches_per_frame), cmocka_unit_test(test_latent_frames),
        cmocka_unit_test(test_step_flops_table),  cmocka_unit_test(test_worked_example),
        cmocka_unit_test(test_catalog_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
