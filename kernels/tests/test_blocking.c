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
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
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

static void test_blocking(void **state)
{
    sb_cpu cpu;
    char err[256];
    (void)state;
    assert_int_equal(sb_cpu_detect(&cpu, err, sizeof(err)), SB_OK);
    const sb_ukr_desc *descs[] = {
#if defined(__x86_64__)
        &sb_ukr_avx2_f32, &sb_ukr_avx2_bf16cvt, &sb_ukr_avx2_int8, &sb_ukr_avx512_f32,
        &sb_ukr_avx512_bf16cvt, &sb_ukr_avx512bf16_bf16, &sb_ukr_avx512vnni_int8,
#elif defined(__aarch64__)
        &sb_ukr_neon_f32, &sb_ukr_neon_bf16cvt, &sb_ukr_bf16_bfmmla, &sb_ukr_bf16_bfdot,
        &sb_ukr_i8mm_int8, &sb_ukr_dotprod_int8,
        /* the SVE descriptors ask the CPU for its vector length: only where they run */
        cpu.isa & SB_ISA(SB_ISA_SVE) ? sb_ukr_sve_f32() : NULL,
        (cpu.isa & SB_ISA(SB_ISA_SVE)) && (cpu.isa & SB_ISA(SB_ISA_BF16)) ? sb_ukr_sve_bfmmla() : NULL,
        (cpu.isa & SB_ISA(SB_ISA_SVE)) && (cpu.isa & SB_ISA(SB_ISA_I8MM)) ? sb_ukr_sve_smmla() : NULL,
#endif
    };
    for (size_t i = 0; i < sizeof(descs) / sizeof(descs[0]); i++)
        if (descs[i]) /* NULL: a kernel this CPU cannot run */
            check_desc(descs[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_blocking)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
