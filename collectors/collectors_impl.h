/* collectors_impl.h - the collector rows defined in this folder (see collector.h). */
#ifndef SB_COLLECTORS_IMPL_H
#define SB_COLLECTORS_IMPL_H
#include "collector.h"
extern const sb_collector_ops sb_collector_time;
extern const sb_collector_ops sb_collector_rusage;
#endif
