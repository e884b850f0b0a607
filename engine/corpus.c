/* corpus.c — streaming readers for JSON lines, plain text lines and
 * directory trees, all through zlib so that gzip input is transparent. */
#include "corpus.h"
#include "sh_error.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
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
    json_t *json;               /* keeps the current JSON document alive */
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
    gzbuffer(r->gz, CHUNK);
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
    free(r->id);
    free(r->label);
    free(r->text);
    free(r->in);
    free(r->root);
    free(r);
}

static json_t *current_field(const corpus_reader *r, const char *key)
{
    if (r->format != CORPUS_JSONL || r->json == NULL || r->doc.text == NULL)
        return NULL;
    return json_object_get(r->json, key);
}

const char *corpus_field_string(const corpus_reader *r, const char *key)
{
    json_t *v = current_field(r, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

int corpus_field_number(const corpus_reader *r, const char *key, double *value)
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

/* Fills r->doc from the JSON object on the current line. Returns 0,
 * SH_EINPUT with the problem in why, or SH_ENOMEM. */
static int parse_json_line(corpus_reader *r, char *why, size_t why_len)
{
    json_error_t jerr;
    if (r->json != NULL) {
        json_decref(r->json);
        r->json = NULL;
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
