/*
 * table.h - a result table (typed columns, rows of cells, notes) and its
 * renderers: aligned terminal text, Markdown, CSV (RFC 4180 quoting) and JSON
 * (jansson). Analysis code fills tables; renderers never compute anything.
 */
#ifndef SB_TABLE_H
#define SB_TABLE_H

#include <stdbool.h>
#include <stdio.h>
#include "sb_status.h"

typedef enum sb_col_type {
    SB_COL_TEXT,
    SB_COL_INT,
    SB_COL_REAL,           /* fixed point, `precision` decimals */
    SB_COL_SCI,            /* scientific, `precision` decimals: 1.23e-04 */
} sb_col_type;

typedef struct sb_column {
    const char *key;       /* machine name: CSV header, JSON key */
    const char *title;     /* terminal/Markdown header */
    sb_col_type type;
    int precision;         /* digits after the point for REAL/SCI in text output */
} sb_column;

typedef struct sb_cell {
    bool null;             /* no value (printed as "-" / empty / null) */
    double num;
    char *text;            /* owned, SB_COL_TEXT */
} sb_cell;

typedef struct sb_table {
    const sb_column *cols; /* static column definitions */
    size_t ncols;
    sb_cell *cells;        /* [nrows][ncols] */
    size_t nrows, cap;
    char title[256];
    char **notes;          /* lines printed under the table (owned) */
    size_t nnotes;
} sb_table;

typedef enum sb_format { SB_FMT_TABLE, SB_FMT_MD, SB_FMT_CSV, SB_FMT_JSON, SB_FMT_COUNT } sb_format;

sb_status sb_format_find(const char *name, sb_format *out);

void sb_table_init(sb_table *t, const sb_column *cols, size_t ncols, const char *title);
void sb_table_free(sb_table *t);

/* Append a row of null cells; returns its index or -1 on allocation failure. */
long sb_table_add_row(sb_table *t);
void sb_table_set_text(sb_table *t, long row, size_t col, const char *v);
void sb_table_set_num(sb_table *t, long row, size_t col, double v);
sb_status sb_table_add_note(sb_table *t, const char *fmt, ...);

/* Write t to f in format fmt. */
sb_status sb_table_render(const sb_table *t, sb_format fmt, FILE *f);

#endif
