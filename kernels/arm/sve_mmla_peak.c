/*
 * sve_mmla_peak.c - the SVE matrix-multiply peak probes (peak.h): BFMMLA (16 multiply-adds per
 * 16 bytes of vector) and SMMLA (32), over the whole vector length.
 */
#include <arm_sve.h>
#include "arm/sve_peak.h"
#include "peak.h"

#define STEP_BF(j) acc##j = svbfmmla_f32(acc##j, a, b);
#define STEP_I8(j) acc##j = svmmla_s32(acc##j, a, b);
#define SUM(j) sum += (double)svaddv(pg, acc##j);

double sb_peak_bfmmla_bf16_sve(uint64_t iters)
{
    svbool_t pg = svptrue_b32();
    svuint16_t one = svdup_n_u16(0x3F80); /* bfloat16 1.0 in every element */
    double sum = 0;
#define DECL_F(j) svfloat32_t acc##j = svdup_n_f32(0.0f);
    SB_SVE_ACC16(DECL_F)
    SB_SVE_ACC16(SB_SVE_OPAQUE)
    __asm__("" : "+w"(one)); /* the compiler must not know it is 1 */
    svbfloat16_t a = svreinterpret_bf16_u16(one), b = a;
    for (uint64_t i = 0; i < iters; i++) {
        SB_SVE_ACC16(STEP_BF)
    }
    SB_SVE_ACC16(SUM)
    return sum;
}

double sb_peak_smmla_int8_sve(uint64_t iters)
{
    svbool_t pg = svptrue_b32();
    svint8_t a = svdup_n_s8(1), b = a;
    double sum = 0;
#define DECL_I(j) svint32_t acc##j = svdup_n_s32(0);
    SB_SVE_ACC16(DECL_I)
    SB_SVE_ACC16(SB_SVE_OPAQUE)
    __asm__("" : "+w"(a), "+w"(b)); /* the compiler must not know they are 1 */
    for (uint64_t i = 0; i < iters; i++) {
        SB_SVE_ACC16(STEP_I8)
    }
    SB_SVE_ACC16(SUM)
    return sum;
}
