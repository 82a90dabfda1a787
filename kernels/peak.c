/*
 * peak.c - the peak-probe table (peak.h) and the baseline triad.
 *
 * To add a probe: add its body to the ISA library it needs (kernels/meson.build) and one row
 * here, under that library's SB_HAVE_ guard, with the CPU features it needs. ops_per_iter is
 * accumulators x multiply-adds per instruction x 2.
 */
#include "peak.h"

#include "cpu.h"

#define X86(b) SB_ISA(SB_ISA_##b)
#define ARM(b) SB_ISA(SB_ISA_##b)
#define COMPUTE(nm, dt, is, req, ops, vl, ins, fn)                                          \
    {.name = nm, .kind = SB_PROBE_COMPUTE, .dtype = dt, .isa = is, .requires = req,        \
     .ops_per_iter = ops, .vector_bytes = vl, .instr = ins, .compute = fn}
#define TRIAD(nm, is, req, ins, fn)                                                         \
    {.name = nm, .kind = SB_PROBE_BANDWIDTH, .dtype = "f32", .isa = is, .requires = req,   \
     .instr = ins, .triad = fn}

/* The baseline triad: plain C, vectorised by the compiler for the baseline ISA. */
static void triad_ref(float *a, const float *b, const float *c, float s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        a[i] = b[i] + s * c[i];
}

static const sb_probe probes[] = {
#ifdef SB_HAVE_AVX512
    COMPUTE("fma.f32.avx512", "f32", "avx512", X86(AVX512F), 12 * 16 * 2, NULL, "vfmadd231ps zmm",
            sb_peak_fma_f32_avx512),
#endif
#ifdef SB_HAVE_AVX2
    COMPUTE("fma.f32.avx2", "f32", "avx2", X86(AVX2) | X86(FMA), 12 * 8 * 2, NULL,
            "vfmadd231ps ymm", sb_peak_fma_f32_avx2),
#endif
#ifdef SB_HAVE_AVX512BF16
    COMPUTE("dpbf16.bf16.avx512bf16", "bf16", "avx512bf16",
            X86(AVX512F) | X86(AVX512BW) | X86(AVX512DQ) | X86(AVX512_BF16), 12 * 32 * 2, NULL,
            "vdpbf16ps zmm", sb_peak_dpbf16_bf16_avx512bf16),
#endif
#ifdef SB_HAVE_AVX512VNNI
    COMPUTE("dpbusd.int8.avx512vnni", "int8", "avx512vnni", X86(AVX512F) | X86(AVX512_VNNI),
            12 * 64 * 2, NULL, "vpdpbusd zmm", sb_peak_dpbusd_int8_avx512vnni),
#endif
#ifdef SB_HAVE_AVX2
    COMPUTE("maddubs.int8.avx2", "int8", "avx2", X86(AVX2), 8 * 32 * 2, NULL,
            "vpmaddubsw + vpmaddwd + vpaddd ymm", sb_peak_maddubs_int8_avx2),
#endif
#ifdef SB_HAVE_NEON
    COMPUTE("fmla.f32.neon", "f32", "neon", ARM(NEON), 16 * 4 * 2, NULL, "fmla v.4s",
            sb_peak_fmla_f32_neon),
#endif
#ifdef SB_HAVE_SVE
    COMPUTE("fmla.f32.sve", "f32", "sve", ARM(SVE), 16 * 4 * 2, sb_peak_sve_bytes, "fmla z.s",
            sb_peak_fmla_f32_sve),
#endif
#ifdef SB_HAVE_BF16
    COMPUTE("bfmmla.bf16.bf16", "bf16", "bf16", ARM(BF16), 16 * 16 * 2, NULL, "bfmmla v.4s",
            sb_peak_bfmmla_bf16_bf16),
#endif
#ifdef SB_HAVE_SVE_MMLA
    COMPUTE("bfmmla.bf16.sve", "bf16", "sve_mmla", ARM(SVE) | ARM(BF16), 16 * 16 * 2,
            sb_peak_sve_bytes, "bfmmla z.s", sb_peak_bfmmla_bf16_sve),
    COMPUTE("smmla.int8.sve", "int8", "sve_mmla", ARM(SVE) | ARM(I8MM), 16 * 32 * 2,
            sb_peak_sve_bytes, "smmla z.s", sb_peak_smmla_int8_sve),
#endif
#ifdef SB_HAVE_I8MM
    COMPUTE("smmla.int8.i8mm", "int8", "i8mm", ARM(I8MM), 16 * 32 * 2, NULL, "smmla v.4s",
            sb_peak_smmla_int8_i8mm),
#endif
#ifdef SB_HAVE_DOTPROD
    COMPUTE("sdot.int8.dotprod", "int8", "dotprod", ARM(DOTPROD), 16 * 16 * 2, NULL, "sdot v.4s",
            sb_peak_sdot_int8_dotprod),
#endif
#ifdef SB_HAVE_AVX512
    TRIAD("triad.f32.avx512", "avx512", X86(AVX512F), "vfmadd231ps zmm, 2 loads, 1 store",
          sb_peak_triad_avx512),
#endif
#ifdef SB_HAVE_AVX2
    TRIAD("triad.f32.avx2", "avx2", X86(AVX2) | X86(FMA), "vfmadd231ps ymm, 2 loads, 1 store",
          sb_peak_triad_avx2),
#endif
#ifdef SB_HAVE_NEON
    TRIAD("triad.f32.neon", "neon", ARM(NEON), "fmla v.4s, 2 loads, 1 store", sb_peak_triad_neon),
#endif
    TRIAD("triad.f32.ref", "ref", 0, "the compiler's baseline code", triad_ref),
};

size_t sb_probe_count(void) { return sizeof(probes) / sizeof(probes[0]); }

const sb_probe *sb_probe_at(size_t i) { return i < sb_probe_count() ? &probes[i] : NULL; }

double sb_probe_ops(const sb_probe *p)
{
    if (p->kind != SB_PROBE_COMPUTE)
        return 0;
    return p->vector_bytes ? p->ops_per_iter * (double)p->vector_bytes() / 16.0 : p->ops_per_iter;
}
