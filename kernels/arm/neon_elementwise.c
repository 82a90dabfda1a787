/*
 * neon_elementwise.c - NEON elementwise kernels for every aarch64 CPU: GELU
 * (tanh form), LayerNorm + modulate, q/k RMSNorm and RoPE (apart and fused),
 * and the fused linear epilogues, the same algorithms
 * as the x86 files
 * (x86/avx512_elementwise.c), 4 lanes per step. A row's tail (c % 4 values)
 * goes through a 4-float buffer, so no lane reads or writes outside the row.
 * Accuracy: checked against the reference by kernels/tests/test_elementwise.c
 * under qemu.
 */
#include <arm_neon.h>
#include <math.h>
#include <string.h>
#include "arm/arm.h"
#include "arm/neon_vecmath.h"
#include "gemm/gemm.h"
#include "ref/ref.h"

/* gelu_tanh(x) = x / (1 + exp(-2u)), u = sqrt(2/pi) (x + 0.044715 x^3) */
static inline float32x4_t gelu4(float32x4_t x)
{
    float32x4_t u = vmulq_f32(x, vfmaq_f32(vdupq_n_f32(1.0f), vmulq_f32(x, x),
                                           vdupq_n_f32(0.044715f)));
    float32x4_t e = vexp4(vmulq_f32(u, vdupq_n_f32(-2.0f * 0.7978845608028654f)));
    return vdivq_f32(x, vaddq_f32(e, vdupq_n_f32(1.0f)));
}

/* The last c % 4 values of a row through a buffer: src/dst are the row's tail. */
static inline float32x4_t load_tail(const float *src, size_t n, float pad)
{
    float t[4] = {pad, pad, pad, pad};
    memcpy(t, src, n * sizeof(float));
    return vld1q_f32(t);
}

static inline void store_tail(float *dst, float32x4_t v, size_t n)
{
    float t[4];
    vst1q_f32(t, v);
    memcpy(dst, t, n * sizeof(float));
}

static void gelu_rows(const void *args, size_t r0, size_t r1)
{
    const sb_unary_args *a = args;
    size_t tail = a->c % 4, full = a->c - tail;
    for (size_t r = r0; r < r1; r++) {
        const float *x = a->x + r * a->ldx;
        float *y = a->y + r * a->ldy;
        for (size_t i = 0; i < full; i += 4)
            vst1q_f32(y + i, gelu4(vld1q_f32(x + i)));
        if (tail)
            store_tail(y + full, gelu4(load_tail(x + full, tail, 0.0f)), tail);
    }
}

void sb_gelu_tanh_neon(const sb_unary_args *a, sb_pool *pool)
{
    sb_ref_split_rows(pool, a->rows, 4, gelu_rows, a);
}

/* ---- fused linear epilogues (epilogue.h): a row segment of a tile of C, in L1 ---- */

/* Values [i, i + 4) of a row of n, the tail padded with zeros. */
static inline float32x4_t load_at(const float *p, size_t i, size_t n)
{
    return n - i >= 4 ? vld1q_f32(p + i) : load_tail(p + i, n - i, 0.0f);
}

static inline void store_at(float *p, float32x4_t v, size_t i, size_t n)
{
    if (n - i >= 4)
        vst1q_f32(p + i, v);
    else
        store_tail(p + i, v, n - i);
}

static void epi_bias(float *y, const float *bias, size_t n)
{
    for (size_t i = 0; i < n; i += 4)
        store_at(y, vaddq_f32(load_at(y, i, n), load_at(bias, i, n)), i, n);
}

static void epi_gelu(float *y, const float *bias, size_t n)
{
    for (size_t i = 0; i < n; i += 4) {
        float32x4_t v = load_at(y, i, n);
        if (bias)
            v = vaddq_f32(v, load_at(bias, i, n));
        store_at(y, gelu4(v), i, n);
    }
}

static void epi_gres(float *y, const float *bias, const float *gate, const float *res, size_t n)
{
    for (size_t i = 0; i < n; i += 4) {
        float32x4_t v = load_at(y, i, n), r = load_at(res, i, n);
        if (bias)
            v = vaddq_f32(v, load_at(bias, i, n));
        v = gate ? vfmaq_f32(r, load_at(gate, i, n), v) : vaddq_f32(v, r);
        store_at(y, v, i, n);
    }
}

static void epi_dequant(float *y, float sx, const float *sw, const float *comp, const float *bias,
                        size_t n)
{
    for (size_t i = 0; i < n; i += 4) {
        float32x4_t v = vsubq_f32(load_at(y, i, n), load_at(comp, i, n));
        float32x4_t b = bias ? load_at(bias, i, n) : vdupq_n_f32(0.0f);
        store_at(y, vfmaq_f32(b, vmulq_n_f32(load_at(sw, i, n), sx), v), i, n);
    }
}

/*
 * sb_quantize_s8, 4 lanes and a scalar tail (sb_quant_s8_1), the same bits as the definition.
 * The rounding is the definition's add and subtract of 1.5 * 2^23, not FCVTNS, which
 * converts NaN to 0 where the definition gives -127.
 */
static float quantize_s8(const float *x, size_t n, int8_t *q)
{
    const int32x4_t inf = vdupq_n_s32(0x7f800000);
    int32x4_t mb = vdupq_n_s32(0);
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        int32x4_t u = vreinterpretq_s32_f32(vabsq_f32(vld1q_f32(x + i)));
        u = vbslq_s32(vcleq_s32(u, inf), u, vdupq_n_s32(0)); /* NaN left out */
        mb = vmaxq_s32(mb, u);
    }
    int32_t mx = vmaxvq_s32(mb);
    float inv, s = sb_quant_scale(sb_quant_max_bits(x + i, n - i, mx), &inv);
    const float32x4_t magic = vdupq_n_f32(12582912.0f), lo = vdupq_n_f32(-127.0f),
                      hi = vdupq_n_f32(127.0f);
    for (i = 0; i + 8 <= n; i += 8) {
        int32x4_t r[2];
        for (int h = 0; h < 2; h++) {
            float32x4_t p = vmulq_n_f32(vld1q_f32(x + i + 4 * h), inv);
            float32x4_t v = vsubq_f32(vaddq_f32(p, magic), magic);
            v = vbslq_f32(vcgeq_f32(v, lo), v, lo); /* NaN compares false: -127 */
            r[h] = vcvtq_s32_f32(vminq_f32(v, hi));
        }
        int16x4_t w0 = vmovn_s32(r[0]), w1 = vmovn_s32(r[1]);
        vst1_s8(q + i, vmovn_s16(vcombine_s16(w0, w1)));
    }
    for (; i < n; i++)
        q[i] = sb_quant_s8_1(x[i], inv);
    return s;
}

/* sb_f32_to_bf16 on 4 lanes in integer arithmetic (BFCVT needs the BF16 extension), tail scalar. */
static void to_bf16(const float *x, size_t n, uint16_t *y)
{
    const uint32x4_t one = vdupq_n_u32(1), half = vdupq_n_u32(0x7fff),
                     abs_mask = vdupq_n_u32(0x7fffffff), inf = vdupq_n_u32(0x7f800000),
                     quiet = vdupq_n_u32(0x40);
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        uint32x4_t u = vreinterpretq_u32_f32(vld1q_f32(x + i));
        uint32x4_t r = vaddq_u32(vaddq_u32(u, half), vandq_u32(vshrq_n_u32(u, 16), one));
        uint32x4_t nan = vcgtq_u32(vandq_u32(u, abs_mask), inf);
        r = vbslq_u32(nan, vorrq_u32(u, vshlq_n_u32(quiet, 16)), r);
        vst1_u16(y + i, vshrn_n_u32(r, 16));
    }
    for (; i < n; i++)
        y[i] = sb_f32_to_bf16(x[i]);
}

/* The softmax of a row of scores (epilogue.h), 4 lanes, the tail in scalar code (libm expf). */
static void softmax_row(float *x, size_t n, float scale)
{
    float32x4_t m = vdupq_n_f32(-INFINITY), s = vdupq_n_f32(0.0f);
    size_t i, full = n - n % 4;
    for (i = 0; i < full; i += 4)
        m = vmaxq_f32(m, vmulq_n_f32(vld1q_f32(x + i), scale));
    float mx = vmaxvq_f32(m), tail = 0.0f;
    for (; i < n; i++)
        mx = x[i] * scale > mx ? x[i] * scale : mx;
    const float32x4_t nm = vdupq_n_f32(-mx), sc = vdupq_n_f32(scale);
    for (i = 0; i < full; i += 4) {
        float32x4_t e = vexp4(vfmaq_f32(nm, vld1q_f32(x + i), sc)); /* scale x - m */
        s = vaddq_f32(s, e);
        vst1q_f32(x + i, e);
    }
    for (; i < n; i++) {
        x[i] = expf(x[i] * scale - mx);
        tail += x[i];
    }
    float inv = 1.0f / (vaddvq_f32(s) + tail);
    for (i = 0; i < full; i += 4)
        vst1q_f32(x + i, vmulq_n_f32(vld1q_f32(x + i), inv));
    for (; i < n; i++)
        x[i] *= inv;
}

const sb_epi_ops sb_epi_neon = {.bias = epi_bias, .gelu = epi_gelu, .gres = epi_gres,
                                .dequant = epi_dequant, .quantize = quantize_s8, .to_bf16 = to_bf16,
                                .softmax = softmax_row};

/* y = (x - mean) rstd, then * (1 + scale) + shift where given, over n lanes. */
static inline float32x4_t ln4(float32x4_t x, float32x4_t mean, float32x4_t rstd,
                              const float *shift, const float *scale, size_t i, size_t n)
{
    float32x4_t t = vmulq_f32(vsubq_f32(x, mean), rstd);
    if (scale)
        t = vfmaq_f32(t, t, n == 4 ? vld1q_f32(scale + i) : load_tail(scale + i, n, 0.0f));
    if (shift)
        t = vaddq_f32(t, n == 4 ? vld1q_f32(shift + i) : load_tail(shift + i, n, 0.0f));
    return t;
}

static void ln_rows(const void *args, size_t r0, size_t r1)
{
    const sb_ln_mod_args *a = args;
    size_t c = a->c, tail = c % 4, full = c - tail;
    for (size_t r = r0; r < r1; r++) {
        const float *x, *shift, *scale;
        float *y;
        sb_ln_mod_row(a, r, &x, &y, &shift, &scale);
        /* two accumulators per pass: the adds of one chain wait on each other */
        float32x4_t s0 = vdupq_n_f32(0), s1 = s0;
        size_t i = 0;
        for (; i + 8 <= full; i += 8) {
            s0 = vaddq_f32(s0, vld1q_f32(x + i));
            s1 = vaddq_f32(s1, vld1q_f32(x + i + 4));
        }
        for (; i < full; i += 4)
            s0 = vaddq_f32(s0, vld1q_f32(x + i));
        float sum = vaddvq_f32(vaddq_f32(s0, s1));
        for (size_t j = full; j < c; j++)
            sum += x[j];
        float32x4_t mean = vdupq_n_f32(sum / (float)c), v0 = vdupq_n_f32(0), v1 = v0;
        for (i = 0; i + 8 <= full; i += 8) {
            float32x4_t d0 = vsubq_f32(vld1q_f32(x + i), mean);
            float32x4_t d1 = vsubq_f32(vld1q_f32(x + i + 4), mean);
            v0 = vfmaq_f32(v0, d0, d0);
            v1 = vfmaq_f32(v1, d1, d1);
        }
        for (; i < full; i += 4) {
            float32x4_t d = vsubq_f32(vld1q_f32(x + i), mean);
            v0 = vfmaq_f32(v0, d, d);
        }
        float var = vaddvq_f32(vaddq_f32(v0, v1));
        for (size_t j = full; j < c; j++)
            var += (x[j] - vgetq_lane_f32(mean, 0)) * (x[j] - vgetq_lane_f32(mean, 0));
        float32x4_t rstd = vdupq_n_f32(1.0f / sqrtf(var / (float)c + a->eps));
        for (i = 0; i < full; i += 4)
            vst1q_f32(y + i, ln4(vld1q_f32(x + i), mean, rstd, shift, scale, i, 4));
        if (tail)
            store_tail(y + full, ln4(load_tail(x + full, tail, 0.0f), mean, rstd, shift, scale,
                                     full, tail), tail);
    }
}

void sb_ln_modulate_neon(const sb_ln_mod_args *a, sb_pool *pool)
{
    sb_ref_split_rows(pool, a->rows, 16, ln_rows, a);
}

/* The q/k head code (ref.h, sb_head_ops), 4 values per step and the head's tail in scalar code:
   the sum of squares of a head of d values ... */
static float head_sumsq(const void *xv, size_t d)
{
    const float *x = xv;
    size_t full = d - d % 4, i = 0;
    float32x4_t s0 = vdupq_n_f32(0), s1 = s0;
    for (; i + 8 <= full; i += 8) {
        float32x4_t v0 = vld1q_f32(x + i), v1 = vld1q_f32(x + i + 4);
        s0 = vfmaq_f32(s0, v0, v0);
        s1 = vfmaq_f32(s1, v1, v1);
    }
    for (; i < full; i += 4) {
        float32x4_t v = vld1q_f32(x + i);
        s0 = vfmaq_f32(s0, v, v);
    }
    float ss = vaddvq_f32(vaddq_f32(s0, s1));
    for (i = full; i < d; i++)
        ss += x[i] * x[i];
    return ss;
}

/* ... and the head rewritten: w * (x * r) when w is given, then x * cd + swap(x) * sd. */
static void head_apply(void *xv, const float *w, float r, const float *cd, const float *sd, size_t d)
{
    float *x = xv;
    size_t full = d - d % 4, i;
    for (i = 0; i < full; i += 4) {
        float32x4_t v = vld1q_f32(x + i);
        if (w)
            v = vmulq_f32(vld1q_f32(w + i), vmulq_n_f32(v, r));
        if (cd) /* vrev64q: (x1, x0, x3, x2) */
            v = vfmaq_f32(vmulq_f32(vrev64q_f32(v), vld1q_f32(sd + i)), v, vld1q_f32(cd + i));
        vst1q_f32(x + i, v);
    }
    sb_head_tail(x, w, r, cd, sd, full, d); /* full is even */
}

static const sb_head_ops heads_f32 = {.bf16 = false, .sumsq = head_sumsq, .apply = head_apply};

SB_DEFINE_HEAD_KERNELS(neon, &heads_f32)
