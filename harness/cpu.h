/*
 * cpu.h - ISA feature detection: cpuid/xgetbv on x86-64, getauxval on aarch64.
 *
 * Features are bits of an sb_isa_mask, named by text keys ("avx2", "sve") in a
 * table, so the registry, sysinfo and the database all speak the same names.
 * SB_ISA_CAP (environment) or sorabench run --isa limits the detected set to
 * one named feature and those before it, to compare kernels on one machine.
 */
#ifndef SB_CPU_H
#define SB_CPU_H

#include <stddef.h>
#include <stdint.h>
#include "sb_status.h"

/*
 * Order matters for caps. The Arm features follow the Graviton generations, so
 * a cap names one: "dotprod" is Graviton2 (Neoverse N1), "i8mm" is Graviton3
 * (V1: SVE, BF16, I8MM, no SVE2), nothing is Graviton4 (V2 adds SVE2).
 */
typedef enum sb_isa_bit {
    SB_ISA_SSE2, SB_ISA_AVX, SB_ISA_FMA, SB_ISA_AVX2, SB_ISA_AVX512F, SB_ISA_AVX512DQ, SB_ISA_AVX512BW,
    SB_ISA_AVX512VL, SB_ISA_AVX512_VNNI, SB_ISA_AVX512_BF16, SB_ISA_AMX_TILE,
    SB_ISA_NEON, SB_ISA_DOTPROD, SB_ISA_SVE, SB_ISA_BF16, SB_ISA_I8MM, SB_ISA_SVE2,
    SB_ISA_HYPERVISOR,  /* not an ISA: cpuid says we run under a hypervisor */
    SB_ISA_COUNT
} sb_isa_bit;

#define SB_ISA(b) ((uint64_t)1 << (b))
/* Skylake-SP's AVX-512 (F, DQ, BW, VL): oneDNN's avx512_core, OpenBLAS's SkylakeX */
#define SB_ISA_AVX512_CORE_MASK                                                               \
    (SB_ISA(SB_ISA_AVX512F) | SB_ISA(SB_ISA_AVX512DQ) | SB_ISA(SB_ISA_AVX512BW) | SB_ISA(SB_ISA_AVX512VL))

typedef struct sb_cpu {
    uint64_t isa;          /* SB_ISA() bits the host has (after any cap) */
    char vendor[16];       /* "AuthenticAMD", "GenuineIntel", "ARM"; "" unknown */
    char brand[64];        /* cpuid brand string or ""; "" when unknown */
    int family, model, stepping; /* x86 display family/model; -1 when unknown */
    unsigned long midr;    /* aarch64 MIDR_EL1 value; 0 when unknown */
    int sve_bits;          /* SVE vector length in bits; 0 without SVE */
    int capped;            /* 1: isa was limited by SB_ISA_CAP or sb_cpu_cap (run --isa) */
    int emulated;          /* 1: an emulated CPU (qemu-user): timings are not performance */
    char emulated_why[96]; /* how that was recognised */
} sb_cpu;

/* Detect the host CPU; applies SB_ISA_CAP if set (an unknown cap is an error). */
sb_status sb_cpu_detect(sb_cpu *out, char *err, size_t errlen);

/*
 * Limit cpu->isa to the feature named cap and those listed before it (e.g.
 * "avx2" keeps sse2, avx, fma, avx2); "ref" removes every vector feature.
 */
sb_status sb_cpu_cap(sb_cpu *cpu, const char *cap, char *err, size_t errlen);

/* Text key of a feature bit. */
const char *sb_isa_name(sb_isa_bit b);

/* Comma-separated feature names of a mask into buf. */
void sb_isa_describe(uint64_t isa, char *buf, size_t len);

#endif
