/* sysinfo.c - host, build and environment records (see sysinfo.h). */
#include "sysinfo.h"

#include <ctype.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "sb_config.h"
#include "sb_gitinfo.h"

extern char **environ;

/* ==== microarchitecture table: x86 (vendor, family, model range), Arm (MIDR) ==== */

static const struct {
    const char *vendor;
    int family, model_lo, model_hi;
    const char *name;
} x86_uarch[] = {
    {"AuthenticAMD", 0x17, 0x00, 0x2f, "zen"},   {"AuthenticAMD", 0x17, 0x30, 0xff, "zen2"},
    {"AuthenticAMD", 0x19, 0x00, 0x0f, "zen3"},  {"AuthenticAMD", 0x19, 0x10, 0x1f, "zen4"},
    {"AuthenticAMD", 0x19, 0x20, 0x5f, "zen3"},  {"AuthenticAMD", 0x19, 0x60, 0xaf, "zen4"},
    {"AuthenticAMD", 0x1a, 0x00, 0xff, "zen5"},  {"GenuineIntel", 6, 0x55, 0x55, "skylake-x"},
    {"GenuineIntel", 6, 0x6a, 0x6c, "icelake-x"}, {"GenuineIntel", 6, 0x8f, 0x8f, "sapphirerapids"},
    {"GenuineIntel", 6, 0xcf, 0xcf, "emeraldrapids"}, {"GenuineIntel", 6, 0xad, 0xae, "graniterapids"},
};

static const struct {
    unsigned implementer, part;
    const char *name;
} arm_uarch[] = {
    {0x41, 0xd0c, "neoverse-n1"}, {0x41, 0xd40, "neoverse-v1"}, {0x41, 0xd49, "neoverse-n2"},
    {0x41, 0xd4f, "neoverse-v2"}, {0x41, 0xd8e, "neoverse-n3"}, {0x41, 0xd84, "neoverse-v3"},
};

const char *sb_uarch_name(const sb_cpu *cpu)
{
    for (size_t i = 0; i < SB_ARRAY_LEN(x86_uarch); i++)
        if (strcmp(cpu->vendor, x86_uarch[i].vendor) == 0 && cpu->family == x86_uarch[i].family &&
            cpu->model >= x86_uarch[i].model_lo && cpu->model <= x86_uarch[i].model_hi)
            return x86_uarch[i].name;
    unsigned impl = (unsigned)(cpu->midr >> 24) & 0xff, part = (unsigned)(cpu->midr >> 4) & 0xfff;
    for (size_t i = 0; cpu->midr && i < SB_ARRAY_LEN(arm_uarch); i++)
        if (impl == arm_uarch[i].implementer && part == arm_uarch[i].part)
            return arm_uarch[i].name;
    return NULL;
}

/* ==== small readers ==== */

/* First line of a file, trimmed, or NULL. */
static char *read_line(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *r = fgets(buf, (int)len, f);
    fclose(f);
    if (!r)
        return NULL;
    buf[strcspn(buf, "\n")] = '\0';
    return buf;
}

static json_t *str_or_null(const char *s) { return s && *s ? json_string(s) : json_null(); }

/* The [bracketed] choice of a sysfs multiple-choice file (THP). */
static json_t *bracketed(const char *path)
{
    char buf[256];
    if (!read_line(path, buf, sizeof(buf)))
        return json_null();
    char *a = strchr(buf, '['), *b = a ? strchr(a, ']') : NULL;
    if (!a || !b)
        return json_string(buf);
    *b = '\0';
    return json_string(a + 1);
}

static json_t *os_pretty_name(void)
{
    char line[256];
    FILE *f = fopen("/etc/os-release", "r");
    json_t *v = json_null();
    if (!f)
        return v;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, "PRETTY_NAME=", 12) == 0) {
            char *p = line + 12;
            p[strcspn(p, "\n")] = '\0';
            if (*p == '"') {
                p++;
                p[strcspn(p, "\"")] = '\0';
            }
            json_decref(v);
            v = json_string(p);
        }
    fclose(f);
    return v;
}

/* Cache size of the first object of a type; 0 when absent. */
static json_t *cache_bytes(sb_topo *t, hwloc_obj_type_t type)
{
    hwloc_obj_t o = hwloc_get_obj_by_type(sb_topo_hwloc(t), type, 0);
    return o && o->attr ? json_integer((json_int_t)o->attr->cache.size) : json_null();
}

static json_t *virtualization(const sb_cpu *cpu)
{
#if defined(__x86_64__)
    if (cpu->isa & SB_ISA(SB_ISA_HYPERVISOR)) {
        unsigned r[4];
        char name[13];
        __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(0x40000000), "c"(0));
        memcpy(name, &r[1], 4);
        memcpy(name + 4, &r[2], 4);
        memcpy(name + 8, &r[3], 4);
        name[12] = '\0';
        for (char *p = name; *p; p++)
            if (!isprint((unsigned char)*p))
                *p = '\0';
        return json_string(*name ? name : "unknown hypervisor");
    }
    return json_string("none");
#else
    char buf[64];
    (void)cpu;
    return str_or_null(read_line("/sys/hypervisor/type", buf, sizeof(buf)));
#endif
}

json_t *sb_sysinfo_host(sb_topo *topo, const sb_cpu *cpu)
{
    struct utsname u;
    char buf[256], isa[256], midr[32];
    json_t *h = json_object();
    hwloc_obj_t root = hwloc_get_root_obj(sb_topo_hwloc(topo));

    uname(&u);
    gethostname(buf, sizeof(buf));
    buf[sizeof(buf) - 1] = '\0';
    sb_isa_describe(cpu->isa & ~SB_ISA(SB_ISA_HYPERVISOR), isa, sizeof(isa));
    snprintf(midr, sizeof(midr), "0x%08lx", cpu->midr);

    json_object_set_new(h, "hostname", json_string(buf));
    json_object_set_new(h, "arch", json_string(u.machine));
    json_object_set_new(h, "cpu_vendor", str_or_null(cpu->vendor));
    json_object_set_new(h, "cpu_brand", str_or_null(cpu->brand));
    json_object_set_new(h, "cpu_family", cpu->family >= 0 ? json_integer(cpu->family) : json_null());
    json_object_set_new(h, "cpu_model", cpu->model >= 0 ? json_integer(cpu->model) : json_null());
    json_object_set_new(h, "cpu_stepping", cpu->stepping >= 0 ? json_integer(cpu->stepping) : json_null());
    json_object_set_new(h, "midr", cpu->midr ? json_string(midr) : json_null());
    json_object_set_new(h, "uarch", str_or_null(sb_uarch_name(cpu)));
    json_object_set_new(h, "isa", json_string(isa));
    json_object_set_new(h, "sve_bits", cpu->sve_bits ? json_integer(cpu->sve_bits) : json_null());
    json_object_set_new(h, "packages", json_integer(sb_topo_count(topo, HWLOC_OBJ_PACKAGE)));
    json_object_set_new(h, "cores", json_integer(sb_topo_count(topo, HWLOC_OBJ_CORE)));
    json_object_set_new(h, "pus", json_integer(sb_topo_count(topo, HWLOC_OBJ_PU)));
    json_object_set_new(h, "numa_nodes", json_integer(sb_topo_count(topo, HWLOC_OBJ_NUMANODE)));
    json_object_set_new(h, "l1d_bytes", cache_bytes(topo, HWLOC_OBJ_L1CACHE));
    json_object_set_new(h, "l2_bytes", cache_bytes(topo, HWLOC_OBJ_L2CACHE));
    json_object_set_new(h, "l3_bytes", cache_bytes(topo, HWLOC_OBJ_L3CACHE));
    json_object_set_new(h, "mem_bytes", root->total_memory ? json_integer((json_int_t)root->total_memory)
                                                            : json_null());
    json_object_set_new(h, "kernel", json_string(u.release));
    json_object_set_new(h, "os", os_pretty_name());
    json_object_set_new(h, "governor", str_or_null(read_line(
        "/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", buf, sizeof(buf))));
    json_object_set_new(h, "thp", bracketed("/sys/kernel/mm/transparent_hugepage/enabled"));
    json_object_set_new(h, "perf_event_paranoid",
                        read_line("/proc/sys/kernel/perf_event_paranoid", buf, sizeof(buf))
                            ? json_integer(atoi(buf)) : json_null());
    json_object_set_new(h, "virtualization", virtualization(cpu));
    char vendor[128] = "";
    read_line("/sys/devices/virtual/dmi/id/sys_vendor", vendor, sizeof(vendor));
    json_object_set_new(h, "dmi_vendor", str_or_null(vendor));
    json_object_set_new(h, "dmi_product", str_or_null(read_line(
        "/sys/devices/virtual/dmi/id/product_name", buf, sizeof(buf))));
    /* On EC2 the DMI product name is the instance type (e.g. c7g.16xlarge). */
    json_object_set_new(h, "instance_type",
                        strcmp(vendor, "Amazon EC2") == 0 ? str_or_null(buf) : json_null());
    json_object_set_new(h, "emulated", json_boolean(cpu->emulated));
    json_object_set_new(h, "emulated_why", cpu->emulated ? json_string(cpu->emulated_why) : json_null());
    return h;
}

json_t *sb_sysinfo_build(void)
{
    json_t *b = json_object();
    const char *git = SB_GIT_DESCRIBE;
    json_object_set_new(b, "version", json_string(SB_VERSION));
    json_object_set_new(b, "git", strcmp(git, "unknown") ? json_string(git) : json_null());
    json_object_set_new(b, "git_dirty", strcmp(git, "unknown") ? json_boolean(strstr(git, "-dirty") != NULL)
                                                              : json_null());
    json_object_set_new(b, "compiler", json_string(SB_COMPILER));
    json_object_set_new(b, "buildtype", json_string(SB_BUILDTYPE));
    json_object_set_new(b, "cflags", json_string(SB_CFLAGS));
    json_object_set_new(b, "sanitize", json_string(SB_SANITIZE));
    json_object_set_new(b, "isas", json_string(SB_ISAS));
    json_object_set_new(b, "collectors", json_string("time,rusage"));
    json_object_set_new(b, "providers", json_string(SB_PROVIDERS));
    json_object_set_new(b, "sqlite", json_string(sqlite3_libversion()));
    char hw[32];
    unsigned v = hwloc_get_api_version();
    snprintf(hw, sizeof(hw), "%u.%u.%u", v >> 16, (v >> 8) & 0xff, v & 0xff);
    json_object_set_new(b, "hwloc", json_string(hw));
    json_object_set_new(b, "jansson", json_string(jansson_version_str()));
    json_object_set_new(b, "papi", str_or_null(SB_PAPI_VERSION));
    return b;
}

json_t *sb_sysinfo_env(void)
{
    static const char *const prefixes[] = {"OMP_", "DNNL_", "ONEDNN_", "OPENBLAS_", "GOMP_",
                                           "KMP_", "SB_", "MALLOC_", "GLIBC_TUNABLES"};
    json_t *e = json_object();
    for (char **p = environ; *p; p++) {
        const char *eq = strchr(*p, '=');
        if (!eq)
            continue;
        int keep = strncmp(*p, "LD_PRELOAD=", 11) == 0;
        for (size_t i = 0; !keep && i < SB_ARRAY_LEN(prefixes); i++)
            keep = strncmp(*p, prefixes[i], strlen(prefixes[i])) == 0;
        if (keep) {
            char key[128];
            snprintf(key, sizeof(key), "%.*s", (int)(eq - *p), *p);
            json_object_set_new(e, key, json_string(eq + 1));
        }
    }
    return e;
}
