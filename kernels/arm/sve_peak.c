/* sve_peak.c - the SVE FP32 peak probe (peak.h): FMLA over the whole vector length. */
#include <arm_sve.h>
#include "arm/sve_peak.h"
#include "peak.h"

size_t sb_peak_sve_bytes(void) { return (size_t)svcntb(); }

double sb_peak_fmla_f32_sve(uint64_t iters)
{
    svbool_t pg = svptrue_b32();
    svfloat32_t a = svdup_n_f32(1.0f), b = a;
    double sum = 0;
#define DECL(j) svfloat32_t acc##j = svdup_n_f32(0.0f);
#define STEP(j) acc##j = svmla_f32_x(pg, acc##j, a, b);
#define SUM(j) sum += svaddv_f32(pg, acc##j);
    SB_SVE_ACC16(DECL)
    SB_SVE_ACC16(SB_SVE_OPAQUE)
    __asm__("" : "+w"(a), "+w"(b)); /* the compiler must not know they are 1 */
    for (uint64_t i = 0; i < iters; i++) {
        SB_SVE_ACC16(STEP)
    }
    SB_SVE_ACC16(SUM)
    return sum;
}
