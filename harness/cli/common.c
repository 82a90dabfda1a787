/* common.c - option tables, help text and preset resolution shared by the subcommands. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

void sb_cli_longopts(const sb_opt *opts, size_t n, struct option *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (struct option){opts[i].name, opts[i].has_arg, NULL, opts[i].key};
    out[n] = (struct option){0, 0, 0, 0};
}

void sb_cli_help(FILE *f, const char *synopsis, const char *desc, const sb_opt *opts, size_t n)
{
    fprintf(f, "usage: %s\n\n%s\n\noptions:\n", synopsis, desc);
    for (size_t i = 0; i < n; i++) {
        char left[64];
        if (opts[i].key < 256)
            snprintf(left, sizeof(left), "-%c, --%s%s%s", opts[i].key, opts[i].name,
                     opts[i].metavar ? " " : "", opts[i].metavar ? opts[i].metavar : "");
        else
            snprintf(left, sizeof(left), "    --%s%s%s", opts[i].name, opts[i].metavar ? " " : "",
                     opts[i].metavar ? opts[i].metavar : "");
        fprintf(f, "  %-24s %s\n", left, opts[i].help);
    }
}

/* "a, b, c" of a preset table's names into buf. */
#define KNOWN(buf, arr, count, field)                                                   \
    do {                                                                                \
        size_t used_ = 0;                                                               \
        (buf)[0] = '\0';                                                                \
        for (size_t i_ = 0; i_ < (count); i_++) {                                       \
            if (strstr((buf), (arr)[i_].field))                                         \
                continue; /* resolutions repeat once per aspect */                      \
            used_ += (size_t)snprintf((buf) + used_, sizeof(buf) - used_, "%s%s",       \
                                      used_ ? ", " : "", (arr)[i_].field);              \
            if (used_ >= sizeof(buf))                                                   \
                break;                                                                  \
        }                                                                               \
    } while (0)

int sb_cli_shape(const char *cmd, const char *model, const char *res, const char *aspect,
                 const char *dur, bool cfg, sb_shape *out)
{
    char known[256];
    const sb_model *m = sb_model_find(model);
    const sb_res *r = sb_res_find(res, aspect);
    const sb_dur *d = sb_dur_find(dur);
    if (!m) {
        KNOWN(known, sb_models, sb_models_count, name);
        return sb_cli_error(cmd, SB_EXIT_USAGE, "unknown model '%s' (known: %s)", model, known);
    }
    if (!r) {
        if (!sb_res_find(res, NULL)) {
            KNOWN(known, sb_resolutions, sb_resolutions_count, name);
            return sb_cli_error(cmd, SB_EXIT_USAGE, "unknown resolution '%s' (known: %s)", res, known);
        }
        return sb_cli_error(cmd, SB_EXIT_USAGE, "unknown aspect ratio '%s' (known: 9:16, 1:1, 16:9)",
                            aspect);
    }
    if (!d) {
        KNOWN(known, sb_durations, sb_durations_count, name);
        return sb_cli_error(cmd, SB_EXIT_USAGE, "unknown duration '%s' (known: %s)", dur, known);
    }
    sb_shape_resolve(m, r, d, cfg, out);
    return SB_EXIT_OK;
}

int sb_cli_double(const char *cmd, const char *opt, const char *s, double min, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || errno || !(v >= min))
        return sb_cli_error(cmd, SB_EXIT_USAGE, "--%s '%s': expected a number >= %g", opt, s, min);
    *out = v;
    return SB_EXIT_OK;
}

int sb_cli_long(const char *cmd, const char *opt, const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end != '\0' || errno || v < min || v > max)
        return sb_cli_error(cmd, SB_EXIT_USAGE, "--%s '%s': expected a whole number in %ld..%ld",
                            opt, s, min, max);
    *out = v;
    return SB_EXIT_OK;
}

bool sb_cli_name_matches(const char *name, const char *item)
{
    size_t n = strlen(item);
    return strcmp(name, item) == 0 || (strncmp(name, item, n) == 0 && name[n] == '.');
}
