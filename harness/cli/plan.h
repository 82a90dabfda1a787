/*
 * plan.h - a run's sweep as a list of cases (design.md section 3, harness "plan"): the grid of
 * layers x kernels x variants for one thread count, --shard's share of it, and the cases a
 * resumed run has stored already.
 */
#ifndef SB_PLAN_H
#define SB_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include "runner.h"
#include "sb_status.h"
#include "store.h"

/* What a sweep covers, resolved from the options. */
typedef struct sb_sweep {
    sb_workload_kind kind;
    const sb_shape *shape;
    const sb_layer *layers;        /* [nlayers]; one unused entry for block and step */
    size_t nlayers;
    const sb_variant *const *vars; /* [nvar] */
    size_t nvar;
    const sb_kernel *const *kerns; /* [nkern]; NULL = auto */
    size_t nkern;
    const sb_pin *pin;
} sb_sweep;

/* --shard i/n: this process runs the units u with u mod count == index. */
typedef struct sb_shard {
    long index; /* 0 .. count-1 */
    long count; /* 1: the whole sweep */
} sb_shard;

/*
 * Parse "i/n" (0 <= i < n, n >= 1, both decimal) into out; on error err names the input and
 * what is wrong, and SB_EINVAL is returned.
 */
sb_status sb_shard_parse(const char *s, sb_shard *out, char *err, size_t errlen);

/*
 * The cases of one thread count into out (room for every case that applies; NULL: only count
 * them): kernel-major, then variant, then layer; with interleave, layer-major, so a layer's
 * cases are adjacent. lidx[i] is case i's layer index. Returns the count.
 */
size_t sb_plan_cases(const sb_sweep *sw, int threads, bool interleave, sb_case_spec *out,
                     size_t *lidx);

/*
 * The units of a plan of n cases: one per case, or with interleave one per layer (a run of
 * equal lidx), as a unit is measured as a whole.
 */
size_t sb_plan_units(const size_t *lidx, size_t n, bool interleave);

/*
 * Keep in specs[0..n) (and lidx), in order, the cases of the units shard runs, the plan's
 * first unit being number unit0 of the whole sweep; returns how many are left.
 */
size_t sb_plan_shard(sb_shard shard, size_t unit0, bool interleave, sb_case_spec *specs,
                     size_t *lidx, size_t n);

/*
 * Remove from specs[0..n) (and lidx) the cases run_id already has, in order; returns how many
 * are left. *stored counts those removed, *cut those of them with fewer than reps repetitions
 * (a stop cut them short; they are kept as they are); both may be NULL. SIZE_MAX on a
 * database error.
 */
size_t sb_plan_drop_stored(sb_store *store, const char *run_id, int reps, sb_case_spec *specs,
                           size_t *lidx, size_t n, size_t *stored, size_t *cut);

#endif
