/* status.c - text of the sb_status codes (see sb_status.h). */
#include "sb_status.h"

static const struct {
    sb_status code;
    const char *text;
} status_text[] = {
    {SB_OK, "success"},
    {SB_EINVAL, "invalid argument"},
    {SB_ENOMEM, "out of memory"},
    {SB_ESYS, "system call failed"},
    {SB_ENOSUPP, "not supported on this host"},
    {SB_EPERM, "permission denied"},
    {SB_ENOTFOUND, "not found"},
    {SB_EVERIFY, "result does not match the reference"},
    {SB_EBUSY, "resource busy"},
    {SB_EFORMAT, "not a sorabench file"},
    {SB_EVERSION, "unsupported version"},
    {SB_EDB, "database error"},
};

const char *sb_strerror(sb_status st)
{
    for (size_t i = 0; i < SB_ARRAY_LEN(status_text); i++)
        if (status_text[i].code == st)
            return status_text[i].text;
    return "unknown error";
}
