/*
 * scratch.h - per-thread scratch for kernels. Pool workers are persistent, so
 * a buffer that only grows is allocated on a kernel's first (warmup) call and
 * reused by every timed call after it: kernels allocate nothing while timed.
 */
#ifndef SB_SCRATCH_H
#define SB_SCRATCH_H
#include <stddef.h>

/*
 * At least bytes of 64-byte aligned memory owned by the calling thread in one
 * of its slots (a task's buffer; a whole layer's buffer, shared with the tasks
 * the calling thread hands out), valid until the next call for that slot. Aborts with a message if the memory cannot be had (a
 * kernel has no error path; the runner's first call happens before timing).
 */
enum { SB_SCRATCH_TASK, SB_SCRATCH_LAYER, SB_SCRATCH_SLOTS };
void *sb_thread_scratch(int slot, size_t bytes);
#endif
