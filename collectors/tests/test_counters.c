/*
 * test_counters.c - the counter collectors (perf, papi) with real software
 * counters: page faults of a first-touch buffer counted exactly, per worker
 * thread and summed across a pool; hardware events on a host without a PMU
 * end unavailable with the reason (not 0); unknown names end unknown.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "collector.h"
#include "collectors_impl.h"
#include "pool.h"

enum { PAGES = 2048 };     /* 8 MiB of 4 KiB pages per worker */

static const sb_event_req faults = {"page_faults", "perf::PAGE-FAULTS"};

typedef struct touch_ctx {
    char *buf[4];          /* one untouched mapping per worker; NULL: that worker touches nothing */
    size_t page;
} touch_ctx;

static void touch(void *ctx, size_t task, int worker)
{
    touch_ctx *t = ctx;
    (void)task;
    for (size_t i = 0; t->buf[worker] && i < PAGES; i++)
        t->buf[worker][i * t->page] = 1;
}

/* sb_collector_cfg.each over a pool (what the runner does). */
typedef struct tramp { sb_each_fn fn; void *ctx; } tramp;
static void tramp_fn(void *ctx, size_t task, int worker)
{
    (void)task;
    tramp *t = ctx;
    t->fn(t->ctx, worker);
}
static void pool_each(void *pool, sb_each_fn fn, void *ctx)
{
    tramp t = {fn, ctx};
    sb_pool_each(pool, tramp_fn, &t);
}

static char *fresh_pages(size_t page)
{
    char *p = mmap(NULL, PAGES * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(p != MAP_FAILED);
    madvise(p, PAGES * page, MADV_NOHUGEPAGE); /* one fault per 4 KiB page, THP or not */
    return p;
}

/*
 * Count page faults with ops over a pool of `threads` workers, where the
 * workers in `touching` (bit mask) each first-touch PAGES pages.
 */
static double count_faults(const sb_collector_ops *ops, int threads, unsigned touching)
{
    sb_pool *pool = NULL;
    char err[256] = "";
    void *state = NULL;
    sb_counter out;
    touch_ctx t = {.page = (size_t)sysconf(_SC_PAGESIZE)};
    assert_int_equal(sb_pool_create(&pool, NULL, threads, NULL, err, sizeof(err)), SB_OK);
    for (int w = 0; w < threads; w++)
        t.buf[w] = touching & (1u << w) ? fresh_pages(t.page) : NULL;
    sb_collector_cfg cfg = {.events = &faults, .nevents = 1, .threads = threads, .each = pool_each,
                            .pool = pool};
    assert_int_equal(ops->open(&state, &cfg, err, sizeof(err)), SB_OK);
    ops->start(state);
    sb_pool_each(pool, touch, &t);
    ops->stop(state);
    assert_int_equal(ops->read(state, &out, 1), 1);
    ops->close(state);
    for (int w = 0; w < threads; w++)
        if (t.buf[w])
            munmap(t.buf[w], PAGES * t.page);
    sb_pool_destroy(pool);
    assert_string_equal(out.name, "page_faults");
    assert_string_equal(out.event, "perf::PAGE-FAULTS");
    assert_int_equal(out.status, SB_OK);
    assert_true(out.mux_ratio > 0.99 && out.mux_ratio <= 1.0);
    return out.value;
}

static void check_collector(const char *name)
{
    const sb_collector_ops *ops = sb_collector_find(name);
    char reason[192] = "";
    if (!ops) {
        print_message("%s is not in this build\n", name);
        skip();
    }
    if (ops->probe(reason, sizeof(reason)) != SB_OK) {
        print_message("%s cannot work here: %s\n", name, reason);
        skip();
    }
    sb_counter probe;
    char err[256] = "";
    assert_int_equal(sb_collector_try(ops, &faults, 1, &probe, err, sizeof(err)), SB_OK);
    if (probe.status != SB_OK) { /* e.g. PAPI under qemu-user: its perf_event component is disabled */
        assert_true(strlen(probe.reason) > 0);
        print_message("%s cannot count page faults here: %s\n", name, probe.reason);
        skip();
    }
    /* exactly one fault per first-touched page: per worker, and summed */
    assert_int_equal((long)count_faults(ops, 1, 1u), PAGES);
    assert_int_equal((long)count_faults(ops, 2, 2u), PAGES);      /* only worker 1 touches */
    assert_int_equal((long)count_faults(ops, 2, 3u), 2 * PAGES);  /* both: the sum */
    assert_int_equal((long)count_faults(ops, 3, 5u), 2 * PAGES);  /* workers 0 and 2 */
}

static void test_perf_faults(void **state) { (void)state; check_collector("perf"); }
static void test_papi_faults(void **state) { (void)state; check_collector("papi"); }

/* Hardware events here: unavailable with a reason (never a 0); bad names: unknown. */
static void check_unavailable(const char *name)
{
    const sb_collector_ops *ops = sb_collector_find(name);
    const sb_event_req ev[] = {{"cycles", "perf::CYCLES"},
                               {"instructions", "perf::INSTRUCTIONS"},
                               {"bogus", "nosuchpmu::NOSUCHEVENT"},
                               {"task_clock", "perf::TASK-CLOCK"}};
    sb_counter out[4];
    char err[256] = "", reason[192];
    if (!ops)
        skip();
    assert_int_equal(sb_collector_try(ops, ev, 4, out, err, sizeof(err)), SB_OK);
    if (ops->probe(reason, sizeof(reason)) != SB_OK) {
        for (int i = 0; i < 4; i++) {
            assert_int_not_equal(out[i].status, SB_OK);
            assert_non_null(strstr(out[i].reason, reason));
        }
        return;
    }
    if (!sb_pmu_hw_present()) {
        for (int i = 0; i < 2; i++) {
            assert_int_not_equal(out[i].status, SB_OK);
            assert_true(strstr(out[i].reason, "no hardware PMU") || strstr(out[i].reason, "disabled"));
        }
    } else {
        print_message("this host has a PMU: cycles %s\n", out[0].status == SB_OK ? "counted" : out[0].reason);
    }
    assert_true(out[2].status != SB_OK && strlen(out[2].reason) > 0);
    if (out[3].status == SB_OK)
        assert_string_equal(out[3].event, "perf::TASK-CLOCK");
    else /* a software event fails only where the collector's backend is off (PAPI under qemu) */
        assert_non_null(strstr(out[3].reason, "disabled"));
}

static void test_perf_unavailable(void **state) { (void)state; check_unavailable("perf"); }
static void test_papi_unavailable(void **state) { (void)state; check_unavailable("papi"); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_perf_faults),
        cmocka_unit_test(test_papi_faults),
        cmocka_unit_test(test_perf_unavailable),
        cmocka_unit_test(test_papi_unavailable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
