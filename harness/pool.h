/*
 * pool.h - sb_pool, the persistent thread pool every kernel splits work over.
 *
 * n workers: the creating thread is worker 0, workers 1..n-1 are pthreads
 * created once and pinned once (topo.h policies). sb_pool_run() hands out tasks
 * 0..n_tasks-1 dynamically and returns when all are done. Between runs workers
 * spin briefly, then sleep on a condition variable. Each worker records the PUs
 * it actually ran on, so a case can store where its threads were.
 *
 * A NULL pool is valid everywhere and means "run on the calling thread".
 * One pool must not be used by two threads at once.
 */
#ifndef SB_POOL_H
#define SB_POOL_H

#include <stddef.h>
#include "sb_status.h"

typedef struct sb_pool sb_pool;
struct sb_topo;
struct sb_pin;

/* Task callback: do task number task on worker worker (0..threads-1). */
typedef void (*sb_task_fn)(void *ctx, size_t task, int worker);

/*
 * Create a pool of n_threads workers pinned by pin (NULL or "none": unbound).
 * On failure err names the cause (e.g. a PU that cannot be bound).
 */
sb_status sb_pool_create(sb_pool **out, struct sb_topo *topo, int n_threads,
                         const struct sb_pin *pin, char *err, size_t errlen);
void sb_pool_destroy(sb_pool *p);

/* Run fn(ctx, t, worker) for every t in [0, n_tasks); returns when all are done. */
void sb_pool_run(sb_pool *p, sb_task_fn fn, void *ctx, size_t n_tasks);

/*
 * Run fn(ctx, worker, worker) exactly once on every worker (0..threads-1),
 * each on its own thread; returns when all are done. For per-thread state
 * such as hardware counters, which must be opened by the thread they count.
 */
void sb_pool_each(sb_pool *p, sb_task_fn fn, void *ctx);

/* Number of workers (1 for a NULL pool). */
int sb_pool_threads(const sb_pool *p);

/* Forget the PUs recorded so far. */
void sb_pool_pus_reset(sb_pool *p);

/*
 * Describe the OS PU indices each worker ran on since the last reset, as
 * "0;1" (worker 0 on PU 0, worker 1 on PU 1) or "0,2;1" when a worker moved.
 */
void sb_pool_pus_describe(sb_pool *p, char *buf, size_t len);

#endif
