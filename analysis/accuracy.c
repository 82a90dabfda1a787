/* accuracy.c - error of an output against the reference (see accuracy.h). */
#include "accuracy.h"

#include <math.h>
#include <string.h>

void sb_accuracy_compute(const float *ref, const float *got, size_t n, sb_accuracy *out)
{
    double d2 = 0, r2 = 0, g2 = 0, dot = 0, mx = 0;
    memset(out, 0, sizeof(*out));
    out->elements = n;
    for (size_t i = 0; i < n; i++) {
        double r = ref[i], g = got[i];
        if (!isfinite(g)) {
            out->nonfinite++;
            continue;
        }
        double d = g - r;
        d2 += d * d;
        r2 += r * r;
        g2 += g * g;
        dot += r * g;
        mx = fabs(d) > mx ? fabs(d) : mx;
    }
    out->max_abs = mx;
    out->rel_l2 = r2 > 0 ? sqrt(d2 / r2) : (d2 > 0 ? INFINITY : 0.0);
    out->cosine = (r2 > 0 && g2 > 0) ? dot / sqrt(r2 * g2) : (r2 == g2 ? 1.0 : 0.0);
    if (out->nonfinite) { /* a NaN anywhere is not "close": make it visible */
        out->rel_l2 = INFINITY;
        out->max_abs = INFINITY;
        out->cosine = NAN;
    }
}
