/*
 * openblas.c - comparison provider: the linear layer through OpenBLAS sgemm
 * (what NumPy or a BLAS-backed framework would call on the same shape).
 * Registered as "linear.f32.openblas", chosen only by name (run --kernel).
 *
 * y = bias (row broadcast), then y += x W^T with cblas_sgemm (beta = 1), as a
 * framework's addmm does. OpenBLAS runs on its own threads, set per call to
 * the case's thread count; it does not use sorabench's pinned pool.
 *
 * OpenBLAS picks its kernels for the CPU when it loads (its core name,
 * openblas_get_corename; OPENBLAS_CORETYPE overrides it), so an ISA cap cannot
 * change them from here: sb_openblas_setup refuses a cap that the loaded core's
 * kernels exceed, and names the override.
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "cpu.h"
#include "epilogue.h"
#include "providers/providers.h"

#define X86(b) SB_ISA(SB_ISA_##b)

/*
 * The features of each x86 core's kernels (OpenBLAS 0.3.21's DYNAMIC_ARCH list),
 * for the check against a cap. A core not listed is refused under any cap.
 */
static const struct blas_core {
    const char *core;          /* openblas_get_corename(), compared without case */
    sb_isa_mask needs;
} blas_cores[] = {
    {"cooperlake", SB_ISA_AVX512_CORE_MASK | X86(AVX512_BF16)},
    {"skylakex", SB_ISA_AVX512_CORE_MASK},
    {"haswell", X86(AVX) | X86(FMA) | X86(AVX2)},
    {"zen", X86(AVX) | X86(FMA) | X86(AVX2)},
    {"excavator", X86(AVX) | X86(FMA) | X86(AVX2)},
    {"steamroller", X86(AVX) | X86(FMA)},
    {"piledriver", X86(AVX) | X86(FMA)},
    {"bulldozer", X86(AVX)},
    {"sandybridge", X86(AVX)},
    {"nehalem", X86(SSE2)},
    {"dunnington", X86(SSE2)},
    {"penryn", X86(SSE2)},
    {"core2", X86(SSE2)},
    {"atom", X86(SSE2)},
    {"nano", X86(SSE2)},
    {"barcelona", X86(SSE2)},
    {"bobcat", X86(SSE2)},
    {"opteron_sse3", X86(SSE2)},
    {"opteron", X86(SSE2)},
    {"prescott", X86(SSE2)},
};

sb_status sb_openblas_setup(sb_isa_mask isa, bool capped, char *info, size_t len)
{
    char version[32] = "?";
    const char *core = openblas_get_corename();
    sscanf(openblas_get_config(), "%*s %31s", version); /* "OpenBLAS 0.3.21 DYNAMIC_ARCH ..." */
    const struct blas_core *row = NULL;
    for (size_t i = 0; !row && i < sizeof(blas_cores) / sizeof(blas_cores[0]); i++)
        if (strcasecmp(core, blas_cores[i].core) == 0)
            row = &blas_cores[i];
    if (capped && (!row || (row->needs & ~isa))) {
        snprintf(info, len, "OpenBLAS loaded its '%s' kernels, %s the ISA cap; it picks them when "
                 "it loads, so set OPENBLAS_CORETYPE to a core within the cap (Haswell: avx2, "
                 "Sandybridge: avx, Nehalem: sse2)", core, row ? "above" : "which sorabench cannot place under");
        return SB_ENOSUPP;
    }
    snprintf(info, len, "openblas %s %s", version, core);
    return SB_OK;
}

typedef struct blas_w {
    size_t n, k;
    float *w;              /* [n][k] as given */
} blas_w;

sb_status sb_openblas_pack(const float *w, size_t n, size_t k, void **packed)
{
    blas_w *p = malloc(sizeof(*p));
    if (!p || (p->w = malloc(n * k * sizeof(float))) == NULL) {
        free(p);
        return SB_ENOMEM;
    }
    memcpy(p->w, w, n * k * sizeof(float));
    p->n = n;
    p->k = k;
    *packed = p;
    return SB_OK;
}

void sb_openblas_free(void *packed)
{
    blas_w *p = packed;
    if (p)
        free(p->w);
    free(p);
}

void sb_openblas_linear(const sb_linear_args *a, sb_pool *pool)
{
    const blas_w *p = a->w;
    openblas_set_num_threads(sb_pool_threads(pool));
    if (a->bias)
        for (size_t r = 0; r < a->m; r++)
            memcpy(a->y + r * a->ldy, a->bias, a->n * sizeof(float));
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)a->m, (blasint)a->n,
                (blasint)a->k, 1.0f, a->x, (blasint)a->ldx, p->w, (blasint)p->k,
                a->bias ? 1.0f : 0.0f, a->y, (blasint)a->ldy);
    sb_linear_epilogue_all(a, pool); /* a fused layer's epilogue: a second pass, portable code */
}
