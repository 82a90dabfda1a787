/*
 * test_dispatch.c - the registry picks the kernels this CPU supports. On
 * aarch64 under qemu (the graviton2/3/4 test setups) the emulated CPU is known
 * from QEMU_CPU, so the expected choice is asserted exactly: N1 has no SVE and
 * gets NEON; the SVE setups get SVE at the vector length asked for. On any
 * host: the chosen kernel's features are a subset of the host's, and capping
 * the ISA to the reference picks the reference.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "cpu.h"
#include "kernel.h"

static void test_choice_fits_host(void **state)
{
    sb_cpu cpu;
    char err[256];
    (void)state;
    assert_int_equal(sb_cpu_detect(&cpu, err, sizeof(err)), SB_OK);
    const sb_kernel *k = sb_kernel_find(SB_OP_LINEAR, SB_DT_F32, false, cpu.isa);
    assert_non_null(k);
    assert_int_equal(k->requires & ~cpu.isa, 0);
    print_message("linear f32 here: %s\n", k->name);
    assert_int_equal(sb_cpu_cap(&cpu, "ref", err, sizeof(err)), SB_OK);
    assert_string_equal(sb_kernel_find(SB_OP_LINEAR, SB_DT_F32, false, cpu.isa)->name, "linear.f32.ref");
}

static void test_emulated_graviton(void **state)
{
    const char *q = getenv("QEMU_CPU");
    sb_cpu cpu;
    char err[256];
    (void)state;
#if !defined(__aarch64__)
    skip();
#endif
    assert_int_equal(sb_cpu_detect(&cpu, err, sizeof(err)), SB_OK);
    const sb_kernel *k = sb_kernel_find(SB_OP_LINEAR, SB_DT_F32, false, cpu.isa);
    print_message("QEMU_CPU=%s: isa 0x%llx, SVE %d bits, emulated %d, linear f32 %s\n",
                  q ? q : "(unset)", (unsigned long long)cpu.isa, cpu.sve_bits, cpu.emulated, k->name);
    if (!q || !*q) {
        /* natively (a real Graviton) or an unknown emulator setting: only consistency */
        assert_string_equal(k->name, cpu.isa & SB_ISA(SB_ISA_SVE) ? "linear.f32.sve" : "linear.f32.neon");
        return;
    }
    assert_true(cpu.emulated);
    if (strstr(q, "neoverse-n1")) {            /* Graviton2 */
        assert_false(cpu.isa & SB_ISA(SB_ISA_SVE));
        assert_true(cpu.isa & SB_ISA(SB_ISA_DOTPROD));
        assert_false(cpu.isa & (SB_ISA(SB_ISA_BF16) | SB_ISA(SB_ISA_I8MM)));
        assert_string_equal(k->name, "linear.f32.neon");
    } else if (strstr(q, "sve256") || strstr(q, "sve128")) { /* Graviton3 / Graviton4 vector lengths */
        assert_int_equal(cpu.sve_bits, strstr(q, "sve256") ? 256 : 128);
        assert_true(cpu.isa & SB_ISA(SB_ISA_BF16));
        assert_true(cpu.isa & SB_ISA(SB_ISA_I8MM));
        assert_string_equal(k->name, "linear.f32.sve");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_choice_fits_host),
        cmocka_unit_test(test_emulated_graviton),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
