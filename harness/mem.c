/*
 * mem.c - large buffers on transparent huge pages, and the memory available for more (mem.h).
 */
#include "mem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

size_t sb_mem_size(size_t bytes)
{
    size_t n = (bytes + 63) & ~(size_t)63;
    if (n >= SB_HUGE_PAGE)
        n = (n + SB_HUGE_PAGE - 1) & ~(size_t)(SB_HUGE_PAGE - 1);
    return n ? n : 64;
}

void *sb_mem_alloc(size_t bytes, size_t *taken)
{
    size_t n = sb_mem_size(bytes);
    int huge = n >= SB_HUGE_PAGE;
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

double sb_mem_available(const char *meminfo)
{
    char buf[4096];
    if (!meminfo) {
        FILE *f = fopen("/proc/meminfo", "r");
        size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
        if (f)
            fclose(f);
        buf[n] = '\0';
        meminfo = buf;
    }
    /* a line "MemAvailable:   12345678 kB" */
    for (const char *l = meminfo; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        unsigned long long kb;
        char unit[4];
        if (strncmp(l, "MemAvailable:", 13) == 0)
            return sscanf(l + 13, "%llu %3s", &kb, unit) == 2 && strcmp(unit, "kB") == 0
                       ? (double)kb * 1024.0
                       : 0.0;
    }
    return 0.0;
}
