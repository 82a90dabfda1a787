/* calibrate.c - peak probes timed on a pool, and the memory levels (see calibrate.h). */
#include "calibrate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "collector.h"
#include "mem.h"
#include "stats.h"

enum { MAX_WORKERS = 4096 };

/* What every worker runs: the probe for iters iterations, on its own arrays. */
typedef struct calib_ctx {
    const sb_probe *p;
    uint64_t iters;
    size_t n;                         /* floats per array (bandwidth) */
    float *buf[MAX_WORKERS];          /* a, b, c back to back, per worker */
    double sink[MAX_WORKERS];
} calib_ctx;

static void alloc_task(void *arg, size_t task, int w)
{
    calib_ctx *c = arg;
    (void)task;
    float *f = sb_mem_alloc(3 * c->n * sizeof(float), NULL);
    for (size_t i = 0; f && i < c->n; i++) { /* first touch here, on the worker's own node */
        f[i] = 0.0f;
        f[c->n + i] = 1.0f;
        f[2 * c->n + i] = 2.0f;
    }
    c->buf[w] = f;
}

static void probe_task(void *arg, size_t task, int w)
{
    calib_ctx *c = arg;
    (void)task;
    if (c->p->kind == SB_PROBE_COMPUTE) {
        c->sink[w] = c->p->compute(c->iters);
        return;
    }
    float *f = c->buf[w];
    for (uint64_t i = 0; i < c->iters; i++)
        c->p->triad(f, f + c->n, f + 2 * c->n, 0.5f, c->n);
}

/* ns of one run of every worker. */
static uint64_t time_once(sb_pool *pool, calib_ctx *c)
{
    uint64_t t0 = sb_clock_ns();
    sb_pool_each(pool, probe_task, c);
    return sb_clock_ns() - t0;
}

sb_status sb_calib_measure(sb_pool *pool, const sb_probe *p, size_t bytes,
                           const sb_calib_opts *o, sb_calib_result *out, char *err,
                           size_t errlen)
{
    int threads = sb_pool_threads(pool);
    calib_ctx *c = calloc(1, sizeof(*c));
    sb_status ret = SB_OK;
    uint64_t ns = 0, min_ns = (uint64_t)(o->min_time_s * 1e9);

    memset(out, 0, sizeof(*out));
    if (!c || (out->rate = malloc((size_t)o->reps * sizeof(double))) == NULL) {
        snprintf(err, errlen, "out of memory");
        ret = SB_ENOMEM;
        goto out;
    }
    if (threads > MAX_WORKERS) {
        snprintf(err, errlen, "%d threads: at most %d", threads, MAX_WORKERS);
        ret = SB_EINVAL;
        goto out;
    }
    c->p = p;
    if (p->kind == SB_PROBE_BANDWIDTH) {
        c->n = bytes / (3 * sizeof(float)) / 16 * 16; /* whole cache lines per array */
        if (c->n == 0) {
            snprintf(err, errlen, "%zu bytes hold no triad", bytes);
            ret = SB_EINVAL;
            goto out;
        }
        sb_pool_each(pool, alloc_task, c);
        for (int w = 0; w < threads; w++)
            if (!c->buf[w]) {
                snprintf(err, errlen, "out of memory for %d x %zu bytes", threads, bytes);
                ret = SB_ENOMEM;
                goto out;
            }
        out->ops = sb_triad_bytes(c->n);
        c->iters = 1;
    } else {
        out->ops = sb_probe_ops(p);
        c->iters = 256;
    }
    /* grow the iterations until one repetition lasts min_time_s */
    while ((ns = time_once(pool, c)) < min_ns && c->iters < (UINT64_C(1) << 40)) {
        double f = ns ? 1.25 * (double)min_ns / (double)ns : 1000.0;
        c->iters = (uint64_t)ceil((double)c->iters * (f < 2.0 ? 2.0 : f > 1000.0 ? 1000.0 : f));
    }
    out->iters = c->iters;
    for (int r = 0; r < o->reps && !(o->stop && *o->stop); r++) {
        ns = time_once(pool, c);
        out->rate[out->reps++] = (double)threads * out->ops * (double)c->iters / (double)(ns ? ns : 1);
    }
    sb_summary s;
    sb_summarize(out->rate, (size_t)out->reps, &s);
    out->median = s.median;
    out->mad = s.mad;
    out->best = s.max;
out:
    if (c)
        for (int w = 0; w < threads && w < MAX_WORKERS; w++)
            free(c->buf[w]);
    free(c);
    if (ret != SB_OK)
        sb_calib_result_free(out);
    return ret;
}

void sb_calib_result_free(sb_calib_result *r)
{
    free(r->rate);
    memset(r, 0, sizeof(*r));
}

void sb_calib_levels(sb_topo *topo, int threads, sb_calib_level out[SB_CALIB_LEVELS])
{
    static const struct {
        const char *name;
        hwloc_obj_type_t type;
    } caches[] = {{"L1", HWLOC_OBJ_L1CACHE}, {"L2", HWLOC_OBJ_L2CACHE}, {"L3", HWLOC_OBJ_L3CACHE}};
    size_t l3 = sb_topo_cache_bytes(topo, HWLOC_OBJ_L3CACHE), below = 0;
    double avail = sb_mem_available(NULL);

    for (size_t i = 0; i < SB_CALIB_LEVELS; i++) {
        sb_calib_level *l = &out[i];
        memset(l, 0, sizeof(*l));
        if (i < 3) {
            size_t size = sb_topo_cache_bytes(topo, caches[i].type);
            l->name = caches[i].name;
            l->bytes = caches[i].type == HWLOC_OBJ_L3CACHE ? size / 2 / (size_t)threads : size / 2;
            if (size == 0)
                snprintf(l->why, sizeof(l->why), "hwloc does not know the %s size", l->name);
            else if (l->bytes <= below)
                snprintf(l->why, sizeof(l->why), "half of %s shared by %d threads is no more "
                         "than the level below", l->name, threads);
        } else {
            size_t all = 4 * l3 > ((size_t)256 << 20) ? 4 * l3 : (size_t)256 << 20;
            l->name = "DRAM";
            l->bytes = all / (size_t)threads;
            if (avail > 0 && (double)all > avail / 4)
                snprintf(l->why, sizeof(l->why), "%zu MiB is more than a quarter of the memory "
                         "available", all >> 20);
        }
        if (l->why[0])
            l->bytes = 0;
        else
            below = l->bytes;
    }
}
