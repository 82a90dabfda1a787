/*
 * x86.h - the x86 micro-kernels. Each file is one static library built with
 * only its ISA's flags (kernels/meson.build); the registry picks at run time.
 */
#ifndef SB_X86_H
#define SB_X86_H
#include "gemm/gemm.h"
extern const sb_ukr_desc sb_ukr_avx2_f32;         /* avx2_gemm.c: -mavx2 -mfma */
extern const sb_ukr_desc sb_ukr_avx2_bf16cvt;     /* avx2_gemm.c */
extern const sb_ukr_desc sb_ukr_avx512_f32;       /* avx512_gemm.c: -mavx512f -mfma */
extern const sb_ukr_desc sb_ukr_avx512_bf16cvt;   /* avx512_gemm.c */
extern const sb_ukr_desc sb_ukr_avx512bf16_bf16;  /* avx512bf16_gemm.c: the avx512bf16 library (-mavx512dq too) */
extern const sb_ukr_desc sb_ukr_avx512vnni_int8;  /* avx512vnni_gemm.c: -mavx512f -mavx512vnni */
extern const sb_ukr_desc sb_ukr_avx2_int8;        /* avx2_gemm.c */
extern const sb_ukr_desc sb_ukr_avx2_int8w7;      /* avx2_gemm.c */

/* elementwise kernels (avx2_elementwise.c, avx512_elementwise.c) */
void sb_gelu_tanh_avx2(const sb_unary_args *a, sb_pool *pool);
void sb_ln_modulate_avx2(const sb_ln_mod_args *a, sb_pool *pool);
void sb_qk_rmsnorm_avx2(const sb_qk_norm_args *a, sb_pool *pool);
void sb_rope_avx2(const sb_rope_args *a, sb_pool *pool);
void sb_gelu_tanh_avx512(const sb_unary_args *a, sb_pool *pool);
void sb_ln_modulate_avx512(const sb_ln_mod_args *a, sb_pool *pool);
void sb_qk_rmsnorm_avx512(const sb_qk_norm_args *a, sb_pool *pool);
void sb_rope_avx512(const sb_rope_args *a, sb_pool *pool);
void sb_qk_norm_rope_avx2(const sb_qk_norm_rope_args *a, sb_pool *pool);
void sb_qk_norm_rope_avx512(const sb_qk_norm_rope_args *a, sb_pool *pool);
/* ... and on bfloat16 rows (BF16 storage, kernel.h's sb_bf16), in the same files */
void sb_gelu_tanh_bf16_avx2(const sb_unary_args *a, sb_pool *pool);
void sb_ln_modulate_bf16_avx2(const sb_ln_mod_args *a, sb_pool *pool);
void sb_gated_residual_bf16_avx2(const sb_gres_args *a, sb_pool *pool);
void sb_qk_rmsnorm_bf16_avx2(const sb_qk_norm_args *a, sb_pool *pool);
void sb_rope_bf16_avx2(const sb_rope_args *a, sb_pool *pool);
void sb_qk_norm_rope_bf16_avx2(const sb_qk_norm_rope_args *a, sb_pool *pool);
void sb_gelu_tanh_bf16_avx512(const sb_unary_args *a, sb_pool *pool);
void sb_ln_modulate_bf16_avx512(const sb_ln_mod_args *a, sb_pool *pool);
void sb_gated_residual_bf16_avx512(const sb_gres_args *a, sb_pool *pool);
void sb_qk_rmsnorm_bf16_avx512(const sb_qk_norm_args *a, sb_pool *pool);
void sb_rope_bf16_avx512(const sb_rope_args *a, sb_pool *pool);
void sb_qk_norm_rope_bf16_avx512(const sb_qk_norm_rope_args *a, sb_pool *pool);
/* ... the same rounding with vcvtne2ps2bf16 (avx512bf16_elementwise.c) */
void sb_gelu_tanh_bf16_avx512bf16(const sb_unary_args *a, sb_pool *pool);
void sb_ln_modulate_bf16_avx512bf16(const sb_ln_mod_args *a, sb_pool *pool);
void sb_gated_residual_bf16_avx512bf16(const sb_gres_args *a, sb_pool *pool);
void sb_qk_rmsnorm_bf16_avx512bf16(const sb_qk_norm_args *a, sb_pool *pool);
void sb_rope_bf16_avx512bf16(const sb_rope_args *a, sb_pool *pool);
void sb_qk_norm_rope_bf16_avx512bf16(const sb_qk_norm_rope_args *a, sb_pool *pool);

/* fused linear epilogues, the row code of the micro-kernels' descriptors */
extern const sb_epi_ops sb_epi_avx2;     /* avx2_elementwise.c */
extern const sb_epi_ops sb_epi_avx512;   /* avx512_elementwise.c */

/* flash-style attention without AVX-512 (avx2_attention.c) */
void sb_attention_flash_avx2(const sb_attn_args *a, sb_pool *pool);
/* its short-sequence function (avx2_short_attention.c, flash.h) */
void sb_attention_short_avx2(const sb_attn_args *a, size_t s0, size_t s1);
/* flash-style attention (avx512_attention.c; BF16: avx512bf16_attention.c) */
void sb_attention_flash_avx512(const sb_attn_args *a, sb_pool *pool);
/* the short-sequence function of the FP32 one (avx512_short_attention.c, flash.h) */
void sb_attention_short_avx512(const sb_attn_args *a, size_t s0, size_t s1);
/* ... and of the BF16 one (avx512bf16_short_attention.c): vdpbf16ps on bfloat16 pairs */
void sb_attention_short_avx512_bf16(const sb_attn_args *a, size_t s0, size_t s1);
void sb_attention_flash_avx512bf16(const sb_attn_args *a, sb_pool *pool);
#endif
