/* plan.c - a run's sweep as a list of cases: grid, shard, stored cases (see plan.h). */
#include "plan.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

sb_status sb_shard_parse(const char *s, sb_shard *out, char *err, size_t errlen)
{
    char *end = NULL, *slash = NULL;
    long i, n;
    errno = 0;
    if (s[0] >= '0' && s[0] <= '9')
        i = strtol(s, &slash, 10);
    if (!slash || *slash != '/' || slash[1] < '0' || slash[1] > '9' ||
        (n = strtol(slash + 1, &end, 10), *end) || errno) {
        snprintf(err, errlen, "'%s' is not i/n (shard i of n, counted from 0: 0/4 .. 3/4)", s);
        return SB_EINVAL;
    }
    if (n < 1 || i >= n) {
        snprintf(err, errlen, "'%s': shard %ld of %ld does not exist (n >= 1, 0 <= i < n)", s, i,
                 n);
        return SB_EINVAL;
    }
    *out = (sb_shard){.index = i, .count = n};
    return SB_OK;
}

/*
 * Does a case of (kernel choice, variant, layer) exist? A layer runs in the variants that have
 * it (fused layers in -fused variants, the pairs they replace in the others); "auto" (NULL)
 * covers every kernel.
 */
static bool case_applies(const sb_kernel *k, const sb_variant *v, sb_workload_kind kind,
                         const sb_layer *layer)
{
    if (kind == SB_WL_LAYER && !sb_layer_in_variant(layer, v->fused))
        return false;
    if (!k)
        return true;
    if (k->dtype != v->dtype || k->fused != v->fused)
        return false;
    return kind != SB_WL_LAYER || layer->op == k->op;
}

size_t sb_plan_cases(const sb_sweep *sw, int threads, bool interleave, sb_case_spec *out,
                     size_t *lidx)
{
    size_t n = 0;
    for (size_t l0 = 0; l0 < (interleave ? sw->nlayers : 1); l0++)
        for (size_t k = 0; k < sw->nkern; k++)
            for (size_t v = 0; v < sw->nvar; v++)
                for (size_t l = interleave ? l0 : 0; l < (interleave ? l0 + 1 : sw->nlayers); l++) {
                    if (!case_applies(sw->kerns[k], sw->vars[v], sw->kind, &sw->layers[l]))
                        continue;
                    if (out) {
                        out[n] = (sb_case_spec){.kind = sw->kind, .shape = *sw->shape,
                                                .variant = sw->vars[v], .threads = threads,
                                                .pin = sw->pin, .force = sw->kerns[k]};
                        if (sw->kind == SB_WL_LAYER)
                            out[n].layer = sw->layers[l];
                        lidx[n] = l;
                    }
                    n++;
                }
    return n;
}

/* Does case i of a plan start a unit: every case, or with interleave a new layer's group? */
static bool unit_starts(const size_t *lidx, size_t i, bool interleave)
{
    return !interleave || i == 0 || lidx[i] != lidx[i - 1];
}

size_t sb_plan_units(const size_t *lidx, size_t n, bool interleave)
{
    size_t units = 0;
    for (size_t i = 0; i < n; i++)
        units += unit_starts(lidx, i, interleave);
    return units;
}

size_t sb_plan_shard(sb_shard shard, size_t unit0, bool interleave, sb_case_spec *specs,
                     size_t *lidx, size_t n)
{
    size_t left = 0, unit = unit0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && unit_starts(lidx, i, interleave))
            unit++;
        if ((long)(unit % (size_t)shard.count) != shard.index)
            continue;
        specs[left] = specs[i];
        lidx[left++] = lidx[i];
    }
    return left;
}

size_t sb_plan_drop_stored(sb_store *store, const char *run_id, int reps, sb_case_spec *specs,
                           size_t *lidx, size_t n, size_t *stored, size_t *cut)
{
    size_t left = 0;
    for (size_t i = 0; i < n; i++) {
        char key[256];
        int have = -1;
        sb_case_key(&specs[i], key, sizeof(key));
        if (sb_store_case_reps(store, run_id, key, sb_case_choice(&specs[i]), &have) != SB_OK)
            return SIZE_MAX;
        if (have < 0) {
            specs[left] = specs[i];
            lidx[left++] = lidx[i];
            continue;
        }
        if (stored)
            (*stored)++;
        if (cut)
            *cut += have < reps;
    }
    return left;
}
