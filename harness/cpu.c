/* cpu.c - CPU feature detection (see cpu.h). */
#include "cpu.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#elif defined(__aarch64__)
#include <sys/auxv.h>
#include <sys/prctl.h>
#endif

static const char *const isa_names[] = {
    [SB_ISA_SSE2] = "sse2", [SB_ISA_AVX] = "avx", [SB_ISA_AVX2] = "avx2", [SB_ISA_FMA] = "fma",
    [SB_ISA_AVX512F] = "avx512f", [SB_ISA_AVX512DQ] = "avx512dq",
    [SB_ISA_AVX512BW] = "avx512bw", [SB_ISA_AVX512VL] = "avx512vl",
    [SB_ISA_AVX512_VNNI] = "avx512-vnni", [SB_ISA_AVX512_BF16] = "avx512-bf16",
    [SB_ISA_AMX_TILE] = "amx-tile", [SB_ISA_NEON] = "neon", [SB_ISA_DOTPROD] = "dotprod",
    [SB_ISA_SVE] = "sve", [SB_ISA_SVE2] = "sve2", [SB_ISA_BF16] = "bf16", [SB_ISA_I8MM] = "i8mm",
    [SB_ISA_HYPERVISOR] = "hypervisor",
};
_Static_assert(SB_ARRAY_LEN(isa_names) == SB_ISA_COUNT, "one name per feature");

const char *sb_isa_name(sb_isa_bit b) { return b < SB_ISA_COUNT ? isa_names[b] : "?"; }

void sb_isa_describe(uint64_t isa, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int b = 0; b < SB_ISA_COUNT && used < len; b++)
        if (isa & SB_ISA(b)) {
            int k = snprintf(buf + used, len - used, "%s%s", used ? "," : "", isa_names[b]);
            if (k < 0)
                return;
            used += (size_t)k;
        }
}

#if defined(__x86_64__)
static void detect_x86(sb_cpu *c)
{
    unsigned a = 0, b = 0, cx = 0, d = 0, max = 0;
    uint64_t xcr0 = 0;

    if (!__get_cpuid(0, &max, &b, &cx, &d))
        return;
    memcpy(c->vendor, &b, 4);
    memcpy(c->vendor + 4, &d, 4);
    memcpy(c->vendor + 8, &cx, 4);
    c->vendor[12] = '\0';
    __get_cpuid(1, &a, &b, &cx, &d);
    int fam = (a >> 8) & 0xf, mod = (a >> 4) & 0xf;
    c->family = fam == 0xf ? fam + (int)((a >> 20) & 0xff) : fam;
    c->model = (fam == 0x6 || fam == 0xf) ? mod + (int)(((a >> 16) & 0xf) << 4) : mod;
    c->stepping = (int)(a & 0xf);
    if (d & (1u << 26))
        c->isa |= SB_ISA(SB_ISA_SSE2);
    if (cx & (1u << 31))
        c->isa |= SB_ISA(SB_ISA_HYPERVISOR);
    if (cx & (1u << 27)) { /* OSXSAVE: the OS saves the registers we may use */
        unsigned lo, hi;
        __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        xcr0 = ((uint64_t)hi << 32) | lo;
    }
    int ymm = (xcr0 & 0x6) == 0x6, zmm = (xcr0 & 0xe6) == 0xe6, amx = (xcr0 & 0x60000) == 0x60000;
    if (ymm && (cx & (1u << 28)))
        c->isa |= SB_ISA(SB_ISA_AVX);
    if (ymm && (cx & (1u << 12)))
        c->isa |= SB_ISA(SB_ISA_FMA);
    if (max >= 7) {
        __cpuid_count(7, 0, a, b, cx, d);
        if (ymm && (b & (1u << 5)))
            c->isa |= SB_ISA(SB_ISA_AVX2);
        if (zmm && (b & (1u << 16)))
            c->isa |= SB_ISA(SB_ISA_AVX512F);
        if (zmm && (b & (1u << 17)))
            c->isa |= SB_ISA(SB_ISA_AVX512DQ);
        if (zmm && (b & (1u << 30)))
            c->isa |= SB_ISA(SB_ISA_AVX512BW);
        if (zmm && (b & (1u << 31)))
            c->isa |= SB_ISA(SB_ISA_AVX512VL);
        if (zmm && (cx & (1u << 11)))
            c->isa |= SB_ISA(SB_ISA_AVX512_VNNI);
        if (amx && (d & (1u << 24)))
            c->isa |= SB_ISA(SB_ISA_AMX_TILE);
        __cpuid_count(7, 1, a, b, cx, d);
        if (zmm && (a & (1u << 5)))
            c->isa |= SB_ISA(SB_ISA_AVX512_BF16);
    }
    if (__get_cpuid(0x80000000, &max, &b, &cx, &d) && max >= 0x80000004) {
        unsigned r[12];
        for (unsigned i = 0; i < 3; i++)
            __get_cpuid(0x80000002 + i, &r[4 * i], &r[4 * i + 1], &r[4 * i + 2], &r[4 * i + 3]);
        memcpy(c->brand, r, 48);
        c->brand[48] = '\0';
        /* trim the padding some CPUs put around the brand string */
        char *p = c->brand;
        while (*p == ' ')
            p++;
        memmove(c->brand, p, strlen(p) + 1);
        for (size_t n = strlen(c->brand); n && c->brand[n - 1] == ' '; n--)
            c->brand[n - 1] = '\0';
    }
}
#elif defined(__aarch64__)
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1 << 20)
#endif
#ifndef HWCAP_SVE
#define HWCAP_SVE (1 << 22)
#endif
#ifndef HWCAP2_SVE2
#define HWCAP2_SVE2 (1 << 1)
#endif
#ifndef HWCAP2_I8MM
#define HWCAP2_I8MM (1 << 13)
#endif
#ifndef HWCAP2_BF16
#define HWCAP2_BF16 (1 << 14)
#endif
#ifndef PR_SVE_GET_VL
#define PR_SVE_GET_VL 51
#endif
static void detect_arm(sb_cpu *c)
{
    unsigned long h1 = getauxval(AT_HWCAP), h2 = getauxval(AT_HWCAP2);
    snprintf(c->vendor, sizeof(c->vendor), "ARM");
    c->isa |= SB_ISA(SB_ISA_NEON);
    if (h1 & HWCAP_ASIMDDP)
        c->isa |= SB_ISA(SB_ISA_DOTPROD);
    if (h1 & HWCAP_SVE) {
        c->isa |= SB_ISA(SB_ISA_SVE);
        int vl = prctl(PR_SVE_GET_VL);
        if (vl > 0)
            c->sve_bits = (vl & 0xffff) * 8;
    }
    if (h2 & HWCAP2_SVE2)
        c->isa |= SB_ISA(SB_ISA_SVE2);
    if (h2 & HWCAP2_BF16)
        c->isa |= SB_ISA(SB_ISA_BF16);
    if (h2 & HWCAP2_I8MM)
        c->isa |= SB_ISA(SB_ISA_I8MM);
    FILE *f = fopen("/sys/devices/system/cpu/cpu0/regs/identification/midr_el1", "r");
    if (f) {
        if (fscanf(f, "%lx", &c->midr) != 1)
            c->midr = 0;
        fclose(f);
    }
    /*
     * /proc/cpuinfo of an Arm kernel has "CPU implementer" / "CPU part" lines
     * (the MIDR fields, when sysfs lacks midr_el1). qemu-user shows the host's
     * file instead, an x86 one: that is how an emulated CPU is recognised.
     */
    unsigned impl = 0, part = 0, variant = 0, rev = 0, arch = 0;
    bool arm_cpuinfo = false;
    char line[256];
    if ((f = fopen("/proc/cpuinfo", "r")) != NULL) {
        while (fgets(line, sizeof(line), f)) {
            arm_cpuinfo |= sscanf(line, "CPU implementer : %x", &impl) == 1;
            sscanf(line, "CPU part : %x", &part);
            sscanf(line, "CPU variant : %x", &variant);
            sscanf(line, "CPU revision : %u", &rev);
            sscanf(line, "CPU architecture: %u", &arch);
            if (strncmp(line, "vendor_id", 9) == 0 && !arm_cpuinfo) {
                c->emulated = 1;
                snprintf(c->emulated_why, sizeof(c->emulated_why),
                         "aarch64 code, but /proc/cpuinfo is an x86 one (qemu-user)");
                break;
            }
        }
        fclose(f);
    }
    if (!c->midr && arm_cpuinfo)
        c->midr = (unsigned long)impl << 24 | (unsigned long)variant << 20 | 0xfUL << 16 |
                  (unsigned long)part << 4 | rev;
    (void)arch;
}
#endif

sb_status sb_cpu_detect(sb_cpu *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    out->family = out->model = out->stepping = -1;
#if defined(__x86_64__)
    detect_x86(out);
#elif defined(__aarch64__)
    detect_arm(out);
#endif
    const char *cap = getenv("SB_ISA_CAP");
    if (cap && *cap)
        return sb_cpu_cap(out, cap, err, errlen);
    return SB_OK;
}

sb_status sb_cpu_cap(sb_cpu *cpu, const char *cap, char *err, size_t errlen)
{
    int found = -1;
    if (strcmp(cap, "ref") == 0) { /* no vector ISA at all: the reference kernels */
        cpu->isa &= SB_ISA(SB_ISA_HYPERVISOR);
        cpu->capped = 1;
        return SB_OK;
    }
    for (int b = 0; b < SB_ISA_COUNT; b++)
        if (strcmp(cap, isa_names[b]) == 0)
            found = b;
    if (found < 0 || !(cpu->isa & SB_ISA(found))) {
        char have[256];
        sb_isa_describe(cpu->isa & ~SB_ISA(SB_ISA_HYPERVISOR), have, sizeof(have));
        snprintf(err, errlen, "ISA cap '%s' is not a feature of this host (ref, %s)", cap, have);
        return SB_EINVAL;
    }
    /* keep the features listed up to and including the cap (table order) */
    cpu->isa &= ((SB_ISA(found) << 1) - 1) | SB_ISA(SB_ISA_HYPERVISOR);
    cpu->capped = 1;
    return SB_OK;
}
