/*
 * groups.h - event groups: named sets of native events with derived metrics,
 * one INI file per microarchitecture in collectors/groups/ (embedded in the
 * binary at build time, read with inih). A metric is an SQLite expression over
 * the group's event aliases and ns, iters, threads, vl_scale; the analysis
 * evaluates it in SQLite over stored counters (see analysis/metrics.h).
 *
 * --events takes a list of items, each one of:
 *   GROUP        (core, cache, stall, simd, software): from the file of this
 *                host's PMU if it has the group, else generic.ini, else software.ini
 *   FILE.GROUP   (zen4.core, generic.stall, ...): exactly that one
 *   PMU::EVENT   a native event name (perf::CYCLES, arm_v1::CPU_CYCLES), alias = the name
 */
#ifndef SB_GROUPS_H
#define SB_GROUPS_H

#include <stddef.h>
#include "collector.h"
#include "sb_status.h"

enum { SB_GROUP_MAX_EVENTS = 16, SB_GROUP_MAX_METRICS = 12, SB_FILE_MAX_GROUPS = 8,
       SB_SET_MAX_EVENTS = 64, SB_SET_MAX_METRICS = 48 };

typedef struct sb_group_event {
    char alias[96];        /* [a-z0-9_]+ in a group, or a raw event name: what metrics and the store use */
    char event[192];       /* native name, as libpfm4 and PAPI spell it */
} sb_group_event;

typedef struct sb_group_metric {
    char name[48];
    char expr[256];        /* SQLite expression */
} sb_group_metric;

typedef struct sb_group {
    char name[32];
    char desc[160];
    sb_group_event ev[SB_GROUP_MAX_EVENTS];
    size_t nev;
    sb_group_metric m[SB_GROUP_MAX_METRICS];
    size_t nm;
} sb_group;

typedef struct sb_group_file {
    char file[48];         /* "zen4.ini" */
    char name[32];         /* [uarch] name: "zen4" */
    char pmu[48];          /* libpfm4 PMU that selects the file: "amd64_fam19h_zen4" ("perf": any) */
    char desc[128];
    sb_group g[SB_FILE_MAX_GROUPS];
    size_t ng;
} sb_group_file;

/*
 * Parse one group file's text. Fails (err: file, line, what) on a syntax
 * error, an unknown key, a bad alias, a missing [uarch] section, a group
 * without events, or more entries than the limits above.
 */
sb_status sb_group_file_parse(const char *text, const char *fname, sb_group_file *out,
                              char *err, size_t len);

/* Every embedded group file, parsed once; NULL and err when one is bad (a build error). */
const sb_group_file *sb_groups_files(size_t *n, char *err, size_t len);

/* The file whose PMU libpfm4 finds on this host (not generic/software), or NULL. */
const sb_group_file *sb_groups_host(void);

/* What a run counts: the events, deduplicated by alias, and the metrics. */
typedef struct sb_event_set {
    sb_event_req req[SB_SET_MAX_EVENTS];     /* point into ev[] */
    sb_group_event ev[SB_SET_MAX_EVENTS];
    size_t n;
    struct {
        char group[64];                      /* "zen4.core" */
        sb_group_metric m;
    } metric[SB_SET_MAX_METRICS];
    size_t nmetrics;
    char desc[256];                          /* "zen4.core, software.software" */
} sb_event_set;

/*
 * Resolve a --events list. err names the bad item: an unknown group or
 * event syntax, or one alias bound to two different events.
 */
sb_status sb_event_set_parse(const char *spec, sb_event_set *out, char *err, size_t len);

#endif
