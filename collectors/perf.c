/*
 * perf.c - the "perf" collector: perf_event_open(2) with libpfm4 encodings,
 * one counter per event per pool worker, opened on the worker's own thread
 * (pid 0, any CPU, user space only), so each worker counts its own share and
 * read() reports the sum. No PAPI needed.
 *
 * start() reads every counter, then enables it; stop() disables, then reads
 * again. A count is the difference, scaled by time enabled / time running
 * when the kernel multiplexed it, and that ratio (running / enabled, summed
 * over threads) is reported with it. An event that was enabled but never ran
 * is unavailable (multiplexing limit), not 0.
 */
#include <errno.h>
#include <linux/perf_event.h>
#include <perfmon/pfmlib_perf_event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "collectors_impl.h"

typedef struct perf_val {
    uint64_t value, enabled, running;  /* read_format: count, ns enabled, ns running */
} perf_val;

typedef struct perf_ev {
    sb_event_req req;
    struct perf_event_attr attr;
    sb_status status;          /* SB_OK: open on every worker */
    char reason[192];
    bool hw;                   /* needs a hardware PMU */
} perf_ev;

typedef struct perf_state {
    size_t n;                  /* events */
    int threads;
    perf_ev *ev;               /* [n] */
    int *fd;                   /* [threads][n], -1 when not open */
    int *oerr;                 /* [threads][n], errno of a failed open, else 0 */
    perf_val *v0, *v1;         /* [threads][n] at start and stop */
} perf_state;

static long sys_perf_event_open(struct perf_event_attr *a, pid_t pid, int cpu, int group,
                                unsigned long flags)
{
    return syscall(SYS_perf_event_open, a, pid, cpu, group, flags);
}

static sb_status perf_probe(char *reason, size_t len)
{
    int rc = sb_pmu_pfm_init();
    if (rc != PFM_SUCCESS) {
        snprintf(reason, len, "libpfm4 cannot initialise: %s", pfm_strerror(rc));
        return SB_ENOSUPP;
    }
    /* a software event tells whether perf_event_open works at all */
    struct perf_event_attr a = {.type = PERF_TYPE_SOFTWARE, .size = sizeof(a),
                                .config = PERF_COUNT_SW_TASK_CLOCK, .disabled = 1,
                                .exclude_kernel = 1, .exclude_hv = 1};
    long fd = sys_perf_event_open(&a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
    if (fd < 0) {
        sb_pmu_reason(errno, false, reason, len);
        return errno == EACCES || errno == EPERM ? SB_EPERM : SB_ENOSUPP;
    }
    close((int)fd);
    return SB_OK;
}

/* Encode ev->req.event; unknown names end SB_ENOTFOUND. */
static void encode(perf_ev *ev)
{
    int rc = sb_pmu_encode(ev->req.event, &ev->attr);
    if (rc != PFM_SUCCESS) {
        ev->status = rc == PFM_ERR_NOTFOUND ? SB_ENOTFOUND : SB_EINVAL;
        snprintf(ev->reason, sizeof(ev->reason), "libpfm4 cannot encode %s: %s", ev->req.event,
                 pfm_strerror(rc));
        return;
    }
    ev->attr.size = sizeof(ev->attr);
    ev->attr.disabled = 1;
    ev->attr.exclude_kernel = 1;
    ev->attr.exclude_hv = 1;
    ev->attr.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
    ev->hw = ev->attr.type != PERF_TYPE_SOFTWARE && ev->attr.type != PERF_TYPE_TRACEPOINT;
    ev->status = SB_OK;
}

/* On each worker: open its own counters (pid 0 = this thread). */
static void open_on_worker(void *ctx, int w)
{
    perf_state *s = ctx;
    for (size_t i = 0; i < s->n; i++) {
        size_t k = (size_t)w * s->n + i;
        if (s->ev[i].status != SB_OK)
            continue;
        struct perf_event_attr a = s->ev[i].attr;
        long r = sys_perf_event_open(&a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
        s->fd[k] = r < 0 ? -1 : (int)r;
        s->oerr[k] = r < 0 ? errno : 0;
    }
}

/* An event that failed on any worker is unavailable everywhere (no partial sums). */
static void settle_opens(perf_state *s)
{
    for (size_t i = 0; i < s->n; i++) {
        perf_ev *ev = &s->ev[i];
        for (int w = 0; w < s->threads && ev->status == SB_OK; w++) {
            int e = s->oerr[(size_t)w * s->n + i];
            if (e == 0)
                continue;
            sb_pmu_reason(e, ev->hw, ev->reason, sizeof(ev->reason));
            ev->status = e == EACCES || e == EPERM ? SB_EPERM : SB_ENOSUPP;
        }
        for (int w = 0; w < s->threads && ev->status != SB_OK; w++) {
            int *fd = &s->fd[(size_t)w * s->n + i];
            if (*fd >= 0)
                close(*fd);
            *fd = -1;
        }
    }
}

static void perf_close(void *state);

static sb_status perf_open(void **state, const sb_collector_cfg *cfg, char *err, size_t errlen)
{
    sb_status st = SB_OK;
    perf_state *s = calloc(1, sizeof(*s));
    size_t nfd = (size_t)cfg->threads * cfg->nevents;

    *state = NULL;
    if (!s || (s->ev = calloc(cfg->nevents ? cfg->nevents : 1, sizeof(*s->ev))) == NULL ||
        (s->fd = malloc((nfd ? nfd : 1) * sizeof(int))) == NULL ||
        (s->oerr = calloc(nfd ? nfd : 1, sizeof(int))) == NULL ||
        (s->v0 = calloc(nfd ? nfd : 1, sizeof(perf_val))) == NULL ||
        (s->v1 = calloc(nfd ? nfd : 1, sizeof(perf_val))) == NULL) {
        snprintf(err, errlen, "out of memory for %zu perf counters", nfd);
        st = SB_ENOMEM;
        goto out;
    }
    s->n = cfg->nevents;
    s->threads = cfg->threads;
    for (size_t i = 0; i < nfd; i++)
        s->fd[i] = -1;
    for (size_t i = 0; i < s->n; i++) {
        s->ev[i].req = cfg->events[i];
        encode(&s->ev[i]);
    }
    cfg->each(cfg->pool, open_on_worker, s);
    settle_opens(s);
    *state = s;
    s = NULL;
out:
    perf_close(s);
    return st;
}

/* Read every open counter into v; enable or disable around it. */
static void read_all(perf_state *s, perf_val *v)
{
    for (size_t i = 0; i < (size_t)s->threads * s->n; i++)
        if (s->fd[i] >= 0 && read(s->fd[i], &v[i], sizeof(v[i])) != (ssize_t)sizeof(v[i]))
            memset(&v[i], 0, sizeof(v[i]));
}

static void perf_start(void *state)
{
    perf_state *s = state;
    read_all(s, s->v0);
    for (size_t i = 0; i < (size_t)s->threads * s->n; i++)
        if (s->fd[i] >= 0)
            ioctl(s->fd[i], PERF_EVENT_IOC_ENABLE, 0);
}

static void perf_stop(void *state)
{
    perf_state *s = state;
    for (size_t i = 0; i < (size_t)s->threads * s->n; i++)
        if (s->fd[i] >= 0)
            ioctl(s->fd[i], PERF_EVENT_IOC_DISABLE, 0);
    read_all(s, s->v1);
}

static size_t perf_read(void *state, sb_counter *out, size_t cap)
{
    const perf_state *s = state;
    for (size_t i = 0; i < s->n && i < cap; i++) {
        const perf_ev *ev = &s->ev[i];
        sb_counter *c = &out[i];
        double sum = 0.0, enabled = 0.0, running = 0.0;
        sb_counter_init(c, &ev->req);
        c->status = ev->status;
        snprintf(c->reason, sizeof(c->reason), "%s", ev->reason);
        if (ev->status != SB_OK)
            continue;
        for (int w = 0; w < s->threads; w++) {
            size_t k = (size_t)w * s->n + i;
            double dv = (double)(s->v1[k].value - s->v0[k].value);
            double de = (double)(s->v1[k].enabled - s->v0[k].enabled);
            double dr = (double)(s->v1[k].running - s->v0[k].running);
            sum += dr > 0.0 && dr < de ? dv * de / dr : dv;
            enabled += de;
            running += dr;
        }
        if (enabled > 0.0 && running == 0.0) {
            c->status = SB_ENOSUPP;
            snprintf(c->reason, sizeof(c->reason), "enabled but never scheduled on a counter: more "
                     "events than the PMU has counters (multiplexing limit)");
            continue;
        }
        c->value = sum;
        c->mux_ratio = enabled > 0.0 ? running / enabled : 1.0;
    }
    return s->n;
}

static void perf_close(void *state)
{
    perf_state *s = state;
    if (!s)
        return;
    for (size_t i = 0; s->fd && i < (size_t)s->threads * s->n; i++)
        if (s->fd[i] >= 0)
            close(s->fd[i]);
    free(s->ev);
    free(s->fd);
    free(s->oerr);
    free(s->v0);
    free(s->v1);
    free(s);
}

const sb_collector_ops sb_collector_perf = {
    .name = "perf", .desc = "perf_event_open with libpfm4 event names, per worker thread, summed",
    .counts_events = 1, .probe = perf_probe, .open = perf_open, .start = perf_start,
    .stop = perf_stop, .read = perf_read, .close = perf_close,
};
