/*
 * short_avx512.h - what the two AVX-512 short-sequence attention functions
 * (flash.h's sb_flash_short_fn: FP32 in avx512_short_attention.c, BF16 with
 * vdpbf16ps in avx512bf16_short_attention.c) share, inline in each and built
 * with its library's flags: the FP32 rows around the two products (scores scaled
 * with their maximum taken in registers, the softmax per query lane, the
 * normalised output store), and the memory side of a run of sequences.
 *
 * Memory: each head reads a 4 D-byte slice of every row of its sequence, too
 * many short streams for the hardware prefetcher. A run's first sequence is
 * read in whole and in order (sb_short_stream_in); while a sequence's heads
 * compute, the next one's rows are prefetched into L2 one 64-byte line per
 * call of sb_short_pf_next, which the callers place in their inner loops, so
 * the traffic overlaps the arithmetic; its output rows too, since a head
 * writes a slice of each, not whole lines, and a store to an absent line
 * reads it first.
 */
#ifndef SB_SHORT_AVX512_H
#define SB_SHORT_AVX512_H
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include "flash/flash.h"
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

/*
 * Pull the q, k and v rows of sequence seq into the cache with demand loads, row by row, before
 * its heads run: the first sequence of a run, which nothing prefetched. (Before the spread
 * prefetch below, this pass ran for every sequence and took the 240p 2s temporal layer from
 * 22.6 to 10.2 ms on 1 thread; docs/performance.md.)
 */
static inline void sb_short_stream_in(const sb_attn_args *a, size_t seq)
{
    size_t C = a->heads * a->head_dim, n = a->nq > a->nkv ? a->nq : a->nkv;
    __m512 acc = _mm512_setzero_ps();
    for (size_t t = 0; t < n; t++) {
        const float *r[3] = {NULL, NULL, NULL};
        if (t < a->nq)
            r[0] = a->q + sb_seq_row(&a->ql, seq, t) * a->ldq;
        if (t < a->nkv) {
            r[1] = a->k + sb_seq_row(&a->kvl, seq, t) * a->ldk;
            r[2] = a->v + sb_seq_row(&a->kvl, seq, t) * a->ldv;
        }
        for (int x = 0; x < 3; x++)
            if (r[x]) {
                for (size_t c = 0; c + 16 <= C; c += 16)
                    acc = _mm512_add_ps(acc, _mm512_loadu_ps(r[x] + c));
            }
    }
    __asm__ volatile("" : : "v"(acc)); /* the loads are the point: keep them */
}

/*
 * The lines of the next sequence's q, k and v rows, prefetched one at a time from inside the
 * loops of this sequence's heads. At 15 tokens and D = 72 a sequence has 3240 lines, 203 per
 * head. Measured with the FP32 function (240p 2s, 1 thread): with a line every 4th score step
 * (55% of the lines) the layer went 10.2 -> 9.6 ms; with every line 7.5 ms, and 7.0 ms without
 * stream_in. A burst of prefetches at the start of a head, or T0 hints, did not help.
 */
typedef struct sb_short_pf {
    const sb_attn_args *a;
    size_t seq;           /* the sequence being prefetched */
    size_t r, nrows;      /* row r of nq q rows, nkv k rows, nkv v rows, then nq o rows */
    const char *p, *end;  /* the next line of row r (64-byte aligned) and the row's end */
} sb_short_pf;

/* Point c at the first line of its row r. */
static inline void sb_short_pf_row(sb_short_pf *c)
{
    const sb_attn_args *a = c->a;
    const float *x;
    if (c->r < a->nq) {
        x = a->q + sb_seq_row(&a->ql, c->seq, c->r) * a->ldq;
    } else if (c->r >= a->nq + 2 * a->nkv) {
        x = a->o + sb_seq_row(&a->ql, c->seq, c->r - a->nq - 2 * a->nkv) * a->ldo;
    } else {
        size_t row = sb_seq_row(&a->kvl, c->seq, (c->r - a->nq) % a->nkv);
        x = c->r < a->nq + a->nkv ? a->k + row * a->ldk : a->v + row * a->ldv;
    }
    c->p = (const char *)((uintptr_t)x & ~(uintptr_t)63);
    c->end = (const char *)(x + a->heads * a->head_dim);
}

/* Prefetch the cursor's next line into L2; nothing once all rows are done. */
static inline void sb_short_pf_next(sb_short_pf *c)
{
    if (c->r >= c->nrows)
        return;
    _mm_prefetch(c->p, _MM_HINT_T1);
    c->p += 64;
    if (c->p >= c->end && ++c->r < c->nrows)
        sb_short_pf_row(c);
}

/* Head h of sequence seq; its output slice of token i at o + i * ostep. */
typedef void (*sb_short_head_fn)(const sb_attn_args *a, size_t seq, size_t h, float *o,
                                 size_t ostep, sb_short_pf *pf);

/*
 * The run [s0, s1): the first sequence read in whole, each later one prefetched (its q, k and v
 * rows, and its o rows, which a head writes a slice of, so not whole lines: a store to a line
 * not in the cache reads it first) while the one before it computes. Streaming the output
 * through a staging buffer instead (whole lines, no read) measured slower: 6.6-7.6 against
 * 8.2-9.1 ms FP32 on 240p 2s, 1 thread.
 */
static inline __attribute__((always_inline)) void sb_short_run(const sb_attn_args *a, size_t s0,
                                                               size_t s1, sb_short_head_fn head_fn)
{
    if (s0 < s1)
        sb_short_stream_in(a, s0);
    for (size_t seq = s0; seq < s1; seq++) {
        sb_short_pf pf = {.a = a, .seq = seq + 1,
                          .nrows = seq + 1 < s1 ? 2 * a->nq + 2 * a->nkv : 0};
        if (pf.nrows)
            sb_short_pf_row(&pf);
        float *o = a->o + sb_seq_row(&a->ql, seq, 0) * a->ldo;
        for (size_t h = 0; h < a->heads; h++)
            head_fn(a, seq, h, o + h * a->head_dim, a->ql.tok_stride * a->ldo, &pf);
    }
}

#endif
