/*
 * groups.c - event group files (see groups.h): parsing with inih, picking the
 * host's file by the PMU libpfm4 finds, and resolving a --events list.
 */
#include <ctype.h>
#include <ini.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "collectors_impl.h"
#include "groups.h"
#include "sb_config.h"
#if SB_HAVE_LIBPFM
#include <perfmon/pfmlib.h>
#endif

typedef struct sb_embedded {
    const char *file, *text;
} sb_embedded;
extern const sb_embedded sb_group_texts[]; /* generated: groups_ini.c */

typedef struct parse_ctx {
    sb_group_file *out;
    sb_group *cur;         /* group being filled; NULL in [uarch] */
    bool in_uarch;
    char err[192];
} parse_ctx;

static bool valid_alias(const char *s)
{
    if (!*s || isdigit((unsigned char)*s))
        return false;
    for (; *s; s++)
        if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_'))
            return false;
    return true;
}

/* Copy src into dst[cap]; false if it does not fit. */
static bool put(char *dst, size_t cap, const char *src)
{
    return (size_t)snprintf(dst, cap, "%s", src) < cap;
}

static int on_entry(void *user, const char *section, const char *key, const char *value)
{
    parse_ctx *c = user;
    sb_group_file *f = c->out;

    if (strcmp(section, "uarch") == 0) {
        c->in_uarch = true;
        char *dst = strcmp(key, "name") == 0 ? f->name : strcmp(key, "pmu") == 0 ? f->pmu
                    : strcmp(key, "desc") == 0 ? f->desc : NULL;
        size_t cap = dst == f->name ? sizeof(f->name) : dst == f->pmu ? sizeof(f->pmu) : sizeof(f->desc);
        if (!dst)
            snprintf(c->err, sizeof(c->err), "unknown key '%s' in [uarch] (name, pmu, desc)", key);
        else if (!put(dst, cap, value))
            snprintf(c->err, sizeof(c->err), "[uarch] %s is too long", key);
        return c->err[0] == '\0';
    }
    if (!valid_alias(section)) {
        snprintf(c->err, sizeof(c->err), "group name '%s' is not [a-z0-9_]+", section);
        return 0;
    }
    if (!c->cur || strcmp(c->cur->name, section) != 0) {
        for (size_t i = 0; i < f->ng; i++)
            if (strcmp(f->g[i].name, section) == 0) {
                snprintf(c->err, sizeof(c->err), "group [%s] appears twice", section);
                return 0;
            }
        if (f->ng == SB_FILE_MAX_GROUPS) {
            snprintf(c->err, sizeof(c->err), "more than %d groups", SB_FILE_MAX_GROUPS);
            return 0;
        }
        c->cur = &f->g[f->ng++];
        put(c->cur->name, sizeof(c->cur->name), section);
    }
    sb_group *g = c->cur;
    if (strcmp(key, "desc") == 0) {
        if (!put(g->desc, sizeof(g->desc), value))
            snprintf(c->err, sizeof(c->err), "[%s] desc is too long", section);
    } else if (strncmp(key, "event.", 6) == 0) {
        if (!valid_alias(key + 6))
            snprintf(c->err, sizeof(c->err), "[%s] event alias '%s' is not [a-z0-9_]+", section, key + 6);
        else if (g->nev == SB_GROUP_MAX_EVENTS)
            snprintf(c->err, sizeof(c->err), "[%s] has more than %d events", section, SB_GROUP_MAX_EVENTS);
        else if (!strstr(value, "::"))
            snprintf(c->err, sizeof(c->err), "[%s] %s: '%s' is not PMU::EVENT", section, key, value);
        else if (!put(g->ev[g->nev].alias, sizeof(g->ev[0].alias), key + 6) ||
                 !put(g->ev[g->nev].event, sizeof(g->ev[0].event), value))
            snprintf(c->err, sizeof(c->err), "[%s] %s is too long", section, key);
        else
            g->nev++;
    } else if (strncmp(key, "metric.", 7) == 0) {
        if (!valid_alias(key + 7))
            snprintf(c->err, sizeof(c->err), "[%s] metric name '%s' is not [a-z0-9_]+", section, key + 7);
        else if (g->nm == SB_GROUP_MAX_METRICS)
            snprintf(c->err, sizeof(c->err), "[%s] has more than %d metrics", section, SB_GROUP_MAX_METRICS);
        else if (!put(g->m[g->nm].name, sizeof(g->m[0].name), key + 7) ||
                 !put(g->m[g->nm].expr, sizeof(g->m[0].expr), value))
            snprintf(c->err, sizeof(c->err), "[%s] %s is too long", section, key);
        else
            g->nm++;
    } else {
        snprintf(c->err, sizeof(c->err), "[%s] unknown key '%s' (desc, event.ALIAS, metric.NAME)",
                 section, key);
    }
    return c->err[0] == '\0';
}

sb_status sb_group_file_parse(const char *text, const char *fname, sb_group_file *out,
                              char *err, size_t len)
{
    parse_ctx c = {.out = out};
    memset(out, 0, sizeof(*out));
    put(out->file, sizeof(out->file), fname);
    int line = ini_parse_string(text, on_entry, &c);
    if (line != 0) {
        snprintf(err, len, "%s:%d: %s", fname, line, c.err[0] ? c.err : "INI syntax error");
        return SB_EFORMAT;
    }
    if (!out->name[0] || !out->pmu[0]) {
        snprintf(err, len, "%s: no [uarch] section with name and pmu", fname);
        return SB_EFORMAT;
    }
    for (size_t i = 0; i < out->ng; i++)
        if (out->g[i].nev == 0) {
            snprintf(err, len, "%s: group [%s] has no events", fname, out->g[i].name);
            return SB_EFORMAT;
        }
    return SB_OK;
}

static sb_group_file *files;
static size_t nfiles;
static char load_err[256];
static pthread_once_t load_once = PTHREAD_ONCE_INIT;

static void load_all(void)
{
    size_t n = 0;
    while (sb_group_texts[n].file)
        n++;
    if ((files = calloc(n ? n : 1, sizeof(*files))) == NULL) {
        snprintf(load_err, sizeof(load_err), "out of memory for %zu group files", n);
        return;
    }
    for (size_t i = 0; i < n; i++)
        if (sb_group_file_parse(sb_group_texts[i].text, sb_group_texts[i].file, &files[i], load_err,
                                sizeof(load_err)) != SB_OK) {
            free(files);
            files = NULL;
            return;
        }
    nfiles = n;
}

const sb_group_file *sb_groups_files(size_t *n, char *err, size_t len)
{
    pthread_once(&load_once, load_all);
    *n = nfiles;
    if (!files)
        snprintf(err, len, "%s", load_err);
    return files;
}

static bool pmu_present(const char *name)
{
#if SB_HAVE_LIBPFM
    pfm_pmu_info_t info;
    int i;
    if (sb_pmu_pfm_init() != PFM_SUCCESS)
        return false;
    pfm_for_all_pmus(i) {
        memset(&info, 0, sizeof(info));
        info.size = sizeof(info);
        if (pfm_get_pmu_info(i, &info) == PFM_SUCCESS && info.is_present && info.name &&
            strcmp(info.name, name) == 0)
            return true;
    }
#else
    (void)name;
#endif
    return false;
}

const sb_group_file *sb_groups_host(void)
{
    size_t n;
    char err[8];
    const sb_group_file *f = sb_groups_files(&n, err, sizeof(err));
    for (size_t i = 0; f && i < n; i++)
        if (strcmp(f[i].pmu, "perf") != 0 && pmu_present(f[i].pmu))
            return &f[i];
    return NULL;
}

static const sb_group_file *file_named(const sb_group_file *f, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(f[i].name, name) == 0)
            return &f[i];
    return NULL;
}

static const sb_group *group_named(const sb_group_file *f, const char *name)
{
    for (size_t i = 0; f && i < f->ng; i++)
        if (strcmp(f->g[i].name, name) == 0)
            return &f->g[i];
    return NULL;
}

/* Add one event under alias; an alias already bound to another event is an error. */
static sb_status add_event(sb_event_set *s, const char *alias, const char *event, const char *item,
                           char *err, size_t len)
{
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->ev[i].alias, alias) != 0)
            continue;
        if (strcmp(s->ev[i].event, event) == 0)
            return SB_OK;
        snprintf(err, len, "--events %s: '%s' would be both %s and %s", item, alias, s->ev[i].event,
                 event);
        return SB_EINVAL;
    }
    if (s->n == SB_SET_MAX_EVENTS) {
        snprintf(err, len, "--events: more than %d events", SB_SET_MAX_EVENTS);
        return SB_EINVAL;
    }
    if (!put(s->ev[s->n].alias, sizeof(s->ev[0].alias), alias) ||
        !put(s->ev[s->n].event, sizeof(s->ev[0].event), event)) {
        snprintf(err, len, "--events %s: event name too long", item);
        return SB_EINVAL;
    }
    s->n++;
    return SB_OK;
}

static sb_status add_group(sb_event_set *s, const sb_group_file *f, const sb_group *g,
                           const char *item, char *err, size_t len)
{
    sb_status st = SB_OK;
    char qual[64];
    snprintf(qual, sizeof(qual), "%s.%s", f->name, g->name);
    for (size_t i = 0; st == SB_OK && i < g->nev; i++)
        st = add_event(s, g->ev[i].alias, g->ev[i].event, item, err, len);
    for (size_t i = 0; st == SB_OK && i < g->nm; i++) {
        if (s->nmetrics == SB_SET_MAX_METRICS) {
            snprintf(err, len, "--events: more than %d metrics", SB_SET_MAX_METRICS);
            return SB_EINVAL;
        }
        put(s->metric[s->nmetrics].group, sizeof(s->metric[0].group), qual);
        s->metric[s->nmetrics++].m = g->m[i];
    }
    if (st == SB_OK) {
        size_t used = strlen(s->desc);
        snprintf(s->desc + used, sizeof(s->desc) - used, "%s%s", used ? ", " : "", qual);
    }
    return st;
}

sb_status sb_event_set_parse(const char *spec, sb_event_set *out, char *err, size_t len)
{
    sb_status st = SB_OK;
    size_t nf;
    const sb_group_file *f = sb_groups_files(&nf, err, len);
    const sb_group_file *host = sb_groups_host();
    char *copy = strdup(spec ? spec : ""), *save = NULL;

    memset(out, 0, sizeof(*out));
    if (!f || !copy) {
        st = f ? SB_ENOMEM : SB_EFORMAT;
        goto out;
    }
    for (char *item = strtok_r(copy, ",", &save); item && st == SB_OK; item = strtok_r(NULL, ",", &save)) {
        const char *dot = strchr(item, '.');
        if (strstr(item, "::")) {
            st = add_event(out, item, item, item, err, len);
            size_t used = strlen(out->desc);
            snprintf(out->desc + used, sizeof(out->desc) - used, "%s%s", used ? ", " : "", item);
        } else if (dot) {
            char fname[32];
            snprintf(fname, sizeof(fname), "%.*s", (int)(dot - item), item);
            const sb_group_file *file = file_named(f, nf, fname);
            const sb_group *g = group_named(file, dot + 1);
            if (!g) {
                snprintf(err, len, "--events %s: no such group (see sorabench list events --all)", item);
                st = SB_ENOTFOUND;
            } else {
                st = add_group(out, file, g, item, err, len);
            }
        } else {
            const sb_group_file *order[] = {host, file_named(f, nf, "generic"), file_named(f, nf, "software")};
            const sb_group *g = NULL;
            size_t i;
            for (i = 0; i < SB_ARRAY_LEN(order) && !g; i++)
                g = group_named(order[i], item);
            if (!g) {
                snprintf(err, len, "--events %s: not a group (core, cache, stall, simd, software, or "
                         "FILE.GROUP) nor a native event (PMU::EVENT)", item);
                st = SB_ENOTFOUND;
            } else {
                st = add_group(out, order[i - 1], g, item, err, len);
            }
        }
    }
    if (st == SB_OK && out->n == 0) {
        snprintf(err, len, "--events: the list is empty");
        st = SB_EINVAL;
    }
    for (size_t i = 0; i < out->n; i++)
        out->req[i] = (sb_event_req){.alias = out->ev[i].alias, .event = out->ev[i].event};
out:
    free(copy);
    return st;
}
