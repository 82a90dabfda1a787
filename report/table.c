/* table.c - result tables and their renderers (see table.h). */
#include "table.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const char *const fmt_names[] = {[SB_FMT_TABLE] = "table", [SB_FMT_MD] = "md",
                                        [SB_FMT_CSV] = "csv", [SB_FMT_JSON] = "json"};
_Static_assert(SB_ARRAY_LEN(fmt_names) == SB_FMT_COUNT, "one name per format");

sb_status sb_format_find(const char *name, sb_format *out)
{
    for (int i = 0; name && i < SB_FMT_COUNT; i++)
        if (strcmp(name, fmt_names[i]) == 0) {
            *out = (sb_format)i;
            return SB_OK;
        }
    return SB_ENOTFOUND;
}

void sb_table_init(sb_table *t, const sb_column *cols, size_t ncols, const char *title)
{
    memset(t, 0, sizeof(*t));
    t->cols = cols;
    t->ncols = ncols;
    snprintf(t->title, sizeof(t->title), "%s", title ? title : "");
}

void sb_table_free(sb_table *t)
{
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i].text);
    free(t->cells);
    for (size_t i = 0; i < t->nnotes; i++)
        free(t->notes[i]);
    free(t->notes);
    memset(t, 0, sizeof(*t));
}

long sb_table_add_row(sb_table *t)
{
    if (t->nrows == t->cap) {
        size_t nc = t->cap ? 2 * t->cap : 32;
        sb_cell *c = realloc(t->cells, nc * t->ncols * sizeof(*c));
        if (!c)
            return -1;
        t->cells = c;
        t->cap = nc;
    }
    sb_cell *row = t->cells + t->nrows * t->ncols;
    for (size_t i = 0; i < t->ncols; i++)
        row[i] = (sb_cell){.null = true};
    return (long)t->nrows++;
}

static sb_cell *cell(const sb_table *t, long row, size_t col)
{
    return &t->cells[(size_t)row * t->ncols + col];
}

void sb_table_set_text(sb_table *t, long row, size_t col, const char *v)
{
    sb_cell *c = cell(t, row, col);
    free(c->text);
    c->text = v ? strdup(v) : NULL;
    c->null = c->text == NULL;
}

void sb_table_set_num(sb_table *t, long row, size_t col, double v)
{
    sb_cell *c = cell(t, row, col);
    c->num = v;
    c->null = !isfinite(v);
}

sb_status sb_table_add_note(sb_table *t, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    char **n = realloc(t->notes, (t->nnotes + 1) * sizeof(*n));
    if (!n)
        return SB_ENOMEM;
    t->notes = n;
    if ((t->notes[t->nnotes] = strdup(buf)) == NULL)
        return SB_ENOMEM;
    t->nnotes++;
    return SB_OK;
}

/* Text of a cell for human formats. */
static void cell_text(const sb_table *t, long r, size_t c, char *buf, size_t len)
{
    const sb_cell *x = cell(t, r, c);
    if (x->null) {
        snprintf(buf, len, "-");
        return;
    }
    switch (t->cols[c].type) {
    case SB_COL_TEXT: snprintf(buf, len, "%s", x->text); break;
    case SB_COL_INT: snprintf(buf, len, "%.0f", x->num); break;
    case SB_COL_REAL: snprintf(buf, len, "%.*f", t->cols[c].precision, x->num); break;
    case SB_COL_SCI: snprintf(buf, len, "%.*e", t->cols[c].precision, x->num); break;
    }
}

static void render_text(const sb_table *t, FILE *f, bool md)
{
    size_t *w = calloc(t->ncols, sizeof(*w));
    char buf[512];
    if (!w)
        return;
    for (size_t c = 0; c < t->ncols; c++) {
        w[c] = strlen(t->cols[c].title);
        for (size_t r = 0; r < t->nrows; r++) {
            cell_text(t, (long)r, c, buf, sizeof(buf));
            if (strlen(buf) > w[c])
                w[c] = strlen(buf);
        }
    }
    if (t->title[0])
        fprintf(f, md ? "### %s\n\n" : "%s\n", t->title);
    for (size_t c = 0; c < t->ncols; c++) {
        bool left = t->cols[c].type == SB_COL_TEXT;
        int width = left ? -(int)w[c] : (int)w[c];
        if (md)
            fprintf(f, "| %*s ", width, t->cols[c].title);
        else
            fprintf(f, "%s%*s", c ? "  " : "", width, t->cols[c].title);
    }
    fprintf(f, md ? "|\n" : "\n");
    for (size_t c = 0; c < t->ncols; c++) {
        bool left = t->cols[c].type == SB_COL_TEXT;
        if (md) { /* |:---- for text (left aligned), |----: for numbers */
            fputs(left ? "|:" : "|", f);
            for (size_t i = 0; i < w[c] + 1; i++)
                fputc('-', f);
            if (!left)
                fputc(':', f);
        } else {
            for (size_t i = 0; i < w[c]; i++)
                fputc('-', f);
            if (c + 1 < t->ncols)
                fputs("  ", f);
        }
    }
    fprintf(f, md ? "|\n" : "\n");
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            bool left = t->cols[c].type == SB_COL_TEXT;
            cell_text(t, (long)r, c, buf, sizeof(buf));
            if (md)
                fprintf(f, "| %*s ", left ? -(int)w[c] : (int)w[c], buf);
            else
                fprintf(f, "%s%*s", c ? "  " : "", left ? -(int)w[c] : (int)w[c], buf);
        }
        fprintf(f, md ? "|\n" : "\n");
    }
    if (t->nnotes)
        fputc('\n', f);
    for (size_t i = 0; i < t->nnotes; i++)
        fprintf(f, md ? "- %s\n" : "  %s\n", t->notes[i]);
    free(w);
}

/* RFC 4180: quote a field that holds a comma, quote or line break. */
static void csv_field(FILE *f, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void render_csv(const sb_table *t, FILE *f)
{
    for (size_t c = 0; c < t->ncols; c++) {
        if (c)
            fputc(',', f);
        csv_field(f, t->cols[c].key);
    }
    fputs("\r\n", f);
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            const sb_cell *x = cell(t, (long)r, c);
            if (c)
                fputc(',', f);
            if (x->null)
                continue;
            if (t->cols[c].type == SB_COL_TEXT)
                csv_field(f, x->text);
            else
                fprintf(f, t->cols[c].type == SB_COL_INT ? "%.0f" : "%.17g", x->num);
        }
        fputs("\r\n", f);
    }
}

static sb_status render_json(const sb_table *t, FILE *f)
{
    json_t *root = json_object(), *rows = json_array(), *notes = json_array();
    for (size_t r = 0; r < t->nrows; r++) {
        json_t *o = json_object();
        for (size_t c = 0; c < t->ncols; c++) {
            const sb_cell *x = cell(t, (long)r, c);
            json_t *v = x->null ? json_null()
                        : t->cols[c].type == SB_COL_TEXT ? json_string(x->text)
                        : t->cols[c].type == SB_COL_INT ? json_integer((json_int_t)x->num)
                                                         : json_real(x->num);
            json_object_set_new(o, t->cols[c].key, v);
        }
        json_array_append_new(rows, o);
    }
    for (size_t i = 0; i < t->nnotes; i++)
        json_array_append_new(notes, json_string(t->notes[i]));
    json_object_set_new(root, "title", json_string(t->title));
    json_object_set_new(root, "rows", rows);
    json_object_set_new(root, "notes", notes);
    int rc = json_dumpf(root, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', f);
    json_decref(root);
    return rc == 0 ? SB_OK : SB_ESYS;
}

sb_status sb_table_render(const sb_table *t, sb_format fmt, FILE *f)
{
    switch (fmt) {
    case SB_FMT_TABLE: render_text(t, f, false); break;
    case SB_FMT_MD: render_text(t, f, true); break;
    case SB_FMT_CSV: render_csv(t, f); break;
    case SB_FMT_JSON: return render_json(t, f);
    case SB_FMT_COUNT: return SB_EINVAL;
    }
    return ferror(f) ? SB_ESYS : SB_OK;
}
