/*
 * short_avx512.h - what the two AVX-512 short-sequence attention functions
 * (flash.h's sb_flash_short_fn: FP32 in avx512_short_attention.c, BF16 with
 * vdpbf16ps in avx512bf16_short_attention.c) share, inline in each and built
 * with its library's flags: the FP32 rows around the two products (scores scaled
 * with their maximum taken in registers, the softmax per query lane, the
 * normalised output store). The memory side of a run of sequences is the
 * portable flash/short_run.h.
 */
#ifndef SB_SHORT_AVX512_H
#define SB_SHORT_AVX512_H
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include "flash/flash.h"
#include "flash/short_run.h"
#include "ref/ref.h"
#include "x86/transpose_avx512.h"
#include "x86/vecmath.h"

/*
 * The scores of keys j0..j0+8 (16 query lanes each, unscaled) into p[j0 + jj], times scale; m
 * becomes the running maximum over the valid ones (j < nkv). Scaling here, in registers, saves
 * the softmax a pass over p.
 */
static inline __attribute__((always_inline)) void sb_short_scores_store(const __m512 s[8],
                                                                        float (*p)[16], size_t j0,
                                                                        size_t nkv, __m512 sc,
                                                                        __m512 *m)
{
    for (size_t jj = 0; jj < 8; jj++) {
        __m512 x = _mm512_mul_ps(s[jj], sc);
        _mm512_store_ps(p[j0 + jj], x);
        if (j0 + jj < nkv)
            *m = _mm512_max_ps(*m, x);
    }
}

/*
 * Softmax per query lane of the scaled scores p[j] (16 query lanes) over keys j < nkv, whose
 * lane maxima are m: p[j] = exp(p[j] - m) and inv = 1 / (sum over j), elementwise over the key
 * vectors (no horizontal reduction).
 */
static inline __attribute__((always_inline)) void sb_short_softmax(float (*p)[16], size_t nkv,
                                                                   __m512 m, float *inv)
{
    __m512 l = _mm512_setzero_ps();
    for (size_t j = 0; j < nkv; j++) {
        __m512 e = vexp16(_mm512_sub_ps(_mm512_load_ps(p[j]), m));
        _mm512_store_ps(p[j], e);
        l = _mm512_add_ps(l, e);
    }
    _mm512_store_ps(inv, _mm512_div_ps(_mm512_set1_ps(1.0f), l));
}

/* Output rows i < nqg (o + i * ostep, the lanes dm of a 16-lane slice) = acc[i] * inv[i]. */
static inline __attribute__((always_inline)) void sb_short_store(const __m512 acc[16],
                                                                 const float *inv, float *o,
                                                                 size_t ostep, size_t nqg,
                                                                 __mmask16 dm)
{
    /* through an array with a constant bound: indexing acc by a variable made the compiler
       keep acc in memory and store all 16 on every key */
    float out[16][16] __attribute__((aligned(64)));
    for (size_t i = 0; i < 16; i++)
        _mm512_store_ps(out[i], _mm512_mul_ps(acc[i], _mm512_set1_ps(inv[i])));
    for (size_t i = 0; i < nqg; i++)
        _mm512_mask_storeu_ps(o + i * ostep, dm, _mm512_load_ps(out[i]));
}

#endif
