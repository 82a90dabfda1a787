/*
 * test_collectors.c - the time and rusage collectors: every collector probes
 * and opens here; time measures a known sleep; rusage counts the page faults
 * of a first-touch buffer (at least one per 4 KiB page touched).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include "collector.h"

static void test_table(void **state)
{
    size_t n;
    const sb_collector_ops *const *all = sb_collectors(&n);
    (void)state;
    assert_true(n >= 2);
    assert_string_equal(all[0]->name, "time"); /* the runner relies on time being first */
    for (size_t i = 0; i < n; i++) {
        char reason[192] = "";
        sb_status st = all[i]->probe(reason, sizeof(reason));
        /* the built-in ones work everywhere; a counter collector may not (qemu-user) but says why */
        if (all[i]->counts_events && st != SB_OK)
            assert_true(strlen(reason) > 0);
        else
            assert_int_equal(st, SB_OK);
        assert_ptr_equal(sb_collector_find(all[i]->name), all[i]);
    }
    assert_null(sb_collector_find("nope"));
}

static void test_time(void **state)
{
    void *st = NULL;
    sb_counter c[2];
    char err[64];
    struct timespec ts = {0, 20 * 1000 * 1000};
    const sb_collector_ops *tm = sb_collector_find("time");
    (void)state;
    assert_int_equal(tm->open(&st, &(sb_collector_cfg){.threads = 1}, err, sizeof(err)), SB_OK);
    tm->start(st);
    nanosleep(&ts, NULL);
    tm->stop(st);
    assert_int_equal(tm->read(st, c, 2), 1);
    assert_string_equal(c[0].name, "time.ns");
    assert_int_equal(c[0].status, SB_OK);
    assert_true(c[0].value >= 20e6 && c[0].value < 2e9);
    tm->close(st);
}

static void test_rusage_faults(void **state)
{
    const sb_collector_ops *ru = sb_collector_find("rusage");
    void *st = NULL;
    sb_counter c[8];
    char err[64];
    size_t pages = 2048, n;
    (void)state;
    memset(c, 0, sizeof(c));
    char *buf = mmap(NULL, pages * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(buf != MAP_FAILED);
    madvise(buf, pages * 4096, MADV_NOHUGEPAGE); /* one fault per 4 KiB page */
    assert_int_equal(ru->open(&st, &(sb_collector_cfg){.threads = 1}, err, sizeof(err)), SB_OK);
    ru->start(st);
    for (size_t i = 0; i < pages; i++)
        buf[i * 4096] = 1;
    ru->stop(st);
    n = ru->read(st, c, 8);
    double faults = -1;
    for (size_t i = 0; i < n && i < 8; i++)
        if (strcmp(c[i].name, "rusage.minor_faults") == 0)
            faults = c[i].value;
    assert_true(faults >= (double)pages);
    assert_true(faults < (double)pages + 256); /* a little noise from the process itself */
    ru->close(st);
    munmap(buf, pages * 4096);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_table), cmocka_unit_test(test_time),
                                       cmocka_unit_test(test_rusage_faults)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
