/*
 * avx512_short_attention.c - AVX-512 FP32 attention for short sequences (at
 * most SB_FLASH_SHORT = 64 tokens: temporal attention), the flash framework's
 * short-sequence function (flash.h). For such sequences the per-head packing
 * of the block path (K transposed, Q scaled and transposed, a staging copy of
 * every row) cost more than the arithmetic, so this reads Q, K and V in place
 * and puts the queries in the vector lanes:
 *
 *   Qt = 16 queries x 16 d transposed in registers (64 shuffles per 16 x 16),
 *        stored [D][16] on the stack: the only copy;
 *   S^T[j] (16 query lanes) = sum_d Qt[d] * k_j[d], k_j[d] broadcast from K's
 *        own row: 8 keys at a time, 8 accumulators;
 *   softmax per lane over j (scale applied first): elementwise max, exp and
 *        sum over the key vectors, no horizontal reduction; P^T kept [nkv][16];
 *   O: 16 lanes of D at a time, 16 query accumulators, per key one V load and
 *        16 FMAs with P broadcast; scaled by 1 / l and stored to the output row.
 *
 * The score matrix of a sequence (64 x 64 at most) is on the stack; extra
 * memory does not grow with the number of sequences.
 *
 * The BF16 form (the short-sequence function of attention.bf16.avx512bf16-flash)
 * computes what the BF16 block function does, with FP32 FMAs: Q, K, V and P are
 * rounded to bfloat16 (nearest even), products of bfloat16 values are exact in
 * FP32, and the softmax and the sums stay FP32. The block path's per-head bf16
 * packing had made BF16 temporal attention 3x slower than FP32 (13.7 against
 * 41.0 GFLOP/s). K of the head is rounded once into a stack buffer; V and P as
 * they are loaded. With the memory traffic overlapped (below), the rounding
 * (7 integer operations per vector) is what keeps this form behind FP32; a
 * vdpbf16ps form would halve the FMAs (docs/performance.md).
 *
 * Memory: each head reads a 4 D-byte slice of every row of its sequence, too
 * many short streams for the hardware prefetcher. The function runs a run of
 * consecutive sequences: the first one's rows are read in whole and in order
 * (stream_in); while a sequence's heads compute, the next one's rows are
 * prefetched into L2 one 64-byte line per step of the score and P V loops
 * (pf_cursor), so the traffic overlaps the arithmetic.
 */
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include "flash/flash.h"
#include "ref/ref.h"
#include "x86/flash_avx512.h"
#include "x86/x86.h"

enum { L = 16, JB = 8, MAXT = SB_FLASH_SHORT };

/* v rounded to bfloat16 (as sb_f32_to_bf16), as FP32 values. */
static inline __m512 round_bf16(__m512 v)
{
    __m512i r = sb_bf16_bits512(_mm512_castps_si512(v));
    return _mm512_castsi512_ps(_mm512_and_si512(r, _mm512_set1_epi32((int)0xffff0000)));
}

/* r[0..16) rows -> r[k] = column k (the 16 x 16 transpose, 64 shuffles). */
static inline void transpose16(__m512 r[L])
{
    __m512 t[L], u[L];
    for (int i = 0; i < L; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    /* u[4g + c], 128-bit lane l: column 4l + c of rows 4g..4g+3 */
    for (int g = 0; g < 4; g++) {
        __m512d a = _mm512_castps_pd(t[4 * g]), b = _mm512_castps_pd(t[4 * g + 1]);
        __m512d c = _mm512_castps_pd(t[4 * g + 2]), d = _mm512_castps_pd(t[4 * g + 3]);
        u[4 * g] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
        u[4 * g + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
        u[4 * g + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
        u[4 * g + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
    }
    for (int c = 0; c < 4; c++) {
        __m512 v0 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0x44);
        __m512 v1 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0x44);
        __m512 w0 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0xee);
        __m512 w1 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0xee);
        r[c] = _mm512_shuffle_f32x4(v0, v1, 0x88);
        r[4 + c] = _mm512_shuffle_f32x4(v0, v1, 0xdd);
        r[8 + c] = _mm512_shuffle_f32x4(w0, w1, 0x88);
        r[12 + c] = _mm512_shuffle_f32x4(w0, w1, 0xdd);
    }
}

/*
 * Pull the q, k and v rows of sequence seq into the cache with demand loads, row by row, before
 * its heads run: the first sequence of a run, which nothing prefetched. (Before the spread
 * prefetch below, this pass ran for every sequence and took the 240p 2s temporal layer from
 * 22.6 to 10.2 ms on 1 thread; docs/performance.md.)
 */
static void stream_in(const sb_attn_args *a, size_t seq)
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
                for (size_t c = 0; c + L <= C; c += L)
                    acc = _mm512_add_ps(acc, _mm512_loadu_ps(r[x] + c));
            }
    }
    __asm__ volatile("" : : "v"(acc)); /* the loads are the point: keep them */
}

/*
 * The lines of the next sequence's q, k and v rows, prefetched one at a time from inside the
 * loops of this sequence's heads, so the memory traffic overlaps the arithmetic. At 15 tokens,
 * a head has 144 score steps and 75 P V steps, 219 slots for the 203 lines of 1/16 of a
 * sequence. Measured (240p 2s, 1 thread): with a line every 4th score step (55% of the lines)
 * the layer went 10.2 -> 9.6 ms; with every line 7.5 ms, and 7.0 ms without stream_in.
 * A burst of prefetches at the start of a head, or T0 hints, did not help.
 */
typedef struct pf_cursor {
    const sb_attn_args *a;
    size_t seq;           /* the sequence being prefetched */
    size_t r, nrows;      /* row r of nq q rows, then nkv k rows, then nkv v rows */
    const char *p, *end;  /* the next line of row r (64-byte aligned) and the row's end */
} pf_cursor;

/* Point c at the first line of its row r. */
static void pf_row(pf_cursor *c)
{
    const sb_attn_args *a = c->a;
    const float *x;
    if (c->r < a->nq) {
        x = a->q + sb_seq_row(&a->ql, c->seq, c->r) * a->ldq;
    } else {
        size_t row = sb_seq_row(&a->kvl, c->seq, (c->r - a->nq) % a->nkv);
        x = c->r < a->nq + a->nkv ? a->k + row * a->ldk : a->v + row * a->ldv;
    }
    c->p = (const char *)((uintptr_t)x & ~(uintptr_t)63);
    c->end = (const char *)(x + a->heads * a->head_dim);
}

static inline void pf_next(pf_cursor *c)
{
    if (c->r >= c->nrows)
        return;
    _mm_prefetch(c->p, _MM_HINT_T1);
    c->p += 64;
    if (c->p >= c->end && ++c->r < c->nrows)
        pf_row(c);
}

/* Queries [i0, i0 + nqg) (nqg <= 16) of one head against all keys. Row pointers point at the
   head's slice of token 0; tokens step by *step floats. bf16: round Q, V and P (K comes
   rounded; a constant in each caller, so each form is compiled without the other's tests). */
static inline __attribute__((always_inline)) void
head_group(const sb_attn_args *a, const float *q0, size_t qstep, const float *k0, size_t kstep,
           const float *v0, size_t vstep, float *o0, size_t ostep, size_t nqg, pf_cursor *pf,
           const int bf16)
{
    size_t D = a->head_dim, nkv = a->nkv;
    float qt[SB_FLASH_MAX_D][L] __attribute__((aligned(64)));
    float p[MAXT + JB][L] __attribute__((aligned(64)));
    float inv[L] __attribute__((aligned(64)));

    /* Qt: 16 rows (zeros beyond nqg) x 16 d per transpose */
    for (size_t dc = 0; dc < D; dc += L) {
        __mmask16 dm = sb_f512_dmask(dc, D);
        __m512 r[L];
        for (size_t i = 0; i < L; i++)
            r[i] = i < nqg ? _mm512_maskz_loadu_ps(dm, q0 + i * qstep + dc) : _mm512_setzero_ps();
        transpose16(r);
        for (size_t e = 0; e < L && dc + e < D; e++)
            _mm512_store_ps(qt[dc + e], bf16 ? round_bf16(r[e]) : r[e]);
    }

    /* S^T, JB keys at a time; keys past nkv repeat key 0 (their scores are never read) */
    for (size_t j0 = 0; j0 < nkv; j0 += JB) {
        const float *kr[JB];
        __m512 s[JB];
        for (size_t jj = 0; jj < JB; jj++) {
            kr[jj] = k0 + (j0 + jj < nkv ? j0 + jj : 0) * kstep;
            s[jj] = _mm512_setzero_ps();
        }
        for (size_t d = 0; d < D; d++) {
            pf_next(pf);
            __m512 qd = _mm512_load_ps(qt[d]);
            for (size_t jj = 0; jj < JB; jj++)
                s[jj] = _mm512_fmadd_ps(qd, _mm512_set1_ps(kr[jj][d]), s[jj]);
        }
        for (size_t jj = 0; jj < JB; jj++)
            _mm512_store_ps(p[j0 + jj], s[jj]);
    }

    /* softmax per query lane over the keys */
    const __m512 sc = _mm512_set1_ps(a->scale);
    __m512 m = _mm512_set1_ps(-INFINITY), l = _mm512_setzero_ps();
    for (size_t j = 0; j < nkv; j++) {
        __m512 x = _mm512_mul_ps(_mm512_load_ps(p[j]), sc);
        _mm512_store_ps(p[j], x);
        m = _mm512_max_ps(m, x);
    }
    for (size_t j = 0; j < nkv; j++) {
        __m512 e = vexp16(_mm512_sub_ps(_mm512_load_ps(p[j]), m));
        _mm512_store_ps(p[j], e);
        l = _mm512_add_ps(l, e);
    }
    _mm512_store_ps(inv, _mm512_div_ps(_mm512_set1_ps(1.0f), l));
    if (bf16) /* P for P V; the sum l is of the unrounded values, as in the block function */
        for (size_t j = 0; j < nkv; j++)
            _mm512_store_ps(p[j], round_bf16(_mm512_load_ps(p[j])));

    /* O = P V / l, 16 lanes of D at a time */
    for (size_t dc = 0; dc < D; dc += L) {
        __mmask16 dm = sb_f512_dmask(dc, D);
        __m512 acc[L];
        for (size_t i = 0; i < L; i++)
            acc[i] = _mm512_setzero_ps();
        for (size_t j = 0; j < nkv; j++) {
            __m512 vj = _mm512_maskz_loadu_ps(dm, v0 + j * vstep + dc);
            if (bf16)
                vj = round_bf16(vj);
            pf_next(pf);
            for (size_t i = 0; i < L; i++)
                acc[i] = _mm512_fmadd_ps(_mm512_set1_ps(p[j][i]), vj, acc[i]);
        }
        /* through an array with a constant bound: indexing acc by a variable made the
           compiler keep acc in memory and store all 16 on every key */
        float out[L][L] __attribute__((aligned(64)));
        for (size_t i = 0; i < L; i++)
            _mm512_store_ps(out[i], _mm512_mul_ps(acc[i], _mm512_set1_ps(inv[i])));
        for (size_t i = 0; i < nqg; i++)
            _mm512_mask_storeu_ps(o0 + i * ostep + dc, dm, _mm512_load_ps(out[i]));
    }
}

/* Sequence seq with all its heads; while they compute, prefetch sequence seq + 1 if next. */
static inline __attribute__((always_inline)) void short_seq(const sb_attn_args *a, size_t seq,
                                                            int next, const int bf16)
{
    size_t D = a->head_dim;
    size_t qr = sb_seq_row(&a->ql, seq, 0), kr = sb_seq_row(&a->kvl, seq, 0);
    size_t qstep = a->ql.tok_stride * a->ldq, ostep = a->ql.tok_stride * a->ldo;
    size_t kstep = a->kvl.tok_stride * a->ldk, vstep = a->kvl.tok_stride * a->ldv;
    float kb[bf16 ? MAXT : 1][bf16 ? SB_FLASH_MAX_D : 1] __attribute__((aligned(64)));
    pf_cursor pf = {.a = a, .seq = seq + 1, .nrows = next ? a->nq + 2 * a->nkv : 0};
    if (pf.nrows)
        pf_row(&pf);
    for (size_t h = 0; h < a->heads; h++) {
        size_t off = h * D;
        const float *k0 = a->k + kr * a->ldk + off;
        size_t ks = kstep;
        if (bf16) { /* K of the head rounded once, [nkv][D], for all its query groups */
            for (size_t j = 0; j < a->nkv; j++)
                for (size_t dc = 0; dc < D; dc += L) {
                    __mmask16 dm = sb_f512_dmask(dc, D);
                    __m512 kv = _mm512_maskz_loadu_ps(dm, k0 + j * kstep + dc);
                    _mm512_mask_storeu_ps(kb[j] + dc, dm, round_bf16(kv));
                }
            k0 = kb[0];
            ks = SB_FLASH_MAX_D;
        }
        for (size_t i0 = 0; i0 < a->nq; i0 += L)
            head_group(a, a->q + (qr + i0 * a->ql.tok_stride) * a->ldq + off, qstep, k0, ks,
                       a->v + kr * a->ldv + off, vstep,
                       a->o + (qr + i0 * a->ql.tok_stride) * a->ldo + off, ostep,
                       a->nq - i0 < L ? a->nq - i0 : L, &pf, bf16);
    }
}

/* The first sequence of the run is read in whole (stream_in); each later one was prefetched
   while the one before it computed. */
static inline __attribute__((always_inline)) void short_run(const sb_attn_args *a, size_t s0,
                                                            size_t s1, const int bf16)
{
    if (s0 < s1)
        stream_in(a, s0);
    for (size_t seq = s0; seq < s1; seq++)
        short_seq(a, seq, seq + 1 < s1, bf16);
}

void sb_attention_short_avx512(const sb_attn_args *a, size_t s0, size_t s1)
{
    short_run(a, s0, s1, 0);
}

void sb_attention_short_avx512_bf16(const sb_attn_args *a, size_t s0, size_t s1)
{
    short_run(a, s0, s1, 1);
}
