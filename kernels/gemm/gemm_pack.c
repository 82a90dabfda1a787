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
 * patterns with the sign cleared (sb_quant_max_bits), and the
 * rounding of sb_quant_s8_1, which is what lrintf does in the default rounding mode.
 */
float sb_quantize_sym(const float *x, size_t n, int qmax, int8_t *q)
{
    float inv, s = sb_quant_scale_q(sb_quant_max_bits(x, n, 0), qmax, &inv);
    for (size_t i = 0; i < n; i++)
        q[i] = sb_quant_sq_1(x[i], inv, qmax);
    return s;
}

float sb_quantize_s8(const float *x, size_t n, int8_t *q) { return sb_quantize_sym(x, n, 127, q); }

void sb_pack_panels(const float *w, size_t n, size_t k, size_t nr, float *out)
{
    sb_pack_b(SB_PACK_F32, w, n, k, k, nr, out);
}

void sb_pack_b(sb_pack_kind kind, const void *src, size_t n, size_t k, size_t kp, size_t nr,
               void *out)
{
    sb_pack_b_strided(kind, src, k, 1, n, k, kp, nr, out);
}

/* A panel's nr columns for one k value at a time, so the element switch is outside the copy. */
void sb_pack_b_strided(sb_pack_kind kind, const void *src, size_t bs_n, size_t bs_k, size_t n,
                       size_t k, size_t kp, size_t nr, void *out)
{
    size_t g = elem[kind].group;
    memset(out, 0, ((n + nr - 1) / nr) * kp * nr * elem[kind].bytes);
    for (size_t i0 = 0; i0 < n; i0 += nr) {
        size_t cols = n - i0 < nr ? n - i0 : nr;
        for (size_t j = 0; j < k; j++) {
            size_t at = ((i0 / nr) * kp + j - j % g) * nr + j % g, s0 = i0 * bs_n + j * bs_k;
            const float *f = (const float *)src + s0;
            const int8_t *q = (const int8_t *)src + s0;
            switch (kind) {
            case SB_PACK_F32:
                for (size_t i = 0; i < cols; i++)
                    ((float *)out)[at + i] = f[i * bs_n];
                break;
            case SB_PACK_BF16_PAIRS:
            case SB_PACK_BF16_QUADS:
                for (size_t i = 0; i < cols; i++)
                    ((uint16_t *)out)[at + i * g] = sb_f32_to_bf16(f[i * bs_n]);
                break;
            case SB_PACK_U8S8_QUADS:
            case SB_PACK_S8S8_QUADS:
            case SB_PACK_S8S8_OCTETS:
                for (size_t i = 0; i < cols; i++)
                    ((int8_t *)out)[at + i * g] = q[i * bs_n];
                break;
            case SB_PACK_S16_PAIRS:
                for (size_t i = 0; i < cols; i++)
                    ((int16_t *)out)[at + i * g] = q[i * bs_n];
                break;
            case SB_PACK_COUNT: break;
            }
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
#define AS_U8(v) (uint8_t)((v) + 128)
#define AS_S16(v) (int16_t)(v)
#define AS_S8(v) (v)

/*
 * BF16 kinds: a row's values are converted by the ISA's row code, a chunk at a
 * time into a buffer, and then each group of g bf16 (one 4- or 8-byte word) is
 * stored mr words after the previous one. Converting in the strided order of
 * PACK_A ran one scalar conversion per value: 5% of a BF16 fc1 profile.
 */
static void pack_a_bf16(size_t g, const float *x, size_t lds, size_t pr, size_t kc, size_t kcp,
                        size_t mr, void (*to_bf16)(const float *, size_t, uint16_t *),
                        uint16_t *dst)
{
    enum { CHUNK = 512 }; /* values per conversion: a multiple of every g */
    uint16_t buf[CHUNK];
    size_t wb = g * sizeof(uint16_t); /* bytes per group: 4 (pairs) or 8 (quads) */
    for (size_t r = 0; r < mr; r++)
        for (size_t k = 0; k < kcp; k += CHUNK) {
            size_t n = kcp - k < CHUNK ? kcp - k : CHUNK, real = 0;
            if (r < pr && k < kc)
                real = kc - k < n ? kc - k : n;
            if (real)
                to_bf16(x + r * lds + k, real, buf);
            memset(buf + real, 0, (n - real) * sizeof(uint16_t));
            char *d = (char *)(dst + (k / g) * mr * g + r * g);
            if (wb == 4) /* constant sizes, so each copy is one move, not a memcpy call */
                for (size_t j = 0; j < n / g; j++)
                    memcpy(d + j * mr * 4, buf + j * 2, 4);
            else
                for (size_t j = 0; j < n / g; j++)
                    memcpy(d + j * mr * 8, buf + j * 4, 8);
        }
}

void sb_pack_a(sb_pack_kind kind, const void *src, size_t lds, size_t rows, size_t k0, size_t kc,
               size_t kcp, size_t mr, const sb_epi_ops *ops, void *out)
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
                pack_a_bf16(g, x, lds, pr, kc, kcp, mr, ops->to_bf16, (uint16_t *)out + p * kcp);
        }
    }
}
