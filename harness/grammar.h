/*
 * grammar.h - the one grammar for lists and ranges on the command line.
 *
 *   list   := item (',' item)*
 *   item   := INT | INT '-' INT [ ('*' | '+') INT ]
 *
 * "1,2,4" is a list; "1-4" is 1,2,3,4; "2-8+2" is 2,4,6,8 (additive step);
 * "1-64*2" is 1,2,4,...,64 (multiplicative step). Ranges stop at or before their
 * upper bound. String lists ("fp32,bf16") are comma separated, no empty items.
 */
#ifndef SB_GRAMMAR_H
#define SB_GRAMMAR_H

#include <stddef.h>
#include "sb_status.h"

/* Upper bound on the values one list may expand to. */
#define SB_LIST_MAX 4096

/*
 * Parse an integer list. On success *out is a malloc'd array of *n values in
 * the order written (duplicates kept), all in [min, max]. On failure returns
 * SB_EINVAL and writes a one-line message naming the bad item into err.
 */
sb_status sb_intlist_parse(const char *s, long min, long max, long **out, size_t *n,
                           char *err, size_t errlen);

/*
 * Split a comma-separated string list. *out is a malloc'd array of *n
 * malloc'd strings; free with sb_strlist_free. Empty items are an error.
 */
sb_status sb_strlist_parse(const char *s, char ***out, size_t *n, char *err, size_t errlen);
void sb_strlist_free(char **list, size_t n);

#endif
