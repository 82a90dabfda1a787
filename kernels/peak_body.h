/*
 * peak_body.h - the body every compute peak probe (peak.h) shares, for the ISA files that
 * include it: ACC independent accumulators of type acc_t start at zero, and each iteration steps
 * every one with STEP(acc, a, b) on inputs a = b = one; then every lane is added up with SUM(acc).
 * An empty asm with constraint CONS ("v" or "x" on x86, "w" on Arm) claims to change the inputs and
 * each accumulator's start, so the compiler can neither fold the products nor merge the
 * accumulators, whose chains would otherwise be equal (GCC 12 merged 16 SVE SMMLA chains into one). Arrays of vectors: SVE's sizeless vectors use arm/sve_peak.h instead.
 */
#ifndef SB_PEAK_BODY_H
#define SB_PEAK_BODY_H

#include <stdint.h>

#define SB_PEAK_PROBE(fn, ACC, acc_t, in_t, zero, one, CONS, STEP, SUM)                      \
    double fn(uint64_t iters)                                                                \
    {                                                                                        \
        in_t a = (one), b = a;                                                               \
        acc_t acc[ACC];                                                                      \
        double sum = 0;                                                                      \
        for (int j = 0; j < (ACC); j++) { /* opaque too, or equal chains could be merged */ \
            acc[j] = (zero);                                                                 \
            __asm__("" : "+" CONS(acc[j]));                                                  \
        }                                                                                    \
        __asm__("" : "+" CONS(a), "+" CONS(b)); /* the compiler must not know they are 1 */  \
        for (uint64_t i = 0; i < iters; i++)                                                 \
            for (int j = 0; j < (ACC); j++)                                                  \
                acc[j] = STEP(acc[j], a, b);                                                 \
        for (int j = 0; j < (ACC); j++)                                                      \
            sum += SUM(acc[j]);                                                              \
        return sum;                                                                          \
    }

#endif
