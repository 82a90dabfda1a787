/*
 * store.h - the SQLite store of runs, cases, samples and counters.
 *
 * Schema: results/schema.sql + migrate_v*.sql (embedded), version SB_SCHEMA_VERSION in
 * PRAGMA user_version, PRAGMA application_id marks a sorabench database. WAL
 * journal, foreign keys on, bound parameters only. A case is written in one
 * transaction, or (sb_store_case_extend) its first repetitions in one and each later round
 * of repetitions in another, so a crash loses at most the repetitions in flight. An existing file
 * that is not a sorabench database, or has a newer schema, is refused without
 * being modified.
 */
#ifndef SB_STORE_H
#define SB_STORE_H

#include <sqlite3.h>
#include <stdint.h>
#include "collector.h"
#include "sb_status.h"

#define SB_SCHEMA_VERSION 5
#define SB_APPLICATION_ID 0x53426e63 /* "SBnc" */

typedef struct sb_store sb_store;

typedef enum sb_store_mode {
    SB_STORE_READ,         /* must exist and be a sorabench database */
    SB_STORE_WRITE,        /* created (with the schema) when absent */
} sb_store_mode;

/* Open path. On failure *out is NULL and err names the file and the cause. */
sb_status sb_store_open(sb_store **out, const char *path, sb_store_mode mode, char *err,
                        size_t errlen);
void sb_store_close(sb_store *s);

/* Detail of the last failure on this handle. */
const char *sb_store_errmsg(const sb_store *s);

/* The SQLite handle, for read-only queries by analysis/ and report/. */
sqlite3 *sb_store_db(sb_store *s);

typedef struct sb_run_info {
    const char *host_json;   /* host record (JSON object) */
    const char *build_json;  /* build record (JSON object) */
    const char *argv_json;   /* JSON array */
    const char *env_json;    /* JSON object */
    const char *config_json; /* the sweep as asked, JSON object */
    uint64_t seed;
    int emulated;            /* 1 when the CPU is emulated: timings are not performance */
} sb_run_info;

/* Insert host/build (if new) and a run in state 'running'; run_id gets 33 bytes of hex. */
sb_status sb_store_run_begin(sb_store *s, const sb_run_info *info, char run_id[33]);

/* Set the run's final status ('done', 'failed', 'interrupted') and end time. */
sb_status sb_store_run_end(sb_store *s, const char *run_id, const char *status);

/* A stored run's records, to resume it (sb_store_run_get); free with sb_run_record_free. */
typedef struct sb_run_record {
    char status[16];         /* running, done, failed, interrupted */
    char *host_json, *build_json, *env_json, *argv_json; /* as stored (malloc'd) */
} sb_run_record;

/* Read run_id's records into *out; SB_ENOTFOUND (and errmsg) when there is no such run. */
sb_status sb_store_run_get(sb_store *s, const char *run_id, sb_run_record *out);
void sb_run_record_free(sb_run_record *r);

/* Set run_id back to 'running', its end time cleared, to add the cases it lacks. */
sb_status sb_store_run_reopen(sb_store *s, const char *run_id);

/*
 * Repetitions stored of run_id's case (case_key, kernel_choice) into *reps: -1 when the run has
 * no such case.
 */
sb_status sb_store_case_reps(sb_store *s, const char *run_id, const char *case_key,
                             const char *kernel_choice, int *reps);

typedef struct sb_node_record {
    const char *layer;
    int block;               /* -1 at top level (stored as NULL) */
    const char *op, *kernel;
    double flops, bytes;     /* per iteration */
} sb_node_record;

typedef struct sb_counter_record {
    int rep;
    const char *collector;
    sb_counter c;
} sb_counter_record;

/* A collector that was asked for in a case: used (with its cost) or not, and why. */
typedef struct sb_collector_use_record {
    const char *collector;
    const char *reason;      /* non-NULL: unavailable, and why */
    double overhead_ns;      /* median of one start + stop + read on an empty region, ns */
} sb_collector_use_record;

typedef struct sb_accuracy_record {
    const char *reference;   /* NULL: no accuracy row (all-reference case) */
    const char *reason;      /* non-NULL: not measured, and why */
    long elements;
    double rel_l2, max_abs, cosine;
} sb_accuracy_record;

typedef struct sb_case_record {
    const char *case_key;    /* joins the same case across runs (without the kernel choice) */
    const char *kernel_choice; /* "auto" (the registry's) or the kernel forced by name */
    const char *workload, *model, *res, *aspect, *dur;
    int batch;
    const char *layer, *op, *variant, *dtype;
    int fused;
    const char *kernel, *isa, *shape;
    long m, n, k;
    double flops, bytes;     /* per iteration */
    int threads;
    const char *pin, *pus;
    long warmup_iters;
    uint64_t warmup_ns;
    long inner_iters;
    int reps;
    uint64_t setup_ns;
    double mem_bytes;
    const uint64_t *sample_ns;  /* [reps]: ns of inner_iters iterations */
    const uint64_t *start_ns;   /* [reps] or NULL: clock (sb_clock_ns) at each repetition's start */
    size_t nnodes;
    const sb_node_record *nodes;  /* [nnodes], block/step only */
    const uint64_t *node_ns;      /* [reps * nnodes], rep-major */
    size_t ncounters;
    const sb_counter_record *counters;
    size_t nuses;
    const sb_collector_use_record *uses;
    sb_accuracy_record accuracy;
} sb_case_record;

/* A derived metric a run asked for: an SQLite expression over counter aliases. */
typedef struct sb_metric_def {
    const char *grp, *name, *expr;
} sb_metric_def;

/* Store the run's metric definitions (before its cases), in one transaction. */
sb_status sb_store_put_metrics(sb_store *s, const char *run_id, const sb_metric_def *m, size_t n);

/*
 * Store a case with its repetitions [0, c->reps) and all its other rows, in one transaction;
 * *case_id (may be NULL) gets its id for sb_store_case_extend.
 */
sb_status sb_store_put_case(sb_store *s, const char *run_id, const sb_case_record *c,
                            int64_t *case_id);

/*
 * Add repetitions [from, c->reps) to case case_id, which has `from` stored (c's arrays hold
 * every repetition from 0; the samples, node times and counters of those are stored), and set
 * its reps to c->reps, its pus to c->pus and its finished_at to now, in one transaction. Only
 * those change: c's other fields are not read. A case that does not have exactly `from`
 * repetitions stored is refused (SB_EINVAL) and left as it was.
 */
sb_status sb_store_case_extend(sb_store *s, int64_t case_id, const sb_case_record *c, int from);

/* A regression check's finding on one case of the baseline. */
typedef struct sb_verdict_record {
    const char *case_key, *kernel_choice;
    double ratio, lo, hi;     /* run time / baseline time and its interval; NAN: not measured */
    const char *verdict;      /* slower, faster, same, undecided, missing */
} sb_verdict_record;

/* A check of runs against baseline runs (sorabench check). */
typedef struct sb_check_record {
    const char *const *runs, *const *baselines;   /* run ids */
    size_t nruns, nbaselines;
    const char *unit;         /* one observation: "repetition" (one run a side) or "run" */
    double threshold;         /* fraction: 0.05 flags slowdowns above 5% */
    double level;             /* confidence level of the intervals */
    const char *outcome;      /* ok, regression, incomplete */
    size_t nverdicts;
    const sb_verdict_record *verdicts;
} sb_check_record;

/*
 * Store a check, its runs and its verdicts in one transaction (tables baseline, check_run and
 * verdict); *check_id
 * (may be NULL) gets its id.
 */
sb_status sb_store_put_check(sb_store *s, const sb_check_record *c, int64_t *check_id);

/* One calibration (sorabench calibrate): its id and what its rows are held to. */
typedef struct sb_calib_session {
    char id[33];             /* random 128-bit, hex */
    char host_id[17], build_id[17];
    int emulated;            /* 1: an emulated CPU; the rates are not performance */
} sb_calib_session;

/* One probe at one memory level and thread count: a row of table calibration. */
typedef struct sb_calib_record {
    const char *probe, *kind, *dtype, *isa;  /* kind: compute or bandwidth */
    const char *level;       /* "core" for compute; L1, L2, L3, DRAM */
    int64_t bytes;           /* working set per thread, bytes; 0 for compute */
    int threads;
    const char *pus;         /* PUs each worker ran on, "0;1"; may be NULL */
    int64_t iters;           /* per thread per repetition */
    const char *unit;        /* GFLOP/s, GOP/s or GB/s */
    double median, best, mad;
    const double *rates;     /* [nrates]: every repetition's rate, in unit */
    size_t nrates;
} sb_calib_record;

/* Store the host and build records (if new) and start a calibration in *cs. */
sb_status sb_store_calib_begin(sb_store *s, const char *host_json, const char *build_json,
                               int emulated, sb_calib_session *cs);

/* Store one measurement of calibration cs (its own statement: a crash keeps those before it). */
sb_status sb_store_put_calib(sb_store *s, const sb_calib_session *cs, const sb_calib_record *r);

/* What sb_store_merge copied from one file. */
typedef struct sb_merge_counts {
    long long runs;           /* runs copied */
    long long present;        /* runs the store had already (the same run ids): not copied */
    long long grown;          /* of those, runs given cases the store lacked (counted in cases) */
    long long ended;          /* of those, runs given src's later status and end */
    long long cases;          /* cases copied, with their samples, nodes, counters, accuracy */
    long long checks;         /* regression checks copied, with their runs and verdicts */
} sb_merge_counts;

/*
 * Copy into s (results/merge.c) the runs of the sorabench database at path that s lacks, with
 * everything stored under them, and the checks of those runs; hosts and builds as needed. A run
 * s already has gets only the cases s lacks (by case key and kernel choice; a case s has is left
 * as it is), and src's status and end when those are later and src holds every case s has of
 * it (it was resumed there). path is first opened as any reader opens it: refused if it
 * is not a sorabench database or has a newer schema, upgraded if older. Case and check ids get
 * new numbers; run, host and build ids are kept. One transaction: on failure (err says what)
 * nothing of path is in s. path must not be s's own file.
 */
sb_status sb_store_merge(sb_store *s, const char *path, sb_merge_counts *n, char *err,
                         size_t errlen);

#endif
