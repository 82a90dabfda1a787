/* topo.c - hwloc topology and pinning policies (see topo.h). */
#include "topo.h"

#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include "grammar.h"

struct sb_topo {
    hwloc_topology_t topo;   /* loaded topology of this machine */
};

sb_status sb_topo_open(sb_topo **out)
{
    sb_topo *t = calloc(1, sizeof(*t));
    if (!t)
        return SB_ENOMEM;
    if (hwloc_topology_init(&t->topo) != 0) {
        free(t);
        return SB_ESYS;
    }
    if (hwloc_topology_load(t->topo) != 0) {
        hwloc_topology_destroy(t->topo);
        free(t);
        return SB_ESYS;
    }
    *out = t;
    return SB_OK;
}

void sb_topo_close(sb_topo *t)
{
    if (!t)
        return;
    hwloc_topology_destroy(t->topo);
    free(t);
}

hwloc_topology_t sb_topo_hwloc(sb_topo *t) { return t->topo; }

int sb_topo_count(sb_topo *t, hwloc_obj_type_t type)
{
    int n = hwloc_get_nbobjs_by_type(t->topo, type);
    return n < 0 ? 0 : n;
}

size_t sb_topo_cache_bytes(sb_topo *t, hwloc_obj_type_t type)
{
    hwloc_obj_t o = hwloc_get_obj_by_type(t->topo, type, 0);
    return o && o->attr ? (size_t)o->attr->cache.size : 0;
}

sb_status sb_pin_parse(sb_topo *t, const char *s, sb_pin *out, char *err, size_t errlen)
{
    static const struct {
        const char *name;
        sb_pin_kind kind;
    } named[] = {{"none", SB_PIN_NONE}, {"compact", SB_PIN_COMPACT}, {"scatter", SB_PIN_SCATTER}};
    sb_status st;

    memset(out, 0, sizeof(*out));
    snprintf(out->text, sizeof(out->text), "%s", s);
    for (size_t i = 0; i < SB_ARRAY_LEN(named); i++)
        if (strcmp(s, named[i].name) == 0) {
            out->kind = named[i].kind;
            return SB_OK;
        }
    out->kind = SB_PIN_LIST;
    st = sb_intlist_parse(s, 0, 1 << 20, &out->cpus, &out->ncpus, err, errlen);
    if (st != SB_OK) {
        char inner[160];
        snprintf(inner, sizeof(inner), "%s", err);
        snprintf(err, errlen, "--pin '%s': expected compact, scatter, none or a cpu list (%s)", s,
                 inner);
        return st;
    }
    hwloc_const_bitmap_t allowed = hwloc_topology_get_allowed_cpuset(t->topo);
    for (size_t i = 0; i < out->ncpus; i++)
        if (!hwloc_bitmap_isset(allowed, (unsigned)out->cpus[i])) {
            snprintf(err, errlen, "--pin '%s': cpu %ld is not available to this process", s,
                     out->cpus[i]);
            sb_pin_free(out);
            return SB_EINVAL;
        }
    return SB_OK;
}

void sb_pin_free(sb_pin *p)
{
    if (!p)
        return;
    free(p->cpus);
    p->cpus = NULL;
    p->ncpus = 0;
}

sb_status sb_topo_worker_set(sb_topo *t, const sb_pin *p, int n, int w, hwloc_bitmap_t out)
{
    sb_status st = SB_OK;
    hwloc_bitmap_t *sets = NULL;

    switch (p->kind) {
    case SB_PIN_NONE:
        return SB_ENOSUPP;
    case SB_PIN_LIST:
        hwloc_bitmap_only(out, (unsigned)p->cpus[(size_t)w % p->ncpus]);
        return SB_OK;
    case SB_PIN_COMPACT: {
        int npu = sb_topo_count(t, HWLOC_OBJ_PU);
        hwloc_obj_t pu = hwloc_get_obj_by_type(t->topo, HWLOC_OBJ_PU, (unsigned)(w % npu));
        if (!pu)
            return SB_ESYS;
        hwloc_bitmap_copy(out, pu->cpuset);
        return SB_OK;
    }
    case SB_PIN_SCATTER: {
        hwloc_obj_t root = hwloc_get_root_obj(t->topo);
        if ((sets = calloc((size_t)n, sizeof(*sets))) == NULL)
            return SB_ENOMEM;
        for (int i = 0; i < n; i++)
            if ((sets[i] = hwloc_bitmap_alloc()) == NULL) {
                st = SB_ENOMEM;
                goto out;
            }
        if (hwloc_distrib(t->topo, &root, 1, sets, (unsigned)n, INT_MAX, 0) != 0) {
            st = SB_ESYS;
            goto out;
        }
        hwloc_bitmap_singlify(sets[w]); /* one PU, not a whole core's PUs */
        hwloc_bitmap_copy(out, sets[w]);
        break;
    }
    }
out:
    for (int i = 0; sets && i < n; i++)
        hwloc_bitmap_free(sets[i]);
    free(sets);
    return st;
}

sb_status sb_topo_bind_self(sb_topo *t, hwloc_const_bitmap_t set)
{
    return hwloc_set_cpubind(t->topo, set, HWLOC_CPUBIND_THREAD) == 0 ? SB_OK : SB_ESYS;
}
