/* split.c - splitting row ranges over the pool for the reference kernels. */
#include "ref.h"

typedef struct split_ctx {
    sb_rows_fn fn;
    const void *args;
    size_t rows, chunk;    /* rows in total, rows per task */
} split_ctx;

static void split_task(void *ctx, size_t t, int worker)
{
    const split_ctx *c = ctx;
    size_t r0 = t * c->chunk, r1 = r0 + c->chunk;
    (void)worker;
    c->fn(c->args, r0, r1 < c->rows ? r1 : c->rows);
}

void sb_ref_split_rows(sb_pool *pool, size_t rows, size_t min_rows, sb_rows_fn fn,
                       const void *args)
{
    size_t workers = (size_t)sb_pool_threads(pool);
    size_t chunk = (rows + 4 * workers - 1) / (4 * workers); /* ~4 tasks per worker */
    if (chunk < min_rows)
        chunk = min_rows;
    if (chunk == 0)
        chunk = 1;
    split_ctx c = {.fn = fn, .args = args, .rows = rows, .chunk = chunk};
    sb_pool_run(pool, split_task, &c, (rows + chunk - 1) / chunk);
}
