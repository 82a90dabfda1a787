/*
 * peak.h - machine-peak probes for `sorabench calibrate`: loops that keep one kind of arithmetic
 * unit (FP32 FMA, BF16 dot, INT8 dot) or one level of the memory hierarchy (STREAM's triad) busy,
 * so the harness can measure what the host delivers and hold kernels to it.
 *
 * The probes are data (peak.c, one row each, with the CPU features they need); their bodies live
 * in the ISA libraries (x86/<isa>_peak.c, arm/<isa>_peak.c), built with only their ISA's flags.
 */
#ifndef SB_PEAK_H
#define SB_PEAK_H

#include <stddef.h>
#include <stdint.h>

typedef enum sb_probe_kind { SB_PROBE_COMPUTE, SB_PROBE_BANDWIDTH } sb_probe_kind;

/*
 * A compute probe: iters iterations, each of sb_probe_ops() operations (a multiply-add counts 2)
 * on independent accumulators that start at 0 and whose inputs are all 1. Returns the sum of
 * every accumulator lane: the multiply-adds done, iters * sb_probe_ops() / 2, exactly while each
 * lane stays below 2^24 (FP32) or 2^31 (INT32); tests hold each probe to that.
 */
typedef double (*sb_compute_fn)(uint64_t iters);

/* A bandwidth probe: a[i] = b[i] + s * c[i] for i < n (STREAM's triad); any alignment, any n. */
typedef void (*sb_triad_fn)(float *a, const float *b, const float *c, float s, size_t n);

typedef struct sb_probe {
    const char *name;        /* instruction.dtype.isa: "fma.f32.avx2", "triad.f32.ref" */
    sb_probe_kind kind;
    const char *dtype;       /* f32, bf16, int8 */
    const char *isa;         /* the ISA library's name: ref, avx2, sve, ... */
    uint64_t requires;       /* SB_ISA() bits (cpu.h) the host needs */
    double ops_per_iter;     /* compute: operations per iteration, per 16 vector bytes if
                                vector_bytes is set; bandwidth: 0 */
    size_t (*vector_bytes)(void); /* NULL, or the vector length (SVE: known at run time) */
    const char *instr;       /* the instructions it keeps busy */
    sb_compute_fn compute;   /* kind == SB_PROBE_COMPUTE */
    sb_triad_fn triad;       /* kind == SB_PROBE_BANDWIDTH */
} sb_probe;

/* The probes compiled into this build, in table order (compute first). */
size_t sb_probe_count(void);
const sb_probe *sb_probe_at(size_t i);

/* Operations one iteration of a compute probe does on this host (0 for a bandwidth probe). */
double sb_probe_ops(const sb_probe *p);

/* Bytes one triad over n elements moves, counted as STREAM does: 3 arrays of n floats. */
static inline double sb_triad_bytes(size_t n) { return 3.0 * sizeof(float) * (double)n; }

/* The bodies, one set per ISA library (kernels/meson.build). */
double sb_peak_fma_f32_avx2(uint64_t iters);
double sb_peak_maddubs_int8_avx2(uint64_t iters);
void sb_peak_triad_avx2(float *a, const float *b, const float *c, float s, size_t n);
double sb_peak_fma_f32_avx512(uint64_t iters);
void sb_peak_triad_avx512(float *a, const float *b, const float *c, float s, size_t n);
double sb_peak_dpbf16_bf16_avx512bf16(uint64_t iters);
double sb_peak_dpbusd_int8_avx512vnni(uint64_t iters);
double sb_peak_fmla_f32_neon(uint64_t iters);
void sb_peak_triad_neon(float *a, const float *b, const float *c, float s, size_t n);
double sb_peak_sdot_int8_dotprod(uint64_t iters);
double sb_peak_bfmmla_bf16_bf16(uint64_t iters);
double sb_peak_smmla_int8_i8mm(uint64_t iters);
double sb_peak_fmla_f32_sve(uint64_t iters);
size_t sb_peak_sve_bytes(void);
double sb_peak_bfmmla_bf16_sve(uint64_t iters);
double sb_peak_smmla_int8_sve(uint64_t iters);

#endif
