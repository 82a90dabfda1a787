/*
 * sysinfo.h - the environment record of design section 5: host and build.
 * Every field is read from the machine; what cannot be told is null (JSON
 * null, SQL NULL), never a guess.
 */
#ifndef SB_SYSINFO_H
#define SB_SYSINFO_H

#include <jansson.h>
#include "cpu.h"
#include "topo.h"

/* Host record as a new JSON object (caller json_decref's it). */
json_t *sb_sysinfo_host(sb_topo *topo, const sb_cpu *cpu);

/* Build record as a new JSON object. */
json_t *sb_sysinfo_build(void);

/* Environment knobs that change results (OMP_*, DNNL_*, LD_PRELOAD, SB_*). */
json_t *sb_sysinfo_env(void);

/* Microarchitecture name for this CPU, or NULL when not in our table. */
const char *sb_uarch_name(const sb_cpu *cpu);

#endif
