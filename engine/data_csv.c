/* data_csv.c — reader for numeric CSV/TSV matrices with an optional header
 * row and an optional label column (see dataset.h for the rules).
 *
 * Deliberately small: one record per physical line (a quoted cell cannot
 * span lines), no comment lines, no type inference beyond "number or not".
 * Input goes through zlib, so ".csv.gz" files read like plain ones. */
#include "dataset.h"
#include "sh_error.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

data_csv_opts data_csv_default_opts(void)
{
    data_csv_opts o = { 0, -1, NULL, -1 };
    return o;
}

/* ---- lines ------------------------------------------------------------ */

typedef struct {
    gzFile gz;
    char *buf;   /* current line, NUL-terminated, without "\n" / "\r\n" */
    size_t cap;
    size_t lineno;
} line_reader;

/* Reads the next line into r->buf. Returns 1 (a line), 0 (end of file),
 * SH_ENOMEM or a positive errno / SH_EFORMAT on a read error. */
static int read_line(line_reader *r)
{
    size_t len = 0;
    for (;;) {
        if (r->cap - len < 2) {
            size_t cap = r->cap ? r->cap * 2 : 4096;
            char *b = realloc(r->buf, cap);
            if (b == NULL)
                return SH_ENOMEM;
            r->buf = b;
            r->cap = cap;
        }
        if (gzgets(r->gz, r->buf + len, (int)(r->cap - len > INT_MAX ? INT_MAX : r->cap - len)) == NULL) {
            int zerr = 0;
            gzerror(r->gz, &zerr);
            if (zerr == Z_ERRNO)
                return errno ? errno : EIO;
            if (zerr != Z_OK && zerr != Z_BUF_ERROR)
                return SH_EFORMAT;
            if (len == 0)
                return 0;
            break;
        }
        len += strlen(r->buf + len);
        if (len > 0 && r->buf[len - 1] == '\n')
            break;
    }
    r->lineno++;
    if (len > 0 && r->buf[len - 1] == '\n')
        r->buf[--len] = '\0';
    if (len > 0 && r->buf[len - 1] == '\r')
        r->buf[--len] = '\0';
    return 1;
}

static int is_blank(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return *s == '\0';
}

/* ---- cells ------------------------------------------------------------ */

typedef struct {
    char **cell;
    size_t count;
    size_t cap;
} cell_list;

/* Splits line in place at delim; unquotes "..." cells. Returns 0,
 * SH_ENOMEM, or SH_EINPUT for an unterminated quote (*bad_col set). */
static int split_cells(char *line, char delim, cell_list *cells, size_t *bad_col)
{
    cells->count = 0;
    char *p = line;
    for (;;) {
        if (cells->count == cells->cap) {
            size_t cap = cells->cap ? cells->cap * 2 : 64;
            char **c = realloc(cells->cell, cap * sizeof(char *));
            if (c == NULL)
                return SH_ENOMEM;
            cells->cell = c;
            cells->cap = cap;
        }
        char *start = p;
        while (*start == ' ' && delim != ' ')
            start++;
        if (*start == '"') {
            /* Quoted: copy down over the opening quote, "" -> ". */
            char *src = start + 1, *dst = start;
            for (;;) {
                if (*src == '\0') {
                    *bad_col = cells->count + 1;
                    return SH_EINPUT;
                }
                if (*src == '"') {
                    if (src[1] == '"') {
                        *dst++ = '"';
                        src += 2;
                        continue;
                    }
                    src++;
                    break;
                }
                *dst++ = *src++;
            }
            cells->cell[cells->count++] = start;
            while (*src == ' ')
                src++;
            if (*src != delim && *src != '\0') {
                *bad_col = cells->count;
                return SH_EINPUT;
            }
            *dst = '\0';
            if (*src == '\0')
                return 0;
            p = src + 1;
            continue;
        }
        char *end = strchr(start, delim);
        cells->cell[cells->count++] = start;
        char *stop = end ? end : start + strlen(start);
        while (stop > start && (stop[-1] == ' ' || stop[-1] == '\t') && stop[-1] != delim)
            stop--;
        if (end == NULL) {
            *stop = '\0';
            return 0;
        }
        *stop = '\0';
        p = end + 1;
    }
}

/* Parses a whole cell as a number. Returns 0 (finite), 1 (not a number),
 * 2 (a number but not finite as a float). */
static int parse_cell(const char *s, float *out)
{
    if (*s == '\0')
        return 1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0')
        return 1;
    /* strtod accepts "nan", "inf" and hex floats; reject the non-finite
     * ones (and values that overflow a float). Underflow is fine. */
    if (!isfinite(v) || !isfinite((float)v))
        return 2;
    *out = (float)v;
    return 0;
}

/* ---- label strings: first-appearance ids through a small hash table ---- */

typedef struct {
    char **names;    /* in order of first appearance */
    size_t count;
    size_t names_cap;
    size_t *slots;   /* hash slots: index + 1, 0 = empty */
    size_t slot_cap; /* power of two */
} label_map;

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* Returns the id of name (adding it if new), or -1 on allocation failure. */
static long label_map_id(label_map *m, const char *name)
{
    if ((m->count + 1) * 2 > m->slot_cap) {
        size_t cap = m->slot_cap ? m->slot_cap * 2 : 64;
        size_t *slots = calloc(cap, sizeof(size_t));
        if (slots == NULL)
            return -1;
        for (size_t i = 0; i < m->count; i++) {
            size_t j = hash_str(m->names[i]) & (cap - 1);
            while (slots[j] != 0)
                j = (j + 1) & (cap - 1);
            slots[j] = i + 1;
        }
        free(m->slots);
        m->slots = slots;
        m->slot_cap = cap;
    }
    size_t j = hash_str(name) & (m->slot_cap - 1);
    while (m->slots[j] != 0) {
        if (strcmp(m->names[m->slots[j] - 1], name) == 0)
            return (long)(m->slots[j] - 1);
        j = (j + 1) & (m->slot_cap - 1);
    }
    if (m->count == m->names_cap) {
        size_t cap = m->names_cap ? m->names_cap * 2 : 16;
        char **names = realloc(m->names, cap * sizeof(char *));
        if (names == NULL)
            return -1;
        m->names = names;
        m->names_cap = cap;
    }
    char *copy = strdup(name);
    if (copy == NULL)
        return -1;
    m->names[m->count] = copy;
    m->slots[j] = ++m->count;
    return (long)(m->count - 1);
}

static void label_map_free(label_map *m)
{
    for (size_t i = 0; i < m->count; i++)
        free(m->names[i]);
    free(m->names);
    free(m->slots);
}

/* A label string that is a plain non-negative decimal integer <= INT_MAX
 * gives its value; anything else -1. */
static long integer_label(const char *s)
{
    if (*s == '\0')
        return -1;
    long v = 0;
    for (; *s; s++) {
        if (!isdigit((unsigned char)*s))
            return -1;
        v = v * 10 + (*s - '0');
        if (v > INT_MAX)
            return -1;
    }
    return v;
}

/* ---- the reader ------------------------------------------------------- */

static char sniff_delimiter(const char *line)
{
    size_t tabs = 0, commas = 0, semis = 0;
    for (const char *p = line; *p; p++) {
        tabs += *p == '\t';
        commas += *p == ',';
        semis += *p == ';';
    }
    if (tabs >= commas && tabs >= semis && tabs > 0)
        return '\t';
    if (semis > commas)
        return ';';
    return ',';
}

static char delimiter_from_name(const char *path)
{
    size_t len = strlen(path);
    if (len > 3 && strcasecmp(path + len - 3, ".gz") == 0)
        len -= 3;
    if (len > 4 && (strncasecmp(path + len - 4, ".tsv", 4) == 0 ||
                    strncasecmp(path + len - 4, ".tab", 4) == 0))
        return '\t';
    if (len > 4 && strncasecmp(path + len - 4, ".csv", 4) == 0)
        return ',';
    return 0;
}

int data_csv_read(const char *path, const data_csv_opts *opts_in, sh_dataset *out,
                  char *err, size_t err_len)
{
    memset(out, 0, sizeof(*out));
    data_csv_opts opts = opts_in ? *opts_in : data_csv_default_opts();
    if (path == NULL)
        return sh_fail(err, err_len, SH_EINVAL, "data_csv_read: NULL path");
    if (opts.label_name != NULL && opts.header == 0)
        return sh_fail(err, err_len, SH_EINVAL,
                       "%s: a label column by name needs a header row", path);

    line_reader lr = { 0 };
    cell_list cells = { 0 };
    label_map labels = { 0 };
    long *label_ids = NULL;   /* per row: label_map id or -1 */
    float *values = NULL;
    size_t values_cap = 0, rows = 0, ncols = 0, nfeat = 0, label_cap = 0;
    long label_col = -1;
    int rc;

    errno = 0;
    lr.gz = gzopen(path, "rb");
    if (lr.gz == NULL) {
        int e = errno ? errno : ENOMEM;
        return sh_fail(err, err_len, e, "%s: cannot open: %s", path, strerror(e));
    }

    int header = opts.header;
    char delim = opts.delimiter ? opts.delimiter : delimiter_from_name(path);
    int first = 1;
    for (;;) {
        rc = read_line(&lr);
        if (rc == 0)
            break;
        if (rc < 0 && rc != SH_EFORMAT)
            goto nomem;
        if (rc != 1) {
            rc = sh_fail(err, err_len, rc, "%s:%zu: read error (%s)", path, lr.lineno + 1,
                         rc > 0 ? strerror(rc) : "corrupt gzip data");
            goto fail;
        }
        if (is_blank(lr.buf))
            continue;
        if (delim == 0)
            delim = sniff_delimiter(lr.buf);
        size_t bad_col = 0;
        rc = split_cells(lr.buf, delim, &cells, &bad_col);
        if (rc == SH_ENOMEM)
            goto nomem;
        if (rc != 0) {
            rc = sh_fail(err, err_len, SH_EINPUT, "%s:%zu: column %zu: malformed quoted cell",
                         path, lr.lineno, bad_col);
            goto fail;
        }
        if (first) {
            first = 0;
            ncols = cells.count;
            if (opts.label_name != NULL) {
                header = 1;
                for (size_t c = 0; c < ncols && label_col < 0; c++)
                    if (strcmp(cells.cell[c], opts.label_name) == 0)
                        label_col = (long)c;
                if (label_col < 0) {
                    rc = sh_fail(err, err_len, SH_EINPUT,
                                 "%s:%zu: no column named '%s' in the header", path,
                                 lr.lineno, opts.label_name);
                    goto fail;
                }
            } else if (opts.label_col >= 0) {
                if ((size_t)opts.label_col >= ncols) {
                    rc = sh_fail(err, err_len, SH_EINPUT,
                                 "%s:%zu: label column %d is beyond the %zu columns "
                                 "(columns count from 0)", path, lr.lineno, opts.label_col, ncols);
                    goto fail;
                }
                label_col = opts.label_col;
            }
            nfeat = ncols - (label_col >= 0);
            if (header < 0) {
                header = 0;
                for (size_t c = 0; c < ncols; c++) {
                    float v;
                    if ((long)c != label_col && cells.cell[c][0] != '\0' &&
                        parse_cell(cells.cell[c], &v) == 1)
                        header = 1;
                }
            }
            if (header) {
                out->col_names = calloc(nfeat > 0 ? nfeat : 1, sizeof(char *));
                if (out->col_names == NULL)
                    goto nomem;
                for (size_t c = 0, f = 0; c < ncols; c++) {
                    if ((long)c == label_col)
                        continue;
                    out->col_names[f] = strdup(cells.cell[c]);
                    if (out->col_names[f++] == NULL)
                        goto nomem;
                }
                continue;
            }
        }
        if (cells.count != ncols) {
            rc = sh_fail(err, err_len, SH_EINPUT,
                         "%s:%zu: %zu columns, but the first row has %zu (ragged rows)",
                         path, lr.lineno, cells.count, ncols);
            goto fail;
        }
        if (nfeat == 0) {
            rc = sh_fail(err, err_len, SH_EINPUT, "%s:%zu: no feature columns", path, lr.lineno);
            goto fail;
        }
        if ((rows + 1) * nfeat > values_cap) {
            size_t cap = values_cap ? values_cap * 2 : nfeat * 64;
            float *v = realloc(values, cap * sizeof(float));
            if (v == NULL)
                goto nomem;
            values = v;
            values_cap = cap;
        }
        float *row = values + rows * nfeat;
        for (size_t c = 0, f = 0; c < ncols; c++) {
            if ((long)c == label_col)
                continue;
            int bad = parse_cell(cells.cell[c], &row[f++]);
            if (bad) {
                rc = sh_fail(err, err_len, SH_EINPUT, "%s:%zu: column %zu: %s '%.40s'",
                             path, lr.lineno, c + 1,
                             cells.cell[c][0] == '\0' ? "empty cell"
                             : bad == 1 ? "not a number"
                                        : "not a finite number",
                             cells.cell[c]);
                goto fail;
            }
        }
        if (label_col >= 0) {
            if (rows == label_cap) {
                size_t cap = label_cap ? label_cap * 2 : 256;
                long *l = realloc(label_ids, cap * sizeof(long));
                if (l == NULL)
                    goto nomem;
                label_ids = l;
                label_cap = cap;
            }
            const char *s = cells.cell[label_col];
            label_ids[rows] = -1;
            if (*s != '\0') {
                label_ids[rows] = label_map_id(&labels, s);
                if (label_ids[rows] < 0)
                    goto nomem;
            }
        }
        rows++;
    }
    if (rows == 0) {
        rc = sh_fail(err, err_len, SH_EEMPTY, "%s: no data rows%s", path,
                     header ? " after the header" : "");
        goto fail;
    }

    /* Hand the value buffer over (mat_free releases it with free()). */
    out->x.rows = rows;
    out->x.cols = nfeat;
    out->x.data = values;
    values = NULL;
    if (label_col >= 0) {
        out->labels = malloc(rows * sizeof(int));
        if (out->labels == NULL)
            goto nomem;
        int numeric = 1;
        long max_value = -1;
        for (size_t i = 0; i < labels.count && numeric; i++) {
            long v = integer_label(labels.names[i]);
            numeric = v >= 0;
            if (v > max_value)
                max_value = v;
        }
        for (size_t r = 0; r < rows; r++) {
            long id = label_ids[r];
            out->labels[r] = id < 0 ? -1 : numeric ? (int)integer_label(labels.names[id]) : (int)id;
        }
        if (numeric) {
            out->n_classes = (size_t)(max_value + 1);
        } else {
            out->n_classes = labels.count;
            out->class_names = labels.names;
            labels.names = NULL;
            labels.count = 0;
        }
    }
    rc = 0;
    goto done;
nomem:
    rc = sh_fail(err, err_len, SH_ENOMEM, "%s:%zu: out of memory", path, lr.lineno);
fail:
    out->x.cols = nfeat; /* dataset_free sizes col_names by x.cols */
    dataset_free(out);
done:
    gzclose(lr.gz);
    free(lr.buf);
    free(cells.cell);
    label_map_free(&labels);
    free(label_ids);
    free(values);
    return rc;
}
