/* test_pool.c - sb_pool: every task runs exactly once, on any worker count, pinned or not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "pool.h"
#include "topo.h"

typedef struct count_ctx {
    atomic_int *hits;      /* [n] */
    atomic_int workers_seen[64];
} count_ctx;

static void count_task(void *ctx, size_t t, int worker)
{
    count_ctx *c = ctx;
    atomic_fetch_add(&c->hits[t], 1);
    atomic_fetch_add(&c->workers_seen[worker], 1);
}

static void run_pool(int threads, const char *policy)
{
    sb_topo *topo = NULL;
    sb_pool *p = NULL;
    sb_pin pin;
    char err[256] = "";
    const size_t n = 1000;
    count_ctx c;

    assert_int_equal(sb_topo_open(&topo), SB_OK);
    assert_int_equal(sb_pin_parse(topo, policy, &pin, err, sizeof(err)), SB_OK);
    assert_int_equal(sb_pool_create(&p, topo, threads, &pin, err, sizeof(err)), SB_OK);
    assert_int_equal(sb_pool_threads(p), threads);
    memset(&c, 0, sizeof(c));
    c.hits = calloc(n, sizeof(*c.hits));
    for (int round = 0; round < 50; round++)
        sb_pool_run(p, count_task, &c, n);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(atomic_load(&c.hits[i]), 50);
    for (int w = threads; w < 64; w++)
        assert_int_equal(atomic_load(&c.workers_seen[w]), 0);
    /* zero tasks and fewer tasks than workers are fine */
    sb_pool_run(p, count_task, &c, 0);
    sb_pool_run(p, count_task, &c, 1);
    assert_int_equal(atomic_load(&c.hits[0]), 51);

    char pus[256];
    sb_pool_pus_describe(p, pus, sizeof(pus));
    size_t semis = 0;
    for (char *s = pus; *s; s++)
        semis += *s == ';';
    assert_int_equal(semis, (size_t)threads - 1); /* one PU list per worker */
    assert_null(strchr(pus, '?'));                /* every worker has run and recorded */
    free(c.hits);
    sb_pool_destroy(p);
    sb_pin_free(&pin);
    sb_topo_close(topo);
}

static void test_pool_sizes(void **state)
{
    (void)state;
    run_pool(1, "none");
    run_pool(2, "none");
    run_pool(3, "none"); /* more workers than this machine's PUs is allowed */
}

typedef struct each_ctx {
    atomic_int calls[8];   /* per worker */
    long tid[8];           /* the thread each worker ran on */
} each_ctx;

static void each_task(void *ctx, size_t t, int worker)
{
    each_ctx *c = ctx;
    assert_int_equal((int)t, worker);
    atomic_fetch_add(&c->calls[worker], 1);
    c->tid[worker] = (long)syscall(SYS_gettid);
}

/* sb_pool_each: exactly one call per worker, each on its own thread. */
static void test_pool_each(void **state)
{
    (void)state;
    for (int n = 1; n <= 4; n++) {
        sb_pool *p = NULL;
        char err[256] = "";
        each_ctx c;
        memset(&c, 0, sizeof(c));
        assert_int_equal(sb_pool_create(&p, NULL, n, NULL, err, sizeof(err)), SB_OK);
        for (int round = 0; round < 3; round++)
            sb_pool_each(p, each_task, &c);
        for (int w = 0; w < n; w++) {
            assert_int_equal(atomic_load(&c.calls[w]), 3);
            for (int v = 0; v < w; v++)
                assert_true(c.tid[v] != c.tid[w]);
        }
        assert_int_equal(c.tid[0], (long)syscall(SYS_gettid)); /* worker 0 is the caller */
        sb_pool_destroy(p);
    }
}

static void test_pool_pinned(void **state)
{
    (void)state;
    run_pool(1, "compact");
    run_pool(2, "compact");
    run_pool(2, "scatter");
    run_pool(2, "0");
}

static void test_pin_compact_records_pu(void **state)
{
    sb_topo *topo = NULL;
    sb_pool *p = NULL;
    sb_pin pin;
    char err[256] = "", pus[64];
    (void)state;
    assert_int_equal(sb_topo_open(&topo), SB_OK);
    assert_int_equal(sb_pin_parse(topo, "0", &pin, err, sizeof(err)), SB_OK);
    assert_int_equal(sb_pool_create(&p, topo, 1, &pin, err, sizeof(err)), SB_OK);
    sb_pool_pus_reset(p);
    sb_pool_run(p, NULL, NULL, 0);
    sb_pool_pus_describe(p, pus, sizeof(pus));
    assert_string_equal(pus, "0"); /* bound to PU 0, and it ran there */
    sb_pool_destroy(p);
    sb_pin_free(&pin);
    sb_topo_close(topo);
}

static void test_pin_errors(void **state)
{
    sb_topo *topo = NULL;
    sb_pin pin;
    char err[256] = "";
    (void)state;
    assert_int_equal(sb_topo_open(&topo), SB_OK);
    assert_int_equal(sb_pin_parse(topo, "sideways", &pin, err, sizeof(err)), SB_EINVAL);
    assert_non_null(strstr(err, "'sideways'"));
    assert_int_equal(sb_pin_parse(topo, "100000", &pin, err, sizeof(err)), SB_EINVAL);
    assert_non_null(strstr(err, "cpu 100000 is not available"));
    sb_topo_close(topo);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_sizes),
        cmocka_unit_test(test_pool_each),
        cmocka_unit_test(test_pool_pinned),
        cmocka_unit_test(test_pin_compact_records_pu),
        cmocka_unit_test(test_pin_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
