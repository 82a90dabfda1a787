/*
 * avx512_attention.c - the AVX-512 block function of flash attention (the
 * framework, flash/flash.c, splits the work and packs Q, K and V). For each
 * block of KB = 32 keys:
 *   S = Q K^T: 16 zmm accumulators (8 queries x 2 vectors of 16 keys), per d
 *       2 key loads and 8 query broadcasts feed 16 FMAs (only the first
 *       vector when the block has 16 keys or fewer, as in temporal attention;
 *       K is padded to 16 keys, so a block may end after its first vector);
 *   online softmax per query: new max, correction exp(m_old - m_new),
 *       P = exp(S - m_new) (vector exp), running sum l: one horizontal max and
 *       one horizontal sum per query per 32 keys;
 *   O = O * correction + P V, 16 lanes of D at a time for all 8 queries: 8 zmm
 *       accumulators, per key one V load and 8 FMAs with P broadcast (D = 72
 *       ends with a half-masked vector).
 * Per block: 16 D FMAs for S and 8 * 32 * ceil(D/16) for P V.
 */
#include <immintrin.h>
#include <math.h>
#include <string.h>
#include "flash/flash.h"
#include "x86/flash_avx512.h"
#include "x86/x86.h"


enum { QB = SB_FLASH_QB, KB = SB_F512_KB };
_Static_assert(QB == 8, "8 queries per block");

/* s[i] (lo) and s[8 + i] (hi) = scores of query i against keys kt[.][0..16) and [16..32). */
#define SCORES(HI)                                                                          \
    for (size_t d = 0; d < D; d++) {                                                         \
        const float *qd = qt + d * QB;                                                       \
        __m512 k0 = _mm512_load_ps(kt + d * nkvp + kb), k1;                                  \
        if (HI)                                                                              \
            k1 = _mm512_load_ps(kt + d * nkvp + kb + 16);                                    \
        for (int i = 0; i < QB; i++) {                                                       \
            __m512 q = _mm512_set1_ps(qd[i]);                                                \
            s[i] = _mm512_fmadd_ps(q, k0, s[i]);                                             \
            if (HI)                                                                          \
                s[QB + i] = _mm512_fmadd_ps(q, k1, s[QB + i]);                               \
        }                                                                                    \
    }

static void block_avx512(const sb_flash_block *b)
{
    size_t D = b->d, nkvp = b->nkvp;
    const float *qt = b->qt, *kt = b->kt, *v = b->v;
    float *o = b->o, *l = b->l, m[QB];
    float p[QB][KB] __attribute__((aligned(64))), corr[QB] __attribute__((aligned(32)));
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
            _mm512_store_ps(p[i], plo);
            _mm512_store_ps(p[i] + 16, phi);
        }
        sb_f512_finish(s, corr, l);
        const float *vb = v + kb * D;
        for (size_t dc = 0; dc < D; dc += 16) {
            __mmask16 dm = sb_f512_dmask(dc, D);
            SB_F512_OUT_LOAD(o, D, dc, dm, corr)
            for (size_t j = 0; j < nk; j++) {
                __m512 vj = _mm512_maskz_loadu_ps(dm, vb + j * D + dc);
#define ACC(i) o##i = _mm512_fmadd_ps(_mm512_set1_ps(p[i][j]), vj, o##i);
                ACC(0) ACC(1) ACC(2) ACC(3) ACC(4) ACC(5) ACC(6) ACC(7)
#undef ACC
            }
            SB_F512_OUT_STORE(o, D, dc, dm)
        }
    }
}

void sb_attention_flash_avx512(const sb_attn_args *a, sb_pool *pool)
{
    /* keys padded to 16 (one vector), not 32; short (temporal) sequences run in place */
    static const sb_flash_impl impl = {.name = "attention.f32.avx512-flash", .block = block_avx512,
                                       .pad = 16, .elem = SB_FLASH_F32,
                                       .short_seq = sb_attention_short_avx512};
    sb_attention_flash(&impl, a, pool);
}
