/*
 * papi.c - the "papi" collector: PAPI native event names (Debian's PAPI 7.0
 * has no presets for Zen 4, Sapphire Rapids or Neoverse, so presets are not
 * relied on), one event set per pool worker, created, started and stopped on
 * the worker's own thread; read() reports the sum over workers.
 *
 * PAPI's enumeration is not trusted (it lists events that cannot be added):
 * each event is first added alone to a scratch set on the main thread, and
 * what fails there is unavailable with PAPI's reason, or unknown when PAPI
 * cannot resolve the name. The events that fit alone are then added together;
 * one that no longer fits is unavailable (counter limit). PAPI multiplexing is
 * not used, so every count here ran the whole region (ratio 1).
 */
#include <errno.h>
#include <papi.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "collectors_impl.h"

typedef struct papi_ev {
    sb_event_req req;
    sb_status status;
    char reason[192];
} papi_ev;

typedef struct papi_state {
    size_t n;                  /* events */
    int threads;
    papi_ev *ev;               /* [n] */
    int *set;                  /* [threads] event set per worker, PAPI_NULL if none */
    int *set_rc;               /* [threads] first PAPI error on that worker, else PAPI_OK */
    long long *vals;           /* [threads][n] counts of the last stop, in the set's order */
    int *slot;                 /* [n] position in the set, -1 when not in it */
    size_t nin;                /* events in the set */
    const sb_collector_cfg *cfg;
    bool opened;               /* the workers have registered */
} papi_state;

static unsigned long thread_id(void) { return (unsigned long)syscall(SYS_gettid); }

static int init_rc = PAPI_ENOINIT;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void papi_init(void)
{
    int rc = PAPI_library_init(PAPI_VER_CURRENT);
    if (rc != PAPI_VER_CURRENT)
        init_rc = rc < 0 ? rc : PAPI_EINVAL;
    else
        init_rc = PAPI_thread_init(thread_id);
}

static sb_status papi_probe(char *reason, size_t len)
{
    pthread_once(&init_once, papi_init);
    if (init_rc != PAPI_OK) {
        snprintf(reason, len, "PAPI_library_init failed: %s", PAPI_strerror(init_rc));
        return SB_ENOSUPP;
    }
    return SB_OK;
}

/* The reason an event cannot be added alone, or SB_OK. */
static sb_status check_alone(papi_ev *ev)
{
    int code = 0, set = PAPI_NULL, rc;
    if ((rc = PAPI_event_name_to_code(ev->req.event, &code)) != PAPI_OK) {
        /* a disabled perf_event component knows no names at all: say that, not "unknown" */
        int cidx = PAPI_get_component_index("perf_event");
        const PAPI_component_info_t *ci = cidx >= 0 ? PAPI_get_component_info(cidx) : NULL;
        if (ci && ci->disabled) {
            snprintf(ev->reason, sizeof(ev->reason), "PAPI component perf_event is disabled: %.100s",
                     ci->disabled_reason[0] ? ci->disabled_reason : "no reason given");
            return SB_ENOSUPP;
        }
        snprintf(ev->reason, sizeof(ev->reason), "PAPI does not know the name %s: %s",
                 ev->req.event, PAPI_strerror(rc));
        return SB_ENOTFOUND;
    }
    if ((rc = PAPI_create_eventset(&set)) == PAPI_OK)
        rc = PAPI_add_event(set, code);
    if (set != PAPI_NULL) {
        PAPI_cleanup_eventset(set);
        PAPI_destroy_eventset(&set);
    }
    if (rc == PAPI_OK)
        return SB_OK;
    const PAPI_component_info_t *ci = PAPI_get_component_info(PAPI_get_event_component(code));
    bool hw = sb_pmu_event_kind(ev->req.event) != SB_EVENT_SOFTWARE;
    if (ci && ci->disabled)
        snprintf(ev->reason, sizeof(ev->reason), "PAPI component %.32s is disabled: %.100s", ci->name,
                 ci->disabled_reason[0] ? ci->disabled_reason : "no reason given");
    else if (rc == PAPI_EPERM)
        sb_pmu_reason(EACCES, hw, ev->reason, sizeof(ev->reason));
    else if (rc == PAPI_ECNFLCT)
        snprintf(ev->reason, sizeof(ev->reason), "no counter can take it (PAPI_ECNFLCT)");
    else if (hw && !sb_pmu_hw_present())
        sb_pmu_reason(ENOENT, true, ev->reason, sizeof(ev->reason));
    else
        snprintf(ev->reason, sizeof(ev->reason), "PAPI cannot add it here: %s", PAPI_strerror(rc));
    return rc == PAPI_EPERM ? SB_EPERM : SB_ENOSUPP;
}

/* On each worker: register the thread and build its event set. */
static void open_on_worker(void *ctx, int w)
{
    papi_state *s = ctx;
    int rc = PAPI_register_thread();
    s->set[w] = PAPI_NULL;
    if (rc == PAPI_OK)
        rc = PAPI_create_eventset(&s->set[w]);
    for (size_t i = 0; rc == PAPI_OK && i < s->n; i++)
        if (s->slot[i] >= 0)
            rc = PAPI_add_named_event(s->set[w], s->ev[i].req.event);
    s->set_rc[w] = rc;
}

static void start_on_worker(void *ctx, int w)
{
    papi_state *s = ctx;
    if (s->set[w] != PAPI_NULL && s->set_rc[w] == PAPI_OK)
        s->set_rc[w] = PAPI_start(s->set[w]);
}

static void stop_on_worker(void *ctx, int w)
{
    papi_state *s = ctx;
    if (s->set[w] != PAPI_NULL && s->set_rc[w] == PAPI_OK)
        s->set_rc[w] = PAPI_stop(s->set[w], &s->vals[(size_t)w * s->n]);
}

static void close_on_worker(void *ctx, int w)
{
    papi_state *s = ctx;
    if (s->set[w] != PAPI_NULL) {
        PAPI_cleanup_eventset(s->set[w]);
        PAPI_destroy_eventset(&s->set[w]);
    }
    if (w != 0) /* worker 0 is the caller, which goes on using PAPI */
        PAPI_unregister_thread();
}

/* Which events fit together: add them one by one to a scratch set. */
static void choose_together(papi_state *s)
{
    int set = PAPI_NULL;
    if (PAPI_create_eventset(&set) != PAPI_OK)
        return;
    for (size_t i = 0; i < s->n; i++) {
        s->slot[i] = -1;
        if (s->ev[i].status != SB_OK)
            continue;
        if (PAPI_add_named_event(set, s->ev[i].req.event) == PAPI_OK) {
            s->slot[i] = (int)s->nin++;
        } else {
            s->ev[i].status = SB_ENOSUPP;
            snprintf(s->ev[i].reason, sizeof(s->ev[i].reason),
                     "does not fit beside the other events: more events than counters "
                     "(multiplexing limit)");
        }
    }
    PAPI_cleanup_eventset(set);
    PAPI_destroy_eventset(&set);
}

static void papi_close(void *state);

static sb_status papi_open(void **state, const sb_collector_cfg *cfg, char *err, size_t errlen)
{
    sb_status st = SB_OK;
    papi_state *s = calloc(1, sizeof(*s));
    size_t n = cfg->nevents ? cfg->nevents : 1, nt = (size_t)cfg->threads;

    *state = NULL;
    if (!s || (s->ev = calloc(n, sizeof(*s->ev))) == NULL ||
        (s->set = calloc(nt, sizeof(int))) == NULL || (s->set_rc = calloc(nt, sizeof(int))) == NULL ||
        (s->vals = calloc(nt * n, sizeof(long long))) == NULL ||
        (s->slot = calloc(n, sizeof(int))) == NULL) {
        snprintf(err, errlen, "out of memory for %zu PAPI events", n);
        st = SB_ENOMEM;
        goto out;
    }
    s->n = cfg->nevents;
    s->threads = cfg->threads;
    s->cfg = cfg;
    for (size_t i = 0; i < s->n; i++) {
        s->ev[i].req = cfg->events[i];
        s->ev[i].status = check_alone(&s->ev[i]);
    }
    choose_together(s);
    cfg->each(cfg->pool, open_on_worker, s);
    s->opened = true;
    for (int w = 0; w < s->threads; w++) {
        if (s->set_rc[w] == PAPI_OK)
            continue;
        /* a worker that cannot count makes every event of the set unavailable */
        for (size_t i = 0; i < s->n; i++)
            if (s->slot[i] >= 0 && s->ev[i].status == SB_OK) {
                s->ev[i].status = SB_ENOSUPP;
                snprintf(s->ev[i].reason, sizeof(s->ev[i].reason),
                         "PAPI could not set up worker %d: %s", w, PAPI_strerror(s->set_rc[w]));
            }
    }
    *state = s;
    s = NULL;
out:
    papi_close(s);
    return st;
}

static void papi_start(void *state)
{
    papi_state *s = state;
    if (s->nin)
        s->cfg->each(s->cfg->pool, start_on_worker, s);
}

static void papi_stop(void *state)
{
    papi_state *s = state;
    if (s->nin)
        s->cfg->each(s->cfg->pool, stop_on_worker, s);
}

static size_t papi_read(void *state, sb_counter *out, size_t cap)
{
    const papi_state *s = state;
    for (size_t i = 0; i < s->n && i < cap; i++) {
        const papi_ev *ev = &s->ev[i];
        sb_counter *c = &out[i];
        sb_counter_init(c, &ev->req);
        c->status = ev->status;
        snprintf(c->reason, sizeof(c->reason), "%s", ev->reason);
        for (int w = 0; c->status == SB_OK && w < s->threads; w++) {
            if (s->set_rc[w] != PAPI_OK) {
                c->status = SB_ENOSUPP;
                snprintf(c->reason, sizeof(c->reason), "PAPI failed on worker %d: %s", w,
                         PAPI_strerror(s->set_rc[w]));
                break;
            }
            /* PAPI_stop writes the set's counts in the order they were added */
            c->value += (double)s->vals[(size_t)w * s->n + (size_t)s->slot[i]];
        }
        if (c->status != SB_OK)
            c->value = 0.0;
    }
    return s->n;
}

static void papi_close(void *state)
{
    papi_state *s = state;
    if (!s)
        return;
    if (s->opened)
        s->cfg->each(s->cfg->pool, close_on_worker, s);
    free(s->ev);
    free(s->set);
    free(s->set_rc);
    free(s->vals);
    free(s->slot);
    free(s);
}

const sb_collector_ops sb_collector_papi = {
    .name = "papi", .desc = "PAPI native events (perf::, amd64_fam19h_zen4::, arm_v1::, ...), per worker thread, summed",
    .counts_events = 1, .probe = papi_probe, .open = papi_open, .start = papi_start,
    .stop = papi_stop, .read = papi_read, .close = papi_close,
};
