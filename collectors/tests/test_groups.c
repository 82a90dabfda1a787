/*
 * test_groups.c - the event group files: every embedded file parses; every
 * event encodes with libpfm4 for its file's PMU (x86 files in the x86 build,
 * the Neoverse files in the aarch64 build, whose libpfm4 knows them: forced
 * with LIBPFM_FORCE_PMU, as no such PMU is present here); every metric
 * compiles in SQLite over its group's aliases; broken files are refused with
 * file and line; --events lists resolve, or fail naming the bad item.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <perfmon/pfmlib_perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "collectors_impl.h"
#include "counters.h"
#include "groups.h"

static const sb_group_file *all(size_t *n)
{
    char err[256] = "";
    const sb_group_file *f = sb_groups_files(n, err, sizeof(err));
    if (!f)
        fail_msg("group files: %s", err);
    return f;
}

static void test_files_parse(void **state)
{
    size_t n;
    const sb_group_file *f = all(&n);
    (void)state;
    assert_int_equal(n, 7);
    const char *need[] = {"software", "generic", "zen4", "spr", "neoverse-n1", "neoverse-v1",
                          "neoverse-v2"};
    for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
        bool found = false;
        for (size_t j = 0; j < n; j++)
            found |= strcmp(f[j].name, need[i]) == 0;
        assert_true(found);
    }
    /* every hardware file has core, cache, stall and simd */
    for (size_t j = 0; j < n; j++) {
        if (strcmp(f[j].pmu, "perf") == 0)
            continue;
        const char *groups[] = {"core", "cache", "stall", "simd"};
        for (size_t g = 0; g < 4; g++) {
            bool found = false;
            for (size_t k = 0; k < f[j].ng; k++)
                found |= strcmp(f[j].g[k].name, groups[g]) == 0;
            if (!found)
                fail_msg("%s has no [%s]", f[j].file, groups[g]);
        }
    }
}

/* Encode every event of files whose PMU this build's libpfm4 knows. */
static void test_events_encode(void **state)
{
    size_t n, checked = 0;
    const sb_group_file *f = all(&n);
    (void)state;
#if defined(__x86_64__)
    const char *expect[] = {"generic", "software", "zen4", "spr"};
#elif defined(__aarch64__)
    const char *expect[] = {"generic", "software", "neoverse-n1", "neoverse-v1", "neoverse-v2"};
#else
    const char *expect[] = {"generic", "software"};
#endif
    for (size_t j = 0; j < n; j++) {
        bool native = false;
        for (size_t e = 0; e < sizeof(expect) / sizeof(expect[0]); e++)
            native |= strcmp(f[j].name, expect[e]) == 0;
        if (!native) {
            print_message("%s: PMU %s is not in this architecture's libpfm4, checked in its own build\n",
                          f[j].file, f[j].pmu);
            continue;
        }
        if (strcmp(f[j].pmu, "perf") == 0)
            unsetenv("LIBPFM_FORCE_PMU");
        else
            setenv("LIBPFM_FORCE_PMU", f[j].pmu, 1);
        pfm_terminate();
        assert_int_equal(pfm_initialize(), PFM_SUCCESS);
        for (size_t g = 0; g < f[j].ng; g++)
            for (size_t e = 0; e < f[j].g[g].nev; e++) {
                struct perf_event_attr a;
                int rc = sb_pmu_encode(f[j].g[g].ev[e].event, &a);
                if (rc != PFM_SUCCESS)
                    fail_msg("%s [%s] %s: %s", f[j].file, f[j].g[g].name, f[j].g[g].ev[e].event,
                             pfm_strerror(rc));
                checked++;
            }
    }
    unsetenv("LIBPFM_FORCE_PMU");
    pfm_terminate();
    print_message("%zu events encoded\n", checked);
    assert_true(checked > 40);
}

static void test_metrics_compile(void **state)
{
    size_t n, metrics = 0;
    const sb_group_file *f = all(&n);
    (void)state;
    for (size_t j = 0; j < n; j++)
        for (size_t g = 0; g < f[j].ng; g++) {
            const sb_group *grp = &f[j].g[g];
            const char *names[SB_GROUP_MAX_EVENTS];
            char err[256] = "";
            for (size_t e = 0; e < grp->nev; e++)
                names[e] = grp->ev[e].alias;
            for (size_t m = 0; m < grp->nm; m++, metrics++)
                if (sb_metric_check(grp->m[m].expr, names, grp->nev, err, sizeof(err)) != SB_OK)
                    fail_msg("%s [%s] %s: %s", f[j].file, grp->name, grp->m[m].name, err);
        }
    assert_true(metrics > 30);
    /* and the checker refuses what is not one expression over known names */
    const char *names[] = {"cycles"};
    char err[256];
    assert_int_not_equal(sb_metric_check("cycles / nope", names, 1, err, sizeof(err)), SB_OK);
    assert_non_null(strstr(err, "nope"));
    assert_int_not_equal(sb_metric_check("1); DROP TABLE counter; SELECT (1", names, 1, err, sizeof(err)), SB_OK);
}

static void expect_bad(const char *text, const char *fragment)
{
    sb_group_file f;
    char err[256] = "";
    assert_int_equal(sb_group_file_parse(text, "bad.ini", &f, err, sizeof(err)), SB_EFORMAT);
    if (!strstr(err, fragment))
        fail_msg("'%s' does not mention '%s'", err, fragment);
    assert_non_null(strstr(err, "bad.ini"));
}

static void test_bad_files(void **state)
{
    (void)state;
    expect_bad("[uarch]\nname = x\npmu = perf\n[core]\nevent.cycles perf::CYCLES\n", "bad.ini:5");
    expect_bad("[uarch]\nname = x\npmu = perf\n[core]\nevent.Cycles = perf::CYCLES\n", "Cycles");
    expect_bad("[uarch]\nname = x\npmu = perf\n[core]\nevent.cycles = CYCLES\n", "PMU::EVENT");
    expect_bad("[uarch]\nname = x\npmu = perf\n[core]\ncolour = red\n", "unknown key");
    expect_bad("[uarch]\nname = x\npmu = perf\n[core]\ndesc = only\n", "no events");
    expect_bad("[core]\nevent.cycles = perf::CYCLES\n", "[uarch]");
    expect_bad("[uarch]\nname = x\npmu = perf\nflavour = y\n", "flavour");
    sb_group_file f;
    char err[256] = "";
    assert_int_equal(sb_group_file_parse("[uarch]\nname = x\npmu = perf\n[core]\nevent.cycles = "
                                         "perf::CYCLES\nmetric.ghz = cycles / ns\n", "ok.ini", &f,
                                         err, sizeof(err)), SB_OK);
    assert_int_equal(f.ng, 1);
    assert_string_equal(f.g[0].ev[0].event, "perf::CYCLES");
    assert_string_equal(f.g[0].m[0].expr, "cycles / ns");
}

static void test_resolve(void **state)
{
    sb_event_set *s = calloc(1, sizeof(*s));
    char err[256] = "";
    (void)state;
    assert_int_equal(sb_event_set_parse("software", s, err, sizeof(err)), SB_OK);
    assert_string_equal(s->desc, "software.software");
    assert_int_equal(s->n, 6);
    assert_string_equal(s->req[1].alias, "page_faults");
    assert_string_equal(s->req[1].event, "perf::PAGE-FAULTS");

    /* core comes from the host's PMU file when there is one, else from generic */
    assert_int_equal(sb_event_set_parse("core,software,perf::CPU-CLOCK", s, err, sizeof(err)), SB_OK);
    const sb_group_file *host = sb_groups_host();
    char want[128];
    snprintf(want, sizeof(want), "%s.core, software.software, perf::CPU-CLOCK", host ? host->name : "generic");
    assert_string_equal(s->desc, want);
    assert_int_equal(s->n, 2 + 6 + 1);
    assert_string_equal(s->req[8].alias, "perf::CPU-CLOCK");
    assert_true(s->nmetrics >= 3);

    /* shared aliases of one file count once */
    assert_int_equal(sb_event_set_parse("zen4.core,zen4.stall", s, err, sizeof(err)), SB_OK);
    assert_int_equal(s->n, 4); /* cycles, instructions, fe_no_ops, be_stalls */

    assert_int_not_equal(sb_event_set_parse("bogus", s, err, sizeof(err)), SB_OK);
    assert_non_null(strstr(err, "bogus"));
    assert_int_not_equal(sb_event_set_parse("zen4.nosuch", s, err, sizeof(err)), SB_OK);
    assert_non_null(strstr(err, "zen4.nosuch"));
    assert_int_not_equal(sb_event_set_parse("generic.core,zen4.core", s, err, sizeof(err)), SB_OK);
    assert_non_null(strstr(err, "cycles"));
    assert_int_not_equal(sb_event_set_parse(",", s, err, sizeof(err)), SB_OK);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_files_parse),   cmocka_unit_test(test_events_encode),
        cmocka_unit_test(test_metrics_compile), cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_resolve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
