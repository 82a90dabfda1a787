/* x86.h - the x86 micro-kernels, one static library per ISA (see kernels/meson.build). */
#ifndef SB_X86_H
#define SB_X86_H
#include "gemm/gemm.h"
extern const sb_ukr_f32_desc sb_ukr_f32_avx2;   /* x86/avx2_f32.c, -mavx2 -mfma */
extern const sb_ukr_f32_desc sb_ukr_f32_avx512; /* x86/avx512_f32.c, -mavx512f -mfma */
#endif
