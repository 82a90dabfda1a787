/*
 * mem.c - large buffers on transparent huge pages (mem.h).
 */
#include "mem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

void *sb_mem_alloc(size_t bytes, size_t *taken)
{
    size_t n = (bytes + 63) & ~(size_t)63;
    int huge = n >= SB_HUGE_PAGE;
    if (huge)
        n = (n + SB_HUGE_PAGE - 1) & ~(size_t)(SB_HUGE_PAGE - 1);
    if (n == 0)
        n = 64;
    void *p = aligned_alloc(huge ? SB_HUGE_PAGE : 64, n);
    if (p && huge && madvise(p, n, MADV_HUGEPAGE) != 0) {
        static int warned;
        if (!warned++)
            fprintf(stderr, "sorabench: madvise(MADV_HUGEPAGE) failed (%s); buffers stay on"
                            " 4 KiB pages\n", strerror(errno));
    }
    if (p && taken)
        *taken = n;
    return p;
}
