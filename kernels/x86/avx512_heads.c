/*
 * avx512_heads.c - the AVX-512 head code of the q/k RMSNorm and RoPE on FP32 heads (apart and
 * fused; ref.h's sb_head_ops, run by heads.c's loop), and its three public kernels.
 *
 * The token form (sb_head_ops.token) does a token's heads of q (or k) in one call, as the
 * bfloat16 one does (bf16_rows_avx512.h): a head of d values is nf vectors of 16 and a tail of
 * d % 16 (the models' heads of 72: 4 and a tail of 8, one 256-bit vector), each load and store
 * of the exact size of what it moves (sb_store_words has why; here, exact stores alone in the
 * per-head code did not make it faster). The tables are folded once per call: with the RMSNorm
 * and RoPE, a head becomes r * (x * A + swap(x) * B) with A = w * cd and B = swap(w) * sd
 * (sb_rope_expand's cd, sd), 4 operations per 16 values instead of 5; only the order of the
 * FP32 products differs from the reference's. The scales of a group of 4 heads are taken before the previous group is
 * rewritten, so that the rewrite does not wait on a reduction, a square root and a division.
 */
#include <immintrin.h>
#include <stdbool.h>
#include "ref/ref.h"
#include "x86/vecmath.h"
#include "x86/x86.h"

/* The head code used where the token form is not (odd d, d over F32_TOKEN_MAX_D): the sum of
   squares of a head of d values ... */
static float head_sumsq(const void *xv, size_t d)
{
    const float *x = xv;
    __m512 ss = _mm512_setzero_ps();
    for (size_t i = 0; i < d; i += 16) {
        __m512 v = _mm512_maskz_loadu_ps(sb_lanes16(d - i), x + i);
        ss = _mm512_fmadd_ps(v, v, ss);
    }
    return _mm512_reduce_add_ps(ss);
}

/* ... and the head rewritten (sb_head16). */
static void head_apply(void *xv, const float *w, float r, const float *cd, const float *sd, size_t d)
{
    float *x = xv;
    __m512 rv = _mm512_set1_ps(r);
    for (size_t i = 0; i < d; i += 16) {
        __mmask16 m = sb_lanes16(d - i);
        __m512 v = _mm512_maskz_loadu_ps(m, x + i);
        sb_store_words(x + i, d - i < 16 ? d - i : 16,
                       _mm512_castps_si512(sb_head16(v, m, i, w, rv, cd, sd)));
    }
}

enum { F32_TOKEN_MAX_D = 128 }; /* values per head: 8 vectors of 16 */

/* A head's layout in the token form: nf vectors of 16 values, then a tail of nt (0 to 15). */
typedef struct f32_token_shape {
    size_t d;  /* values per head */
    size_t nf; /* full vectors of 16 */
    size_t nt; /* values in the tail */
} f32_token_shape;

/* The tail of a head (nt values at p, the lanes past them 0): a 256-bit load for 8, else a
   masked one (heads no model has). */
static inline __m512 f32_tail_load(const float *p, size_t nt)
{
    if (nt == 8)
        return _mm512_zextps256_ps512(_mm256_loadu_ps(p));
    return _mm512_maskz_loadu_ps(sb_lanes16(nt), p);
}

/* One vector's 2 tables (the header comment), from values [i, i + 16) of w, cd and sd; the
   RMSNorm alone uses only t[0] = w, RoPE alone t[0] = cd and t[1] = sd. Lanes past d are 0. */
static inline void f32_token_tables(__m512 t[2], size_t i, size_t d, const float *w,
                                    const float *cd, const float *sd)
{
    __mmask16 m = sb_lanes16(d - i);
    __m512 wv = w ? _mm512_maskz_loadu_ps(m, w + i) : _mm512_set1_ps(1.0f);
    if (!cd) {
        t[0] = wv, t[1] = _mm512_setzero_ps();
        return;
    }
    t[0] = _mm512_mul_ps(wv, _mm512_maskz_loadu_ps(m, cd + i));
    t[1] = _mm512_mul_ps(_mm512_permute_ps(wv, 0xb1), _mm512_maskz_loadu_ps(m, sd + i));
}

/* 16 values x normalised by r (norm) and rotated (rot) with a vector's tables. */
static inline __m512 f32_token16(__m512 x, const __m512 t[2], __m512 r, bool norm, bool rot)
{
    if (!rot) /* as sb_head16: w * (x * r) */
        return _mm512_mul_ps(t[0], _mm512_mul_ps(x, r));
    __m512 y = _mm512_fmadd_ps(_mm512_permute_ps(x, 0xb1), t[1], _mm512_mul_ps(x, t[0]));
    return norm ? _mm512_mul_ps(y, r) : y;
}

/* The RMSNorm scales 1 / sqrt(mean(x^2) + eps) of the g <= 4 heads at x, back to back; lanes
   from g on are unused. Two sums per head, so that no chain of FMAs is a head long. */
static inline __attribute__((always_inline)) __m128
f32_token_scales(const float *x, size_t g, const f32_token_shape *s, float eps)
{
    __m512 ss[4];
    for (size_t h = 0; h < 4; h++) {
        __m512 a = _mm512_setzero_ps(), b = _mm512_setzero_ps();
        const float *xh = x + h * s->d;
        for (size_t p = 0; h < g && p < s->nf; p++) {
            __m512 v = _mm512_loadu_ps(xh + 16 * p);
            if (p % 2)
                b = _mm512_fmadd_ps(v, v, b);
            else
                a = _mm512_fmadd_ps(v, v, a);
        }
        if (h < g && s->nt) {
            __m512 v = f32_tail_load(xh + 16 * s->nf, s->nt);
            b = _mm512_fmadd_ps(v, v, b);
        }
        ss[h] = _mm512_add_ps(a, b);
    }
    __m128 sum = sb_hsum4_512(ss[0], ss[1], ss[2], ss[3]);
    return _mm_div_ps(_mm_set1_ps(1.0f),
                      _mm_sqrt_ps(_mm_add_ps(_mm_div_ps(sum, _mm_set1_ps((float)s->d)),
                                             _mm_set1_ps(eps))));
}

/* The nh heads of one token at x (the token form's contract, ref.h); norm: w given, rot: cd. */
static inline __attribute__((always_inline)) void
f32_token_run(float *x, size_t nh, const f32_token_shape sv, const float *w, float eps,
              const float *cd, const float *sd, const float *pf, bool norm, bool rot)
{
    const f32_token_shape *s = &sv;
    enum { VECS = F32_TOKEN_MAX_D / 16 };
    __m512 t[VECS][2];
    size_t nv = s->nf + (s->nt != 0);
    for (size_t p = 0; p < nv; p++)
        f32_token_tables(t[p], 16 * p, s->d, w, cd, sd);
    __m128 rn = norm ? f32_token_scales(x, nh < 4 ? nh : 4, s, eps) : _mm_set1_ps(1.0f);
    for (size_t h0 = 0; h0 < nh; h0 += 4) {
        size_t g = nh - h0 < 4 ? nh - h0 : 4;
        float *xg = x + h0 * s->d;
        _Alignas(16) float r[4];
        _mm_store_ps(r, rn);
        if (pf)
            sb_prefetch_l2_bytes(pf + h0 * s->d, g * s->d * sizeof(float));
        if (norm && h0 + 4 < nh)
            rn = f32_token_scales(xg + 4 * s->d, nh - h0 - 4 < 4 ? nh - h0 - 4 : 4, s, eps);
        for (size_t h = 0; h < g; h++) {
            __m512 rv = _mm512_set1_ps(r[h]);
            float *xh = xg + h * s->d;
            for (size_t p = 0; p < s->nf; p++)
                _mm512_storeu_ps(xh + 16 * p, f32_token16(_mm512_loadu_ps(xh + 16 * p), t[p], rv,
                                                          norm, rot));
            if (s->nt)
                sb_store_words(xh + 16 * s->nf, s->nt,
                               _mm512_castps_si512(f32_token16(f32_tail_load(xh + 16 * s->nf, s->nt),
                                                               t[s->nf], rv, norm, rot)));
        }
    }
}

/* The RMSNorm, RoPE or both (w, cd NULL or not), each its own instantiation. */
static inline __attribute__((always_inline)) void
f32_token_forms(float *x, size_t nh, const f32_token_shape s, const float *w, float eps,
                const float *cd, const float *sd, const float *pf)
{
    if (w && cd)
        f32_token_run(x, nh, s, w, eps, cd, sd, pf, true, true);
    else if (w)
        f32_token_run(x, nh, s, w, eps, NULL, NULL, pf, true, false);
    else
        f32_token_run(x, nh, s, NULL, eps, cd, sd, pf, false, true);
}

static inline f32_token_shape f32_token_shape_of(size_t d)
{
    return (f32_token_shape){.d = d, .nf = d / 16, .nt = d % 16};
}

/* sb_head_ops.token; the models' heads of 72 values have their own instantiations, the shape a
   constant, so that the compiler unrolls the vector and head loops. */
static void f32_head_token(void *x, size_t nh, size_t d, const float *w, float eps,
                           const float *cd, const float *sd, const void *pf)
{
    if (d == 72)
        f32_token_forms(x, nh, f32_token_shape_of(72), w, eps, cd, sd, pf);
    else
        f32_token_forms(x, nh, f32_token_shape_of(d), w, eps, cd, sd, pf);
}

static const sb_head_ops heads_f32 = {.bf16 = false, .sumsq = head_sumsq, .apply = head_apply,
                                      .token = f32_head_token, .token_max_d = F32_TOKEN_MAX_D};

SB_DEFINE_HEAD_KERNELS(avx512, &heads_f32)
