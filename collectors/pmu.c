/*
 * pmu.c - what the counter collectors say when an event cannot be counted:
 * the host's perf_event facts (a hardware PMU registered or not, the paranoid
 * level) turned into one reason per failure, shared by "perf" and "papi".
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <pthread.h>
#include "collectors_impl.h"
#include "sb_config.h"
#if SB_HAVE_LIBPFM
#include <perfmon/pfmlib_perf_event.h>
#endif

static int pfm_rc = -1;
static pthread_once_t pfm_once = PTHREAD_ONCE_INIT;

static void pfm_init_once(void)
{
#if SB_HAVE_LIBPFM
    pfm_rc = pfm_initialize();
#endif
}

int sb_pmu_pfm_init(void)
{
    pthread_once(&pfm_once, pfm_init_once);
    return pfm_rc;
}

#if SB_HAVE_LIBPFM
int sb_pmu_encode(const char *name, struct perf_event_attr *attr)
{
    pfm_perf_encode_arg_t arg;
    memset(attr, 0, sizeof(*attr));
    memset(&arg, 0, sizeof(arg));
    arg.attr = attr;
    arg.size = sizeof(arg);
    return pfm_get_os_event_encoding(name, PFM_PLM3, PFM_OS_PERF_EVENT_EXT, &arg);
}
#endif

sb_event_kind sb_pmu_event_kind(const char *name)
{
#if SB_HAVE_LIBPFM
    struct perf_event_attr a;
    if (sb_pmu_pfm_init() != PFM_SUCCESS)
        return SB_EVENT_HARDWARE;
    if (sb_pmu_encode(name, &a) != PFM_SUCCESS)
        return SB_EVENT_UNKNOWN;
    return a.type == PERF_TYPE_SOFTWARE || a.type == PERF_TYPE_TRACEPOINT ? SB_EVENT_SOFTWARE
                                                                          : SB_EVENT_HARDWARE;
#else
    (void)name;
    return SB_EVENT_HARDWARE;
#endif
}

bool sb_pmu_hw_present(void)
{
    /* core PMUs: "cpu" (x86), "cpu_core"/"cpu_atom" (hybrid x86), "armv8_*" (Arm) */
    static const char *const prefixes[] = {"cpu", "armv8", "armv7"};
    bool found = false;
    DIR *d = opendir("/sys/bus/event_source/devices");
    struct dirent *e;
    while (d && !found && (e = readdir(d)) != NULL)
        for (size_t i = 0; i < SB_ARRAY_LEN(prefixes) && !found; i++)
            found = strncmp(e->d_name, prefixes[i], strlen(prefixes[i])) == 0;
    if (d)
        closedir(d);
    return found;
}

int sb_pmu_paranoid(void)
{
    int v = -100;
    FILE *f = fopen("/proc/sys/kernel/perf_event_paranoid", "r");
    if (f) {
        if (fscanf(f, "%d", &v) != 1)
            v = -100;
        fclose(f);
    }
    return v;
}

void sb_pmu_reason(int err, bool hw_event, char *buf, size_t len)
{
    int paranoid = sb_pmu_paranoid();
    if (err == EACCES || err == EPERM) {
        snprintf(buf, len, "not permitted: kernel.perf_event_paranoid is %d (per-thread user-space "
                 "counting needs 2 or less, or CAP_PERFMON)", paranoid);
    } else if (err == ENOSYS) {
        snprintf(buf, len, "perf_event_open is not implemented here (an emulator such as qemu-user, "
                 "or a kernel without perf events)");
    } else if (hw_event && !sb_pmu_hw_present()) {
        snprintf(buf, len, "no hardware PMU: the kernel registered none (a virtual machine without "
                 "PMU passthrough?); only software events count here");
    } else if (err == ENOSPC || err == EBUSY) {
        snprintf(buf, len, "no free hardware counter (multiplexing limit, or the PMU is in use)");
    } else if (err == ENOENT || err == EOPNOTSUPP) {
        snprintf(buf, len, "this CPU's PMU does not support the event in user-space counting (%s)",
                 strerror(err));
    } else if (err == ENODEV) {
        snprintf(buf, len, "the event's PMU is not present on this CPU");
    } else if (err == EINVAL) {
        snprintf(buf, len, "the kernel rejected the encoding (EINVAL): not valid for this PMU");
    } else {
        snprintf(buf, len, "perf_event_open failed: %s", strerror(err));
    }
}

void sb_counter_init(sb_counter *c, const sb_event_req *req)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->name, sizeof(c->name), "%s", req->alias);
    snprintf(c->event, sizeof(c->event), "%s", req->event);
    snprintf(c->unit, sizeof(c->unit), "count");
    c->mux_ratio = 1.0;
}
