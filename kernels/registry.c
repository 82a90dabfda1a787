/*
 * registry.c - the kernel table (op x dtype x ISA x fusion), best first.
 *
 * To add a kernel: add one KERNEL() row above the reference row of its
 * (op, dtype), with the CPU features it needs; sb_kernel_find() then picks it
 * on hosts that have them. Nothing else changes.
 */
#include <string.h>
#include "cpu.h"
#include "epilogue.h"
#include "gemm/gemm.h"
#include "kernel.h"
#include "ref/ref.h"
#if defined(SB_HAVE_ONEDNN) || defined(SB_HAVE_OPENBLAS)
#include "providers/providers.h"
#endif
#if defined(SB_HAVE_AVX2) || defined(SB_HAVE_AVX512) || defined(SB_HAVE_AVX512BF16) || \
    defined(SB_HAVE_AVX512VNNI)
#include "x86/x86.h"
#endif
#if defined(SB_HAVE_NEON) || defined(SB_HAVE_SVE) || defined(SB_HAVE_BF16) || \
    defined(SB_HAVE_I8MM) || defined(SB_HAVE_DOTPROD) || defined(SB_HAVE_SVE_MMLA)
#include "arm/arm.h"
#endif

/* Packing for the GEMM framework with one micro-kernel (the run function is generic). */
#define GEMM_PACK(fn, desc)                                                      \
    static sb_status fn(const float *w, size_t n, size_t k, void **p)            \
    {                                                                            \
        return sb_gemm_pack(&desc, w, n, k, p);                                  \
    }
/* The same for an SVE micro-kernel, whose descriptor (nr) depends on the vector length. */
#define GEMM_PACK_VL(fn, getter)                                                 \
    static sb_status fn(const float *w, size_t n, size_t k, void **p)            \
    {                                                                            \
        return sb_gemm_pack(getter(), w, n, k, p);                               \
    }
#define GEMM_LINEAR(nm, dt, is, req, packfn)                                     \
    {.name = nm, .op = SB_OP_LINEAR, .dtype = dt, .isa = is, .requires = req,    \
     .fn.linear = sb_gemm_linear, .pack = packfn, .packed_free = sb_gemm_free}
#define X86(b) SB_ISA(SB_ISA_##b)
#define ARM(b) SB_ISA(SB_ISA_##b)
/* what the avx512bf16 library is compiled for (kernels/meson.build): each of its kernels needs all */
#define X86_AVX512BF16_LIB (X86(AVX512F) | X86(AVX512BW) | X86(AVX512DQ) | X86(AVX512_BF16))

#ifdef SB_HAVE_AVX512
GEMM_PACK(pack_avx512_f32, sb_ukr_avx512_f32)
GEMM_PACK(pack_avx512_bf16cvt, sb_ukr_avx512_bf16cvt)
#endif
#ifdef SB_HAVE_AVX2
GEMM_PACK(pack_avx2_f32, sb_ukr_avx2_f32)
GEMM_PACK(pack_avx2_bf16cvt, sb_ukr_avx2_bf16cvt)
GEMM_PACK(pack_avx2_int8, sb_ukr_avx2_int8)
GEMM_PACK(pack_avx2_int8w7, sb_ukr_avx2_int8w7)
static int avx2_int8w7_wmax(void) { return sb_ukr_avx2_int8w7.wmax; }
#endif
#ifdef SB_HAVE_AVX512VNNI
GEMM_PACK(pack_avx512vnni, sb_ukr_avx512vnni_int8)
#endif
#ifdef SB_HAVE_AVX512BF16
GEMM_PACK(pack_avx512bf16, sb_ukr_avx512bf16_bf16)
#endif
#ifdef SB_HAVE_NEON
GEMM_PACK(pack_neon_f32, sb_ukr_neon_f32)
GEMM_PACK(pack_neon_bf16cvt, sb_ukr_neon_bf16cvt)
#endif
#ifdef SB_HAVE_BF16
GEMM_PACK(pack_bfmmla, sb_ukr_bf16_bfmmla)
GEMM_PACK(pack_bfdot, sb_ukr_bf16_bfdot)
#endif
#ifdef SB_HAVE_I8MM
GEMM_PACK(pack_i8mm, sb_ukr_i8mm_int8)
#endif
#ifdef SB_HAVE_DOTPROD
GEMM_PACK(pack_dotprod, sb_ukr_dotprod_int8)
#endif
#ifdef SB_HAVE_SVE
GEMM_PACK_VL(pack_sve_f32, sb_ukr_sve_f32)
#endif
#ifdef SB_HAVE_SVE_MMLA
GEMM_PACK_VL(pack_sve_bfmmla, sb_ukr_sve_bfmmla)
GEMM_PACK_VL(pack_sve_smmla, sb_ukr_sve_smmla)
#endif

/* Unfused attention from the GEMM framework with one micro-kernel (and its softmax row). */
#define GEMM_ATTENTION(fn, desc)                                                 \
    static void fn(const sb_attn_args *a, sb_pool *pool)                         \
    {                                                                            \
        sb_attention_unfused(&desc, a, pool);                                    \
    }
#ifdef SB_HAVE_AVX512
GEMM_ATTENTION(attention_avx512_f32, sb_ukr_avx512_f32)
#endif
#ifdef SB_HAVE_AVX2
GEMM_ATTENTION(attention_avx2_f32, sb_ukr_avx2_f32)
#endif
#ifdef SB_HAVE_AVX512BF16
GEMM_ATTENTION(attention_avx512bf16, sb_ukr_avx512bf16_bf16)
#endif
#ifdef SB_HAVE_NEON
GEMM_ATTENTION(attention_neon_f32, sb_ukr_neon_f32)
#endif
#ifdef SB_HAVE_BF16
GEMM_ATTENTION(attention_bfmmla, sb_ukr_bf16_bfmmla)
#endif
#ifdef SB_HAVE_SVE
static void attention_sve_f32(const sb_attn_args *a, sb_pool *pool)
{
    sb_attention_unfused(sb_ukr_sve_f32(), a, pool);
}
#endif

#define KERNEL(nm, o, dt, fu, is, req, field, f) \
    {.name = nm, .op = o, .dtype = dt, .fused = fu, .isa = is, .requires = req, .fn.field = f}
/* An elementwise kernel on bfloat16 rows (BF16 storage): unfused, dtype and io BF16. */
#define BF16_IO(nm, o, is, req, field, f) \
    {.name = nm, .op = o, .dtype = SB_DT_BF16, .io = SB_DT_BF16, .isa = is, .requires = req, \
     .fn.field = f}
/* The q/k heads on bfloat16 (BF16 storage): RMSNorm, RoPE, and both fused (the op's own row). */
#define BF16_HEADS(is, req, suffix)                                                               \
    BF16_IO("qk_rmsnorm.bf16." #suffix, SB_OP_QK_RMSNORM, is, req, qk_rmsnorm,                    \
            sb_qk_rmsnorm_bf16_##suffix),                                                         \
    BF16_IO("rope.bf16." #suffix, SB_OP_ROPE, is, req, rope, sb_rope_bf16_##suffix),              \
    {.name = "qk_norm_rope.bf16." #suffix, .op = SB_OP_QK_NORM_ROPE, .dtype = SB_DT_BF16,         \
     .io = SB_DT_BF16, .fused = true, .isa = is, .requires = req,                                 \
     .fn.qk_norm_rope = sb_qk_norm_rope_bf16_##suffix}

static const sb_kernel table[] = {
    /* ---- linear, FP32 ---- */
#ifdef SB_HAVE_AVX512
    GEMM_LINEAR("linear.f32.avx512", SB_DT_F32, "avx512", X86(AVX512F) | X86(FMA), pack_avx512_f32),
#endif
#ifdef SB_HAVE_AVX2
    GEMM_LINEAR("linear.f32.avx2", SB_DT_F32, "avx2", X86(AVX2) | X86(FMA), pack_avx2_f32),
#endif
#ifdef SB_HAVE_SVE
    GEMM_LINEAR("linear.f32.sve", SB_DT_F32, "sve", ARM(SVE), pack_sve_f32),
#endif
#ifdef SB_HAVE_NEON
    GEMM_LINEAR("linear.f32.neon", SB_DT_F32, "neon", ARM(NEON), pack_neon_f32),
#endif
    {.name = "linear.f32.ref", .op = SB_OP_LINEAR, .dtype = SB_DT_F32, .isa = "ref",
     .fn.linear = sb_linear_ref, .pack = sb_linear_ref_pack, .packed_free = sb_linear_ref_free},
    /* ---- linear, BF16 (FP32 accumulation and output) ---- */
#ifdef SB_HAVE_AVX512BF16
    GEMM_LINEAR("linear.bf16.avx512bf16", SB_DT_BF16, "avx512-bf16",
                X86_AVX512BF16_LIB,
                pack_avx512bf16),
#endif
#ifdef SB_HAVE_AVX512
    GEMM_LINEAR("linear.bf16.avx512", SB_DT_BF16, "avx512", X86(AVX512F), pack_avx512_bf16cvt),
#endif
#ifdef SB_HAVE_AVX2
    GEMM_LINEAR("linear.bf16.avx2", SB_DT_BF16, "avx2", X86(AVX2) | X86(FMA), pack_avx2_bf16cvt),
#endif
#ifdef SB_HAVE_SVE_MMLA
    GEMM_LINEAR("linear.bf16.sve", SB_DT_BF16, "sve", ARM(SVE) | ARM(BF16), pack_sve_bfmmla),
#endif
#ifdef SB_HAVE_BF16
    GEMM_LINEAR("linear.bf16.bfmmla", SB_DT_BF16, "bf16", ARM(BF16), pack_bfmmla),
    GEMM_LINEAR("linear.bf16.bfdot", SB_DT_BF16, "bf16", ARM(BF16), pack_bfdot),
#endif
#ifdef SB_HAVE_NEON
    GEMM_LINEAR("linear.bf16.neon", SB_DT_BF16, "neon", ARM(NEON), pack_neon_bf16cvt),
#endif
    {.name = "linear.bf16.ref", .op = SB_OP_LINEAR, .dtype = SB_DT_BF16, .isa = "ref",
     .fn.linear = sb_linear_ref_bf16, .pack = sb_linear_ref_bf16_pack,
     .packed_free = sb_linear_ref_free},
    /* ---- linear, INT8: per-channel weights, per-token activations quantized in the layer ---- */
#ifdef SB_HAVE_AVX512VNNI
    GEMM_LINEAR("linear.int8.avx512vnni", SB_DT_INT8, "avx512-vnni",
                X86(AVX512F) | X86(AVX512_VNNI), pack_avx512vnni),
#endif
#ifdef SB_HAVE_AVX2
    GEMM_LINEAR("linear.int8.avx2", SB_DT_INT8, "avx2", X86(AVX2), pack_avx2_int8),
    /*
     * 7-bit weights (+-63), oneDNN's INT8 arithmetic without VNNI: faster, less accurate.
     * After the exact kernel above, which sb_kernel_find picks; this one runs when named.
     */
    {.name = "linear.int8.avx2-w7", .op = SB_OP_LINEAR, .dtype = SB_DT_INT8, .isa = "avx2",
     .requires = X86(AVX2), .fn.linear = sb_gemm_linear, .pack = pack_avx2_int8w7,
     .packed_free = sb_gemm_free, .int8_wmax = avx2_int8w7_wmax},
#endif
#ifdef SB_HAVE_SVE_MMLA
    GEMM_LINEAR("linear.int8.sve", SB_DT_INT8, "sve", ARM(SVE) | ARM(I8MM), pack_sve_smmla),
#endif
#ifdef SB_HAVE_I8MM
    GEMM_LINEAR("linear.int8.i8mm", SB_DT_INT8, "i8mm", ARM(I8MM), pack_i8mm),
#endif
#ifdef SB_HAVE_DOTPROD
    GEMM_LINEAR("linear.int8.dotprod", SB_DT_INT8, "dotprod", ARM(DOTPROD), pack_dotprod),
#endif
    {.name = "linear.int8.ref", .op = SB_OP_LINEAR, .dtype = SB_DT_INT8, .isa = "ref",
     .fn.linear = sb_linear_ref_int8, .pack = sb_linear_ref_int8_pack,
     .packed_free = sb_linear_ref_int8_free},
    /* ---- comparison providers (by name only) ---- */
#ifdef SB_HAVE_ONEDNN
    {.name = "linear.f32.onednn", .op = SB_OP_LINEAR, .dtype = SB_DT_F32, .isa = "onednn",
     .provider = true, .fn.linear = sb_onednn_linear, .pack = sb_onednn_pack,
     .packed_free = sb_onednn_free, .lib_setup = sb_onednn_setup},
    /* oneDNN 2.6 has no BF16 matmul below AVX-512 (it emulates vdpbf16ps on AVX-512) */
    {.name = "linear.bf16.onednn", .op = SB_OP_LINEAR, .dtype = SB_DT_BF16, .isa = "onednn",
     .requires = X86(AVX512F), .provider = true, .fn.linear = sb_onednn_linear,
     .pack = sb_onednn_bf16_pack, .packed_free = sb_onednn_free, .lib_setup = sb_onednn_setup},
    {.name = "linear.int8.onednn", .op = SB_OP_LINEAR, .dtype = SB_DT_INT8, .isa = "onednn",
     .provider = true, .fn.linear = sb_onednn_linear, .pack = sb_onednn_int8_pack,
     .packed_free = sb_onednn_free, .int8_wmax = sb_onednn_int8_wmax,
     .lib_setup = sb_onednn_int8_setup},
#endif
#ifdef SB_HAVE_OPENBLAS
    {.name = "linear.f32.openblas", .op = SB_OP_LINEAR, .dtype = SB_DT_F32, .isa = "openblas",
     .provider = true, .fn.linear = sb_openblas_linear, .pack = sb_openblas_pack,
     .packed_free = sb_openblas_free, .lib_setup = sb_openblas_setup},
#endif
#ifdef SB_HAVE_AVX512BF16
    KERNEL("attention.bf16.avx512bf16-flash", SB_OP_ATTENTION, SB_DT_BF16, true, "avx512-bf16",
           X86_AVX512BF16_LIB | X86(FMA), attention,
           sb_attention_flash_avx512bf16),
#endif
#ifdef SB_HAVE_AVX512
    KERNEL("attention.f32.avx512-flash", SB_OP_ATTENTION, SB_DT_F32, true, "avx512",
           X86(AVX512F) | X86(FMA), attention, sb_attention_flash_avx512),
#endif
#ifdef SB_HAVE_AVX2
    KERNEL("attention.f32.avx2-flash", SB_OP_ATTENTION, SB_DT_F32, true, "avx2",
           X86(AVX2) | X86(FMA), attention, sb_attention_flash_avx2),
#endif
#ifdef SB_HAVE_NEON
    KERNEL("attention.f32.neon-flash", SB_OP_ATTENTION, SB_DT_F32, true, "neon", ARM(NEON),
           attention, sb_attention_flash_neon),
#endif
    /* unfused (scores materialised): matmul, softmax, matmul on the GEMM framework */
#ifdef SB_HAVE_AVX512BF16
    KERNEL("attention.bf16.avx512bf16-unfused", SB_OP_ATTENTION, SB_DT_BF16, false, "avx512-bf16",
           X86_AVX512BF16_LIB | X86(FMA), attention, attention_avx512bf16),
#endif
#ifdef SB_HAVE_BF16
    KERNEL("attention.bf16.bfmmla-unfused", SB_OP_ATTENTION, SB_DT_BF16, false, "bf16",
           ARM(BF16), attention, attention_bfmmla),
#endif
#ifdef SB_HAVE_AVX512
    KERNEL("attention.f32.avx512-unfused", SB_OP_ATTENTION, SB_DT_F32, false, "avx512",
           X86(AVX512F) | X86(FMA), attention, attention_avx512_f32),
#endif
#ifdef SB_HAVE_AVX2
    KERNEL("attention.f32.avx2-unfused", SB_OP_ATTENTION, SB_DT_F32, false, "avx2",
           X86(AVX2) | X86(FMA), attention, attention_avx2_f32),
#endif
#ifdef SB_HAVE_SVE
    KERNEL("attention.f32.sve-unfused", SB_OP_ATTENTION, SB_DT_F32, false, "sve",
           ARM(SVE), attention, attention_sve_f32),
#endif
#ifdef SB_HAVE_NEON
    KERNEL("attention.f32.neon-unfused", SB_OP_ATTENTION, SB_DT_F32, false, "neon", ARM(NEON),
           attention, attention_neon_f32),
#endif
    KERNEL("attention.f32.ref", SB_OP_ATTENTION, SB_DT_F32, false, "ref", 0, attention,
           sb_attention_ref),
#ifdef SB_HAVE_AVX512
    KERNEL("ln_modulate.f32.avx512", SB_OP_LN_MODULATE, SB_DT_F32, false, "avx512",
           X86(AVX512F) | X86(FMA), ln_modulate, sb_ln_modulate_avx512),
#endif
#ifdef SB_HAVE_AVX2
    KERNEL("ln_modulate.f32.avx2", SB_OP_LN_MODULATE, SB_DT_F32, false, "avx2",
           X86(AVX2) | X86(FMA), ln_modulate, sb_ln_modulate_avx2),
#endif
#ifdef SB_HAVE_NEON
    KERNEL("ln_modulate.f32.neon", SB_OP_LN_MODULATE, SB_DT_F32, false, "neon", ARM(NEON),
           ln_modulate, sb_ln_modulate_neon),
#endif
    KERNEL("ln_modulate.f32.ref", SB_OP_LN_MODULATE, SB_DT_F32, false, "ref", 0, ln_modulate,
           sb_ln_modulate_ref),
#ifdef SB_HAVE_AVX512
    KERNEL("qk_rmsnorm.f32.avx512", SB_OP_QK_RMSNORM, SB_DT_F32, false, "avx512",
           X86(AVX512F) | X86(FMA), qk_rmsnorm, sb_qk_rmsnorm_avx512),
#endif
#ifdef SB_HAVE_AVX2
    KERNEL("qk_rmsnorm.f32.avx2", SB_OP_QK_RMSNORM, SB_DT_F32, false, "avx2",
           X86(AVX2) | X86(FMA), qk_rmsnorm, sb_qk_rmsnorm_avx2),
#endif
#ifdef SB_HAVE_NEON
    KERNEL("qk_rmsnorm.f32.neon", SB_OP_QK_RMSNORM, SB_DT_F32, false, "neon", ARM(NEON),
           qk_rmsnorm, sb_qk_rmsnorm_neon),
#endif
    KERNEL("qk_rmsnorm.f32.ref", SB_OP_QK_RMSNORM, SB_DT_F32, false, "ref", 0, qk_rmsnorm,
           sb_qk_rmsnorm_ref),
#ifdef SB_HAVE_AVX512
    KERNEL("rope.f32.avx512", SB_OP_ROPE, SB_DT_F32, false, "avx512", X86(AVX512F) | X86(FMA), rope,
           sb_rope_avx512),
#endif
#ifdef SB_HAVE_AVX2
    KERNEL("rope.f32.avx2", SB_OP_ROPE, SB_DT_F32, false, "avx2", X86(AVX2) | X86(FMA), rope,
           sb_rope_avx2),
#endif
#ifdef SB_HAVE_NEON
    KERNEL("rope.f32.neon", SB_OP_ROPE, SB_DT_F32, false, "neon", ARM(NEON), rope, sb_rope_neon),
#endif
    KERNEL("rope.f32.ref", SB_OP_ROPE, SB_DT_F32, false, "ref", 0, rope, sb_rope_ref),
    /* ---- q/k RMSNorm + RoPE in one pass: the fused variants' temporal layer ---- */
#ifdef SB_HAVE_AVX512
    KERNEL("qk_norm_rope.f32.avx512", SB_OP_QK_NORM_ROPE, SB_DT_F32, true, "avx512",
           X86(AVX512F) | X86(FMA), qk_norm_rope, sb_qk_norm_rope_avx512),
#endif
#ifdef SB_HAVE_AVX2
    KERNEL("qk_norm_rope.f32.avx2", SB_OP_QK_NORM_ROPE, SB_DT_F32, true, "avx2",
           X86(AVX2) | X86(FMA), qk_norm_rope, sb_qk_norm_rope_avx2),
#endif
#ifdef SB_HAVE_NEON
    KERNEL("qk_norm_rope.f32.neon", SB_OP_QK_NORM_ROPE, SB_DT_F32, true, "neon", ARM(NEON),
           qk_norm_rope, sb_qk_norm_rope_neon),
#endif
    KERNEL("qk_norm_rope.f32.ref", SB_OP_QK_NORM_ROPE, SB_DT_F32, true, "ref", 0, qk_norm_rope,
           sb_qk_norm_rope_ref),
#ifdef SB_HAVE_AVX512
    KERNEL("gelu_tanh.f32.avx512", SB_OP_GELU_TANH, SB_DT_F32, false, "avx512",
           X86(AVX512F) | X86(FMA), unary, sb_gelu_tanh_avx512),
#endif
#ifdef SB_HAVE_AVX2
    KERNEL("gelu_tanh.f32.avx2", SB_OP_GELU_TANH, SB_DT_F32, false, "avx2", X86(AVX2) | X86(FMA),
           unary, sb_gelu_tanh_avx2),
#endif
#ifdef SB_HAVE_NEON
    KERNEL("gelu_tanh.f32.neon", SB_OP_GELU_TANH, SB_DT_F32, false, "neon", ARM(NEON), unary,
           sb_gelu_tanh_neon),
#endif
    KERNEL("gelu_tanh.f32.ref", SB_OP_GELU_TANH, SB_DT_F32, false, "ref", 0, unary,
           sb_gelu_tanh_ref),
    KERNEL("silu.f32.ref", SB_OP_SILU, SB_DT_F32, false, "ref", 0, unary, sb_silu_ref),
    KERNEL("gated_residual.f32.ref", SB_OP_GATED_RESIDUAL, SB_DT_F32, false, "ref", 0,
           gated_residual, sb_gated_residual_ref),
    /* BF16 storage (kernel.h, sb_bf16): chosen by name only, no workload stores bfloat16 yet */
#ifdef SB_HAVE_AVX512BF16
    BF16_IO("gelu_tanh.bf16.avx512bf16", SB_OP_GELU_TANH, "avx512-bf16",
            X86_AVX512BF16_LIB, unary, sb_gelu_tanh_bf16_avx512bf16),
    BF16_IO("ln_modulate.bf16.avx512bf16", SB_OP_LN_MODULATE, "avx512-bf16",
            X86_AVX512BF16_LIB, ln_modulate,
            sb_ln_modulate_bf16_avx512bf16),
    BF16_IO("gated_residual.bf16.avx512bf16", SB_OP_GATED_RESIDUAL, "avx512-bf16",
            X86_AVX512BF16_LIB, gated_residual,
            sb_gated_residual_bf16_avx512bf16),
    BF16_HEADS("avx512-bf16", X86_AVX512BF16_LIB, avx512bf16),
#endif
#ifdef SB_HAVE_AVX512
    BF16_IO("gelu_tanh.bf16.avx512", SB_OP_GELU_TANH, "avx512", X86(AVX512F) | X86(FMA), unary,
            sb_gelu_tanh_bf16_avx512),
    BF16_IO("ln_modulate.bf16.avx512", SB_OP_LN_MODULATE, "avx512", X86(AVX512F) | X86(FMA),
            ln_modulate, sb_ln_modulate_bf16_avx512),
    BF16_IO("gated_residual.bf16.avx512", SB_OP_GATED_RESIDUAL, "avx512", X86(AVX512F) | X86(FMA),
            gated_residual, sb_gated_residual_bf16_avx512),
    BF16_HEADS("avx512", X86(AVX512F) | X86(FMA), avx512),
#endif
#ifdef SB_HAVE_AVX2
    BF16_IO("gelu_tanh.bf16.avx2", SB_OP_GELU_TANH, "avx2", X86(AVX2) | X86(FMA), unary,
            sb_gelu_tanh_bf16_avx2),
    BF16_IO("ln_modulate.bf16.avx2", SB_OP_LN_MODULATE, "avx2", X86(AVX2) | X86(FMA), ln_modulate,
            sb_ln_modulate_bf16_avx2),
    BF16_IO("gated_residual.bf16.avx2", SB_OP_GATED_RESIDUAL, "avx2", X86(AVX2) | X86(FMA),
            gated_residual, sb_gated_residual_bf16_avx2),
    BF16_HEADS("avx2", X86(AVX2) | X86(FMA), avx2),
#endif
    BF16_IO("gelu_tanh.bf16.ref", SB_OP_GELU_TANH, "ref", 0, unary, sb_gelu_tanh_bf16_ref),
    BF16_IO("ln_modulate.bf16.ref", SB_OP_LN_MODULATE, "ref", 0, ln_modulate,
            sb_ln_modulate_bf16_ref),
    BF16_IO("gated_residual.bf16.ref", SB_OP_GATED_RESIDUAL, "ref", 0, gated_residual,
            sb_gated_residual_bf16_ref),
    BF16_HEADS("ref", 0, ref),
    KERNEL("add_rows.f32.ref", SB_OP_ADD_ROWS, SB_DT_F32, false, "ref", 0, add_rows,
           sb_add_rows_ref),
    KERNEL("timestep_freq.f32.ref", SB_OP_TIMESTEP_FREQ, SB_DT_F32, false, "ref", 0,
           timestep_freq, sb_timestep_freq_ref),
    KERNEL("patchify.f32.ref", SB_OP_PATCHIFY, SB_DT_F32, false, "ref", 0, patchify,
           sb_patchify_ref),
};

static const char *const op_names[] = {
    [SB_OP_LINEAR] = "linear",
    [SB_OP_ATTENTION] = "attention",
    [SB_OP_LN_MODULATE] = "ln_modulate",
    [SB_OP_QK_RMSNORM] = "qk_rmsnorm",
    [SB_OP_ROPE] = "rope",
    [SB_OP_QK_NORM_ROPE] = "qk_norm_rope",
    [SB_OP_GELU_TANH] = "gelu_tanh",
    [SB_OP_SILU] = "silu",
    [SB_OP_GATED_RESIDUAL] = "gated_residual",
    [SB_OP_ADD_ROWS] = "add_rows",
    [SB_OP_TIMESTEP_FREQ] = "timestep_freq",
    [SB_OP_PATCHIFY] = "patchify",
};
_Static_assert(SB_ARRAY_LEN(op_names) == SB_OP_COUNT, "one name per op");

static const char *const dtype_names[] = {[SB_DT_F32] = "f32", [SB_DT_BF16] = "bf16",
                                          [SB_DT_INT8] = "int8"};
_Static_assert(SB_ARRAY_LEN(dtype_names) == SB_DT_COUNT, "one name per dtype");

const char *sb_op_name(sb_op op) { return op < SB_OP_COUNT ? op_names[op] : "?"; }
const char *sb_dtype_name(sb_dtype dt) { return dt < SB_DT_COUNT ? dtype_names[dt] : "?"; }

const sb_kernel *sb_kernel_table(size_t *count)
{
    *count = SB_ARRAY_LEN(table);
    return table;
}

const sb_kernel *sb_kernel_find(sb_op op, sb_dtype dtype, bool fused, sb_isa_mask host_isa)
{
    /* the request, then without fusion, then the same in FP32 (ops with no kernel of
       the requested dtype or fusion), then fused FP32 (ops that exist only fused);
       callers store the returned name */
    const struct {
        sb_dtype dtype;
        bool fused;
    } tries[] = {{dtype, fused}, {dtype, false}, {SB_DT_F32, fused}, {SB_DT_F32, false},
                 {SB_DT_F32, true}};
    for (size_t t = 0; t < SB_ARRAY_LEN(tries); t++)
        for (size_t i = 0; i < SB_ARRAY_LEN(table); i++) {
            const sb_kernel *k = &table[i];
            if (k->op == op && k->dtype == tries[t].dtype && k->fused == tries[t].fused &&
                !k->provider && k->io == SB_DT_F32 && (k->requires & ~host_isa) == 0)
                return k;
        }
    return NULL;
}

/* Each ISA's row code (epilogue.h), best first; the micro-kernels name theirs in their sb_ukr_desc. */
static const struct {
    sb_isa_mask requires;
    const sb_epi_ops *ops;
} epi_table[] = {
#ifdef SB_HAVE_AVX512
    {X86(AVX512F) | X86(FMA), &sb_epi_avx512},
#endif
#ifdef SB_HAVE_AVX2
    {X86(AVX2) | X86(FMA), &sb_epi_avx2},
#endif
#ifdef SB_HAVE_NEON
    {ARM(NEON), &sb_epi_neon},
#endif
    {0, &sb_epi_portable},
};

const sb_epi_ops *sb_epi_find(sb_isa_mask host_isa)
{
    for (size_t i = 0; i < SB_ARRAY_LEN(epi_table); i++)
        if ((epi_table[i].requires & ~host_isa) == 0)
            return epi_table[i].ops;
    return &sb_epi_portable;
}

const sb_kernel *sb_kernel_by_name(const char *name)
{
    for (size_t i = 0; name && i < SB_ARRAY_LEN(table); i++)
        if (strcmp(table[i].name, name) == 0)
            return &table[i];
    return NULL;
}
