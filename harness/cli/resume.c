/*
 * resume.c - what `sorabench run --resume` needs beside the sweep itself: the stored command
 * line to run again, and whether this process may add cases to a stored run (the same host,
 * build and environment, or the run's cases would not be one machine's and one program's).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "cli.h"
#include "sb_status.h"

/* Host record keys that may change while the host stays the same machine for timing: total
   memory moves on VMs whose memory is hot-plugged (seen here: 5.3 GB, then 25.3 GB, in one
   session). Every other key must be equal. */
static const char *const host_volatile[] = {"mem_bytes"};

int sb_resume_argv(const char *argv_json, int *argc, char ***argv)
{
    json_t *a = json_loads(argv_json, 0, NULL);
    size_t n = json_is_array(a) ? json_array_size(a) : 0;
    char **v = n > 1 ? calloc(n, sizeof(*v)) : NULL; /* without argv[0], "sorabench" */
    int ok = v != NULL;
    for (size_t i = 1; ok && i < n; i++) {
        const char *s = json_string_value(json_array_get(a, i));
        ok = s && (v[i - 1] = strdup(s)) != NULL;
    }
    json_decref(a);
    if (!ok) {
        sb_resume_argv_free(n > 1 ? (int)n - 1 : 0, v);
        return -1;
    }
    *argc = (int)n - 1;
    *argv = v;
    return 0;
}

void sb_resume_argv_free(int argc, char **argv)
{
    for (int i = 0; argv && i < argc; i++)
        free(argv[i]);
    free(argv);
}

static bool is_volatile(const char *key)
{
    for (size_t i = 0; i < SB_ARRAY_LEN(host_volatile); i++)
        if (strcmp(key, host_volatile[i]) == 0)
            return true;
    return false;
}

/* The first key of then or now (objects) whose values differ, or NULL; skip: ignore these. */
static const char *first_difference(json_t *then, json_t *now, bool skip_volatile)
{
    const char *key;
    json_t *v;
    json_object_foreach(then, key, v) {
        if (!(skip_volatile && is_volatile(key)) && !json_equal(v, json_object_get(now, key)))
            return key;
    }
    json_object_foreach(now, key, v) {
        if (!(skip_volatile && is_volatile(key)) && !json_object_get(then, key))
            return key;
    }
    return NULL;
}

int sb_resume_check(const char *what, const char *then_json, const char *now_json, bool host,
                    char *why, size_t len)
{
    json_t *then = json_loads(then_json, 0, NULL), *now = json_loads(now_json, 0, NULL);
    int rc = 0;
    if (!json_is_object(then) || !json_is_object(now)) {
        snprintf(why, len, "the run's %s record cannot be read", what);
        rc = -1;
    } else {
        const char *key = first_difference(then, now, host);
        if (key) {
            char *a = json_dumps(json_object_get(then, key), JSON_ENCODE_ANY | JSON_COMPACT);
            char *b = json_dumps(json_object_get(now, key), JSON_ENCODE_ANY | JSON_COMPACT);
            snprintf(why, len, "the %s differs: %s was %s, is %s now", what, key, a ? a : "absent",
                     b ? b : "absent");
            free(a);
            free(b);
            rc = -1;
        }
    }
    json_decref(then);
    json_decref(now);
    return rc;
}
