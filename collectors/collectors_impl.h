/* collectors_impl.h - the collector rows defined in this folder, and what the counter collectors share. */
#ifndef SB_COLLECTORS_IMPL_H
#define SB_COLLECTORS_IMPL_H
#include <stdbool.h>
#include "collector.h"
#include "sb_config.h"

extern const sb_collector_ops sb_collector_time;
extern const sb_collector_ops sb_collector_rusage;
extern const sb_collector_ops sb_collector_perf;   /* SB_HAVE_LIBPFM */
extern const sb_collector_ops sb_collector_papi;   /* SB_HAVE_PAPI */

/* pmu.c: facts about this host's perf_event support, for reasons. */

/* Does the kernel have a hardware (core) PMU registered in /sys/bus/event_source? */
bool sb_pmu_hw_present(void);

/* kernel.perf_event_paranoid, or -100 when unreadable. */
int sb_pmu_paranoid(void);

/*
 * Why opening an event failed, from the errno of perf_event_open (or the
 * equivalent PAPI condition) and whether the event needs a hardware PMU.
 */
void sb_pmu_reason(int err, bool hw_event, char *buf, size_t len);

typedef enum { SB_EVENT_UNKNOWN = -1, SB_EVENT_SOFTWARE = 0, SB_EVENT_HARDWARE = 1 } sb_event_kind;

/*
 * What libpfm4 makes of a native event name: unknown, a software event, or
 * one that needs a hardware PMU. Without libpfm4, every name is "hardware".
 */
sb_event_kind sb_pmu_event_kind(const char *name);

/* pfm_initialize() once per process; its status (PFM_SUCCESS = 0). */
int sb_pmu_pfm_init(void);

#if SB_HAVE_LIBPFM
struct perf_event_attr;
/* libpfm4's perf_event encoding of a native name, user space only; a PFM_ status. */
int sb_pmu_encode(const char *name, struct perf_event_attr *attr);
#endif

/* Fill a counter row's identity (alias, native event, unit "count"). */
void sb_counter_init(sb_counter *c, const sb_event_req *req);

#endif
