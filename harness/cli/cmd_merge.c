/*
 * cmd_merge.c - sorabench merge: the runs of several databases (shards of a sweep run on many
 * machines, say) into one, through sb_store_merge.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include "cli.h"
#include "store.h"

enum { O_OUT = 'o', O_HELP = 'h' };

static const sb_opt opts[] = {
    {"out", required_argument, O_OUT, "FILE", "the database to merge into (created when absent)"},
    {"help", no_argument, O_HELP, NULL, "this help"},
};

/* True when a and b name the same file (both exist). */
static bool same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Refuse a missing input, the output named as an input, and an input named twice. */
static int check_inputs(int n, char **in, const char *out)
{
    struct stat st;
    for (int i = 0; i < n; i++) {
        if (stat(in[i], &st) != 0)
            return sb_cli_error("merge", SB_EXIT_USAGE, "%s: %s", in[i], strerror(errno));
        if (same_file(in[i], out))
            return sb_cli_error("merge", SB_EXIT_USAGE, "%s is the output (-o) too", in[i]);
        for (int j = 0; j < i; j++)
            if (same_file(in[i], in[j]))
                return sb_cli_error("merge", SB_EXIT_USAGE, "%s and %s are the same file", in[j],
                                    in[i]);
    }
    return SB_EXIT_OK;
}

int sb_cmd_merge(int argc, char **argv)
{
    struct option lo[SB_ARRAY_LEN(opts) + 1];
    const char *out = NULL;
    sb_store *s = NULL;
    char err[512];
    int ch, rc;

    sb_cli_longopts(opts, SB_ARRAY_LEN(opts), lo);
    optind = 1;
    while ((ch = getopt_long(argc, argv, "o:h", lo, NULL)) != -1) {
        switch (ch) {
        case O_OUT: out = optarg; break;
        case O_HELP:
            sb_cli_help(stdout, "sorabench merge -o OUT.db IN.db [IN.db ...]",
                        "Copies into OUT the runs of each IN that OUT lacks, with their cases,\n"
                        "samples, nodes, counters, accuracy and regression checks (and hosts and\n"
                        "builds as needed): for sweeps split over several machines, each writing\n"
                        "its own database. Run ids are random 128-bit values and are kept, so a\n"
                        "run never collides with another. A run OUT has already gets only the\n"
                        "cases OUT lacks (a run resumed after an earlier merge), and IN's later\n"
                        "status and end when IN holds all of OUT's cases of it: merging a file\n"
                        "twice copies nothing the second time. Case and check ids are numbered\n"
                        "anew. Each IN is copied in one transaction, after all of them\n"
                        "are checked to be sorabench databases (an older schema is upgraded in\n"
                        "place, as any command that reads it does). Exit 0: all merged; 1: an IN\n"
                        "failed (those before it stay merged); 2: bad input.",
                        opts, SB_ARRAY_LEN(opts));
            return SB_EXIT_OK;
        default:
            return sb_cli_error("merge", SB_EXIT_USAGE, "bad option (see sorabench merge --help)");
        }
    }
    if (!out)
        return sb_cli_error("merge", SB_EXIT_USAGE, "-o OUT.db is required (the database to merge into)");
    if (optind >= argc)
        return sb_cli_error("merge", SB_EXIT_USAGE, "no database to merge (sorabench merge -o OUT.db IN.db ...)");
    if ((rc = check_inputs(argc - optind, argv + optind, out)) != SB_EXIT_OK)
        return rc;
    for (int i = optind; i < argc; i++) { /* every input is checked before OUT is written */
        sb_store *in = NULL;
        if (sb_store_open(&in, argv[i], SB_STORE_READ, err, sizeof(err)) != SB_OK)
            return sb_cli_error("merge", SB_EXIT_USAGE, "%s", err);
        sb_store_close(in);
    }
    if (sb_store_open(&s, out, SB_STORE_WRITE, err, sizeof(err)) != SB_OK)
        return sb_cli_error("merge", SB_EXIT_FAIL, "%s", err);
    rc = SB_EXIT_OK;
    for (int i = optind; i < argc && rc == SB_EXIT_OK; i++) {
        sb_merge_counts n;
        if (sb_store_merge(s, argv[i], &n, err, sizeof(err)) != SB_OK) {
            rc = sb_cli_error("merge", SB_EXIT_FAIL, "%s: %s (nothing of it merged)", argv[i], err);
            break;
        }
        fprintf(stderr, "sorabench merge: %s: %lld run(s), %lld case(s), %lld check(s) merged; "
                "%lld run(s) already in %s (%lld given new cases, %lld a later end)\n", argv[i],
                n.runs, n.cases, n.checks, n.present, out, n.grown, n.ended);
    }
    sb_store_close(s);
    return rc;
}
