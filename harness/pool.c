/*
 * pool.c - persistent pinned pthread pool (see pool.h).
 *
 * Dispatch: the caller publishes (fn, ctx, n_tasks), bumps a generation number
 * and wakes the workers; tasks are claimed with an atomic counter, so uneven
 * tasks balance themselves. Completion is an atomic count of workers still
 * busy; the last one signals the caller. Workers and the caller spin for a
 * short while before sleeping, which keeps back-to-back small kernels cheap.
 */
#include "pool.h"

#include <hwloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "topo.h"

#define SPIN_ROUNDS 20000  /* polls before a worker or the caller sleeps */

typedef struct worker {
    struct sb_pool *pool;
    int id;                /* 0 = the creating thread */
    pthread_t thread;      /* unused for id 0 */
    hwloc_bitmap_t pus;    /* OS PU indices seen since the last reset */
    hwloc_bitmap_t bind;   /* where to bind; NULL = unbound */
} worker;

struct sb_pool {
    int n;                         /* workers, including the caller */
    int n_started;                 /* helper threads actually created */
    worker *w;                     /* [n] */
    struct sb_topo *topo;
    pthread_mutex_t mu;            /* guards sleeping/waking below */
    pthread_cond_t cv_start;       /* workers wait here for a new generation */
    pthread_cond_t cv_done;        /* the caller waits here for completion */
    _Atomic unsigned long gen;     /* bumped once per sb_pool_run */
    atomic_bool quit;
    sb_task_fn fn;                 /* current job, valid while gen is current */
    void *ctx;
    size_t n_tasks;
    bool each;                     /* sb_pool_each: every worker runs fn once */
    atomic_size_t next;            /* next task to claim */
    atomic_int busy;               /* helper workers still in the current job */
    int bind_error;                /* first worker bind failure (errno style) */
};

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static void record_pu(worker *w)
{
    int cpu = sched_getcpu();
    if (cpu >= 0)
        hwloc_bitmap_set(w->pus, (unsigned)cpu);
}

static void do_tasks(sb_pool *p, worker *w)
{
    size_t t;
    if (p->each) {
        p->fn(p->ctx, (size_t)w->id, w->id);
        record_pu(w);
        return;
    }
    while ((t = atomic_fetch_add_explicit(&p->next, 1, memory_order_relaxed)) < p->n_tasks)
        p->fn(p->ctx, t, w->id);
    record_pu(w);
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    sb_pool *p = w->pool;
    unsigned long seen = 0;

    if (w->bind && sb_topo_bind_self(p->topo, w->bind) != SB_OK) {
        pthread_mutex_lock(&p->mu);
        p->bind_error = 1;
        pthread_mutex_unlock(&p->mu);
    }
    for (;;) {
        for (int i = 0; i < SPIN_ROUNDS; i++) {
            if (atomic_load_explicit(&p->gen, memory_order_acquire) != seen ||
                atomic_load(&p->quit))
                break;
            cpu_relax();
        }
        pthread_mutex_lock(&p->mu);
        while (atomic_load(&p->gen) == seen && !atomic_load(&p->quit))
            pthread_cond_wait(&p->cv_start, &p->mu);
        pthread_mutex_unlock(&p->mu);
        if (atomic_load(&p->quit))
            break;
        seen = atomic_load(&p->gen);
        do_tasks(p, w);
        if (atomic_fetch_sub_explicit(&p->busy, 1, memory_order_acq_rel) == 1) {
            pthread_mutex_lock(&p->mu);
            pthread_cond_signal(&p->cv_done);
            pthread_mutex_unlock(&p->mu);
        }
    }
    return NULL;
}

sb_status sb_pool_create(sb_pool **out, struct sb_topo *topo, int n_threads,
                         const struct sb_pin *pin, char *err, size_t errlen)
{
    sb_status st = SB_OK;
    sb_pool *p = NULL;

    *out = NULL;
    if (n_threads < 1) {
        snprintf(err, errlen, "thread count %d must be at least 1", n_threads);
        return SB_EINVAL;
    }
    if ((p = calloc(1, sizeof(*p))) == NULL || (p->w = calloc((size_t)n_threads, sizeof(worker))) == NULL) {
        st = SB_ENOMEM;
        goto out;
    }
    p->n = n_threads;
    p->topo = topo;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv_start, NULL);
    pthread_cond_init(&p->cv_done, NULL);
    for (int i = 0; i < n_threads; i++) {
        worker *w = &p->w[i];
        w->pool = p;
        w->id = i;
        if ((w->pus = hwloc_bitmap_alloc()) == NULL) {
            st = SB_ENOMEM;
            goto out;
        }
        if (pin && topo && pin->kind != SB_PIN_NONE) {
            if ((w->bind = hwloc_bitmap_alloc()) == NULL) {
                st = SB_ENOMEM;
                goto out;
            }
            if ((st = sb_topo_worker_set(topo, pin, n_threads, i, w->bind)) != SB_OK) {
                snprintf(err, errlen, "cannot compute the cpuset of worker %d for --pin %s", i,
                         pin->text);
                goto out;
            }
        }
    }
    if (p->w[0].bind && sb_topo_bind_self(topo, p->w[0].bind) != SB_OK) {
        snprintf(err, errlen, "cannot bind the main thread for --pin %s", pin->text);
        st = SB_ESYS;
        goto out;
    }
    for (int i = 1; i < n_threads; i++) {
        if (pthread_create(&p->w[i].thread, NULL, worker_main, &p->w[i]) != 0) {
            snprintf(err, errlen, "cannot start worker thread %d", i);
            st = SB_ESYS;
            goto out;
        }
        p->n_started = i;
    }
    /* Make sure every worker has bound itself before the first timed run. */
    sb_pool_each(p, NULL, NULL);
    if (p->bind_error) {
        snprintf(err, errlen, "a worker could not bind itself for --pin %s", pin->text);
        st = SB_ESYS;
        goto out;
    }
    *out = p;
    p = NULL;
out:
    sb_pool_destroy(p);
    return st;
}

void sb_pool_destroy(sb_pool *p)
{
    if (!p)
        return;
    if (p->w) {
        pthread_mutex_lock(&p->mu);
        atomic_store(&p->quit, true);
        pthread_cond_broadcast(&p->cv_start);
        pthread_mutex_unlock(&p->mu);
        for (int i = 1; i <= p->n_started; i++)
            pthread_join(p->w[i].thread, NULL);
        for (int i = 0; i < p->n; i++) {
            if (p->w[i].pus)
                hwloc_bitmap_free(p->w[i].pus);
            if (p->w[i].bind)
                hwloc_bitmap_free(p->w[i].bind);
        }
    }
    pthread_cond_destroy(&p->cv_start);
    pthread_cond_destroy(&p->cv_done);
    pthread_mutex_destroy(&p->mu);
    free(p->w);
    free(p);
}

static void noop(void *ctx, size_t t, int w)
{
    (void)ctx, (void)t, (void)w;
}

static void dispatch(sb_pool *p, sb_task_fn fn, void *ctx, size_t n_tasks, bool each)
{
    if (!fn)
        fn = noop;
    if (!p || p->n == 1) {
        for (size_t t = 0; t < (each ? 1 : n_tasks); t++)
            fn(ctx, t, 0);
        if (p)
            record_pu(&p->w[0]);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->ctx = ctx;
    p->n_tasks = n_tasks;
    p->each = each;
    atomic_store(&p->next, 0);
    atomic_store(&p->busy, p->n - 1);
    atomic_fetch_add_explicit(&p->gen, 1, memory_order_release);
    pthread_cond_broadcast(&p->cv_start);
    pthread_mutex_unlock(&p->mu);

    do_tasks(p, &p->w[0]);

    for (int i = 0; i < SPIN_ROUNDS && atomic_load_explicit(&p->busy, memory_order_acquire) > 0; i++)
        cpu_relax();
    if (atomic_load_explicit(&p->busy, memory_order_acquire) > 0) {
        pthread_mutex_lock(&p->mu);
        while (atomic_load(&p->busy) > 0)
            pthread_cond_wait(&p->cv_done, &p->mu);
        pthread_mutex_unlock(&p->mu);
    }
}

void sb_pool_run(sb_pool *p, sb_task_fn fn, void *ctx, size_t n_tasks)
{
    dispatch(p, fn, ctx, n_tasks, false);
}

void sb_pool_each(sb_pool *p, sb_task_fn fn, void *ctx)
{
    dispatch(p, fn, ctx, 0, true);
}

int sb_pool_threads(const sb_pool *p) { return p ? p->n : 1; }

void sb_pool_pus_reset(sb_pool *p)
{
    for (int i = 0; p && i < p->n; i++)
        hwloc_bitmap_zero(p->w[i].pus);
}

void sb_pool_pus_describe(sb_pool *p, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; p && i < p->n && used < len; i++) {
        char *list = NULL;
        if (hwloc_bitmap_list_asprintf(&list, p->w[i].pus) < 0)
            return;
        int k = snprintf(buf + used, len - used, "%s%s", i ? ";" : "",
                         hwloc_bitmap_iszero(p->w[i].pus) ? "?" : list);
        free(list);
        if (k < 0)
            return;
        used += (size_t)k;
    }
}
