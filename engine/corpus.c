/* corpus.c — streaming readers for JSON lines, plain text lines and
 * directory trees, all through zlib so that gzip input is transparent. */
#include "corpus.h"
#include "sh_error.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define CHUNK (1u << 16)

struct corpus_reader {
    corpus_options opts;
    corpus_format format;
    char *root;                 /* the path as given */
    const char *base;           /* its base name, for ids */

    gzFile gz;                  /* the open file (line formats) */
    char *in;                   /* CHUNK bytes read ahead */
    size_t in_pos, in_len;
    int eof;
    char *text;                 /* current line or file, NUL-terminated */
    size_t text_len, text_cap;
    uint64_t line_no;

    char **files;               /* directory: relative paths, sorted */
    size_t n_files, files_cap, next_file;

    corpus_doc doc;
    json_t *json;               /* keeps the current JSON document alive, or NULL
                                   when the fast path read the line (parsed by
                                   jansson on demand for corpus_field_*) */
    int fast_line;              /* the current line was read by the fast path */
    char *dec;                  /* fast path: the line's decoded strings */
    size_t dec_cap;
    const char **labels;
    size_t labels_cap;
    char *id;
    size_t id_cap;
    char *label;                /* directory label */
    corpus_stats stats;
};

corpus_options corpus_default_options(void)
{
    corpus_options o;
    memset(&o, 0, sizeof o);
    o.format = CORPUS_AUTO;
    o.on_binary = SH_BINARY_SKIP;
    return o;
}

static int ends_with(const char *s, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);
    return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

corpus_format corpus_guess_format(const char *path)
{
    struct stat st;
    if (strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return CORPUS_DIR;
    size_t len = strlen(path);
    if (ends_with(path, len, ".gz"))
        len -= 3;
    if (ends_with(path, len, ".jsonl") || ends_with(path, len, ".json") ||
        ends_with(path, len, ".ndjson"))
        return CORPUS_JSONL;
    if (ends_with(path, len, ".txt"))
        return CORPUS_TXT;
    return CORPUS_AUTO;
}

/* ---- growing buffers --------------------------------------------------- */

static int reserve(char **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 256;
    while (n < need)
        n *= 2;
    char *b = realloc(*buf, n);
    if (b == NULL)
        return SH_ENOMEM;
    *buf = b;
    *cap = n;
    return 0;
}

static void warn(corpus_reader *r, const char *fmt, const char *where, const char *why)
{
    if (r->opts.warn == NULL)
        return;
    char msg[2 * SH_PATH_MAX + 1024];
    snprintf(msg, sizeof msg, fmt, where, why);
    r->opts.warn(r->opts.warn_user, msg);
}

/* ---- directory listing ----------------------------------------------- */

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_file(corpus_reader *r, const char *rel)
{
    if (r->n_files == r->files_cap) {
        size_t n = r->files_cap ? r->files_cap * 2 : 64;
        char **f = realloc(r->files, n * sizeof(char *));
        if (f == NULL)
            return SH_ENOMEM;
        r->files = f;
        r->files_cap = n;
    }
    char *copy = strdup(rel);
    if (copy == NULL)
        return SH_ENOMEM;
    r->files[r->n_files++] = copy;
    return 0;
}

/* Lists root/rel (rel "" for the root) depth-first in sorted order. */
static int list_dir(corpus_reader *r, const char *rel, char *err, size_t err_len)
{
    char dir_path[SH_PATH_MAX];
    snprintf(dir_path, sizeof dir_path, "%s%s%s", r->root, *rel ? "/" : "", rel);
    DIR *d = opendir(dir_path);
    if (d == NULL)
        return sh_fail(err, err_len, errno, "%s: cannot list directory: %s", dir_path,
                       strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            char **grown = realloc(names, cap * sizeof(char *));
            if (grown == NULL) {
                rc = SH_ENOMEM;
                goto done;
            }
            names = grown;
        }
        if ((names[n] = strdup(e->d_name)) == NULL) {
            rc = SH_ENOMEM;
            goto done;
        }
        n++;
    }
    if (n > 1)
        qsort(names, n, sizeof(char *), compare_names);
    for (size_t i = 0; i < n && rc == 0; i++) {
        char child_rel[SH_PATH_MAX], child_path[2 * SH_PATH_MAX + 2];
        int w = snprintf(child_rel, sizeof child_rel, "%s%s%s", rel, *rel ? "/" : "", names[i]);
        snprintf(child_path, sizeof child_path, "%s/%s", r->root, child_rel);
        if (w < 0 || (size_t)w >= sizeof child_rel) {
            rc = sh_fail(err, err_len, SH_EINVAL, "%s: path too long", child_path);
            break;
        }
        struct stat st;
        if (lstat(child_path, &st) != 0)
            continue; /* vanished since listing */
        if (S_ISDIR(st.st_mode)) {
            rc = list_dir(r, child_rel, err, err_len);
        } else if (S_ISREG(st.st_mode) ||
                   (S_ISLNK(st.st_mode) && stat(child_path, &st) == 0 && S_ISREG(st.st_mode))) {
            rc = add_file(r, child_rel);
        }
    }
done:
    if (rc == SH_ENOMEM)
        sh_fail(err, err_len, rc, "%s: out of memory listing files", dir_path);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    closedir(d);
    return rc;
}

/* ---- reading through zlib -------------------------------------------- */

static int open_gz(corpus_reader *r, const char *path, char *err, size_t err_len)
{
    errno = 0;
    r->gz = strcmp(path, "-") == 0 ? gzdopen(dup(STDIN_FILENO), "rb") : gzopen(path, "rb");
    if (r->gz == NULL) {
        int e = errno ? errno : ENOMEM;
        return sh_fail(err, err_len, e, "%s: cannot open: %s", path, strerror(e));
    }
    /* zlib reads a plain file straight into r->in (no copy through its own
     * buffer) when a request is at least twice its buffer size */
    gzbuffer(r->gz, CHUNK / 2);
    r->in_pos = r->in_len = 0;
    r->eof = 0;
    return 0;
}

/* Refills r->in. Returns 0 (r->in_len may be 0 at the end) or an error. */
static int refill(corpus_reader *r, const char *name, char *err, size_t err_len)
{
    int n = gzread(r->gz, r->in, CHUNK);
    int zerr;
    const char *msg = gzerror(r->gz, &zerr);
    if (n < 0 || (zerr != Z_OK && zerr != Z_BUF_ERROR)) {
        if (zerr == Z_ERRNO)
            return sh_fail(err, err_len, errno ? errno : EIO, "%s: read error: %s", name,
                           strerror(errno ? errno : EIO));
        return sh_fail(err, err_len, SH_EFORMAT, "%s: corrupt compressed data: %s", name, msg);
    }
    if (n == 0 && zerr == Z_BUF_ERROR)
        return sh_fail(err, err_len, SH_ETRUNC,
                       "%s: compressed stream ends early (truncated file?)", name);
    r->in_pos = 0;
    r->in_len = (size_t)n;
    r->eof = n == 0;
    return 0;
}

/* Reads the next line into r->text (without its "\n" or "\r\n").
 * Returns 1 (a line), 0 (end of file) or an error. */
static int read_line(corpus_reader *r, char *err, size_t err_len)
{
    r->text_len = 0;
    int got = 0;
    for (;;) {
        if (r->in_pos == r->in_len) {
            if (r->eof)
                break;
            int rc = refill(r, r->root, err, err_len);
            if (rc != 0)
                return rc;
            if (r->in_len == 0)
                break;
        }
        got = 1;
        const char *start = r->in + r->in_pos;
        size_t avail = r->in_len - r->in_pos;
        const char *nl = memchr(start, '\n', avail);
        size_t take = nl ? (size_t)(nl - start) : avail;
        if (reserve(&r->text, &r->text_cap, r->text_len + take + 1) != 0)
            return sh_fail(err, err_len, SH_ENOMEM, "%s:%llu: out of memory for a line",
                           r->base, (unsigned long long)r->line_no + 1);
        memcpy(r->text + r->text_len, start, take);
        r->text_len += take;
        r->in_pos += take + (nl != NULL);
        if (nl)
            break;
    }
    if (!got)
        return 0;
    r->line_no++;
    if (r->text_len > 0 && r->text[r->text_len - 1] == '\r')
        r->text_len--;
    r->text[r->text_len] = '\0';
    return 1;
}

/* Reads a whole file (decompressing .gz) into r->text. */
static int read_whole_file(corpus_reader *r, const char *path, char *err, size_t err_len)
{
    int rc = open_gz(r, path, err, err_len);
    if (rc != 0)
        return rc;
    r->text_len = 0;
    for (;;) {
        if ((rc = refill(r, path, err, err_len)) != 0)
            break;
        if (r->in_len == 0)
            break;
        if (reserve(&r->text, &r->text_cap, r->text_len + r->in_len + 1) != 0) {
            rc = sh_fail(err, err_len, SH_ENOMEM, "%s: out of memory reading the file", path);
            break;
        }
        memcpy(r->text + r->text_len, r->in, r->in_len);
        r->text_len += r->in_len;
    }
    gzclose(r->gz);
    r->gz = NULL;
    if (rc == 0) {
        if (reserve(&r->text, &r->text_cap, r->text_len + 1) != 0)
            return sh_fail(err, err_len, SH_ENOMEM, "%s: out of memory", path);
        r->text[r->text_len] = '\0';
    }
    return rc;
}

/* ---- open / close ------------------------------------------------------- */

int corpus_open(const char *path, const corpus_options *opts, corpus_reader **out,
                char *err, size_t err_len)
{
    corpus_options o = opts ? *opts : corpus_default_options();
    corpus_format format = o.format != CORPUS_AUTO ? o.format : corpus_guess_format(path);
    if (format == CORPUS_AUTO)
        return sh_fail(err, err_len, SH_EINVAL,
                       "%s: cannot tell the format from the name: use .jsonl, .txt (optionally "
                       "+ .gz) or a directory, or give the format explicitly", path);
    if (format == CORPUS_DIR && strcmp(path, "-") == 0)
        return sh_fail(err, err_len, SH_EINVAL, "-: standard input cannot be a directory");
    int rc = SH_ENOMEM;
    corpus_reader *r = calloc(1, sizeof(*r));
    if (r == NULL)
        goto nomem;
    r->opts = o;
    r->format = format;
    r->root = strdup(path);
    r->in = malloc(CHUNK);
    if (r->root == NULL || r->in == NULL)
        goto nomem;
    size_t len = strlen(r->root);
    while (len > 1 && r->root[len - 1] == '/')
        r->root[--len] = '\0';
    const char *slash = strrchr(r->root, '/');
    r->base = slash ? slash + 1 : r->root;
    if (format == CORPUS_DIR)
        rc = list_dir(r, "", err, err_len);
    else
        rc = open_gz(r, path, err, err_len);
    if (rc != 0)
        goto fail;
    *out = r;
    return 0;
nomem:
    rc = sh_fail(err, err_len, SH_ENOMEM, "%s: out of memory opening the corpus", path);
fail:
    corpus_close(r);
    return rc;
}

void corpus_close(corpus_reader *r)
{
    if (r == NULL)
        return;
    if (r->gz != NULL)
        gzclose(r->gz);
    for (size_t i = 0; i < r->n_files; i++)
        free(r->files[i]);
    free(r->files);
    if (r->json != NULL)
        json_decref(r->json);
    free(r->labels);
    free(r->dec);
    free(r->id);
    free(r->label);
    free(r->text);
    free(r->in);
    free(r->root);
    free(r);
}

/* The value of key in the current JSON document. A line read by the fast
 * path is parsed by jansson now, once (its bytes are still in r->text). */
static json_t *current_field(corpus_reader *r, const char *key)
{
    if (r->format != CORPUS_JSONL || r->doc.text == NULL)
        return NULL;
    if (r->json == NULL && r->fast_line)
        r->json = json_loadb(r->text, r->text_len, JSON_ALLOW_NUL, NULL);
    if (r->json == NULL)
        return NULL;
    return json_object_get(r->json, key);
}

const char *corpus_field_string(corpus_reader *r, const char *key)
{
    json_t *v = current_field(r, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

int corpus_field_number(corpus_reader *r, const char *key, double *value)
{
    json_t *v = current_field(r, key);
    if (!json_is_number(v))
        return SH_ENOTFOUND;
    *value = json_number_value(v);
    return 0;
}

corpus_stats corpus_get_stats(const corpus_reader *r)
{
    return r->stats;
}

/* ---- documents ----------------------------------------------------------- */

static int set_id(corpus_reader *r, const char *fmt_file, uint64_t line, const char *given)
{
    size_t need = given ? strlen(given) + 1 : strlen(fmt_file) + 24;
    if (reserve(&r->id, &r->id_cap, need) != 0)
        return SH_ENOMEM;
    if (given)
        memcpy(r->id, given, need);
    else
        snprintf(r->id, r->id_cap, "%s:%llu", fmt_file, (unsigned long long)line);
    r->doc.id = r->id;
    return 0;
}

static int is_blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return 0;
    return 1;
}

/* ---- JSON lines: the fast path ------------------------------------------------
 *
 * jansson builds a tree of every line (a string buffer grown byte by byte,
 * a hash table per object) and was the largest cost of indexing. This
 * reader handles the common line itself: one object whose values are
 * strings, numbers, true, false, null or (for "labels") an array of
 * strings, without escapes in the keys. It accepts only what jansson
 * accepts and gives the same values: strict UTF-8, the JSON number
 * grammar, \u escapes with surrogate pairs, a repeated known key or
 * anything else it does not handle (including every error) sends the
 * line to jansson, which then decides and words the error. Decoded
 * strings go to r->dec, NUL-terminated; the raw line stays in r->text. */

typedef struct {
    const unsigned char *p, *end;  /* the rest of the line */
    char *out;                     /* where the next decoded string goes */
} json_scan;

static void skip_ws(json_scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static int hex4(const unsigned char *p, unsigned *value)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = p[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
            d = (c | 0x20) - 'a' + 10;
        else
            return -1;
        v = v * 16 + d;
    }
    *value = v;
    return 0;
}

static char *put_utf8(char *out, unsigned cp)
{
    if (cp < 0x80) {
        *out++ = (char)cp;
    } else if (cp < 0x800) {
        *out++ = (char)(0xC0 | (cp >> 6));
        *out++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *out++ = (char)(0xE0 | (cp >> 12));
        *out++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *out++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *out++ = (char)(0xF0 | (cp >> 18));
        *out++ = (char)(0x80 | ((cp >> 12) & 0x3F));
        *out++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *out++ = (char)(0x80 | (cp & 0x3F));
    }
    return out;
}

/* The length of the well-formed UTF-8 sequence starting with a byte >= 0x80
 * at p (before end), or 0 if it is not one (overlong, surrogate, beyond
 * U+10FFFF, truncated). */
static size_t utf8_sequence(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    size_t need;
    unsigned v, min;
    if (c >= 0xC2 && c <= 0xDF)
        need = 2, v = c & 0x1F, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF)
        need = 3, v = c & 0x0F, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4)
        need = 4, v = c & 0x07, min = 0x10000;
    else
        return 0;
    if ((size_t)(end - p) < need)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (p[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    return need;
}

/* One escape after the backslash at s->p, decoded to s->out. */
static int scan_escape(json_scan *s)
{
    if (s->end - s->p < 2)
        return -1;
    unsigned c = s->p[1];
    if (c != 'u') {
        char decoded;
        switch (c) {
        case '"': decoded = '"'; break;
        case '\\': decoded = '\\'; break;
        case '/': decoded = '/'; break;
        case 'b': decoded = '\b'; break;
        case 'f': decoded = '\f'; break;
        case 'n': decoded = '\n'; break;
        case 'r': decoded = '\r'; break;
        case 't': decoded = '\t'; break;
        default: return -1;
        }
        *s->out++ = decoded;
        s->p += 2;
        return 0;
    }
    unsigned cp, low;
    if (s->end - s->p < 6 || hex4(s->p + 2, &cp) != 0)
        return -1;
    s->p += 6;
    if (cp >= 0xDC00 && cp <= 0xDFFF)
        return -1; /* a lone low surrogate */
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (s->end - s->p < 6 || s->p[0] != '\\' || s->p[1] != 'u' ||
            hex4(s->p + 2, &low) != 0 || low < 0xDC00 || low > 0xDFFF)
            return -1;
        s->p += 6;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    s->out = put_utf8(s->out, cp);
    return 0;
}

/* Nonzero if one of the 8 bytes of x is zero (exact: no false alarm). */
static uint64_t has_zero_byte(uint64_t x)
{
    return (x - 0x0101010101010101ULL) & ~x & 0x8080808080808080ULL;
}

/* 1 if the 8 bytes of x are all plain string bytes: printable ASCII
 * (0x20..0x7f) other than '"' and '\\'. */
static int plain_word(uint64_t x)
{
    uint64_t high = x & 0x8080808080808080ULL;
    uint64_t control = (x - 0x2020202020202020ULL) & ~x & 0x8080808080808080ULL;
    uint64_t quote = has_zero_byte(x ^ 0x2222222222222222ULL);
    uint64_t backslash = has_zero_byte(x ^ 0x5c5c5c5c5c5c5c5cULL);
    return (high | control | quote | backslash) == 0;
}

/* Copies the plain bytes at s->p to s->out eight at a time, stopping
 * before the first 8-byte word that holds anything else (the byte loop
 * of scan_string takes it from there). */
static void copy_plain_words(json_scan *s)
{
    while (s->end - s->p >= 8) {
        uint64_t x;
        memcpy(&x, s->p, 8);
        if (!plain_word(x))
            return;
        memcpy(s->out, &x, 8);
        s->p += 8;
        s->out += 8;
    }
}

/* The string starting at the quote at s->p: decoded to s->out and
 * NUL-terminated; *value and *len describe it. Keys pass escapes = 0
 * (a key with an escape is left to jansson). Returns 0 or -1. */
static int scan_string(json_scan *s, int escapes, const char **value, size_t *len)
{
    char *start = s->out;
    s->p++;
    for (;;) {
        copy_plain_words(s);
        const unsigned char *run = s->p;
        while (s->p < s->end && *s->p >= 0x20 && *s->p < 0x80 && *s->p != '"' && *s->p != '\\')
            s->p++;
        memcpy(s->out, run, (size_t)(s->p - run));
        s->out += s->p - run;
        if (s->p == s->end || *s->p < 0x20)
            return -1; /* unterminated, or a control character */
        if (*s->p == '"')
            break;
        if (*s->p == '\\') {
            if (!escapes || scan_escape(s) != 0)
                return -1;
            continue;
        }
        size_t n = utf8_sequence(s->p, s->end);
        if (n == 0)
            return -1;
        memcpy(s->out, s->p, n);
        s->out += n;
        s->p += n;
    }
    s->p++;
    *value = start;
    *len = (size_t)(s->out - start);
    *s->out++ = '\0';
    return 0;
}

static int digits(json_scan *s)
{
    const unsigned char *from = s->p;
    while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
        s->p++;
    return (int)(s->p - from);
}

/* A number as JSON writes it. *is_int is 1 for an integer of at most 18
 * digits (*value then holds it); a longer integer, or any exponent, is
 * left to jansson (it may overflow there). Returns 0 or -1. */
static int scan_number(json_scan *s, int *is_int, long long *value)
{
    const unsigned char *from = s->p;
    int negative = s->p < s->end && *s->p == '-';
    if (negative)
        s->p++;
    if (s->p == s->end || *s->p < '0' || *s->p > '9')
        return -1;
    int n_int = digits(s);
    if (n_int > 1 && from[negative] == '0')
        return -1; /* a leading zero */
    if (s->p < s->end && (*s->p == 'e' || *s->p == 'E'))
        return -1;
    if (s->p < s->end && *s->p == '.') {
        s->p++;
        if (digits(s) == 0 || s->p - from > 64)
            return -1;
        if (s->p < s->end && (*s->p == 'e' || *s->p == 'E'))
            return -1;
        *is_int = 0;
        return 0;
    }
    if (n_int > 18)
        return -1;
    long long v = 0;
    for (const unsigned char *q = from + negative; q < s->p; q++)
        v = v * 10 + (*q - '0');
    *value = negative ? -v : v;
    *is_int = 1;
    return 0;
}

static int scan_literal(json_scan *s, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
        return -1;
    s->p += n;
    return 0;
}

/* A value of any other key: checked, not kept. */
static int skip_value(json_scan *s)
{
    const char *str;
    size_t len;
    int is_int;
    long long num;
    char *mark = s->out;
    int rc;
    if (s->p == s->end)
        return -1;
    switch (*s->p) {
    case '"': rc = scan_string(s, 1, &str, &len); break;
    case 't': rc = scan_literal(s, "true"); break;
    case 'f': rc = scan_literal(s, "false"); break;
    case 'n': rc = scan_literal(s, "null"); break;
    default: rc = scan_number(s, &is_int, &num); break;
    }
    s->out = mark; /* nothing of it is kept */
    return rc;
}

/* "labels": an array of strings, or null. */
static int scan_labels(corpus_reader *r, json_scan *s)
{
    r->doc.n_labels = 0;
    if (scan_literal(s, "null") == 0)
        return 0;
    if (s->p == s->end || *s->p != '[')
        return -1;
    s->p++;
    skip_ws(s);
    if (s->p < s->end && *s->p == ']') {
        s->p++;
        return 0;
    }
    for (;;) {
        const char *label;
        size_t len;
        if (s->p == s->end || *s->p != '"' || scan_string(s, 1, &label, &len) != 0)
            return -1;
        if (r->doc.n_labels == r->labels_cap) {
            size_t cap = r->labels_cap ? 2 * r->labels_cap : 8;
            const char **l = realloc(r->labels, cap * sizeof(char *));
            if (l == NULL)
                return -1; /* jansson will run out of memory too, and say so */
            r->labels = l;
            r->labels_cap = cap;
        }
        r->labels[r->doc.n_labels++] = label;
        skip_ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            skip_ws(s);
            continue;
        }
        if (s->p < s->end && *s->p == ']') {
            s->p++;
            return 0;
        }
        return -1;
    }
}

enum { KEY_OTHER, KEY_TEXT, KEY_ID, KEY_LABELS, KEY_SOURCE, KEY_SPLIT };

static int key_kind(const char *key, size_t len)
{
    static const char *const names[] = { "", "text", "id", "labels", "source", "split" };
    for (int k = KEY_TEXT; k <= KEY_SPLIT; k++)
        if (strlen(names[k]) == len && memcmp(key, names[k], len) == 0)
            return k;
    return KEY_OTHER;
}

/* The value of a known key. Returns 0 or -1 (jansson decides). */
static int scan_known(corpus_reader *r, json_scan *s, int kind, const char **id_str,
                      long long *id_num, int *id_kind)
{
    const char *str;
    size_t len;
    int is_int;
    if (kind == KEY_LABELS)
        return scan_labels(r, s);
    if (scan_literal(s, "null") == 0) {
        if (kind == KEY_TEXT)
            return -1; /* "text" must be a string: jansson words the error */
        if (kind == KEY_ID)
            *id_kind = 0;
        return 0;
    }
    if (kind == KEY_ID && s->p < s->end && *s->p != '"') {
        if (scan_number(s, &is_int, id_num) != 0 || !is_int)
            return -1;
        *id_kind = 2;
        return 0;
    }
    if (s->p == s->end || *s->p != '"' || scan_string(s, 1, &str, &len) != 0)
        return -1;
    switch (kind) {
    case KEY_TEXT:
        r->doc.text = str;
        r->doc.len = len;
        return 0;
    case KEY_ID:
        *id_str = str;
        *id_kind = 1;
        return 0;
    case KEY_SOURCE:
        r->doc.source = str;
        return 0;
    default: /* KEY_SPLIT */
        if (strcmp(str, "train") == 0)
            r->doc.split = CORPUS_SPLIT_TRAIN;
        else if (strcmp(str, "test") == 0)
            r->doc.split = CORPUS_SPLIT_TEST;
        else
            return -1;
        return 0;
    }
}

/* Reads the current line into r->doc by the fast path. Returns 0, -1 if
 * jansson must read it (nothing of r->doc is then valid), or SH_ENOMEM. */
static int fast_json_line(corpus_reader *r)
{
    if (reserve(&r->dec, &r->dec_cap, 2 * r->text_len + 16) != 0)
        return SH_ENOMEM;
    json_scan s = { (const unsigned char *)r->text,
                    (const unsigned char *)r->text + r->text_len, r->dec };
    const char *id_str = NULL;
    long long id_num = 0;
    int id_kind = 0, seen = 0;
    r->doc.text = NULL;
    r->doc.n_labels = 0;
    r->doc.source = NULL;
    r->doc.split = CORPUS_SPLIT_NONE;
    skip_ws(&s);
    if (s.p == s.end || *s.p != '{')
        return -1;
    s.p++;
    skip_ws(&s);
    if (s.p < s.end && *s.p == '}')
        return -1; /* no "text" */
    for (;;) {
        const char *key;
        size_t key_len;
        if (s.p == s.end || *s.p != '"' || scan_string(&s, 0, &key, &key_len) != 0)
            return -1;
        int kind = key_kind(key, key_len);
        s.out = (char *)key; /* the key is not kept */
        skip_ws(&s);
        if (s.p == s.end || *s.p != ':')
            return -1;
        s.p++;
        skip_ws(&s);
        if (kind != KEY_OTHER && (seen & (1 << kind)))
            return -1; /* repeated: jansson keeps the last one */
        seen |= 1 << kind;
        int rc = kind == KEY_OTHER ? skip_value(&s)
                                   : scan_known(r, &s, kind, &id_str, &id_num, &id_kind);
        if (rc != 0)
            return -1;
        skip_ws(&s);
        if (s.p < s.end && *s.p == ',') {
            s.p++;
            skip_ws(&s);
            continue;
        }
        if (s.p < s.end && *s.p == '}') {
            s.p++;
            break;
        }
        return -1;
    }
    skip_ws(&s);
    if (s.p != s.end || r->doc.text == NULL)
        return -1;
    int rc;
    if (id_kind == 1) {
        rc = set_id(r, NULL, 0, id_str);
    } else if (id_kind == 2) {
        char num[32];
        snprintf(num, sizeof num, "%lld", id_num);
        rc = set_id(r, NULL, 0, num);
    } else {
        rc = set_id(r, r->base, r->line_no, NULL);
    }
    return rc;
}

/* ---- JSON lines: jansson ------------------------------------------------------ */

/* Fills r->doc from the JSON object on the current line. Returns 0,
 * SH_EINPUT with the problem in why, or SH_ENOMEM. */
static int parse_json_line(corpus_reader *r, char *why, size_t why_len)
{
    json_error_t jerr;
    if (r->json != NULL) {
        json_decref(r->json);
        r->json = NULL;
    }
    r->fast_line = 0;
    if (!r->opts.json_reference) {
        int rc = fast_json_line(r);
        if (rc == 0)
            r->fast_line = 1;
        if (rc != -1)
            return rc;
        memset(&r->doc, 0, sizeof r->doc);
        r->doc.labels = r->labels;
    }
    r->json = json_loadb(r->text, r->text_len, JSON_ALLOW_NUL, &jerr);
    if (r->json == NULL)
        return sh_fail(why, why_len, SH_EINPUT, "bad JSON at column %d: %s", jerr.column,
                       jerr.text);
    if (!json_is_object(r->json))
        return sh_fail(why, why_len, SH_EINPUT, "expected a JSON object");
    json_t *text = json_object_get(r->json, "text");
    if (text == NULL)
        return sh_fail(why, why_len, SH_EINPUT, "missing \"text\"");
    if (!json_is_string(text))
        return sh_fail(why, why_len, SH_EINPUT, "\"text\" must be a string");
    r->doc.text = json_string_value(text);
    r->doc.len = json_string_length(text);

    json_t *id = json_object_get(r->json, "id");
    int rc;
    if (id == NULL || json_is_null(id)) {
        rc = set_id(r, r->base, r->line_no, NULL);
    } else if (json_is_string(id)) {
        rc = set_id(r, NULL, 0, json_string_value(id));
    } else if (json_is_integer(id)) {
        char num[32];
        snprintf(num, sizeof num, "%lld", (long long)json_integer_value(id));
        rc = set_id(r, NULL, 0, num);
    } else {
        return sh_fail(why, why_len, SH_EINPUT, "\"id\" must be a string or an integer");
    }
    if (rc != 0)
        return rc;

    json_t *labels = json_object_get(r->json, "labels");
    r->doc.n_labels = 0;
    if (labels != NULL && !json_is_null(labels)) {
        if (!json_is_array(labels))
            return sh_fail(why, why_len, SH_EINPUT, "\"labels\" must be an array of strings");
        size_t n = json_array_size(labels);
        if (n > r->labels_cap) {
            const char **l = realloc(r->labels, n * sizeof(char *));
            if (l == NULL)
                return SH_ENOMEM;
            r->labels = l;
            r->labels_cap = n;
        }
        for (size_t i = 0; i < n; i++) {
            json_t *label = json_array_get(labels, i);
            if (!json_is_string(label))
                return sh_fail(why, why_len, SH_EINPUT,
                               "\"labels\" must be an array of strings (item %zu is not)", i);
            r->labels[i] = json_string_value(label);
        }
        r->doc.n_labels = n;
    }

    json_t *source = json_object_get(r->json, "source");
    r->doc.source = NULL;
    if (source != NULL && !json_is_null(source)) {
        if (!json_is_string(source))
            return sh_fail(why, why_len, SH_EINPUT, "\"source\" must be a string");
        r->doc.source = json_string_value(source);
    }

    json_t *split = json_object_get(r->json, "split");
    r->doc.split = CORPUS_SPLIT_NONE;
    if (split != NULL && !json_is_null(split)) {
        const char *s = json_is_string(split) ? json_string_value(split) : "";
        if (strcmp(s, "train") == 0)
            r->doc.split = CORPUS_SPLIT_TRAIN;
        else if (strcmp(s, "test") == 0)
            r->doc.split = CORPUS_SPLIT_TEST;
        else
            return sh_fail(why, why_len, SH_EINPUT, "\"split\" must be \"train\" or \"test\"");
    }
    return 0;
}

/* Reads the next candidate document into r->doc. Returns 1 (a document),
 * 0 (end), SH_EINPUT (malformed; message in why) or another error in err. */
static int read_candidate(corpus_reader *r, char *why, size_t why_len,
                          char *err, size_t err_len)
{
    memset(&r->doc, 0, sizeof r->doc);
    r->doc.labels = r->labels;
    if (r->format == CORPUS_DIR) {
        if (r->next_file == r->n_files)
            return 0;
        const char *rel = r->files[r->next_file++];
        char path[2 * SH_PATH_MAX + 2];
        snprintf(path, sizeof path, "%s/%s", r->root, rel);
        int rc = read_whole_file(r, path, err, err_len);
        if (rc != 0)
            return rc;
        if (set_id(r, NULL, 0, rel) != 0)
            return sh_fail(err, err_len, SH_ENOMEM, "%s: out of memory", path);
        const char *slash = strchr(rel, '/');
        if (slash != NULL) {
            free(r->label);
            r->label = strndup(rel, (size_t)(slash - rel));
            if (r->label == NULL)
                return sh_fail(err, err_len, SH_ENOMEM, "%s: out of memory", path);
            if (r->labels_cap < 1) {
                const char **l = realloc(r->labels, sizeof(char *));
                if (l == NULL)
                    return sh_fail(err, err_len, SH_ENOMEM, "%s: out of memory", path);
                r->labels = l;
                r->labels_cap = 1;
            }
            r->labels[0] = r->label;
            r->doc.labels = r->labels;
            r->doc.n_labels = 1;
        }
        r->doc.text = r->text;
        r->doc.len = r->text_len;
        return 1;
    }
    for (;;) {
        int rc = read_line(r, err, err_len);
        if (rc <= 0)
            return rc;
        if (is_blank(r->text, r->text_len))
            continue;
        if (r->format == CORPUS_TXT) {
            if (set_id(r, r->base, r->line_no, NULL) != 0)
                return sh_fail(err, err_len, SH_ENOMEM, "%s: out of memory", r->base);
            r->doc.text = r->text;
            r->doc.len = r->text_len;
            return 1;
        }
        rc = parse_json_line(r, why, why_len);
        if (rc == SH_ENOMEM)
            return sh_fail(err, err_len, rc, "%s:%llu: out of memory", r->base,
                           (unsigned long long)r->line_no);
        r->doc.labels = r->labels;
        return rc == 0 ? 1 : rc;
    }
}

int corpus_next(corpus_reader *r, const corpus_doc **doc, char *err, size_t err_len)
{
    *doc = NULL;
    for (;;) {
        char why[512] = "";
        int rc = read_candidate(r, why, sizeof why, err, err_len);
        char where[SH_PATH_MAX + 32];
        if (r->format == CORPUS_DIR)
            snprintf(where, sizeof where, "%s/%s", r->root,
                     r->next_file ? r->files[r->next_file - 1] : "");
        else
            snprintf(where, sizeof where, "%s:%llu", r->root, (unsigned long long)r->line_no);
        if (rc == SH_EINPUT) {
            if (!r->opts.skip_malformed)
                return sh_fail(err, err_len, SH_EINPUT, "%s: %s (fix the line, or skip "
                               "malformed lines)", where, why);
            r->stats.skipped_malformed++;
            warn(r, "%s: %s; skipped", where, why);
            continue;
        }
        if (rc <= 0)
            return rc;
        if (memchr(r->doc.text, '\0', r->doc.len) != NULL) {
            if (r->opts.on_binary == SH_BINARY_FAIL)
                return sh_fail(err, err_len, SH_EINPUT,
                               "%s: binary document (contains a NUL byte)", where);
            r->stats.skipped_binary++;
            warn(r, "%s: %s; skipped", where, "binary document (contains a NUL byte)");
            continue;
        }
        r->stats.docs++;
        *doc = &r->doc;
        return 0;
    }
}
