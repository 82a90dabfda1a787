/*
 * short_run.h - the memory side of a flash short-sequence function (flash.h's sb_flash_short_fn),
 * portable and inline in each ISA's file: a run of sequences, each head of each sequence given to
 * the ISA's head function, with the next sequence's rows fetched while this one computes.
 * Used by the AVX-512 FP32 and BF16 functions (short_avx512.h), and the AVX2 and NEON ones
 * (avx2_short_attention.c, arm/neon_short_attention.c, with the paced cursor sb_short_pace).
 *
 * Each head reads a 4 D-byte slice of every row of its sequence, too many short streams for
 * the hardware prefetcher. A run's first sequence is read in whole and in order
 * (sb_short_stream_in); while a sequence's heads compute, the next one's rows are prefetched
 * into L2 one 64-byte line per call of sb_short_pf_next, which the head functions place in
 * their inner loops, so the traffic overlaps the arithmetic; its output rows too, since a head
 * writes a slice of each, not whole lines, and a store to an absent line reads it first.
 */
#ifndef SB_SHORT_RUN_H
#define SB_SHORT_RUN_H
#include <stddef.h>
#include <stdint.h>
#include "flash/flash.h"
#include "ref/ref.h"

/*
 * Pull the q, k and v rows of sequence seq into the cache with demand loads, row by row, before
 * its heads run: the first sequence of a run, which nothing prefetched. (Before the spread
 * prefetch below, this pass ran for every sequence and took the 240p 2s temporal layer from
 * 22.6 to 10.2 ms on 1 thread, with the AVX-512 FP32 function and 512-bit loads on a Zen 4;
 * docs/performance.md. This form touches a byte per line: the same lines, not timed there.)
 */
static inline void sb_short_stream_in(const sb_attn_args *a, size_t seq)
{
    size_t C = a->heads * a->head_dim, n = a->nq > a->nkv ? a->nq : a->nkv;
    unsigned acc = 0;
    for (size_t t = 0; t < n; t++) {
        const float *r[3] = {NULL, NULL, NULL};
        if (t < a->nq)
            r[0] = a->q + sb_seq_row(&a->ql, seq, t) * a->ldq;
        if (t < a->nkv) {
            r[1] = a->k + sb_seq_row(&a->kvl, seq, t) * a->ldk;
            r[2] = a->v + sb_seq_row(&a->kvl, seq, t) * a->ldv;
        }
        for (int x = 0; x < 3; x++)
            if (r[x]) { /* a byte of each 64-byte line the row touches */
                const unsigned char *b = (const unsigned char *)r[x];
                for (size_t c = 0; c < C * sizeof(float); c += 64)
                    acc += b[c];
                acc += b[C * sizeof(float) - 1];
            }
    }
    __asm__ volatile("" : : "r"(acc)); /* the loads are the point: keep them */
}

/*
 * The lines of the next sequence's q, k and v rows, prefetched one at a time from inside the
 * loops of this sequence's heads. At 15 tokens and D = 72 a sequence has 3240 lines, 203 per
 * head. Measured with the AVX-512 FP32 function (240p 2s, 1 thread): with a line every 4th
 * score step (55% of the lines) the layer went 10.2 -> 9.6 ms; with every line 7.5 ms, and 7.0
 * ms without stream_in. A burst of prefetches at the start of a head, or T0 hints, did not
 * help. With the AVX2 function on an AVX2-only Zen VM: 24-32 ms, 33-44 ms without it.
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
    __builtin_prefetch(c->p, 0, 2); /* into L2: prefetcht1, PRFM PLDL2KEEP */
    c->p += 64;
    if (c->p >= c->end && ++c->r < c->nrows)
        sb_short_pf_row(c);
}

/*
 * The cursor paced over a head's loop steps: this head's share of the next sequence's lines (a
 * row's lines, one more for alignment) spread evenly over its `steps` calls of
 * sb_short_pace_step, a line every steps / lines calls (every call when there are fewer steps
 * than lines), so the prefetches end with the head rather than bunch up in its first part. With
 * the AVX2 function on 15 tokens (468 steps for 274 lines): 33-35 -> 38-41 GFLOP/s on 1 thread
 * (docs/performance.md). The AVX-512 functions call sb_short_pf_next on every step, as tuned on
 * the Zen 4 host.
 */
typedef struct sb_short_pace {
    sb_short_pf pf;
    size_t num, den, credit; /* lines and steps per head; the running remainder */
} sb_short_pace;

static inline sb_short_pace sb_short_pace_start(const sb_short_pf *pf, size_t steps)
{
    const sb_attn_args *a = pf->a;
    size_t lines = pf->nrows * (a->heads * a->head_dim * sizeof(float) / 64 + 1) / a->heads + 1;
    return (sb_short_pace){.pf = *pf, .num = lines < steps ? lines : steps, .den = steps};
}

static inline void sb_short_pace_step(sb_short_pace *c)
{
    c->credit += c->num;
    if (c->credit < c->den)
        return;
    c->credit -= c->den;
    sb_short_pf_next(&c->pf);
}

/* Where head h of a sequence reads, in place: its first token's q, k and v slices, and the
   floats from one token's slice to the next token's in each. */
typedef struct sb_short_io {
    const float *q, *k, *v;
    size_t qstep, kstep, vstep;
} sb_short_io;

static inline sb_short_io sb_short_head_io(const sb_attn_args *a, size_t seq, size_t h)
{
    size_t off = h * a->head_dim, qr = sb_seq_row(&a->ql, seq, 0), kr = sb_seq_row(&a->kvl, seq, 0);
    return (sb_short_io){.q = a->q + qr * a->ldq + off, .k = a->k + kr * a->ldk + off,
                         .v = a->v + kr * a->ldv + off, .qstep = a->ql.tok_stride * a->ldq,
                         .kstep = a->kvl.tok_stride * a->ldk, .vstep = a->kvl.tok_stride * a->ldv};
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
