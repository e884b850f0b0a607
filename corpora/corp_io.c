/* corp_io.c — buffers, JSON-lines reading and checking for the corpus
 * tools. See corp_io.h. */
#include "corp_io.h"

#include "sh_error.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

int corp_buf_reserve(corp_buf *b, size_t extra)
{
    if (b->len + extra + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + extra + 1)
            cap *= 2;
        char *grown = realloc(b->data, cap);
        if (!grown)
            return SH_ENOMEM;
        b->data = grown;
        b->cap = cap;
    }
    return 0;
}

int corp_buf_append(corp_buf *b, const char *s, size_t n)
{
    if (corp_buf_reserve(b, n) != 0)
        return SH_ENOMEM;
    if (n)
        memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int corp_buf_putc(corp_buf *b, char c)
{
    return corp_buf_append(b, &c, 1);
}

void corp_buf_clear(corp_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void corp_buf_free(corp_buf *b)
{
    if (!b)
        return;
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

int corp_read_file(const char *path, corp_buf *b, char *err, size_t err_len)
{
    int rc = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        rc = errno;
        return sh_fail(err, err_len, rc, "%s: cannot open: %s", path, strerror(rc));
    }
    corp_buf_clear(b);
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (corp_buf_append(b, chunk, got) != 0) {
            rc = sh_fail(err, err_len, SH_ENOMEM, "%s: out of memory", path);
            goto done;
        }
    }
    if (ferror(f))
        rc = sh_fail(err, err_len, EIO, "%s: read error", path);
done:
    fclose(f);
    return rc;
}

int corp_reader_open(corp_reader *r, const char *path, char *err, size_t err_len)
{
    memset(r, 0, sizeof *r);
    if (strcmp(path, "-") == 0) {
        r->f = stdin;
        r->name = "stdin";
        return 0;
    }
    r->f = fopen(path, "rb");
    if (!r->f) {
        int rc = errno;
        return sh_fail(err, err_len, rc, "%s: cannot open: %s", path, strerror(rc));
    }
    r->name = path;
    r->owns_file = 1;
    return 0;
}

static int io_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return 0;
    return 1;
}

int corp_reader_next(corp_reader *r, json_t **doc, char *err, size_t err_len)
{
    *doc = NULL;
    for (;;) {
        errno = 0;
        ssize_t n = getline(&r->line, &r->cap, r->f);
        if (n < 0) {
            if (ferror(r->f))
                return sh_fail(err, err_len, errno ? errno : EIO, "%s: read error after line %ld",
                               r->name, r->lineno);
            return 0;
        }
        r->lineno++;
        if (io_blank(r->line, (size_t)n))
            continue;
        json_error_t jerr;
        json_t *obj = json_loadb(r->line, (size_t)n, JSON_ALLOW_NUL, &jerr);
        if (!obj)
            return sh_fail(err, err_len, SH_EINPUT, "%s:%ld: not JSON: %s (column %d)", r->name,
                           r->lineno, jerr.text, jerr.column);
        char why[200];
        if (corp_doc_check(obj, why, sizeof why) != 0) {
            json_decref(obj);
            return sh_fail(err, err_len, SH_EINPUT, "%s:%ld: %s", r->name, r->lineno, why);
        }
        *doc = obj;
        return 0;
    }
}

void corp_reader_close(corp_reader *r)
{
    if (!r)
        return;
    if (r->owns_file && r->f)
        fclose(r->f);
    free(r->line);
    r->f = NULL;
    r->line = NULL;
    r->cap = 0;
    r->owns_file = 0;
}

int corp_doc_check(const json_t *doc, char *err, size_t err_len)
{
    if (!json_is_object(doc))
        return sh_fail(err, err_len, SH_EINPUT, "a document must be a JSON object");
    if (!json_is_string(json_object_get(doc, "id")))
        return sh_fail(err, err_len, SH_EINPUT, "member \"id\" missing or not a string");
    if (!json_is_string(json_object_get(doc, "text")))
        return sh_fail(err, err_len, SH_EINPUT, "member \"text\" missing or not a string");
    json_t *labels = json_object_get(doc, "labels");
    if (!json_is_array(labels))
        return sh_fail(err, err_len, SH_EINPUT, "member \"labels\" missing or not an array");
    for (size_t i = 0; i < json_array_size(labels); i++)
        if (!json_is_string(json_array_get(labels, i)))
            return sh_fail(err, err_len, SH_EINPUT, "label %zu is not a string", i);
    json_t *split = json_object_get(doc, "split");
    if (split) {
        const char *s = json_string_value(split);
        if (!s || (strcmp(s, "train") != 0 && strcmp(s, "test") != 0))
            return sh_fail(err, err_len, SH_EINPUT, "member \"split\" must be \"train\" or \"test\"");
    }
    return 0;
}

const char *corp_doc_first_label(const json_t *doc)
{
    const char *s = json_string_value(json_array_get(json_object_get(doc, "labels"), 0));
    return s ? s : "";
}

int corp_write_doc(FILE *f, const json_t *doc)
{
    char *s = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(6));
    if (!s)
        return SH_ENOMEM;
    int rc = 0;
    if (fputs(s, f) == EOF || fputc('\n', f) == EOF)
        rc = EIO;
    free(s);
    return rc;
}

uint64_t corp_seed_key(uint64_t a, uint64_t b, uint64_t seed)
{
    unsigned char bytes[16];
    for (int i = 0; i < 8; i++) {
        bytes[i] = (unsigned char)(a >> (8 * i));
        bytes[8 + i] = (unsigned char)(b >> (8 * i));
    }
    return XXH64(bytes, sizeof bytes, seed);
}

int corp_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    if (!s || *s < '0' || *s > '9')
        return SH_EINVAL;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return SH_EINVAL;
    *out = v;
    return 0;
}

int corp_parse_double(const char *s, double min, double max, double *out)
{
    if (!s || !*s)
        return SH_EINVAL;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v) || v < min || v > max)
        return SH_EINVAL;
    *out = v;
    return 0;
}
