/*
 * norm.c - the reference LayerNorm + t2i modulate (the q/k RMSNorm is in
 * heads.c). Statistics accumulate in double, in two passes (mean, then squared
 * deviations) for accuracy.
 */
#include <math.h>
#include "ref.h"

static void ln_rows(const void *args, size_t r0, size_t r1)
{
    const sb_ln_mod_args *a = args;
    for (size_t r = r0; r < r1; r++) {
        const float *x, *shift, *scale;
        float *y;
        sb_ln_mod_row(a, r, &x, &y, &shift, &scale);
        double mean = 0.0, var = 0.0;
        for (size_t i = 0; i < a->c; i++)
            mean += x[i];
        mean /= (double)a->c;
        for (size_t i = 0; i < a->c; i++)
            var += (x[i] - mean) * (x[i] - mean);
        var /= (double)a->c;
        float m = (float)mean, rstd = (float)(1.0 / sqrt(var + a->eps));
        for (size_t i = 0; i < a->c; i++) {
            float v = (x[i] - m) * rstd;
            if (scale)
                v = v * (1.0f + scale[i]);
            if (shift)
                v = v + shift[i];
            y[i] = v;
        }
    }
}

void sb_ln_modulate_ref(const sb_ln_mod_args *a, sb_pool *pool)
{
    sb_ref_split_rows(pool, a->rows, 16, ln_rows, a);
}
