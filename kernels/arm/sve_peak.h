/*
 * sve_peak.h - 16 independent SVE accumulators for the peak probes (sve_peak.c,
 * sve_mmla_peak.c). SVE vectors are sizeless and cannot be array elements, so they are 16 named
 * variables, acc0..acc15, declared, stepped and summed by one X-macro.
 */
#ifndef SB_SVE_PEAK_H
#define SB_SVE_PEAK_H

#define SB_SVE_ACC16(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) \
                        X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15)
enum { SB_SVE_ACC = 16 }; /* the accumulators SB_SVE_ACC16 names */
/* X(j) that hides accumulator j's start from the compiler, so that 16 equal chains stay 16 */
#define SB_SVE_OPAQUE(j) __asm__("" : "+w"(acc##j));

#endif
