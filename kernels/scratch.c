/* scratch.c - grow-only per-thread scratch buffer (see scratch.h). */
#include "scratch.h"

#include <stdio.h>
#include <stdlib.h>

static _Thread_local void *buf;
static _Thread_local size_t have;

void *sb_thread_scratch(size_t bytes)
{
    if (have < bytes) {
        free(buf);
        if ((buf = aligned_alloc(64, (bytes + 63) & ~(size_t)63)) == NULL) {
            fprintf(stderr, "sorabench: cannot allocate %zu bytes of kernel scratch\n", bytes);
            abort();
        }
        have = bytes;
    }
    return buf;
}
