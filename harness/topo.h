/*
 * topo.h - the machine topology (hwloc) and thread pinning policies.
 *
 * Policies: "compact" fills PUs in hwloc's logical order (neighbours share
 * caches), "scatter" spreads workers as far apart as possible (hwloc_distrib
 * over packages, then cores), "none" does not bind, and a cpu list
 * ("0,2,4-7", OS indices, the list grammar) binds worker i to the i-th listed
 * PU (cycling when there are more workers than PUs).
 */
#ifndef SB_TOPO_H
#define SB_TOPO_H

#include <hwloc.h>
#include <stddef.h>
#include "sb_status.h"

typedef struct sb_topo sb_topo;

typedef enum sb_pin_kind { SB_PIN_NONE, SB_PIN_COMPACT, SB_PIN_SCATTER, SB_PIN_LIST } sb_pin_kind;

typedef struct sb_pin {
    sb_pin_kind kind;
    long *cpus;            /* OS PU indices for SB_PIN_LIST (malloc'd) */
    size_t ncpus;
    char text[64];         /* the policy as written, stored with each case */
} sb_pin;

/* Load this machine's topology. */
sb_status sb_topo_open(sb_topo **out);
void sb_topo_close(sb_topo *t);
hwloc_topology_t sb_topo_hwloc(sb_topo *t);
int sb_topo_count(sb_topo *t, hwloc_obj_type_t type); /* objects of a type, >= 0 */

/* Size in bytes of the first cache of a type (HWLOC_OBJ_L1CACHE...), 0 if none. */
size_t sb_topo_cache_bytes(sb_topo *t, hwloc_obj_type_t type);

/* Parse a policy; a cpu list is checked against the PUs this process may use. */
sb_status sb_pin_parse(sb_topo *t, const char *s, sb_pin *out, char *err, size_t errlen);
void sb_pin_free(sb_pin *p);

/*
 * The cpuset worker w of n should be bound to. Returns SB_ENOSUPP for policy
 * "none" (leave the thread unbound); out is then untouched.
 */
sb_status sb_topo_worker_set(sb_topo *t, const sb_pin *p, int n, int w, hwloc_bitmap_t out);

/* Bind the calling thread to set. */
sb_status sb_topo_bind_self(sb_topo *t, hwloc_const_bitmap_t set);

#endif
