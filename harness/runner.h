/*
 * runner.h - measures one case, or several interleaved: build its graph
 * (untimed), warm up, calibrate the inner iteration count, time N repetitions
 * with the collectors around each, then hand everything to the store in one
 * transaction per case.
 *
 * Warmup runs whole iterations until both warmup_iters and warmup_s are
 * reached; the fastest warmup iteration sets inner_iters so one sample lasts
 * at least min_time_s. A layer case whose data must be put back
 * (sb_graph_restore_every: q/k RMSNorm alone) runs at most that many
 * iterations per sample, and its data are put back before a sample that would
 * pass it, outside the timed region. Each repetition's start (sb_clock_ns) is
 * stored with it. In block and step cases every node is timed inside each
 * repetition too, so the whole decomposes into layers. A case whose kernels
 * are not all the FP32 reference first runs once beside the reference on the
 * same inputs, and the error of its output is stored with it.
 */
#ifndef SB_RUNNER_H
#define SB_RUNNER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include "collector.h"
#include "graph.h"
#include "pool.h"
#include "store.h"
#include "topo.h"

typedef struct sb_run_opts {
    double min_time_s;     /* minimum duration of one sample (seconds) */
    double warmup_s;       /* minimum warmup duration (seconds) */
    long warmup_iters;     /* minimum warmup iterations */
    int reps;              /* repetitions (samples) per case */
    uint64_t seed;         /* weights and inputs */
    sb_isa_mask isa;       /* host features kernels may use */
    bool isa_capped;       /* isa is capped (run --isa, SB_ISA_CAP): providers are held to it too */
    bool accuracy;         /* compare non-reference cases with the FP32 reference */
    const sb_event_req *events;              /* counter events (--events), or NULL */
    size_t nevents;
    const sb_collector_ops *counters[4];     /* counter collectors that count them */
    size_t ncounters;
    const volatile sig_atomic_t *stop;       /* NULL, or set (a signal handler) to end the cases
                                                after the round of repetitions in flight */
} sb_run_opts;

/* One case of a sweep. */
typedef struct sb_case_spec {
    sb_workload_kind kind;
    sb_shape shape;
    sb_layer layer;        /* SB_WL_LAYER only */
    const sb_variant *variant;
    int threads;
    const sb_pin *pin;
    const sb_kernel *force;  /* kernel chosen by name (--kernel), or NULL: the registry's */
} sb_case_spec;

/* Canonical key of a case: joins the same case across runs. */
void sb_case_key(const sb_case_spec *c, char *buf, size_t len);

/* Its kernel choice, stored beside the key: the kernel named by --kernel, or "auto". */
const char *sb_case_choice(const sb_case_spec *c);

/*
 * Measure one case on pool (sb_pool_threads(pool) == c->threads) and store
 * it under run_id. On failure err (errlen > 0) says what; nothing is stored
 * for the case.
 */
sb_status sb_runner_case(const sb_case_spec *c, const sb_run_opts *o, sb_pool *pool,
                         sb_store *store, const char *run_id, char *err, size_t errlen);

/*
 * Measure n cases (all with c[i].threads == sb_pool_threads(pool))
 * interleaved: each is built, warmed up and calibrated in turn, then their
 * repetitions alternate, round r running case r mod n first, so drift in the
 * machine's speed (other tenants, clocks, heat) falls on every case alike.
 * All n graphs are held in memory at once: each graph refuses to be built when
 * its plan exceeds 90% of the memory available, which counts those held before
 * it (sb_graph_create); then the group fails with SB_ENOMEM, err giving the
 * sizes and what the cases before it hold. With n > 1 every round is stored as
 * it ends (each case in its own transaction: the first round stores the case,
 * later ones add their repetition), so a crash loses at most the round in
 * flight; one case (n == 1) is stored once, after its last repetition. When
 * o->stop is set the cases end after the round in flight, stored with the
 * repetitions they have (at least one), and SB_OK is returned. *reps_done (may
 * be NULL) is the number of repetitions stored for each case. On failure err
 * (errlen > 0) says what and *failed (may be NULL) is the index of the case
 * that failed: in preparing (nothing of the group is stored) or in storing
 * (the rounds before it are stored).
 */
sb_status sb_runner_cases(const sb_case_spec *c, size_t n, const sb_run_opts *o, sb_pool *pool,
                          sb_store *store, const char *run_id, size_t *failed, int *reps_done,
                          char *err, size_t errlen);

#endif
