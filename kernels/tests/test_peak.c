/*
 * test_peak.c - one peak probe (peak.h) against what it claims, named on the command line:
 *   test_peak PROBE   exit 0 ok, 1 wrong, 77 the host cannot execute it, 99 set-up error.
 * A compute probe must return iters * ops / 2 multiply-adds for several iters (so its operation
 * count, the numerator of every peak calibrate reports, is the one it does); a triad must write
 * b + s c exactly on lengths with every tail and at unaligned addresses, and nothing past n.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cpu.h"
#include "peak.h"

static int check_compute(const sb_probe *p)
{
    static const uint64_t iters[] = {0, 1, 2, 7, 100};
    double ops = sb_probe_ops(p);
    int bad = ops <= 0;
    for (size_t i = 0; i < sizeof(iters) / sizeof(iters[0]); i++) {
        double got = p->compute(iters[i]), want = (double)iters[i] * ops / 2;
        if (got != want) {
            printf("%s: %llu iterations gave %.17g multiply-adds, not %.17g (%g ops/iteration)\n",
                   p->name, (unsigned long long)iters[i], got, want, ops);
            bad = 1;
        }
    }
    printf("%s: %g operations per iteration%s\n", p->name, ops, bad ? "" : ", as counted");
    return bad;
}

static int check_triad(const sb_probe *p)
{
    enum { MAX = 1100, GUARD = 8 };
    static const size_t lens[] = {0, 1, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 1001, 1024};
    float *a = malloc((MAX + GUARD) * sizeof(float)), *b = malloc(MAX * sizeof(float)),
          *c = malloc(MAX * sizeof(float));
    int bad = !a || !b || !c;
    for (size_t i = 0; !bad && i < MAX; i++) { /* small integers: b + 2 c is exact */
        b[i] = (float)(i % 97);
        c[i] = (float)(i % 13) - 6.0f;
    }
    for (size_t off = 0; !bad && off < 3; off++)
        for (size_t l = 0; !bad && l < sizeof(lens) / sizeof(lens[0]); l++) {
            size_t n = lens[l];
            for (size_t i = 0; i < MAX + GUARD; i++)
                a[i] = -1000.0f;
            p->triad(a + off, b + off, c + off, 2.0f, n);
            for (size_t i = 0; i < n + GUARD && !bad; i++) {
                float want = i < n ? b[off + i] + 2.0f * c[off + i] : -1000.0f;
                if (a[off + i] != want) {
                    printf("%s: n %zu, offset %zu: a[%zu] = %g, not %g\n", p->name, n, off, i,
                           a[off + i], want);
                    bad = 1;
                }
            }
        }
    printf("%s: %s on %zu lengths at 3 offsets\n", p->name, bad ? "WRONG" : "exact",
           sizeof(lens) / sizeof(lens[0]));
    free(a);
    free(b);
    free(c);
    return bad;
}

int main(int argc, char **argv)
{
    const sb_probe *p = NULL;
    sb_cpu cpu;
    char err[256];
    for (size_t i = 0; argc == 2 && i < sb_probe_count(); i++)
        if (strcmp(sb_probe_at(i)->name, argv[1]) == 0)
            p = sb_probe_at(i);
    if (!p) {
        fprintf(stderr, "usage: %s PROBE (a probe of kernels/peak.c in this build)\n", argv[0]);
        return 99;
    }
    if (sb_cpu_detect(&cpu, err, sizeof(err)) != SB_OK) {
        fprintf(stderr, "%s\n", err);
        return 99;
    }
    if (p->requires & ~cpu.isa) {
        printf("SKIP: this host cannot execute %s (isa %s)\n", p->name, p->isa);
        return 77;
    }
    return p->kind == SB_PROBE_COMPUTE ? check_compute(p) : check_triad(p);
}
