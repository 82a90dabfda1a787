/*
 * avx512_attention.c - the AVX-512 block function of flash attention (the
 * framework, flash/flash.c, splits the work and packs Q, K and V). For each
 * block of KB = 16 keys:
 *   S = Q K^T: QB = 8 zmm accumulators (one per query, 16 keys in the lanes),
 *       one FMA per (query, d) with the query element broadcast: 8 FMAs per
 *       key-vector load;
 *   online softmax per query: new max, correction exp(m_old - m_new),
 *       P = exp(S - m_new) (vector exp), running sum l;
 *   O = O * correction + P V, 16 lanes of D at a time for all 8 queries: 8 zmm
 *       accumulators, per key one V load and 8 FMAs with P broadcast (D = 72
 *       ends with a half-masked vector).
 * Per block: 8 D FMAs for S and 8 * 16 * ceil(D/16) for P V.
 */
#include <immintrin.h>
#include <math.h>
#include <string.h>
#include "flash/flash.h"
#include "x86/vecmath.h"
#include "x86/x86.h"

#define _mm512_roundscale(v) _mm512_roundscale_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define _mm512_castsi_ps _mm512_castsi512_ps
SB_DEFINE_VEXP(vexp16, __m512, __m512i, _mm512)

enum { QB = SB_FLASH_QB, KB = SB_FLASH_KB };
_Static_assert(QB == 8 && KB == 16, "8 zmm accumulators of 16 keys");

static void block_avx512(const sb_flash_block *b)
{
    size_t D = b->d, nkvp = b->nkvp;
    const float *qt = b->qt, *kt = b->kt;
    float *o = b->o, *l = b->l, m[QB];
    float p[QB][KB] __attribute__((aligned(64))), corr[QB] __attribute__((aligned(32)));
    for (size_t i = 0; i < QB; i++) {
        m[i] = -INFINITY;
        l[i] = 0.0f;
    }
    memset(o, 0, QB * D * sizeof(float));
    for (size_t kb = 0; kb < nkvp; kb += KB) {
        __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
        for (size_t d = 0; d < D; d++) {
            __m512 kv = _mm512_load_ps(kt + d * nkvp + kb);
            const float *qd = qt + d * QB;
            s0 = _mm512_fmadd_ps(_mm512_set1_ps(qd[0]), kv, s0);
            s1 = _mm512_fmadd_ps(_mm512_set1_ps(qd[1]), kv, s1);
            s2 = _mm512_fmadd_ps(_mm512_set1_ps(qd[2]), kv, s2);
            s3 = _mm512_fmadd_ps(_mm512_set1_ps(qd[3]), kv, s3);
            s4 = _mm512_fmadd_ps(_mm512_set1_ps(qd[4]), kv, s4);
            s5 = _mm512_fmadd_ps(_mm512_set1_ps(qd[5]), kv, s5);
            s6 = _mm512_fmadd_ps(_mm512_set1_ps(qd[6]), kv, s6);
            s7 = _mm512_fmadd_ps(_mm512_set1_ps(qd[7]), kv, s7);
        }
        __m512 s[QB] = {s0, s1, s2, s3, s4, s5, s6, s7};
        size_t nk = b->nkv - kb < KB ? b->nkv - kb : KB;
        __mmask16 valid = (__mmask16)((1u << nk) - 1);
        for (size_t i = 0; i < QB; i++) {
            __m512 si = _mm512_mask_mov_ps(_mm512_set1_ps(-INFINITY), valid, s[i]);
            float mnew = fmaxf(m[i], _mm512_reduce_max_ps(si));
            __m512 pi = _mm512_maskz_mov_ps(valid, vexp16(_mm512_sub_ps(si, _mm512_set1_ps(mnew))));
            _mm512_store_ps(p[i], pi);
            corr[i] = m[i] - mnew; /* exponentiated below, all rows at once */
            m[i] = mnew;
            s[i] = pi;
        }
        __m256 cv = _mm512_castps512_ps256(vexp16(_mm512_castps256_ps512(_mm256_load_ps(corr))));
        _mm256_store_ps(corr, cv);
        for (size_t i = 0; i < QB; i++)
            l[i] = l[i] * corr[i] + _mm512_reduce_add_ps(s[i]);
        const float *vb = b->v + kb * D;
        for (size_t dc = 0; dc < D; dc += 16) {
            __mmask16 dm = D - dc >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (D - dc)) - 1);
#define ACC(i) __m512 o##i = _mm512_mul_ps(_mm512_maskz_loadu_ps(dm, o + i * D + dc), \
                                           _mm512_set1_ps(corr[i]));
            ACC(0) ACC(1) ACC(2) ACC(3) ACC(4) ACC(5) ACC(6) ACC(7)
#undef ACC
            for (size_t j = 0; j < nk; j++) {
                __m512 vj = _mm512_maskz_loadu_ps(dm, vb + j * D + dc);
#define ACC(i) o##i = _mm512_fmadd_ps(_mm512_set1_ps(p[i][j]), vj, o##i);
                ACC(0) ACC(1) ACC(2) ACC(3) ACC(4) ACC(5) ACC(6) ACC(7)
#undef ACC
            }
#define ACC(i) _mm512_mask_storeu_ps(o + i * D + dc, dm, o##i);
            ACC(0) ACC(1) ACC(2) ACC(3) ACC(4) ACC(5) ACC(6) ACC(7)
#undef ACC
        }
    }
}

void sb_attention_flash_avx512(const sb_attn_args *a, sb_pool *pool)
{
    sb_attention_flash("attention.f32.avx512-flash", block_avx512, a, pool);
}
