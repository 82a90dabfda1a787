/*
 * avx512bf16_attention.c - the AVX512-BF16 block function of flash attention
 * (variant bf16-fused). The framework (flash/flash.c) rounds Q (pre-scaled),
 * K and V to bfloat16 and packs them in pairs (SB_FLASH_BF16); vdpbf16ps adds
 * the product of one pair to each FP32 lane, so both matrix products advance
 * two elements per instruction. For each block of KB = 32 keys:
 *   S = Q K^T: 16 zmm accumulators (8 queries x 2 vectors of 16 keys); per
 *       pair of d, 2 key loads and 8 query-pair broadcasts feed 16 vdpbf16ps
 *       (only the first vector when the block has 16 keys or fewer);
 *   online softmax in FP32, as in avx512_attention.c; P is rounded to
 *       bfloat16 pairs of keys (vcvtne2ps2bf16) for the next product, while
 *       the running sum l adds the FP32 values;
 *   O = O * correction + P V, 16 lanes of D for all 8 queries: 8 zmm
 *       accumulators, per pair of keys one V load and 8 vdpbf16ps.
 * Accumulation is FP32 throughout; the error comes from rounding q, k, v and
 * p to 8 significant bits (test_attention states the bound it checks).
 */
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "flash/flash.h"
#include "x86/flash_avx512.h"
#include "x86/x86.h"


enum { QB = SB_FLASH_QB, KB = SB_F512_KB };
_Static_assert(QB == 8, "8 queries per block");

/* s[i] (keys kb..kb+16) and s[8 + i] (kb+16..kb+32) += pairs of q_i . pairs of k, over d/2 pairs. */
#define SCORES(HI)                                                                          \
    for (size_t dp = 0; dp < D / 2; dp++) {                                                  \
        const uint32_t *qd = qt + dp * QB;                                                   \
        __m512bh k0 = (__m512bh)_mm512_loadu_si512(kt + (dp * nkvp + kb) * 2), k1;           \
        if (HI)                                                                              \
            k1 = (__m512bh)_mm512_loadu_si512(kt + (dp * nkvp + kb + 16) * 2);               \
        for (int i = 0; i < QB; i++) {                                                       \
            __m512bh q = (__m512bh)_mm512_set1_epi32((int)qd[i]);                            \
            s[i] = _mm512_dpbf16_ps(s[i], q, k0);                                            \
            if (HI)                                                                          \
                s[QB + i] = _mm512_dpbf16_ps(s[QB + i], q, k1);                              \
        }                                                                                    \
    }

static void block_bf16(const sb_flash_block *b)
{
    size_t D = b->d, nkvp = b->nkvp;
    const uint32_t *qt = b->qt;   /* [D/2][QB] pairs of d */
    const uint16_t *kt = b->kt;   /* [D/2][nkvp][2] */
    const uint16_t *v = b->v;     /* [nkvp/2][D][2] */
    float *o = b->o, *l = b->l, m[QB];
    uint32_t p[QB][KB / 2] __attribute__((aligned(64))); /* P as bf16 pairs of keys */
    float corr[QB] __attribute__((aligned(32)));
    sb_f512_start(m, l, o, D);
    for (size_t kb = 0; kb < nkvp; kb += KB) {
        size_t nk = b->nkv - kb < KB ? b->nkv - kb : KB;
        __m512 s[2 * QB];
        for (int i = 0; i < 2 * QB; i++)
            s[i] = _mm512_setzero_ps();
        if (nk > 16) {
            SCORES(1)
        } else {
            SCORES(0)
        }
        for (int i = 0; i < QB; i++) {
            __m512 plo, phi;
            sb_f512_softmax(s, i, nk, m, corr, &plo, &phi);
            /* keys 0..31 in order: the low half from plo, the high half from phi */
            _mm512_store_si512(p[i], (__m512i)_mm512_cvtne2ps_pbh(phi, plo));
        }
        sb_f512_finish(s, corr, l);
        const uint16_t *vb = v + kb * D; /* pair kb/2 starts at (kb/2) * D * 2 */
        size_t npairs = (nk + 1) / 2;    /* an odd last key pairs with a zero p and v */
        for (size_t dc = 0; dc < D; dc += 16) {
            __mmask16 dm = sb_f512_dmask(dc, D);
            SB_F512_OUT_LOAD(o, D, dc, dm, corr)
            for (size_t jp = 0; jp < npairs; jp++) {
                __m512bh vj = (__m512bh)_mm512_maskz_loadu_epi32(dm, vb + (jp * D + dc) * 2);
#define ACC(i) o##i = _mm512_dpbf16_ps(o##i, (__m512bh)_mm512_set1_epi32((int)p[i][jp]), vj);
                ACC(0) ACC(1) ACC(2) ACC(3) ACC(4) ACC(5) ACC(6) ACC(7)
#undef ACC
            }
            SB_F512_OUT_STORE(o, D, dc, dm)
        }
    }
}

void sb_attention_flash_avx512bf16(const sb_attn_args *a, sb_pool *pool)
{
    static const sb_flash_impl impl = {.name = "attention.bf16.avx512bf16-flash",
                                       .block = block_bf16, .pad = 16, .elem = SB_FLASH_BF16,
                                       .short_seq = sb_attention_short_avx512_bf16};
    sb_attention_flash(&impl, a, pool);
}
