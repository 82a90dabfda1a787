/*
 * onednn.c - comparison providers: the linear layer through oneDNN's matmul
 * primitive (what PyTorch uses for linear layers on x86 CPUs), in FP32, BF16
 * and INT8. Registered as "linear.{f32,bf16,int8}.onednn", chosen only by name
 * (run --kernel). Each computes what sorabench's kernel of the same dtype
 * computes, from the same FP32 activations, so the whole call is timed:
 *   f32   one matmul primitive, bias fused;
 *   bf16  a oneDNN reorder converts the activations to bfloat16 (round to
 *         nearest even, like ours), then matmul bf16 x bf16 -> f32 + bias;
 *   int8  sorabench's per-token quantizer (the host's vector form of
 *         sb_quantize_s8, as our kernels use, on the pool), then matmul s8 x s8 -> f32 with the
 *         per-channel weight scales as output scales and two binary post-ops:
 *         times the per-token scale [m][1], plus the bias [1][n]. Where oneDNN has no
 *         VNNI (dnnl_get_effective_cpu_isa: AVX2 or AVX-512 without it, e.g. Zen 2/3),
 *         it multiplies u8 x s8 with vpmaddubsw, whose 16-bit pair sums saturate: with
 *         8-bit weights test_linear measured errors up to 9.5e-2 of sum|xw| (Zen, AVX2
 *         only). There the weights are quantized to 7 bits (+-63, sb_quantize_sym), the
 *         workaround oneDNN's and OpenVINO's int8 guides give, so no pair sum passes
 *         2 * 255 * 63 < 2^15; their quantization error is then about twice ours.
 * The weights are quantized / converted and reordered into the layout oneDNN
 * chooses (format 'any') on the first call, which the runner makes before any
 * timed repetition; the primitive is built for that call's row count. oneDNN
 * runs on its OpenMP threads (Debian's build), set per call to the case's
 * thread count; they are not sorabench's pinned pool (use OMP_PROC_BIND /
 * OMP_PLACES to pin them). OpenMP threads inherit the affinity of the thread
 * that starts them, and the pool pins the calling thread to one PU, so the
 * call runs with the calling thread's affinity widened to every PU and
 * restores it afterwards (measured: without this, 2 threads ran no faster).
 * Under an ISA cap (run --isa, SB_ISA_CAP), sb_onednn_setup holds oneDNN to the
 * largest of its ISAs within the cap (dnnl_set_max_cpu_isa, once per process,
 * before its first primitive) and its INT8 quantizer to the cap; each case
 * stores the ISA oneDNN then reports (dnnl_get_effective_cpu_isa).
 */
#include <dnnl.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cpu.h"
#include "epilogue.h"
#include "gemm/gemm.h"
#include "providers/providers.h"
#include "ref/ref.h"

typedef struct dnnl_w {
    sb_dtype dt;
    size_t n, k;
    float *w;                  /* [n][k] FP32 as given (f32, bf16), until reordered */
    int8_t *wq;                /* INT8: [n][k] quantized per channel */
    float *sw;                 /* INT8: [n] channel scales */
    int8_t *xq;                /* INT8: [xq_rows][k] quantized activations */
    float *sx;                 /* INT8: [xq_rows] token scales */
    size_t xq_rows;
    float (*quantize)(const float *x, size_t n, int8_t *q); /* INT8: the host's row quantizer */
    size_t m, ldx, ldy;        /* shape the primitive was built for (m = 0: not yet) */
    int has_bias, threads;     /* ... and its bias and thread count */
    dnnl_engine_t eng;
    dnnl_stream_t stream;
    dnnl_primitive_t prim, cvt; /* cvt: BF16's activation conversion */
    dnnl_memory_t src, xuser, wei, bias, dst, sxm;
} dnnl_w;

/* The oneDNN data types of each sorabench dtype: activations as the matmul reads them, weights. */
static const dnnl_data_type_t src_type[SB_DT_COUNT] = {
    [SB_DT_F32] = dnnl_f32, [SB_DT_BF16] = dnnl_bf16, [SB_DT_INT8] = dnnl_s8};

static void release(dnnl_w *p)
{
    dnnl_memory_t *mems[] = {&p->src, &p->xuser, &p->wei, &p->bias, &p->dst, &p->sxm};
    for (size_t i = 0; i < sizeof(mems) / sizeof(mems[0]); i++)
        if (*mems[i]) {
            dnnl_memory_destroy(*mems[i]);
            *mems[i] = NULL;
        }
    dnnl_primitive_t *prims[] = {&p->prim, &p->cvt};
    for (size_t i = 0; i < sizeof(prims) / sizeof(prims[0]); i++)
        if (*prims[i]) {
            dnnl_primitive_destroy(*prims[i]);
            *prims[i] = NULL;
        }
    p->m = 0;
}

void sb_onednn_free(void *packed)
{
    dnnl_w *p = packed;
    if (!p)
        return;
    release(p);
    if (p->stream)
        dnnl_stream_destroy(p->stream);
    if (p->eng)
        dnnl_engine_destroy(p->eng);
    free(p->w);
    free(p->wq);
    free(p->sw);
    free(p->xq);
    free(p->sx);
    free(p);
}

#define X86(b) SB_ISA(SB_ISA_##b)
#define AVX512_CORE SB_ISA_AVX512_CORE_MASK

/*
 * oneDNN's x86 ISAs (dnnl_types.h), best first, with the features each needs; the
 * first whose features a cap keeps is the one oneDNN is held to. oneDNN's lowest,
 * sse41, is not here: sorabench's features go from sse2 to avx, and SSE4.1 is not
 * one of them, so a cap below avx cannot hold oneDNN and is refused.
 */
static const struct dnnl_isa_row {
    dnnl_cpu_isa_t isa;
    const char *name;          /* oneDNN's name (ONEDNN_MAX_CPU_ISA), stored per case */
    sb_isa_mask needs;         /* 0: only named, never chosen under a cap */
} dnnl_isas[] = {
    {dnnl_cpu_isa_avx512_core_amx, "avx512_core_amx",
     AVX512_CORE | X86(AVX512_VNNI) | X86(AVX512_BF16) | X86(AMX_TILE)},
    {dnnl_cpu_isa_avx512_core_bf16, "avx512_core_bf16", AVX512_CORE | X86(AVX512_VNNI) | X86(AVX512_BF16)},
    {dnnl_cpu_isa_avx512_core_vnni, "avx512_core_vnni", AVX512_CORE | X86(AVX512_VNNI)},
    {dnnl_cpu_isa_avx512_core, "avx512_core", AVX512_CORE},
    {dnnl_cpu_isa_avx2_vnni, "avx2_vnni", 0}, /* AVX-VNNI: a feature sorabench does not detect */
    {dnnl_cpu_isa_avx2, "avx2", X86(AVX) | X86(FMA) | X86(AVX2)},
    {dnnl_cpu_isa_avx, "avx", X86(AVX)},
    {dnnl_cpu_isa_avx512_mic_4ops, "avx512_mic_4ops", 0},
    {dnnl_cpu_isa_avx512_mic, "avx512_mic", 0},
    {dnnl_cpu_isa_sse41, "sse41", 0},
    {dnnl_cpu_isa_all, "all", 0},
};

/* What the first sb_onednn_setup decided for this process (oneDNN's own choice is once only). */
static struct {
    pthread_mutex_t lock;
    bool done, capped;
    sb_isa_mask isa;           /* the cap's features (capped) */
    char err[200];             /* non-empty: oneDNN could not be held to the cap */
} held = {.lock = PTHREAD_MUTEX_INITIALIZER};

sb_status sb_onednn_setup(sb_isa_mask isa, bool capped, char *info, size_t len)
{
    sb_status st = SB_OK;
    pthread_mutex_lock(&held.lock);
    if (held.done && (held.capped != capped || (capped && held.isa != isa))) {
        snprintf(info, len, "oneDNN's ISA is chosen once per process, and was already chosen %s",
                 held.capped ? "under another cap" : "without a cap");
        st = SB_EINVAL;
        goto out;
    }
    if (!held.done) {
        held.done = true;
        held.capped = capped;
        held.isa = isa;
        const struct dnnl_isa_row *row = NULL;
        for (size_t i = 0; capped && !row && i < sizeof(dnnl_isas) / sizeof(dnnl_isas[0]); i++)
            if (dnnl_isas[i].needs && (dnnl_isas[i].needs & ~isa) == 0)
                row = &dnnl_isas[i];
        dnnl_status_t ds;
        if (capped && !row)
            snprintf(held.err, sizeof(held.err), "oneDNN cannot be held below avx (its lowest code "
                     "path, sse41, needs SSE4.1, above the ISA cap)");
        else if (row && (ds = dnnl_set_max_cpu_isa(row->isa)) != dnnl_success)
            snprintf(held.err, sizeof(held.err), "oneDNN refused the ISA cap %s (dnnl_set_max_cpu_isa: "
                     "status %d)", row->name, (int)ds);
    }
    if (held.err[0]) {
        snprintf(info, len, "%s", held.err);
        st = SB_ENOSUPP;
        goto out;
    }
    const dnnl_version_t *v = dnnl_version();
    dnnl_cpu_isa_t eff = dnnl_get_effective_cpu_isa();
    const char *name = NULL;
    for (size_t i = 0; !name && i < sizeof(dnnl_isas) / sizeof(dnnl_isas[0]); i++)
        if (dnnl_isas[i].isa == eff)
            name = dnnl_isas[i].name;
    if (name)
        snprintf(info, len, "onednn %d.%d.%d %s", v->major, v->minor, v->patch, name);
    else
        snprintf(info, len, "onednn %d.%d.%d isa 0x%x", v->major, v->minor, v->patch, (unsigned)eff);
out:
    pthread_mutex_unlock(&held.lock);
    return st;
}

sb_status sb_onednn_int8_setup(sb_isa_mask isa, bool capped, char *info, size_t len)
{
    sb_status st = sb_onednn_setup(isa, capped, info, len);
    size_t used = strlen(info);
    if (st == SB_OK && sb_onednn_int8_wmax() < 127 && used < len)
        snprintf(info + used, len - used, ", 7-bit weights");
    return st;
}

/* Features the INT8 quantizer may use: the cap given to sb_onednn_setup, else the host's. */
static sb_isa_mask quantizer_isa(void)
{
    pthread_mutex_lock(&held.lock);
    bool capped = held.done && held.capped;
    sb_isa_mask isa = held.isa;
    pthread_mutex_unlock(&held.lock);
    sb_cpu cpu;
    char err[160];
    if (capped)
        return isa;
    if (sb_cpu_detect(&cpu, err, sizeof(err)) != SB_OK)
        return 0; /* an unknown SB_ISA_CAP: the runner reports it; portable here */
    return cpu.isa;
}

int sb_onednn_int8_wmax(void)
{
    unsigned isa = (unsigned)dnnl_get_effective_cpu_isa();
    unsigned vnni512 = dnnl_cpu_isa_avx512_core_vnni, vnni256 = dnnl_cpu_isa_avx2_vnni;
    return (isa & vnni512) == vnni512 || (isa & vnni256) == vnni256 ? 127 : 63;
}

static sb_status pack(sb_dtype dt, const float *w, size_t n, size_t k, void **packed)
{
    sb_status st = SB_ENOMEM;
    dnnl_w *p = calloc(1, sizeof(*p));
    if (!p)
        return SB_ENOMEM;
    p->dt = dt;
    p->n = n;
    p->k = k;
    if (dt == SB_DT_INT8) { /* the same per-channel quantization as sorabench's INT8 kernels */
        if (!(p->wq = malloc(n * k)) || !(p->sw = malloc(n * sizeof(float))))
            goto out;
        int wmax = sb_onednn_int8_wmax();
        for (size_t i = 0; i < n; i++)
            p->sw[i] = sb_quantize_sym(w + i * k, k, wmax, p->wq + i * k);
        p->quantize = sb_epi_find(quantizer_isa())->quantize; /* capped as oneDNN's own code */
    } else {
        if (!(p->w = malloc(n * k * sizeof(float))))
            goto out;
        memcpy(p->w, w, n * k * sizeof(float));
    }
    st = SB_ENOSUPP;
    if (dnnl_engine_create(&p->eng, dnnl_cpu, 0) != dnnl_success ||
        dnnl_stream_create(&p->stream, p->eng, dnnl_stream_default_flags) != dnnl_success)
        goto out;
    *packed = p;
    p = NULL;
    st = SB_OK;
out:
    sb_onednn_free(p);
    return st;
}

sb_status sb_onednn_pack(const float *w, size_t n, size_t k, void **packed)
{
    return pack(SB_DT_F32, w, n, k, packed);
}

sb_status sb_onednn_bf16_pack(const float *w, size_t n, size_t k, void **packed)
{
    return pack(SB_DT_BF16, w, n, k, packed);
}

sb_status sb_onednn_int8_pack(const float *w, size_t n, size_t k, void **packed)
{
    return pack(SB_DT_INT8, w, n, k, packed);
}

#define CHECK(call)                                                                   \
    do {                                                                              \
        dnnl_status_t s_ = (call);                                                    \
        if (s_ != dnnl_success) {                                                     \
            fprintf(stderr, "sorabench: oneDNN: %s failed (status %d)\n", #call, s_); \
            abort();                                                                  \
        }                                                                             \
    } while (0)

/* Run a reorder from memory `from` (descriptor fmd) into `to` (descriptor tmd) once. */
static void reorder_once(dnnl_w *p, const dnnl_memory_desc_t *fmd, dnnl_memory_t from,
                         const dnnl_memory_desc_t *tmd, dnnl_memory_t to)
{
    dnnl_primitive_desc_t rpd = NULL;
    dnnl_primitive_t r = NULL;
    CHECK(dnnl_reorder_primitive_desc_create(&rpd, fmd, p->eng, tmd, p->eng, NULL));
    CHECK(dnnl_primitive_create(&r, rpd));
    dnnl_exec_arg_t args[] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
    CHECK(dnnl_primitive_execute(r, p->stream, 2, args));
    CHECK(dnnl_stream_wait(p->stream));
    dnnl_primitive_destroy(r);
    dnnl_primitive_desc_destroy(rpd);
}

/*
 * Build the primitives for a's shape and reorder the weights into their layout.
 * INT8: dst = (acc * sw[n]) * sx[m] + bias[n], all inside the matmul primitive.
 */
static void build(dnnl_w *p, const sb_linear_args *a)
{
    const int int8 = p->dt == SB_DT_INT8;
    const dnnl_data_type_t st = src_type[p->dt];
    const dnnl_dim_t m = (dnnl_dim_t)a->m, k = (dnnl_dim_t)a->k, n = (dnnl_dim_t)a->n;
    /*
     * INT8 is a batch of one (3D): oneDNN 2.6's brgemm matmul takes the [m][1]
     * post-op operand only there (measured: in 2D the same attributes fall back
     * to the reference implementation "ref_int8:any"). Dims and strides below
     * are the 3D ones; a 2D descriptor uses their last two.
     */
    const int nd = int8 ? 3 : 2, o = 3 - nd;
    dnnl_memory_desc_t src_md, xuser_md, dst_md, wany_md, wuser_md, bias_md, sx_md;
    dnnl_dims_t sd = {1, m, k}, ss = {m * (dnnl_dim_t)a->ldx, (dnnl_dim_t)a->ldx, 1};
    dnnl_dims_t dd = {1, m, n}, ds = {m * (dnnl_dim_t)a->ldy, (dnnl_dim_t)a->ldy, 1};
    dnnl_dims_t wd = {1, k, n}, ws = {k * n, 1, k};
    dnnl_dims_t bd = {1, 1, n}, xd = {1, m, 1};
    const dnnl_format_tag_t dense = int8 ? dnnl_abc : dnnl_ab;
    dnnl_matmul_desc_t md;
    dnnl_primitive_desc_t pd = NULL, cpd = NULL;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t po = NULL;
    dnnl_memory_t wuser = NULL;

    release(p);
    /* FP32 reads the caller's rows in place; BF16 and INT8 read a dense converted copy */
    if (p->dt == SB_DT_F32)
        CHECK(dnnl_memory_desc_init_by_strides(&src_md, nd, sd + o, dnnl_f32, ss + o));
    else
        CHECK(dnnl_memory_desc_init_by_tag(&src_md, nd, sd + o, st, dense));
    CHECK(dnnl_memory_desc_init_by_strides(&xuser_md, nd, sd + o, dnnl_f32, ss + o));
    CHECK(dnnl_memory_desc_init_by_strides(&dst_md, nd, dd + o, dnnl_f32, ds + o));
    CHECK(dnnl_memory_desc_init_by_tag(&wany_md, nd, wd + o, st, dnnl_format_tag_any));
    CHECK(dnnl_memory_desc_init_by_strides(&wuser_md, nd, wd + o, int8 ? dnnl_s8 : dnnl_f32,
                                           ws + o));
    CHECK(dnnl_memory_desc_init_by_tag(&bias_md, nd, bd + o, dnnl_f32, dense));
    CHECK(dnnl_memory_desc_init_by_tag(&sx_md, nd, xd + o, dnnl_f32, dense));
    CHECK(dnnl_primitive_attr_create(&attr));
    if (int8) {
        CHECK(dnnl_primitive_attr_set_output_scales(attr, n, 1 << (nd - 1), p->sw));
        CHECK(dnnl_post_ops_create(&po));
        CHECK(dnnl_post_ops_append_binary(po, dnnl_binary_mul, &sx_md));
        if (a->bias)
            CHECK(dnnl_post_ops_append_binary(po, dnnl_binary_add, &bias_md));
        CHECK(dnnl_primitive_attr_set_post_ops(attr, po));
    }
    CHECK(dnnl_matmul_desc_init(&md, &src_md, &wany_md, a->bias && !int8 ? &bias_md : NULL,
                                &dst_md));
    CHECK(dnnl_primitive_desc_create(&pd, &md, attr, p->eng, NULL));
    CHECK(dnnl_primitive_create(&p->prim, pd));
    const dnnl_memory_desc_t *wmd = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    CHECK(dnnl_memory_create(&p->wei, wmd, p->eng, DNNL_MEMORY_ALLOCATE));
    CHECK(dnnl_memory_create(&wuser, &wuser_md, p->eng, int8 ? (void *)p->wq : (void *)p->w));
    reorder_once(p, &wuser_md, wuser, wmd, p->wei);
    if (p->dt == SB_DT_BF16) { /* the activations' conversion, run on every call */
        CHECK(dnnl_reorder_primitive_desc_create(&cpd, &xuser_md, p->eng, &src_md, p->eng, NULL));
        CHECK(dnnl_primitive_create(&p->cvt, cpd));
        CHECK(dnnl_memory_create(&p->xuser, &xuser_md, p->eng, DNNL_MEMORY_NONE));
        CHECK(dnnl_memory_create(&p->src, &src_md, p->eng, DNNL_MEMORY_ALLOCATE));
    } else {
        CHECK(dnnl_memory_create(&p->src, &src_md, p->eng, DNNL_MEMORY_NONE));
    }
    CHECK(dnnl_memory_create(&p->dst, &dst_md, p->eng, DNNL_MEMORY_NONE));
    CHECK(dnnl_memory_create(&p->bias, &bias_md, p->eng, DNNL_MEMORY_NONE));
    CHECK(dnnl_memory_create(&p->sxm, &sx_md, p->eng, DNNL_MEMORY_NONE));
    if (getenv("SB_ONEDNN_VERBOSE")) { /* which oneDNN implementation runs (a debugging aid) */
        const char *impl = NULL;
        dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
        fprintf(stderr, "sorabench: oneDNN matmul %zux%zux%zu on %d threads: %s\n", a->m, a->k,
                a->n, omp_get_max_threads(), impl ? impl : "?");
    }
    if (cpd)
        dnnl_primitive_desc_destroy(cpd);
    if (po)
        dnnl_post_ops_destroy(po);
    dnnl_primitive_attr_destroy(attr);
    dnnl_primitive_desc_destroy(pd);
    dnnl_memory_destroy(wuser);
    p->m = a->m;
    p->ldx = a->ldx;
    p->ldy = a->ldy;
    p->has_bias = a->bias != NULL;
    p->threads = omp_get_max_threads();
}

/* INT8: quantize each activation row, the same quantizer as sorabench's INT8 kernels. */
static void quantize_rows(const void *args, size_t r0, size_t r1)
{
    const sb_linear_args *a = args;
    const dnnl_w *p = a->w;
    for (size_t r = r0; r < r1; r++)
        p->sx[r] = p->quantize(a->x + r * a->ldx, a->k, p->xq + r * a->k);
}

void sb_onednn_linear(const sb_linear_args *a, sb_pool *pool)
{
    dnnl_w *p = (dnnl_w *)a->w; /* the primitive is built on first use, then reused */
    cpu_set_t pinned, all;
    if (p->dt == SB_DT_INT8) { /* on sorabench's pool, before oneDNN's threads start */
        if (p->xq_rows < a->m) {
            free(p->xq);
            free(p->sx);
            p->xq = malloc(a->m * a->k);
            p->sx = malloc(a->m * sizeof(float));
            if (!p->xq || !p->sx) {
                fprintf(stderr, "sorabench: oneDNN: out of memory for %zu x %zu activations\n",
                        a->m, a->k);
                abort();
            }
            p->xq_rows = a->m;
        }
        sb_ref_split_rows(pool, a->m, 16, quantize_rows, a);
    }
    /* oneDNN sizes a primitive for the threads it may use when it is built: set them first */
    int widened = pthread_getaffinity_np(pthread_self(), sizeof(pinned), &pinned) == 0;
    if (widened) {
        memset(&all, 0xff, sizeof(all)); /* the kernel keeps only the PUs we may use */
        widened = pthread_setaffinity_np(pthread_self(), sizeof(all), &all) == 0;
    }
    omp_set_num_threads(sb_pool_threads(pool));
    if (!p->prim || p->m != a->m || p->ldx != a->ldx || p->ldy != a->ldy ||
        p->has_bias != (a->bias != NULL) || p->threads != sb_pool_threads(pool))
        build(p, a);
    if (p->cvt) {
        CHECK(dnnl_memory_set_data_handle(p->xuser, (void *)a->x));
        dnnl_exec_arg_t cargs[] = {{DNNL_ARG_FROM, p->xuser}, {DNNL_ARG_TO, p->src}};
        CHECK(dnnl_primitive_execute(p->cvt, p->stream, 2, cargs));
    } else {
        CHECK(dnnl_memory_set_data_handle(p->src, p->dt == SB_DT_F32 ? (void *)a->x : p->xq));
    }
    CHECK(dnnl_memory_set_data_handle(p->dst, a->y));
    if (a->bias)
        CHECK(dnnl_memory_set_data_handle(p->bias, (void *)a->bias));
    dnnl_exec_arg_t args[5] = {{DNNL_ARG_SRC, p->src}, {DNNL_ARG_WEIGHTS, p->wei},
                               {DNNL_ARG_DST, p->dst}};
    int nargs = 3;
    if (p->dt == SB_DT_INT8) {
        CHECK(dnnl_memory_set_data_handle(p->sxm, p->sx));
        args[nargs++] = (dnnl_exec_arg_t){DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1, p->sxm};
        if (a->bias)
            args[nargs++] =
                (dnnl_exec_arg_t){DNNL_ARG_ATTR_MULTIPLE_POST_OP(1) | DNNL_ARG_SRC_1, p->bias};
    } else if (a->bias) {
        args[nargs++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, p->bias};
    }
    CHECK(dnnl_primitive_execute(p->prim, p->stream, nargs, args));
    CHECK(dnnl_stream_wait(p->stream));
    if (widened)
        pthread_setaffinity_np(pthread_self(), sizeof(pinned), &pinned);
    sb_linear_epilogue_all(a, pool); /* a fused layer's epilogue: a second pass, portable code */
}
