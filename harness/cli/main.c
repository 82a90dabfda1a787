/*
 * main.c - sorabench entry point: dispatches to a subcommand.
 *
 *   $ sorabench run                    # per-layer FP32 sweep of stdit3-xl2 into sorabench.db
 *   $ sorabench report --format md     # the latest run as a Markdown table
 *   $ sorabench compare 3f2a 9c1d      # two runs side by side, with a geomean
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "sb_config.h"

static const struct {
    const char *name;
    int (*main)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"run", sb_cmd_run, "measure layers, blocks or steps and store every sample"},
    {"list", sb_cmd_list, "list models, presets, layers, variants, kernels, collectors or runs"},
    {"sysinfo", sb_cmd_sysinfo, "print the host and build record (text or --json)"},
    {"report", sb_cmd_report, "per-layer table of a stored run (table, md, csv, json)"},
    {"compare", sb_cmd_compare, "compare two stored runs case by case, with a geomean"},
    {"check", sb_cmd_check, "hold a run to a baseline run: exit 1 on a significant slowdown"},
    {"calibrate", sb_cmd_calibrate, "measure the host's FLOP/s peaks and bandwidth per memory level"},
    {"merge", sb_cmd_merge, "copy the runs of other databases into one (-o OUT.db IN.db ...)"},
};

int sb_cli_error(const char *cmd, int code, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "sorabench%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return code;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: sorabench COMMAND [options]   (sorabench COMMAND --help for its options)\n\n"
               "sorabench %s - benchmarks OpenSora's diffusion transformer layers on CPUs.\n\n"
               "commands:\n", SB_VERSION);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nWith no command, 'sorabench' prints this help. 'sorabench run' with no options\n"
               "runs the default per-layer FP32 sweep of stdit3-xl2 into ./%s.\n", SB_DEFAULT_DB);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stdout);
        return SB_EXIT_OK;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return SB_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("sorabench %s\n", SB_VERSION);
        return SB_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].main(argc - 1, argv + 1);
    return sb_cli_error(NULL, SB_EXIT_USAGE, "unknown command '%s' (sorabench --help lists them)",
                        argv[1]);
}
