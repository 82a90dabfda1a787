/*
 * cli.h - the sorabench subcommands and what they share.
 * Exit codes: 0 success, 1 failure while working, 2 bad input (usage).
 */
#ifndef SB_CLI_H
#define SB_CLI_H

#include <stdbool.h>
#include <stdio.h>

enum { SB_EXIT_OK = 0, SB_EXIT_FAIL = 1, SB_EXIT_USAGE = 2 };

int sb_cmd_run(int argc, char **argv);
int sb_cmd_list(int argc, char **argv);
int sb_cmd_sysinfo(int argc, char **argv);
int sb_cmd_report(int argc, char **argv);
int sb_cmd_compare(int argc, char **argv);
int sb_cmd_check(int argc, char **argv);
int sb_cmd_merge(int argc, char **argv);
int sb_cmd_calibrate(int argc, char **argv);

/* Print "sorabench CMD: message" on stderr; returns code. */
int sb_cli_error(const char *cmd, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The database path used when --db is not given. */
#define SB_DEFAULT_DB "sorabench.db"

#endif

/* ---- shared by the subcommands (common.c) ---- */

#include <getopt.h>
#include "presets.h"

/* One option: getopt_long entry plus its help line. */
typedef struct sb_opt {
    const char *name;      /* long name */
    int has_arg;           /* no_argument / required_argument */
    int key;               /* short letter or a value >= 256 */
    const char *metavar;   /* "LIST", "FILE"; NULL for flags */
    const char *help;      /* one line, with the default */
} sb_opt;

/* Build the getopt_long table of opts (n entries) into out (n + 1 entries). */
void sb_cli_longopts(const sb_opt *opts, size_t n, struct option *out);

/* Print usage: the synopsis line, a description, then one line per option. */
void sb_cli_help(FILE *f, const char *synopsis, const char *desc, const sb_opt *opts, size_t n);

/* Resolve model/resolution/aspect/duration names into a shape, or explain. */
int sb_cli_shape(const char *cmd, const char *model, const char *res, const char *aspect,
                 const char *dur, bool cfg, sb_shape *out);

/* ---- run --resume (resume.c) ---- */

/*
 * The command line stored with a run (run.argv, a JSON array from "sorabench") as an argv from
 * "run", malloc'd: free with sb_resume_argv_free. -1 when it is not such an array.
 */
int sb_resume_argv(const char *argv_json, int *argc, char ***argv);
void sb_resume_argv_free(int argc, char **argv);

/*
 * Whether a record of this process (now_json) is the stored run's (then_json), both JSON
 * objects: 0 when equal, else -1 and why names the first key that differs, with both values.
 * host: the host record, where keys that change on the same machine (total memory) are ignored.
 */
int sb_resume_check(const char *what, const char *then_json, const char *now_json, bool host,
                    char *why, size_t len);

/* Does a dotted name ("spatial.mlp.fc1", "fma.f32.avx2") match a list item: itself, or a
   prefix of it that ends at a dot ("spatial.mlp", "fma")? */
bool sb_cli_name_matches(const char *name, const char *item);

/* Parse a positive number for option opt; explains and returns SB_EXIT_USAGE when bad. */
int sb_cli_double(const char *cmd, const char *opt, const char *s, double min, double *out);
int sb_cli_long(const char *cmd, const char *opt, const char *s, long min, long max, long *out);
