/* test_mem.c - sb_mem_alloc: alignment, rounding (and sb_mem_size's plan of it), and the
   huge-page hint on large buffers; sb_mem_available's reading of MemAvailable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cpu.h"
#include "mem.h"

/* Whether the mapping holding p has the VmFlags hg (madvise(MADV_HUGEPAGE) applied); -1 when
   /proc/self/smaps has no mapping for p. */
static int vma_has_hugepage_hint(const void *p)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    char line[512];
    int in = 0, found = -1;
    uintptr_t a = (uintptr_t)p;
    assert_non_null(f);
    while (fgets(line, sizeof(line), f)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx", &lo, &hi) == 2) { /* a mapping's first line */
            in = a >= lo && a < hi;
            continue;
        }
        if (in && strncmp(line, "VmFlags:", 8) == 0) {
            found = strstr(line, " hg") != NULL;
            break;
        }
    }
    fclose(f);
    return found;
}

static void test_small(void **state)
{
    (void)state;
    size_t taken = 0;
    char *p = sb_mem_alloc(100, &taken);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % 64, 0);
    assert_int_equal(taken, 128);
    assert_int_equal(sb_mem_size(100), taken); /* the plan is what is taken */
    memset(p, 1, 100);
    free(p);
    p = sb_mem_alloc(0, &taken); /* a valid, freeable buffer */
    assert_non_null(p);
    assert_int_equal(taken, 64);
    assert_int_equal(sb_mem_size(0), 64);
    free(p);
}

static void test_large(void **state)
{
    (void)state;
    size_t taken = 0, bytes = 3 * (size_t)SB_HUGE_PAGE + 5;
    char *p = sb_mem_alloc(bytes, &taken);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % SB_HUGE_PAGE, 0);
    assert_int_equal(taken, 4 * (size_t)SB_HUGE_PAGE);
    assert_int_equal(sb_mem_size(bytes), taken);
    assert_int_equal(sb_mem_size(SB_HUGE_PAGE - 63), SB_HUGE_PAGE); /* 64-byte rounding first */
    memset(p, 1, taken);
    /* the hint is on the mapping where the kernel has THP; qemu-user takes madvise as a no-op
       and shows its own mappings, so there only the layout is checked */
    sb_cpu cpu;
    char err[128];
    assert_int_equal(sb_cpu_detect(&cpu, err, sizeof(err)), SB_OK);
    if (!cpu.emulated && access("/sys/kernel/mm/transparent_hugepage/enabled", F_OK) == 0)
        assert_int_equal(vma_has_hugepage_hint(p + SB_HUGE_PAGE), 1);
    free(p);
}

static void test_available(void **state)
{
    (void)state;
    assert_true(sb_mem_available("MemTotal:       24000000 kB\nMemFree:         1000 kB\n"
                                 "MemAvailable:   20971520 kB\nBuffers: 5 kB\n") == 21474836480.0);
    assert_true(sb_mem_available("MemAvailable: 1 kB") == 1024.0); /* the last line, no newline */
    assert_true(sb_mem_available("MemTotal: 100 kB\nMemFree: 50 kB\n") == 0.0); /* before 3.14 */
    assert_true(sb_mem_available("MemAvailable: lots\n") == 0.0);
    assert_true(sb_mem_available("MemAvailable: 5 MB\n") == 0.0);  /* not the unit we know */
    assert_true(sb_mem_available("") == 0.0);
    /* this host's /proc/meminfo, where there is one: no more than all of memory */
    double avail = sb_mem_available(NULL), phys = (double)sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE);
    if (access("/proc/meminfo", R_OK) == 0)
        assert_true(avail > 0.0 && avail <= phys);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small),
        cmocka_unit_test(test_large),
        cmocka_unit_test(test_available),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
