/* collector.c - the table of collectors (add a row to add a collector). */
#include <string.h>
#include "collector.h"
#include "collectors_impl.h"
#include "sb_config.h"

/* time first: the runner takes its value as the sample. */
static const sb_collector_ops *const table[] = {
    &sb_collector_time,
    &sb_collector_rusage,
#if SB_HAVE_LIBPFM
    &sb_collector_perf,
#endif
#if SB_HAVE_PAPI
    &sb_collector_papi,
#endif
};

const sb_collector_ops *const *sb_collectors(size_t *count)
{
    *count = SB_ARRAY_LEN(table);
    return table;
}

const sb_collector_ops *sb_collector_find(const char *name)
{
    for (size_t i = 0; name && i < SB_ARRAY_LEN(table); i++)
        if (strcmp(table[i]->name, name) == 0)
            return table[i];
    return NULL;
}
