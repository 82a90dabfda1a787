/*
 * kernel_test.h - the start every per-kernel test program shares: look up the
 * kernel named on the command line, skip (exit 77, with the reason) when this
 * host cannot execute it, and make a 2-worker pool; the call of a q/k head kernel
 * (shared with bench_elementwise); the double-precision attention every
 * attention test compares with; and the running worst error, which keeps a NaN.
 */
#ifndef SB_KERNEL_TEST_H
#define SB_KERNEL_TEST_H
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "cpu.h"
#include "kernel.h"
#include "ref/ref.h"

/* The larger of worst and err, NaN if either is: a NaN output must fail the check that follows
   (worst <= tol), not be passed over as `err > worst` would. */
static inline double sb_test_worst(double worst, double err)
{
    return isnan(err) || err > worst ? err : worst;
}

/*
 * Returns -1 when the test should go on (with *k and *pool set), otherwise
 * the exit code: 77 skipped, 99 set-up error (meson's convention).
 * want_op < 0 accepts a kernel of any op.
 */
static inline int sb_kernel_test_setup(int argc, char **argv, int want_op, const sb_kernel **k,
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
/*
 * Runs k, a q/k RMSNorm, RoPE or fused kernel, on a's q and k: the RMSNorm alone on every row
 * the sequences of a cover (n_outer samples of outer_stride rows), RoPE on a.rope, the fused
 * kernel on a. The bfloat16 pointers (qh, kh) are passed on for the BF16-storage kernels.
 */
static inline void sb_test_run_heads(const sb_kernel *k, const sb_qk_norm_rope_args *a,
                                     sb_pool *pool)
{
    sb_qk_norm_args n = {.ldq = a->rope.ldq, .ldk = a->rope.ldk, .wq = a->wq, .wk = a->wk,
                         .heads = a->rope.heads,
                         .rows = a->rope.layout.n_outer * a->rope.layout.outer_stride,
                         .head_dim = a->rope.head_dim, .eps = a->eps};
    if (k->io == SB_DT_BF16)
        n.qh = a->rope.qh, n.kh = a->rope.kh;
    else
        n.q = a->rope.q, n.k = a->rope.k;
    if (k->op == SB_OP_QK_RMSNORM)
        k->fn.qk_rmsnorm(&n, pool);
    else if (k->op == SB_OP_ROPE)
        k->fn.rope(&a->rope, pool);
    else
        k->fn.qk_norm_rope(a, pool);
}

/* Output element e of head h for query i of sequence seq, by explicit softmax loops in double. */
static inline double sb_naive_attention(const sb_attn_args *a, size_t seq, size_t h, size_t i,
                                        size_t e)
{
    size_t D = a->head_dim, qr = sb_seq_row(&a->ql, seq, i);
    double mx = -INFINITY, sum = 0, acc = 0, *s = malloc(a->nkv * sizeof(double));
    for (size_t t = 0; t < a->nkv; t++) {
        size_t kr = sb_seq_row(&a->kvl, seq, t);
        double d = 0;
        for (size_t x = 0; x < D; x++)
            d += (double)a->q[qr * a->ldq + h * D + x] * a->k[kr * a->ldk + h * D + x];
        s[t] = d * a->scale;
        mx = s[t] > mx ? s[t] : mx;
    }
    for (size_t t = 0; t < a->nkv; t++)
        sum += (s[t] = exp(s[t] - mx));
    for (size_t t = 0; t < a->nkv; t++)
        acc += s[t] / sum * a->v[sb_seq_row(&a->kvl, seq, t) * a->ldv + h * D + e];
    free(s);
    return acc;
}

#endif
