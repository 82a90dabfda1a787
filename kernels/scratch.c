/* scratch.c - grow-only per-thread scratch buffer (see scratch.h). */
#include "scratch.h"

#include <stdio.h>
#include <stdlib.h>

static _Thread_local void *buf[SB_SCRATCH_SLOTS];
static _Thread_local size_t have[SB_SCRATCH_SLOTS];

void *sb_thread_scratch(int slot, size_t bytes)
{
    if (have[slot] < bytes) {
        free(buf[slot]);
        if ((buf[slot] = aligned_alloc(64, (bytes + 63) & ~(size_t)63)) == NULL) {
            fprintf(stderr, "sorabench: cannot allocate %zu bytes of kernel scratch\n", bytes);
            abort();
        }
        have[slot] = bytes;
    }
    return buf[slot];
}
