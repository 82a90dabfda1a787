/*
 * test_dispatch.c - the registry picks the kernels this CPU supports. On
 * aarch64 under qemu (the graviton2/3/4 test setups) the emulated CPU is known
 * from QEMU_CPU, so the expected choice is asserted exactly for every dtype:
 * N1 (Graviton2) has no SVE, BF16 or I8MM and gets NEON FP32, widened BF16 and
 * SDOT INT8; the SVE setups get SVE FP32, BFMMLA and SMMLA at the vector
 * length asked for, and SVE2 only where SB_ISA_CAP=i8mm (the Graviton3 setup)
 * does not remove it. On any
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

static const char *linear(sb_dtype dt, const sb_cpu *cpu)
{
    return sb_kernel_find(SB_OP_LINEAR, dt, false, cpu->isa)->name;
}

static void test_emulated_graviton(void **state)
{
    const char *q = getenv("QEMU_CPU"), *cap = getenv("SB_ISA_CAP");
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
        assert_string_equal(linear(SB_DT_BF16, &cpu), "linear.bf16.neon");
        assert_string_equal(linear(SB_DT_INT8, &cpu), "linear.int8.dotprod");
    } else if (strstr(q, "sve256") || strstr(q, "sve128")) { /* Graviton3 / Graviton4 vector lengths */
        assert_int_equal(cpu.sve_bits, strstr(q, "sve256") ? 256 : 128);
        assert_true(cpu.isa & SB_ISA(SB_ISA_BF16));
        assert_true(cpu.isa & SB_ISA(SB_ISA_I8MM));
        /* qemu's max has SVE2; the cap i8mm takes it away, as on Graviton3 */
        if (cap && strcmp(cap, "i8mm") == 0)
            assert_false(cpu.isa & SB_ISA(SB_ISA_SVE2));
        else
            assert_true(cpu.isa & SB_ISA(SB_ISA_SVE2));
        assert_string_equal(k->name, "linear.f32.sve");
        assert_string_equal(linear(SB_DT_BF16, &cpu), "linear.bf16.sve");
        assert_string_equal(linear(SB_DT_INT8, &cpu), "linear.int8.sve");
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
