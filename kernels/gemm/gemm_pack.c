/*
 * gemm_pack.c - packing operands into the panel layouts of the micro-kernels
 * (see gemm.h): element conversion (FP32, BF16, u8/s8, s16) and layout, one
 * index formula for every group size g:
 *   B element (i, j) of [n][k] -> ((i/nr) kp + j - j%g) nr + (i%nr) g + j%g
 *   A element (r, kk)          -> ((kk/g) mr + r) g + kk%g
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "gemm.h"

static const struct {
    size_t bytes, group;
} elem[] = {
    [SB_PACK_F32] = {4, 1}, [SB_PACK_BF16_PAIRS] = {2, 2},
    [SB_PACK_U8S8_QUADS] = {1, 4}, [SB_PACK_S16_PAIRS] = {2, 2},
    [SB_PACK_BF16_QUADS] = {2, 4}, [SB_PACK_S8S8_QUADS] = {1, 4}, [SB_PACK_S8S8_OCTETS] = {1, 8},
};
_Static_assert(sizeof(elem) / sizeof(elem[0]) == SB_PACK_COUNT, "one row per pack kind");

size_t sb_pack_bytes(sb_pack_kind k) { return elem[k].bytes; }
size_t sb_pack_group(sb_pack_kind k) { return elem[k].group; }

/*
 * Written so that it vectorises at the baseline ISA (SSE2, NEON) without -ffast-math, where
 * the fabsf/lrintf form ran scalar (a libm call per value): max |x| as the maximum of the bit
 * patterns with the sign cleared (ordered as the values are, for non-NaN floats), and the
 * rounding of sb_quant_s8_1, which is what lrintf does in the default rounding mode.
 */
float sb_quantize_s8(const float *x, size_t n, int8_t *q)
{
    int32_t mb = 0; /* sign-cleared patterns fit int32: signed compares, which SSE2 has */
    for (size_t i = 0; i < n; i++) {
        int32_t u;
        memcpy(&u, x + i, sizeof(u));
        u &= 0x7fffffff;
        u = u <= 0x7f800000 ? u : 0; /* NaN bit patterns are above inf's */
        mb = u > mb ? u : mb;        /* a select and a max, no branch: it vectorises */
    }
    float inv, s = sb_quant_scale(mb, &inv);
    for (size_t i = 0; i < n; i++)
        q[i] = sb_quant_s8_1(x[i], inv);
    return s;
}

void sb_pack_panels(const float *w, size_t n, size_t k, size_t nr, float *out)
{
    sb_pack_b(SB_PACK_F32, w, n, k, k, nr, out);
}

void sb_pack_b(sb_pack_kind kind, const void *src, size_t n, size_t k, size_t kp, size_t nr,
               void *out)
{
    size_t g = elem[kind].group;
    memset(out, 0, ((n + nr - 1) / nr) * kp * nr * elem[kind].bytes);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < k; j++) {
            size_t at = ((i / nr) * kp + j - j % g) * nr + (i % nr) * g + j % g;
            const float *f = src;
            const int8_t *q = src;
            switch (kind) {
            case SB_PACK_F32: ((float *)out)[at] = f[i * k + j]; break;
            case SB_PACK_BF16_PAIRS:
            case SB_PACK_BF16_QUADS: ((uint16_t *)out)[at] = sb_f32_to_bf16(f[i * k + j]); break;
            case SB_PACK_U8S8_QUADS:
            case SB_PACK_S8S8_QUADS:
            case SB_PACK_S8S8_OCTETS: ((int8_t *)out)[at] = q[i * k + j]; break;
            case SB_PACK_S16_PAIRS: ((int16_t *)out)[at] = q[i * k + j]; break;
            case SB_PACK_COUNT: break;
            }
        }
}

/*
 * A panels are written in two parts: the real rows and k values, then the
 * padding (rows pr..mr, k values kc..kcp), so the copy loops carry no tests.
 * This runs inside every timed GEMM task.
 */
#define PACK_A(T, CONV, PAD)                                                               \
    do {                                                                                   \
        T *dst = (T *)out + p * kcp;                                                       \
        for (size_t kk = 0; kk < kcp; kk++) {                                              \
            T *d = dst + ((kk / g) * mr) * g + kk % g;                                     \
            size_t r = 0;                                                                  \
            if (kk < kc)                                                                   \
                for (; r < pr; r++)                                                        \
                    d[r * g] = CONV(x[r * lds + kk]);                                      \
            for (; r < mr; r++)                                                            \
                d[r * g] = PAD;                                                            \
        }                                                                                  \
    } while (0)

#define AS_F32(v) (v)
#define AS_BF16(v) sb_f32_to_bf16(v)
#define AS_U8(v) (uint8_t)((v) + 128)
#define AS_S16(v) (int16_t)(v)
#define AS_S8(v) (v)

void sb_pack_a(sb_pack_kind kind, const void *src, size_t lds, size_t rows, size_t k0, size_t kc,
               size_t kcp, size_t mr, void *out)
{
    size_t g = elem[kind].group;
    for (size_t p = 0; p < rows; p += mr) {
        size_t pr = rows - p < mr ? rows - p : mr;
        if (sb_pack_is_int8(kind)) {
            const int8_t *x = (const int8_t *)src + p * lds + k0;
            if (kind == SB_PACK_U8S8_QUADS) /* u8 = q + 128; the padding is q = 0 */
                PACK_A(uint8_t, AS_U8, 128);
            else if (kind == SB_PACK_S16_PAIRS)
                PACK_A(int16_t, AS_S16, 0);
            else
                PACK_A(int8_t, AS_S8, 0);
        } else {
            const float *x = (const float *)src + p * lds + k0;
            if (kind == SB_PACK_F32)
                PACK_A(float, AS_F32, 0.0f);
            else
                PACK_A(uint16_t, AS_BF16, 0);
        }
    }
}
