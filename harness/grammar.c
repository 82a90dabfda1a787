/* grammar.c - integer lists/ranges and string lists (see grammar.h). */
#include "grammar.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parse one decimal integer at *p, advancing *p. Returns 0 on success. */
static int parse_long(const char **p, long *v)
{
    char *end;
    if (**p == '\0' || **p == '+' || **p == ' ')
        return -1;
    errno = 0;
    *v = strtol(*p, &end, 10);
    if (end == *p || errno == ERANGE)
        return -1;
    *p = end;
    return 0;
}

static sb_status push(long **vals, size_t *n, size_t *cap, long v)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        long *nv = realloc(*vals, nc * sizeof(*nv));
        if (!nv)
            return SB_ENOMEM;
        *vals = nv;
        *cap = nc;
    }
    (*vals)[(*n)++] = v;
    return SB_OK;
}

sb_status sb_intlist_parse(const char *s, long min, long max, long **out, size_t *n,
                           char *err, size_t errlen)
{
    sb_status st = SB_OK;
    long *vals = NULL;
    size_t nv = 0, cap = 0;
    char *copy = NULL, *save = NULL;

    *out = NULL;
    *n = 0;
    if (!s || !*s) {
        snprintf(err, errlen, "empty list");
        return SB_EINVAL;
    }
    if ((copy = strdup(s)) == NULL)
        return SB_ENOMEM;
    if (copy[strlen(copy) - 1] == ',' || copy[0] == ',' || strstr(copy, ",,")) {
        snprintf(err, errlen, "empty item in list '%s'", s);
        st = SB_EINVAL;
        goto out;
    }
    for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        const char *p = item;
        long lo, hi, step = 1;
        char op = '+';
        if (parse_long(&p, &lo) != 0)
            goto bad;
        hi = lo;
        if (*p == '-') {
            p++;
            if (parse_long(&p, &hi) != 0)
                goto bad;
            if (*p == '*' || *p == '+') {
                op = *p++;
                if (parse_long(&p, &step) != 0)
                    goto bad;
            }
            if (hi < lo || (op == '+' && step < 1) || (op == '*' && (step < 2 || lo < 1)))
                goto bad;
        }
        if (*p != '\0')
            goto bad;
        for (long v = lo; v <= hi; v = (op == '*') ? v * step : v + step) {
            if (v < min || v > max) {
                snprintf(err, errlen, "value %ld in '%s' is outside %ld..%ld", v, item, min, max);
                st = SB_EINVAL;
                goto out;
            }
            if (nv >= SB_LIST_MAX) {
                snprintf(err, errlen, "list '%s' expands to more than %d values", s, SB_LIST_MAX);
                st = SB_EINVAL;
                goto out;
            }
            if ((st = push(&vals, &nv, &cap, v)) != SB_OK)
                goto out;
        }
        continue;
    bad:
        snprintf(err, errlen,
                 "malformed item '%s' (expected N, A-B, A-B+STEP or A-B*FACTOR)", item);
        st = SB_EINVAL;
        goto out;
    }
    *out = vals;
    *n = nv;
    vals = NULL;
out:
    free(vals);
    free(copy);
    return st;
}

void sb_strlist_free(char **list, size_t n)
{
    if (!list)
        return;
    for (size_t i = 0; i < n; i++)
        free(list[i]);
    free(list);
}

sb_status sb_strlist_parse(const char *s, char ***out, size_t *n, char *err, size_t errlen)
{
    sb_status st = SB_OK;
    char **items = NULL;
    size_t ni = 0, cap = 0;
    const char *p = s;

    *out = NULL;
    *n = 0;
    if (!s || !*s) {
        snprintf(err, errlen, "empty list");
        return SB_EINVAL;
    }
    for (;;) {
        size_t len = strcspn(p, ",");
        if (len == 0) {
            snprintf(err, errlen, "empty item in list '%s'", s);
            st = SB_EINVAL;
            goto out;
        }
        if (ni == cap) {
            size_t nc = cap ? cap * 2 : 8;
            char **ng = realloc(items, nc * sizeof(*ng));
            if (!ng) {
                st = SB_ENOMEM;
                goto out;
            }
            items = ng;
            cap = nc;
        }
        if ((items[ni] = strndup(p, len)) == NULL) {
            st = SB_ENOMEM;
            goto out;
        }
        ni++;
        if (p[len] == '\0')
            break;
        p += len + 1;
    }
    *out = items;
    *n = ni;
    items = NULL;
out:
    sb_strlist_free(items, ni);
    return st;
}
