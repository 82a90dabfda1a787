/*
 * sb_status.h - status codes shared by every sorabench module.
 *
 * Every fallible function returns an sb_status: SB_OK (0) on success, a negative
 * code on failure. The code says the class of failure; stateful modules keep the
 * human detail in a per-handle message (sb_store_errmsg(), ...), and
 * sb_strerror() gives the generic text of a code.
 */
#ifndef SB_STATUS_H
#define SB_STATUS_H

#include <stddef.h>

typedef int sb_status;

enum {
    SB_OK = 0,
    SB_EINVAL = -1,     /* bad argument or malformed input */
    SB_ENOMEM = -2,     /* allocation failed */
    SB_ESYS = -3,       /* a system call failed (errno in the detail) */
    SB_ENOSUPP = -4,    /* ISA, counter or feature absent on this host */
    SB_EPERM = -5,      /* permission denied */
    SB_ENOTFOUND = -6,  /* unknown name (preset, layer, variant, run, ...) */
    SB_EVERIFY = -7,    /* numerical result does not match the reference */
    SB_EBUSY = -8,      /* resource busy (database locked, ...) */
    SB_EFORMAT = -9,    /* file is not what it should be (not a sorabench db) */
    SB_EVERSION = -10,  /* schema or format version we cannot handle */
    SB_EDB = -11,       /* database error (SQLite detail in the handle) */
};

/* Generic text for a status code; never NULL. */
const char *sb_strerror(sb_status st);

/* Number of elements of a true array (not a pointer). */
#define SB_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
