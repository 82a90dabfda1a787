/*
 * neon_attention.c - the NEON block function of flash attention (the
 * framework, flash/flash.c, splits the work and packs Q, K and V), for every
 * aarch64 CPU. For each block of KB = 16 keys:
 *   S = Q K^T, in two halves of 8 keys: 16 accumulators (8 queries x 2
 *       vectors of 4 keys), per d 2 key loads and 2 query loads (the 8
 *       queries' element d, packed [D][8]) feed 16 FMLA by element;
 *   online softmax per query over 4 vectors: new max, correction
 *       exp(m_old - m_new), P = exp(S - m_new) (keys beyond n_kv masked to 0),
 *       running sum l; P is stored transposed ([key][query]);
 *   O = O * correction + P V, 8 lanes of D at a time for all 8 queries: 16
 *       accumulators, per key 2 V loads and 2 P loads feed 16 FMLA by element.
 * Registers: at most 16 accumulators + 4 operands. Neoverse N1/V1/V2 issue 2-4
 * FMLA per cycle with 4-cycle latency, so 16 independent chains keep them busy.
 */
#include <arm_neon.h>
#include <math.h>
#include <string.h>
#include "arm/arm.h"
#include "arm/neon_vecmath.h"
#include "flash/flash.h"

enum { QB = SB_FLASH_QB, KB = 16 };
_Static_assert(QB == 8 && KB == 16, "8 queries x 16 keys per block");

/* s[i][0..8) = sum_d qt[d][i] kt[d][0..8) for the 8 queries i. */
static void scores_8x8(const float *qt, const float *kt, size_t nkvp, size_t D, float s[QB][KB],
                       size_t j0)
{
#define ACC(i) float32x4_t s##i##0 = vdupq_n_f32(0), s##i##1 = s##i##0;
    ACC(0) ACC(1) ACC(2) ACC(3) ACC(4) ACC(5) ACC(6) ACC(7)
#undef ACC
    for (size_t d = 0; d < D; d++) {
        float32x4_t k0 = vld1q_f32(kt + d * nkvp), k1 = vld1q_f32(kt + d * nkvp + 4);
        float32x4_t q0 = vld1q_f32(qt + d * QB), q1 = vld1q_f32(qt + d * QB + 4);
#define ACC(i, qv, lane)                                                \
    s##i##0 = vfmaq_laneq_f32(s##i##0, k0, qv, lane);                   \
    s##i##1 = vfmaq_laneq_f32(s##i##1, k1, qv, lane);
        ACC(0, q0, 0) ACC(1, q0, 1) ACC(2, q0, 2) ACC(3, q0, 3)
        ACC(4, q1, 0) ACC(5, q1, 1) ACC(6, q1, 2) ACC(7, q1, 3)
#undef ACC
    }
#define ACC(i)                                                          \
    vst1q_f32(&s[i][j0], s##i##0);                                      \
    vst1q_f32(&s[i][j0 + 4], s##i##1);
    ACC(0) ACC(1) ACC(2) ACC(3) ACC(4) ACC(5) ACC(6) ACC(7)
#undef ACC
}

static void block_neon(const sb_flash_block *b)
{
    static const uint32_t lane_index[KB] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    size_t D = b->d, nkvp = b->nkvp;
    float *o = b->o, *l = b->l, m[QB], s[QB][KB], pt[KB][QB], corr[QB];
    for (size_t i = 0; i < QB; i++) {
        m[i] = -INFINITY;
        l[i] = 0.0f;
    }
    memset(o, 0, QB * D * sizeof(float));
    for (size_t kb = 0; kb < nkvp; kb += KB) {
        scores_8x8(b->qt, (const float *)b->kt + kb, nkvp, D, s, 0);
        scores_8x8(b->qt, (const float *)b->kt + kb + 8, nkvp, D, s, 8);
        size_t nk = b->nkv - kb < KB ? b->nkv - kb : KB;
        uint32x4_t valid[4];
        for (int v = 0; v < 4; v++)
            valid[v] = vcltq_u32(vld1q_u32(lane_index + 4 * v), vdupq_n_u32((uint32_t)nk));
        for (size_t i = 0; i < QB; i++) {
            float32x4_t sv[4], mx = vdupq_n_f32(-INFINITY), sum = vdupq_n_f32(0);
            for (int v = 0; v < 4; v++) {
                sv[v] = vbslq_f32(valid[v], vld1q_f32(&s[i][4 * v]), vdupq_n_f32(-INFINITY));
                mx = vmaxq_f32(mx, sv[v]);
            }
            float mnew = fmaxf(m[i], vmaxvq_f32(mx));
            for (int v = 0; v < 4; v++) {
                float32x4_t p = vexp4(vsubq_f32(sv[v], vdupq_n_f32(mnew)));
                p = vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(p), valid[v]));
                float lanes[4];
                sum = vaddq_f32(sum, p);
                vst1q_f32(lanes, p);
                for (int j = 0; j < 4; j++)
                    pt[4 * v + j][i] = lanes[j];
            }
            corr[i] = m[i] - mnew; /* exponentiated below, all rows at once */
            m[i] = mnew;
            s[i][0] = vaddvq_f32(sum);
        }
        float32x4_t c0 = vexp4(vld1q_f32(corr)), c1 = vexp4(vld1q_f32(corr + 4));
        vst1q_f32(corr, c0);
        vst1q_f32(corr + 4, c1);
        for (size_t i = 0; i < QB; i++)
            l[i] = l[i] * corr[i] + s[i][0];
        const float *vb = (const float *)b->v + kb * D;
        for (size_t dc = 0; dc < D; dc += 8) {
#define ACC(i, cv, lane)                                                                  \
    float32x4_t o##i##0 = vmulq_laneq_f32(vld1q_f32(o + i * D + dc), cv, lane);           \
    float32x4_t o##i##1 = vmulq_laneq_f32(vld1q_f32(o + i * D + dc + 4), cv, lane);
            ACC(0, c0, 0) ACC(1, c0, 1) ACC(2, c0, 2) ACC(3, c0, 3)
            ACC(4, c1, 0) ACC(5, c1, 1) ACC(6, c1, 2) ACC(7, c1, 3)
#undef ACC
            for (size_t j = 0; j < nk; j++) {
                float32x4_t v0 = vld1q_f32(vb + j * D + dc), v1 = vld1q_f32(vb + j * D + dc + 4);
                float32x4_t p0 = vld1q_f32(pt[j]), p1 = vld1q_f32(pt[j] + 4);
#define ACC(i, pv, lane)                                                \
    o##i##0 = vfmaq_laneq_f32(o##i##0, v0, pv, lane);                   \
    o##i##1 = vfmaq_laneq_f32(o##i##1, v1, pv, lane);
                ACC(0, p0, 0) ACC(1, p0, 1) ACC(2, p0, 2) ACC(3, p0, 3)
                ACC(4, p1, 0) ACC(5, p1, 1) ACC(6, p1, 2) ACC(7, p1, 3)
#undef ACC
            }
#define ACC(i)                                                          \
    vst1q_f32(o + i * D + dc, o##i##0);                                 \
    vst1q_f32(o + i * D + dc + 4, o##i##1);
            ACC(0) ACC(1) ACC(2) ACC(3) ACC(4) ACC(5) ACC(6) ACC(7)
#undef ACC
        }
    }
}

void sb_attention_flash_neon(const sb_attn_args *a, sb_pool *pool)
{
    /* short (temporal) sequences run in place (neon_short_attention.c) */
    static const sb_flash_impl impl = {.name = "attention.f32.neon-flash", .block = block_neon,
                                       .pad = KB, .elem = SB_FLASH_F32,
                                       .short_seq = sb_attention_short_neon};
    sb_attention_flash(&impl, a, pool);
}
