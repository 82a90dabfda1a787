/*
 * test_blocking.c - the GEMM blocking of every micro-kernel in this build is
 * derived from the L2 and L3 sizes it is given (hwloc's, at run time), for the
 * caches of the machines we target: Zen 4 (1 MiB L2, 32 MiB L3), Graviton2/3
 * (1 MiB, 32 MiB) and Graviton4 (2 MiB, 36 MiB). For each, on K = 1, 64, 1152
 * and 4608 (OpenSora's in-channels): K is cut into the fewest equal KC blocks
 * (KC a multiple of 16, every k-group size) whose KC x NR panel of B fits an
 * eighth of L2 (that bound taken as at least 64 and at most 4096), the MC x KC
 * block of A half of L2, a KC x NC slice of B half of L3; MC and NC are
 * multiples of MR and NR; and a larger L2 never gives a smaller MC. The table
 * it prints (K = 1152) is the one in docs/graviton.md.
 *
 * test_plan: how sb_gemm_plan_tasks cuts OpenSora's linear layers (and small
 * and odd shapes) for 1 to 8 workers, for the same micro-kernels: blocks
 * within the cache bounds, whole tiles, covering C; and on 2 and 4 workers
 * the busiest worker computes at most 10% more tiles than an even share (its
 * table is printed for 2).
 *
 * test_direct: where sb_gemm_direct_a reads A in place (`final`, few column
 * panels) and where it packs (many panels; rows a multiple of 4 KiB apart),
 * and that a micro-kernel without in-place kernels always packs.
 *
 * test_prefetch: sb_gemm_pf_slice shares a panel among a column's tiles (in
 * order, contiguous, each line once; nothing for a task's last column), and
 * every micro-kernel the host runs writes the same bits of C whatever it is
 * given to prefetch (none, fewer lines than k steps, as many, more).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cpu.h"
#include "gemm/gemm.h"
#if defined(__x86_64__)
#include "x86/x86.h"
#elif defined(__aarch64__)
#include "arm/arm.h"
#endif

static const struct {
    const char *name;
    size_t l2, l3;  /* bytes */
} machines[] = {
    {"zen4", 1 << 20, 32 << 20},
    {"graviton2/3", 1 << 20, 32 << 20},
    {"graviton4", 2 << 20, 36 << 20},
};

static void check_k(const sb_ukr_desc *d, size_t k)
{
    size_t es = sb_pack_bytes(d->pack), nr = (size_t)d->nr, prev_mc = 0, prev_l2 = 0;
    for (size_t m = 0; m < sizeof(machines) / sizeof(machines[0]); m++) {
        size_t kc, mc, nc, l2 = machines[m].l2;
        sb_gemm_set_caches(l2, machines[m].l3);
        sb_gemm_blocking(d, k, &kc, &mc, &nc);
        size_t blocks = (k + kc - 1) / kc;
        if (k == 1152)
            print_message("%-28s %-12s KC %4zu  MC %5zu  NC %6zu  (B panel %3zu KiB, A block %4zu KiB)\n",
                          d->name, machines[m].name, kc, mc, nc, kc * nr * es >> 10,
                          mc * kc * es >> 10);
        assert_int_equal(kc % 16, 0);
        assert_true(kc * nr * es <= l2 / 8 || kc <= 64);
        /* equal blocks: the last is short by less than the rounding to 16 of each */
        assert_true(k - (blocks - 1) * kc + 16 * blocks > kc);
        /* the fewest: one block less would not fit the panel bound or KC's cap of 4096 */
        size_t fewer = blocks > 1 ? (k + blocks - 2) / (blocks - 1) : 0;
        assert_true(blocks == 1 || fewer * nr * es > l2 / 8 - 16 * nr * es || fewer > 4096);
        assert_int_equal(mc % (size_t)d->mr, 0);
        assert_true(mc * kc * es <= l2 / 2);
        assert_int_equal(nc % nr, 0);
        assert_true(nc * kc * es <= machines[m].l3 / 2);
        if (l2 > prev_l2 && prev_l2)
            assert_true(mc >= prev_mc);
        prev_mc = mc;
        prev_l2 = l2;
    }
}

static void check_desc(const sb_ukr_desc *d)
{
    const size_t ks[] = {1, 64, 1152, 4608};
    for (size_t i = 0; i < sizeof(ks) / sizeof(ks[0]); i++)
        check_k(d, ks[i]);
}

/*
 * Every micro-kernel descriptor of this build (the SVE ones only where the CPU has SVE: they ask
 * it for their vector length); runs_only: only those this CPU can execute, as the registry's
 * entry for the linear kernel that runs each says. Returns how many.
 */
static size_t build_descs(const sb_ukr_desc **out, bool runs_only)
{
    sb_cpu cpu;
    char err[256];
    size_t n = 0;
    assert_int_equal(sb_cpu_detect(&cpu, err, sizeof(err)), SB_OK);
    const struct {
        const sb_ukr_desc *d;
        const char *kernel; /* the registered linear kernel that runs it */
    } all[] = {
#if defined(__x86_64__)
        {&sb_ukr_avx2_f32, "linear.f32.avx2"}, {&sb_ukr_avx2_bf16cvt, "linear.bf16.avx2"},
        {&sb_ukr_avx2_int8, "linear.int8.avx2"}, {&sb_ukr_avx2_int8w7, "linear.int8.avx2-w7"},
        {&sb_ukr_avx512_f32, "linear.f32.avx512"}, {&sb_ukr_avx512_bf16cvt, "linear.bf16.avx512"},
        {&sb_ukr_avx512bf16_bf16, "linear.bf16.avx512bf16"},
        {&sb_ukr_avx512vnni_int8, "linear.int8.avx512vnni"},
#elif defined(__aarch64__)
        {&sb_ukr_neon_f32, "linear.f32.neon"}, {&sb_ukr_neon_bf16cvt, "linear.bf16.neon"},
        {&sb_ukr_bf16_bfmmla, "linear.bf16.bfmmla"}, {&sb_ukr_bf16_bfdot, "linear.bf16.bfdot"},
        {&sb_ukr_i8mm_int8, "linear.int8.i8mm"}, {&sb_ukr_dotprod_int8, "linear.int8.dotprod"},
        {cpu.isa & SB_ISA(SB_ISA_SVE) ? sb_ukr_sve_f32() : NULL, "linear.f32.sve"},
        {(cpu.isa & SB_ISA(SB_ISA_SVE)) && (cpu.isa & SB_ISA(SB_ISA_BF16)) ? sb_ukr_sve_bfmmla() : NULL,
         "linear.bf16.sve"},
        {(cpu.isa & SB_ISA(SB_ISA_SVE)) && (cpu.isa & SB_ISA(SB_ISA_I8MM)) ? sb_ukr_sve_smmla() : NULL,
         "linear.int8.sve"},
#endif
    };
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        if (!all[i].d) /* NULL: an SVE kernel this CPU cannot run */
            continue;
        const sb_kernel *k = sb_kernel_by_name(all[i].kernel);
        assert_non_null(k);
        if (!runs_only || (k->requires & ~cpu.isa) == 0)
            out[n++] = all[i].d;
    }
    return n;
}
static size_t host_descs(const sb_ukr_desc **out) { return build_descs(out, false); }

static void test_blocking(void **state)
{
    const sb_ukr_desc *descs[16];
    (void)state;
    for (size_t i = 0, n = host_descs(descs); i < n; i++)
        check_desc(descs[i]);
}

static void check_plan(const sb_ukr_desc *d, size_t m, size_t n, size_t k, size_t w)
{
    sb_gemm_plan p;
    size_t kc, mc, nc, mr = (size_t)d->mr, nr = (size_t)d->nr;
    sb_gemm_blocking(d, k, &kc, &mc, &nc);
    sb_gemm_plan_tasks(d, m, n, k, w, &p);
    assert_int_equal(p.kc, kc < k ? kc : k);
    assert_true(p.mc > 0 && p.mc % mr == 0 && p.mc <= mc);
    assert_true(p.nc > 0 && p.nc % nr == 0 && p.nc <= nc);
    /* the blocks cover C, the last one not empty */
    assert_int_equal(p.row_blocks, (m + p.mc - 1) / p.mc);
    assert_int_equal(p.col_blocks, (n + p.nc - 1) / p.nc);
    size_t um = (m + mr - 1) / mr, un = (n + nr - 1) / nr, tasks = p.row_blocks * p.col_blocks;
    size_t busiest = (tasks + w - 1) / w * (p.mc / mr) * (p.nc / nr);
    double share = (double)(um * un) / (double)w;
    if (w == 2 && k == 1152)
        print_message("%-28s %5zu x %5zu: MC %4zu NC %5zu, %2zu x %2zu tasks, busiest worker "
                      "%5zu tiles, even share %7.1f\n",
                      d->name, m, n, p.mc, p.nc, p.row_blocks, p.col_blocks, busiest, share);
    if (w == 2 || w == 4)
        assert_true((double)busiest <= 1.10 * share);
}

static void test_plan(void **state)
{
    const sb_ukr_desc *descs[16];
    size_t nd = host_descs(descs);
    (void)state;
    /* rows: batch 2 (t_block, timestep), 2 x 300 caption tokens, 720p, 144p; then odd ones */
    const size_t ms[] = {2, 600, 3600, 4320}, ns[] = {1152, 2304, 3456, 4608, 6912};
    const size_t ks[] = {256, 1152, 4096, 4608}, odd[][3] = {{1, 1, 1}, {13, 33, 5}, {64, 32, 1152}};
    sb_gemm_set_caches(1 << 20, 32 << 20);
    for (size_t i = 0; i < nd; i++)
        for (size_t w = 1; w <= 8; w++) {
            for (size_t a = 0; a < sizeof(ms) / sizeof(ms[0]); a++)
                for (size_t b = 0; b < sizeof(ns) / sizeof(ns[0]); b++)
                    for (size_t c = 0; c < sizeof(ks) / sizeof(ks[0]); c++)
                        check_plan(descs[i], ms[a], ns[b], ks[c], w);
            for (size_t o = 0; o < sizeof(odd) / sizeof(odd[0]); o++)
                if (w != 2 && w != 4) /* too few tiles to share evenly */
                    check_plan(descs[i], odd[o][0], odd[o][1], odd[o][2], w);
        }
}

/* Whether A is read in place for m x n x k, row stride lda, on w workers. */
static bool direct(const sb_ukr_desc *d, size_t m, size_t n, size_t k, size_t lda, size_t w)
{
    sb_gemm_plan p;
    sb_gemm_plan_tasks(d, m, n, k, w, &p);
    return sb_gemm_direct_a(d, &p, lda);
}

static void test_direct(void **state)
{
    const sb_ukr_desc *descs[16];
    size_t nd = host_descs(descs);
    (void)state;
    sb_gemm_set_caches(1 << 20, 32 << 20);
    for (size_t i = 0; i < nd; i++) {
        const sb_ukr_desc *d = descs[i];
        if (!d->direct || d->pack != SB_PACK_F32) { /* no in-place kernels: always packed */
            assert_false(direct(d, 4320, 32, 1152, 1152, 1));
            continue;
        }
        for (int r = 1; r <= d->mr; r++)
            assert_non_null(d->direct[r]);
        for (size_t w = 1; w <= 4; w++) {
            assert_true(direct(d, 4320, 32, 1152, 1152, w));  /* final: a single panel */
            assert_true(direct(d, 3600, 256, 4608, 4608, w)); /* few panels, stride 18 KiB */
            assert_true(direct(d, 3600, 64, 72, 3456, w));    /* a third of qkv's rows */
            assert_false(direct(d, 3600, 4608, 1152, 1152, w)); /* fc1: packing pays */
            assert_false(direct(d, 3600, 256, 4096, 4096, w));  /* rows 16 KiB apart: one set */
            assert_false(direct(d, 600, 64, 1024, 1024, w));
        }
    }
}

static void check_slices(size_t bytes, size_t tiles, size_t steps)
{
    static const char panel[1]; /* only addresses are compared */
    sb_gemm_pf_plan pl = sb_gemm_pf_plan_make(bytes, tiles, steps);
    size_t lines = (bytes + 63) / 64, at = 0;
    assert_int_equal(pl.lines, lines);
    for (size_t t = 0; t < tiles; t++) {
        sb_ukr_pf pf = sb_gemm_pf_slice(&pl, panel, t);
        if (!pf.lines) { /* the lines ran out: nothing after */
            assert_null(pf.p);
            continue;
        }
        assert_ptr_equal(pf.p, panel + at * 64);
        /* spread over the k loop, at least a step apart, ending within it where they fit */
        assert_true(pf.every >= 1);
        assert_true(pf.lines * pf.every <= steps || pf.every == 1);
        at += pf.lines;
        assert_true(at <= lines);
        pf = sb_gemm_pf_slice(&pl, NULL, t); /* a task's last column */
        assert_null(pf.p);
        assert_int_equal(pf.lines, 0);
    }
    assert_int_equal(at, lines);
}

/* C from desc's micro-kernel fn on kc values of k with `lines` lines of a to prefetch (SIZE_MAX:
   pf NULL), spread over its k loop as the framework spreads them */
static void run_ukr(const sb_ukr_desc *d, size_t kc, const void *a, const void *b, size_t lines,
                    float *c)
{
    sb_ukr_pf pf = {NULL, 0, 1}, *pp = NULL;
    if (lines != SIZE_MAX) {
        sb_gemm_pf_plan pl = sb_gemm_pf_plan_make(lines * 64, 1, kc / sb_pack_group(d->pack));
        pf = sb_gemm_pf_slice(&pl, a, 0);
        pp = &pf;
    }
    d->fn(kc, a, b, c, (size_t)d->nr, 1, pp);
    d->fn(kc, a, b, c, (size_t)d->nr, 0, pp); /* C += A B */
}

static void test_prefetch(void **state)
{
    const sb_ukr_desc *descs[16];
    size_t nd = build_descs(descs, true);
    (void)state;
    /* a KC 1536 FP32 panel of 16 columns on 14 tiles (720p fc2); short, odd and tiny ones */
    const size_t bytes[] = {1536 * 64, 1152 * 64 + 32, 64, 7 * 64}, tiles[] = {1, 2, 13, 14, 200};
    for (size_t i = 0; i < sizeof(bytes) / sizeof(bytes[0]); i++)
        for (size_t t = 0; t < sizeof(tiles) / sizeof(tiles[0]); t++) {
            check_slices(bytes[i], tiles[t], 1536);
            check_slices(bytes[i], tiles[t], 16);
        }

    /* k steps: one group of 8 (every packing's group divides it), 40, 1536 */
    const size_t kcs[] = {8, 40, 1536}, lines[] = {0, 1, 5, 40, 1536, 5000};
    for (size_t i = 0; i < nd; i++) {
        const sb_ukr_desc *d = descs[i];
        size_t es = sb_pack_bytes(d->pack), nc = (size_t)(d->mr * d->nr);
        for (size_t k = 0; k < sizeof(kcs) / sizeof(kcs[0]); k++) {
            /* A's panel, then room for the lines to prefetch; sizes multiples of 64 */
            size_t kc = kcs[k], abytes = (kc * (size_t)d->mr * es + 5000 * 64 + 63) & ~(size_t)63;
            size_t bbytes = (kc * (size_t)d->nr * es + 63) & ~(size_t)63;
            unsigned char *a = aligned_alloc(64, abytes), *b = aligned_alloc(64, bbytes);
            float *want = malloc(nc * sizeof(float)), *got = malloc(nc * sizeof(float));
            assert_true(a && b && want && got);
            for (size_t j = 0; j < abytes; j++) /* small values in every packing */
                a[j] = (unsigned char)(j * 7 % 13);
            for (size_t j = 0; j < bbytes; j++)
                b[j] = (unsigned char)(j * 5 % 11);
            run_ukr(d, kc, a, b, SIZE_MAX, want);
            for (size_t l = 0; l < sizeof(lines) / sizeof(lines[0]); l++) {
                memset(got, 0xff, nc * sizeof(float));
                run_ukr(d, kc, a, b, lines[l], got);
                if (memcmp(want, got, nc * sizeof(float)) != 0)
                    fail_msg("%s: kc %zu, %zu lines to prefetch: C differs from none", d->name,
                             kc, lines[l]);
            }
            free(a);
            free(b);
            free(want);
            free(got);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_blocking), cmocka_unit_test(test_plan),
                                       cmocka_unit_test(test_direct), cmocka_unit_test(test_prefetch)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
