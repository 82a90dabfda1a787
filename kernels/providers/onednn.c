/*
 * onednn.c - comparison provider: the linear layer through oneDNN's matmul
 * primitive (what PyTorch uses for FP32 linear layers on x86 CPUs).
 * Registered as "linear.f32.onednn", chosen only by name (run --kernel).
 *
 * The primitive lets oneDNN choose the weight layout (format 'any'); the
 * weights are reordered into it once, on the first call (which the runner
 * makes before any timed repetition), and the primitive is built for that
 * call's row count. Bias is fused in the primitive. oneDNN runs on its OpenMP
 * threads (Debian's build), set per call to the case's thread count; they are
 * not sorabench's pinned pool (use OMP_PROC_BIND / OMP_PLACES to pin them).
 * OpenMP threads inherit the affinity of the thread that starts them, and the
 * pool pins the calling thread to one PU, so the call runs with the calling
 * thread's affinity widened to every PU and restores it afterwards (measured:
 * without this, 2 threads ran no faster than 1).
 */
#include <dnnl.h>
#include <pthread.h>
#include <sched.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "epilogue.h"
#include "providers/providers.h"

typedef struct dnnl_w {
    size_t n, k;
    float *w;                  /* [n][k] as given, until reordered */
    size_t m, ldx, ldy;        /* shape the primitive was built for (m = 0: not yet) */
    int has_bias;
    dnnl_engine_t eng;
    dnnl_stream_t stream;
    dnnl_primitive_t prim;
    dnnl_memory_t src, wei, bias, dst;
} dnnl_w;

sb_status sb_onednn_pack(const float *w, size_t n, size_t k, void **packed)
{
    dnnl_w *p = calloc(1, sizeof(*p));
    if (!p || (p->w = malloc(n * k * sizeof(float))) == NULL) {
        free(p);
        return SB_ENOMEM;
    }
    memcpy(p->w, w, n * k * sizeof(float));
    p->n = n;
    p->k = k;
    if (dnnl_engine_create(&p->eng, dnnl_cpu, 0) != dnnl_success ||
        dnnl_stream_create(&p->stream, p->eng, dnnl_stream_default_flags) != dnnl_success) {
        sb_onednn_free(p);
        return SB_ENOSUPP;
    }
    *packed = p;
    return SB_OK;
}

static void release(dnnl_w *p)
{
    dnnl_memory_t *mems[] = {&p->src, &p->wei, &p->bias, &p->dst};
    for (size_t i = 0; i < sizeof(mems) / sizeof(mems[0]); i++)
        if (*mems[i]) {
            dnnl_memory_destroy(*mems[i]);
            *mems[i] = NULL;
        }
    if (p->prim)
        dnnl_primitive_destroy(p->prim);
    p->prim = NULL;
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
    free(p);
}

#define CHECK(call)                                                                   \
    do {                                                                              \
        dnnl_status_t s_ = (call);                                                    \
        if (s_ != dnnl_success) {                                                     \
            fprintf(stderr, "sorabench: oneDNN: %s failed (status %d)\n", #call, s_); \
            abort();                                                                  \
        }                                                                             \
    } while (0)

/* Build the primitive for a's shape and reorder the weights into its layout. */
static void build(dnnl_w *p, const sb_linear_args *a)
{
    dnnl_memory_desc_t src_md, dst_md, wany_md, wuser_md, bias_md;
    dnnl_dims_t sd = {(dnnl_dim_t)a->m, (dnnl_dim_t)a->k}, ss = {(dnnl_dim_t)a->ldx, 1};
    dnnl_dims_t dd = {(dnnl_dim_t)a->m, (dnnl_dim_t)a->n}, ds = {(dnnl_dim_t)a->ldy, 1};
    dnnl_dims_t wd = {(dnnl_dim_t)a->k, (dnnl_dim_t)a->n}, ws = {1, (dnnl_dim_t)a->k};
    dnnl_dims_t bd = {1, (dnnl_dim_t)a->n};
    dnnl_matmul_desc_t md;
    dnnl_primitive_desc_t pd = NULL, rpd = NULL;
    dnnl_primitive_t reorder = NULL;
    dnnl_memory_t wuser = NULL;

    release(p);
    CHECK(dnnl_memory_desc_init_by_strides(&src_md, 2, sd, dnnl_f32, ss));
    CHECK(dnnl_memory_desc_init_by_strides(&dst_md, 2, dd, dnnl_f32, ds));
    CHECK(dnnl_memory_desc_init_by_tag(&wany_md, 2, wd, dnnl_f32, dnnl_format_tag_any));
    CHECK(dnnl_memory_desc_init_by_strides(&wuser_md, 2, wd, dnnl_f32, ws));
    CHECK(dnnl_memory_desc_init_by_tag(&bias_md, 2, bd, dnnl_f32, dnnl_ab));
    CHECK(dnnl_matmul_desc_init(&md, &src_md, &wany_md, a->bias ? &bias_md : NULL, &dst_md));
    CHECK(dnnl_primitive_desc_create(&pd, &md, NULL, p->eng, NULL));
    CHECK(dnnl_primitive_create(&p->prim, pd));
    const dnnl_memory_desc_t *wmd = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    CHECK(dnnl_memory_create(&p->wei, wmd, p->eng, DNNL_MEMORY_ALLOCATE));
    CHECK(dnnl_memory_create(&wuser, &wuser_md, p->eng, p->w));
    CHECK(dnnl_reorder_primitive_desc_create(&rpd, &wuser_md, p->eng, wmd, p->eng, NULL));
    CHECK(dnnl_primitive_create(&reorder, rpd));
    dnnl_exec_arg_t rargs[] = {{DNNL_ARG_FROM, wuser}, {DNNL_ARG_TO, p->wei}};
    CHECK(dnnl_primitive_execute(reorder, p->stream, 2, rargs));
    CHECK(dnnl_stream_wait(p->stream));
    CHECK(dnnl_memory_create(&p->src, &src_md, p->eng, DNNL_MEMORY_NONE));
    CHECK(dnnl_memory_create(&p->dst, &dst_md, p->eng, DNNL_MEMORY_NONE));
    CHECK(dnnl_memory_create(&p->bias, &bias_md, p->eng, DNNL_MEMORY_NONE));
    dnnl_primitive_destroy(reorder);
    dnnl_primitive_desc_destroy(rpd);
    dnnl_primitive_desc_destroy(pd);
    dnnl_memory_destroy(wuser);
    p->m = a->m;
    p->ldx = a->ldx;
    p->ldy = a->ldy;
    p->has_bias = a->bias != NULL;
}

void sb_onednn_linear(const sb_linear_args *a, sb_pool *pool)
{
    dnnl_w *p = (dnnl_w *)a->w; /* the primitive is built on first use, then reused */
    cpu_set_t pinned, all;
    int widened = pthread_getaffinity_np(pthread_self(), sizeof(pinned), &pinned) == 0;
    if (widened) {
        memset(&all, 0xff, sizeof(all)); /* the kernel keeps only the PUs we may use */
        widened = pthread_setaffinity_np(pthread_self(), sizeof(all), &all) == 0;
    }
    omp_set_num_threads(sb_pool_threads(pool));
    if (!p->prim || p->m != a->m || p->ldx != a->ldx || p->ldy != a->ldy ||
        p->has_bias != (a->bias != NULL))
        build(p, a);
    CHECK(dnnl_memory_set_data_handle(p->src, (void *)a->x));
    CHECK(dnnl_memory_set_data_handle(p->dst, a->y));
    dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, p->src}, {DNNL_ARG_WEIGHTS, p->wei},
                               {DNNL_ARG_DST, p->dst}, {DNNL_ARG_BIAS, p->bias}};
    if (a->bias)
        CHECK(dnnl_memory_set_data_handle(p->bias, (void *)a->bias));
    CHECK(dnnl_primitive_execute(p->prim, p->stream, a->bias ? 4 : 3, args));
    CHECK(dnnl_stream_wait(p->stream));
    if (widened)
        pthread_setaffinity_np(pthread_self(), sizeof(pinned), &pinned);
    sb_linear_epilogue_all(a, pool); /* a fused layer's epilogue: a second pass, portable code */
}
