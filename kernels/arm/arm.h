/*
 * arm.h - the aarch64 micro-kernels. Each file is one static library built with
 * only its ISA's flags (kernels/meson.build); the registry picks at run time from
 * getauxval(AT_HWCAP/AT_HWCAP2). The blocking, packing and threading are the
 * portable framework's (gemm/), the same as on x86.
 */
#ifndef SB_ARM_H
#define SB_ARM_H
#include "gemm/gemm.h"
extern const sb_ukr_desc sb_ukr_neon_f32;          /* neon_gemm.c: baseline armv8-a */
extern const sb_ukr_desc sb_ukr_neon_bf16cvt;      /* neon_gemm.c: BF16 widened to FP32 */
extern const sb_ukr_desc sb_ukr_bf16_bfmmla;       /* bf16_gemm.c: +bf16 */
extern const sb_ukr_desc sb_ukr_bf16_bfdot;        /* bf16_gemm.c: +bf16 */
extern const sb_ukr_desc sb_ukr_i8mm_int8;         /* i8mm_gemm.c: +i8mm (SMMLA) */
extern const sb_ukr_desc sb_ukr_dotprod_int8;      /* dotprod_gemm.c: +dotprod (SDOT) */
/* sve_gemm.c (+sve): vector-length agnostic; nr = 2 x the host's vector length */
const sb_ukr_desc *sb_ukr_sve_f32(void);
/* sve_mmla_gemm.c (+sve+bf16+i8mm): nr = 4 x VL/64 */
const sb_ukr_desc *sb_ukr_sve_bfmmla(void);
const sb_ukr_desc *sb_ukr_sve_smmla(void);

/* elementwise kernels (neon_elementwise.c) */
void sb_gelu_tanh_neon(const sb_unary_args *a, sb_pool *pool);
void sb_ln_modulate_neon(const sb_ln_mod_args *a, sb_pool *pool);
void sb_qk_rmsnorm_neon(const sb_qk_norm_args *a, sb_pool *pool);
void sb_rope_neon(const sb_rope_args *a, sb_pool *pool);
void sb_qk_norm_rope_neon(const sb_qk_norm_rope_args *a, sb_pool *pool);

/* fused linear epilogues (neon_elementwise.c), the row code of every aarch64 descriptor */
extern const sb_epi_ops sb_epi_neon;

/* flash-style attention (neon_attention.c) */
void sb_attention_flash_neon(const sb_attn_args *a, sb_pool *pool);
/* its short-sequence function (neon_short_attention.c, flash.h) */
void sb_attention_short_neon(const sb_attn_args *a, size_t s0, size_t s1);
#endif
