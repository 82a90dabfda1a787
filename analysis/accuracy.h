/*
 * accuracy.h - how far an output is from the FP32 reference output computed
 * on the same inputs: relative L2 error, largest absolute error, cosine
 * similarity (all accumulated in double).
 */
#ifndef SB_ACCURACY_H
#define SB_ACCURACY_H

#include <stddef.h>

typedef struct sb_accuracy {
    double rel_l2;         /* ||got - ref||_2 / ||ref||_2 (0 when both are 0) */
    double max_abs;        /* max |got - ref| */
    double cosine;         /* <got, ref> / (||got|| ||ref||); 1 when both are 0 */
    size_t elements;       /* compared */
    size_t nonfinite;      /* elements of got that are NaN or infinite */
} sb_accuracy;

void sb_accuracy_compute(const float *ref, const float *got, size_t n, sb_accuracy *out);

#endif
