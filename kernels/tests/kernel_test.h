/*
 * kernel_test.h - the start every per-kernel test program shares: look up the
 * kernel named on the command line, skip (exit 77, with the reason) when this
 * host cannot execute it, and make a 2-worker pool.
 */
#ifndef SB_KERNEL_TEST_H
#define SB_KERNEL_TEST_H
#include <stdio.h>
#include "cpu.h"
#include "kernel.h"

/*
 * Returns -1 when the test should go on (with *k and *pool set), otherwise
 * the exit code: 77 skipped, 99 set-up error (meson's convention).
 * want_op < 0 accepts a kernel of any op.
 */
static int sb_kernel_test_setup(int argc, char **argv, int want_op, const sb_kernel **k,
                                sb_pool **pool)
{
    sb_cpu cpu;
    char err[256];
    *k = argc == 2 ? sb_kernel_by_name(argv[1]) : NULL;
    if (!*k || (want_op >= 0 && (int)(*k)->op != want_op)) {
        fprintf(stderr, "usage: %s KERNEL (a registered %s kernel)\n", argv[0],
                want_op >= 0 ? sb_op_name((sb_op)want_op) : "");
        return 99;
    }
    if (sb_cpu_detect(&cpu, err, sizeof(err)) != SB_OK) {
        fprintf(stderr, "%s\n", err);
        return 99;
    }
    if ((*k)->requires & ~cpu.isa) {
        printf("SKIP: this host cannot execute %s (isa %s)\n", (*k)->name, (*k)->isa);
        return 77;
    }
    if (sb_pool_create(pool, NULL, 2, NULL, err, sizeof(err)) != SB_OK) {
        fprintf(stderr, "%s\n", err);
        return 99;
    }
    return -1;
}
#endif
