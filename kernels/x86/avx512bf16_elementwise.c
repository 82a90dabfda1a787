/*
 * avx512bf16_elementwise.c - GELU-tanh, LayerNorm + modulate and the gated residual on
 * bfloat16 rows (BF16 storage) for hosts with AVX512-BF16: the row code of bf16_rows_avx512.h,
 * here rounding with vcvtne2ps2bf16 (one instruction per 32 values) instead of integer
 * operations, and GELU's exp on vreduceps (AVX512DQ). A subnormal result is flushed to zero
 * (vecmath.h). Built with -mavx512f -mavx512bw -mavx512dq -mavx512bf16 only; chosen at run time.
 */
#include "x86/bf16_rows_avx512.h"
#include "x86/x86.h"

SB_DEFINE_BF16_ROW_KERNELS(avx512bf16)
