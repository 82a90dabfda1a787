/*
 * mem.h - memory for large activation buffers: on transparent huge pages where the kernel
 * grants them, so that a kernel walking rows far apart (the temporal sequences) does not miss
 * the TLB on every token. Shared by the graph and the benchmarks, so both time the same pages.
 * And how much memory the host has free for more of them.
 */
#ifndef SB_MEM_H
#define SB_MEM_H

#include <stddef.h>

enum { SB_HUGE_PAGE = 2u << 20 }; /* bytes */

/*
 * A buffer of at least bytes bytes, 64-byte aligned. From SB_HUGE_PAGE bytes on, it is
 * SB_HUGE_PAGE-aligned, rounded up to whole huge pages and asked for them with
 * madvise(MADV_HUGEPAGE): madvise needs a page-aligned range (on a 64-byte-aligned pointer it
 * failed with EINVAL). The hint may not be granted (THP "never", no free huge page; a run
 * records the THP mode, sysinfo.c); a refused hint is reported once on stderr and the buffer
 * is still returned. *taken (may be NULL): the bytes allocated. Returns NULL when out of
 * memory. Free with free().
 */
void *sb_mem_alloc(size_t bytes, size_t *taken);

/* Bytes sb_mem_alloc(bytes) takes (its *taken), without allocating: to plan before allocating. */
size_t sb_mem_size(size_t bytes);

/*
 * Bytes the kernel estimates a new allocation can take without swapping: MemAvailable of
 * meminfo, text in the form of /proc/meminfo, or /proc/meminfo itself when meminfo is NULL.
 * 0 when it cannot tell (no /proc, a kernel before 3.14, no such line).
 */
double sb_mem_available(const char *meminfo);

#endif
