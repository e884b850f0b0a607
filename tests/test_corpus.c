/* test_corpus.c — every corpus reader on small fixtures built in a
 * temporary directory, including malformed and compressed ones. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "corpus.h"
#include "sh_error.h"
#include "test_text_util.h"

static const char *dir;

static void setup(void)
{
    dir = tt_mkdtemp();
}

static void teardown(void)
{
    tt_rmtree(dir);
}

static void write_str(const char *name, const char *s)
{
    tt_write(dir, name, s, strlen(s));
}

static void write_gz(const char *name, const char *s, size_t len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    gzFile gz = gzopen(path, "wb");
    ck_assert_ptr_nonnull(gz);
    ck_assert_int_eq(gzwrite(gz, s, (unsigned)len), (int)len);
    ck_assert_int_eq(gzclose(gz), Z_OK);
}

static corpus_reader *open_in(const char *name, const corpus_options *opts, int expect_rc)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    corpus_reader *r = NULL;
    char err[512] = "";
    int rc = corpus_open(path, opts, &r, err, sizeof err);
    ck_assert_msg(rc == expect_rc, "open %s: rc %d (%s)", name, rc, err);
    return r;
}

/* Reads everything: "id|text|label,label|split" per document, joined by
 * newlines; returns the final return code in *rc and the message in err. */
static const char *read_all(corpus_reader *r, int *rc, char *err, size_t err_len)
{
    static char buf[8192];
    size_t pos = 0;
    buf[0] = '\0';
    const corpus_doc *d;
    while ((*rc = corpus_next(r, &d, err, err_len)) == 0 && d != NULL) {
        pos += (size_t)snprintf(buf + pos, sizeof buf - pos, "%s|%.*s|", d->id,
                                (int)d->len, d->text);
        for (size_t i = 0; i < d->n_labels; i++)
            pos += (size_t)snprintf(buf + pos, sizeof buf - pos, "%s%s", i ? "," : "",
                                    d->labels[i]);
        pos += (size_t)snprintf(buf + pos, sizeof buf - pos, "|%d\n", (int)d->split);
    }
    return buf;
}

static const char jsonl[] =
    "{\"id\": \"a1\", \"text\": \"first doc\", \"labels\": [\"x\", \"y\"], \"split\": \"train\"}\n"
    "{\"text\": \"no id here\", \"extra\": 5}\n"
    "\n"
    "{\"id\": 42, \"text\": \"caf\\u00e9\\r\\n\", \"labels\": [], \"split\": \"test\"}\r\n"
    "{\"id\": null, \"text\": \"\", \"split\": null}";

static const char jsonl_expected[] =
    "a1|first doc|x,y|1\n"
    "docs.jsonl:2|no id here||0\n"
    "42|caf\xc3\xa9\r\n||2\n"
    "docs.jsonl:5|||0\n";

START_TEST(json_lines_with_optional_fields)
{
    write_str("docs.jsonl", jsonl);
    corpus_reader *r = open_in("docs.jsonl", NULL, 0);
    int rc;
    char err[256];
    ck_assert_str_eq(read_all(r, &rc, err, sizeof err), jsonl_expected);
    ck_assert_int_eq(rc, 0);
    corpus_stats st = corpus_get_stats(r);
    ck_assert_uint_eq(st.docs, 4);
    corpus_close(r);
}
END_TEST

START_TEST(near_duplicate_records_and_extra_fields)
{
    write_str("dups.jsonl",
              "{\"id\": \"dup-10-1\", \"text\": \"t\", \"source\": \"orig-1\", "
              "\"edit_rate\": 0.1, \"note\": \"x\"}\n"
              "{\"id\": \"plain\", \"text\": \"u\"}\n"
              "{\"id\": \"bad\", \"text\": \"v\", \"source\": 3}\n");
    corpus_reader *r = open_in("dups.jsonl", NULL, 0);
    const corpus_doc *d;
    char err[256];
    double rate = 0;
    ck_assert_int_eq(corpus_next(r, &d, err, sizeof err), 0);
    ck_assert_str_eq(d->source, "orig-1");
    ck_assert_int_eq(corpus_field_number(r, "edit_rate", &rate), 0);
    ck_assert_double_eq_tol(rate, 0.1, 1e-12);
    ck_assert_str_eq(corpus_field_string(r, "note"), "x");
    ck_assert_ptr_null(corpus_field_string(r, "edit_rate"));
    ck_assert_int_eq(corpus_field_number(r, "note", &rate), SH_ENOTFOUND);
    ck_assert_int_eq(corpus_next(r, &d, err, sizeof err), 0);
    ck_assert_ptr_null(d->source);
    ck_assert_ptr_null(corpus_field_string(r, "note"));
    ck_assert_int_eq(corpus_next(r, &d, err, sizeof err), SH_EINPUT);
    ck_assert_ptr_nonnull(strstr(err, "dups.jsonl:3: \"source\""));
    corpus_close(r);
    write_str("plain.txt", "line\n");
    r = open_in("plain.txt", NULL, 0);
    ck_assert_int_eq(corpus_next(r, &d, err, sizeof err), 0);
    ck_assert_ptr_null(corpus_field_string(r, "text"));
    corpus_close(r);
}
END_TEST

START_TEST(gzip_files_read_like_plain_ones)
{
    write_gz("docs.jsonl.gz", jsonl, strlen(jsonl));
    corpus_reader *r = open_in("docs.jsonl.gz", NULL, 0);
    int rc;
    char err[256];
    const char *got = read_all(r, &rc, err, sizeof err);
    ck_assert_int_eq(rc, 0);
    /* ids use the base name of the compressed file */
    ck_assert_ptr_nonnull(strstr(got, "docs.jsonl.gz:2|no id here||0\n"));
    ck_assert_ptr_nonnull(strstr(got, "42|caf\xc3\xa9\r\n||2\n"));
    corpus_close(r);

    write_gz("lines.txt.gz", "one\ntwo\n", 8);
    r = open_in("lines.txt.gz", NULL, 0);
    ck_assert_str_eq(read_all(r, &rc, err, sizeof err), "lines.txt.gz:1|one||0\nlines.txt.gz:2|two||0\n");
    corpus_close(r);

    /* a truncated compressed file is an error, not a short corpus */
    char big[20000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)('a' + (i * 7919) % 26);
    big[sizeof big - 1] = '\n';
    write_gz("cut.txt.gz", big, sizeof big);
    char path[4096];
    snprintf(path, sizeof path, "%s/cut.txt.gz", dir);
    FILE *f = fopen(path, "rb");
    static char bytes[40000];
    size_t n = fread(bytes, 1, sizeof bytes, f);
    fclose(f);
    tt_write(dir, "cut.txt.gz", bytes, n / 2);
    r = open_in("cut.txt.gz", NULL, 0);
    read_all(r, &rc, err, sizeof err);
    ck_assert_msg(rc == SH_ETRUNC || rc == SH_EFORMAT, "rc %d", rc);
    ck_assert_ptr_nonnull(strstr(err, "cut.txt.gz"));
    corpus_close(r);
}
END_TEST

START_TEST(malformed_json_lines_fail_or_are_skipped)
{
    const char *bad[] = {
        "{\"text\": \"ok\"}\n{\"text\": \"broken\"\n",
        "{\"text\": 17}\n",
        "{\"id\": \"x\"}\n",
        "[\"text\"]\n",
        "{\"text\": \"t\", \"labels\": \"notalist\"}\n",
        "{\"text\": \"t\", \"labels\": [\"a\", 3]}\n",
        "{\"text\": \"t\", \"split\": \"dev\"}\n",
        "{\"text\": \"t\", \"id\": [1]}\n",
    };
    const char *why[] = { "bad JSON", "must be a string", "missing \"text\"", "JSON object",
                          "array of strings", "item 1", "\"split\"", "\"id\"" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_str("bad.jsonl", bad[i]);
        corpus_reader *r = open_in("bad.jsonl", NULL, 0);
        int rc;
        char err[512] = "";
        read_all(r, &rc, err, sizeof err);
        ck_assert_int_eq(rc, SH_EINPUT);
        ck_assert_msg(strstr(err, why[i]) != NULL, "case %zu: %s", i, err);
        ck_assert_msg(strstr(err, i == 0 ? "bad.jsonl:2" : "bad.jsonl:1") != NULL, "%s", err);
        corpus_close(r);
    }
}
END_TEST

static int warnings;

static void count_warning(void *user, const char *msg)
{
    ck_assert_ptr_eq(user, &warnings);
    ck_assert_ptr_nonnull(strstr(msg, "skipped"));
    warnings++;
}

START_TEST(skip_policies_count_and_warn)
{
    write_str("mixed.jsonl",
              "{\"text\": \"good one\"}\n"
              "{\"text\": broken}\n"
              "{\"text\": \"nul\\u0000inside\"}\n"
              "{\"text\": \"good two\"}\n");
    corpus_options o = corpus_default_options();
    o.skip_malformed = 1;
    o.warn = count_warning;
    o.warn_user = &warnings;
    warnings = 0;
    corpus_reader *r = open_in("mixed.jsonl", &o, 0);
    int rc;
    char err[256];
    ck_assert_str_eq(read_all(r, &rc, err, sizeof err),
                     "mixed.jsonl:1|good one||0\nmixed.jsonl:4|good two||0\n");
    ck_assert_int_eq(rc, 0);
    corpus_stats st = corpus_get_stats(r);
    ck_assert_uint_eq(st.docs, 2);
    ck_assert_uint_eq(st.skipped_malformed, 1);
    ck_assert_uint_eq(st.skipped_binary, 1);
    ck_assert_int_eq(warnings, 2);
    corpus_close(r);

    o.on_binary = SH_BINARY_FAIL;
    r = open_in("mixed.jsonl", &o, 0);
    read_all(r, &rc, err, sizeof err);
    ck_assert_int_eq(rc, SH_EINPUT);
    ck_assert_ptr_nonnull(strstr(err, "mixed.jsonl:3: binary"));
    corpus_close(r);
}
END_TEST

START_TEST(plain_text_one_document_per_line)
{
    write_str("lines.txt", "alpha beta\r\n\n   \ngamma\nlast without newline");
    corpus_reader *r = open_in("lines.txt", NULL, 0);
    int rc;
    char err[256];
    ck_assert_str_eq(read_all(r, &rc, err, sizeof err),
                     "lines.txt:1|alpha beta||0\nlines.txt:4|gamma||0\n"
                     "lines.txt:5|last without newline||0\n");
    ck_assert_int_eq(rc, 0);
    corpus_close(r);
    write_str("empty.txt", "");
    r = open_in("empty.txt", NULL, 0);
    ck_assert_str_eq(read_all(r, &rc, err, sizeof err), "");
    ck_assert_int_eq(rc, 0);
    corpus_close(r);
}
END_TEST

START_TEST(directory_tree_with_labels)
{
    write_str("tree/sports/b.txt", "match report");
    write_str("tree/sports/a.txt", "goal scored");
    write_str("tree/politics/x.txt", "vote today");
    write_str("tree/politics/sub/deep.txt", "deep file");
    write_str("tree/top.txt", "at the root");
    write_str("tree/.hidden", "never read");
    write_str("tree/sports/.swp", "never read");
    tt_write(dir, "tree/zbin/data.bin", "bin\0ary", 7);
    tt_write(dir, "tree/ok/empty.txt", "", 0);
    write_gz("tree/ok/packed.gz", "unpacked text", 13);
    corpus_options o = corpus_default_options();
    o.warn = count_warning;
    o.warn_user = &warnings;
    warnings = 0;
    corpus_reader *r = open_in("tree", &o, 0);
    int rc;
    char err[256];
    ck_assert_str_eq(read_all(r, &rc, err, sizeof err),
                     "ok/empty.txt||ok|0\n"
                     "ok/packed.gz|unpacked text|ok|0\n"
                     "politics/sub/deep.txt|deep file|politics|0\n"
                     "politics/x.txt|vote today|politics|0\n"
                     "sports/a.txt|goal scored|sports|0\n"
                     "sports/b.txt|match report|sports|0\n"
                     "top.txt|at the root||0\n");
    ck_assert_int_eq(rc, 0);
    ck_assert_int_eq(warnings, 1);
    ck_assert_uint_eq(corpus_get_stats(r).skipped_binary, 1);
    corpus_close(r);

    o.on_binary = SH_BINARY_FAIL;
    r = open_in("tree/", &o, 0);
    read_all(r, &rc, err, sizeof err);
    ck_assert_int_eq(rc, SH_EINPUT);
    ck_assert_ptr_nonnull(strstr(err, "zbin/data.bin"));
    corpus_close(r);
}
END_TEST

START_TEST(format_detection_and_open_errors)
{
    write_str("notes.md", "x");
    ck_assert_int_eq(corpus_guess_format("a/b.jsonl"), CORPUS_JSONL);
    ck_assert_int_eq(corpus_guess_format("b.json.gz"), CORPUS_JSONL);
    ck_assert_int_eq(corpus_guess_format("b.txt.gz"), CORPUS_TXT);
    ck_assert_int_eq(corpus_guess_format("b.gz"), CORPUS_AUTO);
    ck_assert_int_eq(corpus_guess_format(dir), CORPUS_DIR);
    char err[512] = "";
    corpus_reader *r = open_in("notes.md", NULL, SH_EINVAL);
    ck_assert_ptr_null(r);
    corpus_options o = corpus_default_options();
    o.format = CORPUS_TXT;
    r = open_in("notes.md", &o, 0);
    int rc;
    ck_assert_str_eq(read_all(r, &rc, err, sizeof err), "notes.md:1|x||0\n");
    corpus_close(r);
    /* an empty directory is an empty corpus */
    tt_write(dir, "void/.keep", "", 0);
    r = open_in("void", NULL, 0);
    ck_assert_str_eq(read_all(r, &rc, err, sizeof err), "");
    ck_assert_int_eq(rc, 0);
    corpus_close(r);
    r = open_in("missing.jsonl", NULL, ENOENT);
    ck_assert_ptr_null(r);
    corpus_close(NULL);
}
END_TEST

START_TEST(standard_input_plain_or_compressed)
{
    write_gz("in.jsonl.gz", "{\"text\": \"from stdin\"}\n", 23);
    char path[4096], err[256] = "";
    snprintf(path, sizeof path, "%s/in.jsonl.gz", dir);
    int fd = open(path, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    int saved = dup(STDIN_FILENO);
    ck_assert_int_ge(dup2(fd, STDIN_FILENO), 0);
    close(fd);
    corpus_reader *r = NULL;
    /* the format cannot be guessed from "-" */
    ck_assert_int_eq(corpus_open("-", NULL, &r, err, sizeof err), SH_EINVAL);
    corpus_options o = corpus_default_options();
    o.format = CORPUS_JSONL;
    ck_assert_int_eq(corpus_open("-", &o, &r, err, sizeof err), 0);
    int rc;
    ck_assert_str_eq(read_all(r, &rc, err, sizeof err), "-:1|from stdin||0\n");
    ck_assert_int_eq(rc, 0);
    corpus_close(r);
    o.format = CORPUS_DIR;
    ck_assert_int_eq(corpus_open("-", &o, &r, err, sizeof err), SH_EINVAL);
    dup2(saved, STDIN_FILENO);
    close(saved);
}
END_TEST

/* JSON lines the fast path must read exactly as jansson does, or leave to
 * it: escapes, surrogates, UTF-8 edge cases, numbers, literals, repeated
 * keys, nesting, trailing bytes, every kind of error. */
static const char *const tricky_lines[] = {
    "{\"id\": \"a\", \"text\": \"plain\"}",
    "{\"text\":\"esc \\\" \\\\ \\/ \\b \\f \\n \\r \\t end\"}",
    "{\"text\": \"\\u00e9\\u00E9 \\u4e2d \\ud83d\\ude00 \\u0041\"}",
    "{\"text\": \"lone \\ud800 high\"}",
    "{\"text\": \"lone \\udc00 low\"}",
    "{\"text\": \"high then text \\ud83dx\"}",
    "{\"text\": \"bad \\x escape\"}",
    "{\"text\": \"short \\u12\"}",
    "{\"text\": \"nul \\u0000 inside\"}",
    "{\"id\": \"n\\u0000ul\", \"text\": \"x\", \"labels\": [\"l\\u0000m\"]}",
    "{\"text\": \"caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80 \x7f\"}",
    "{\"text\": \"overlong \xc0\x80\"}",
    "{\"text\": \"surrogate \xed\xa0\x80\"}",
    "{\"text\": \"beyond \xf4\x90\x80\x80\"}",
    "{\"text\": \"truncated \xe4\xb8\"}",
    "{\"text\": \"lone continuation \x80\"}",
    "{\"text\": \"tab\tinside\"}",
    "{\"text\": \"unterminated}",
    "{\"id\": 42, \"text\": \"int id\"}",
    "{\"id\": -0, \"text\": \"minus zero\"}",
    "{\"id\": -123456789012345678, \"text\": \"18 digits\"}",
    "{\"id\": 9223372036854775807, \"text\": \"19 digits\"}",
    "{\"id\": 99999999999999999999, \"text\": \"too big\"}",
    "{\"id\": 1.5, \"text\": \"real id\"}",
    "{\"id\": 1e3, \"text\": \"exp id\"}",
    "{\"id\": 01, \"text\": \"leading zero\"}",
    "{\"id\": true, \"text\": \"bool id\"}",
    "{\"id\": null, \"text\": \"null id\"}",
    "{\"text\": \"n\", \"rate\": 0.25, \"big\": 1e999, \"k\": -7}",
    "{\"text\": \"n\", \"rate\": 1.}",
    "{\"text\": \"n\", \"rate\": -}",
    "{\"text\": \"n\", \"rate\": 1.5E+3, \"note\": \"hi\"}",
    "{\"text\": \"n\", \"huge\": 123456789012345678901234567890}",
    "{\"text\": \"lit\", \"a\": true, \"b\": false, \"c\": null}",
    "{\"text\": \"lit\", \"a\": tru}",
    "{\"text\": \"nested\", \"o\": {\"x\": [1, 2]}}",
    "{\"text\": \"arr\", \"o\": [1, \"a\"]}",
    "{\"text\": \"labels\", \"labels\": [\"a\", \"b\\u00e9\", \"\"]}",
    "{\"text\": \"labels\", \"labels\": []}",
    "{\"text\": \"labels\", \"labels\": null}",
    "{\"text\": \"labels\", \"labels\": [\"a\", 3]}",
    "{\"text\": \"labels\", \"labels\": [\"a\",]}",
    "{\"text\": \"labels\", \"labels\": \"a\"}",
    "{\"text\": \"split\", \"split\": \"train\"}",
    "{\"text\": \"split\", \"split\": \"test\", \"source\": \"orig\"}",
    "{\"text\": \"split\", \"split\": \"dev\"}",
    "{\"text\": \"split\", \"split\": 1}",
    "{\"text\": \"split\", \"split\": null, \"source\": null}",
    "{\"text\": \"source\", \"source\": 3}",
    "{\"text\": \"first\", \"text\": \"second\"}",
    "{\"id\": \"a\", \"id\": \"b\", \"text\": \"repeated id\"}",
    "{\"te\\u0078t\": \"escaped key\"}",
    "{\"text\": null}",
    "{\"text\": 5}",
    "{\"id\": \"no text\"}",
    "{}",
    "[\"not an object\"]",
    "\"a string\"",
    "{\"text\": \"trailing\"} x",
    "{\"text\": \"trailing comma\",}",
    "  {  \"text\"  :  \"spaces\"  ,  \"id\"  :  \"s\"  }  \r",
    "{\"text\": \"vt\"}\x0b",
    "\xef\xbb\xbf{\"text\": \"bom\"}",
    "{\"text\" \"no colon\"}",
    "{\"text\": \"x\"",
    "{\"text\": \"\"}",
    "{\"\": 1, \"text\": \"empty key\"}",
};

/* One line of a reader's result: the document's fields, or the error. */
static void describe(corpus_reader *r, int rc, const corpus_doc *d, const char *err,
                     char *out, size_t out_len)
{
    if (rc != 0) {
        snprintf(out, out_len, "rc %d: %s", rc, err);
        return;
    }
    if (d == NULL) {
        snprintf(out, out_len, "end");
        return;
    }
    size_t pos = (size_t)snprintf(out, out_len, "%s|%zu|", d->id, d->len);
    for (size_t i = 0; i < d->len && pos + 4 < out_len; i++)
        pos += (size_t)snprintf(out + pos, out_len - pos, "%02x", (unsigned char)d->text[i]);
    for (size_t i = 0; i < d->n_labels && pos + 4 < out_len; i++)
        pos += (size_t)snprintf(out + pos, out_len - pos, "|l:%s", d->labels[i]);
    double v = 0;
    int has_rate = corpus_field_number(r, "rate", &v) == 0;
    const char *note = corpus_field_string(r, "note");
    snprintf(out + pos, out_len - pos, "|s%d|%s|%d:%g|%s", (int)d->split,
             d->source ? d->source : "(none)", has_rate, v, note ? note : "(none)");
}

/* Reads name with the fast path and with jansson only; every document and
 * every error must be the same. Returns the documents read. */
static size_t compare_readers(const char *name)
{
    corpus_options fast = corpus_default_options(), ref = corpus_default_options();
    ref.json_reference = 1;
    corpus_reader *a = open_in(name, &fast, 0), *b = open_in(name, &ref, 0);
    size_t docs = 0;
    for (;;) {
        static char da[1 << 16], db[1 << 16];
        char ea[512] = "", eb[512] = "";
        const corpus_doc *x, *y;
        int ra = corpus_next(a, &x, ea, sizeof ea);
        describe(a, ra, x, ea, da, sizeof da);
        int rb = corpus_next(b, &y, eb, sizeof eb);
        describe(b, rb, y, eb, db, sizeof db);
        ck_assert_msg(strcmp(da, db) == 0, "%s: fast path '%s', jansson '%s'", name, da, db);
        if (ra != 0 && ra != SH_EINPUT)
            break;
        if (ra == 0 && x == NULL)
            break;
        docs += ra == 0;
    }
    corpus_close(a);
    corpus_close(b);
    return docs;
}

START_TEST(fast_json_path_reads_as_jansson_does)
{
    size_t n = sizeof tricky_lines / sizeof tricky_lines[0];
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc(cap);
    ck_assert_ptr_nonnull(buf);
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s\n", tricky_lines[i]);
    tt_write(dir, "tricky.jsonl", buf, len);
    ck_assert_uint_gt(compare_readers("tricky.jsonl"), 20);
    /* mutations: a byte replaced, inserted or deleted, many times over */
    uint64_t x = 7;
    static const char alphabet[] = "{}[]\":,\\ u0aeE.-+tn\x80\xc3\xe4\xf0\x01";
    len = 0;
    for (int round = 0; round < 3000; round++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        char line[512];
        size_t l = (size_t)snprintf(line, sizeof line, "%s", tricky_lines[x % n]);
        for (int k = 0; k < 1 + (int)((x >> 8) % 3); k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            size_t at = l ? (x >> 16) % l : 0;
            char c = alphabet[(x >> 40) % (sizeof alphabet - 1)];
            int op = (int)((x >> 60) % 3);
            if (op == 0 && l > 0) {
                line[at] = c;
            } else if (op == 1 && l + 1 < sizeof line) {
                memmove(line + at + 1, line + at, l - at + 1);
                line[at] = c;
                l++;
            } else if (l > 0) {
                memmove(line + at, line + at + 1, l - at);
                l--;
            }
        }
        line[l] = '\0';
        for (size_t i = 0; i < l; i++)
            if (line[i] == '\n' || line[i] == '\0')
                line[i] = ' ';
        ck_assert_uint_lt(len + l + 2, cap);
        memcpy(buf + len, line, l);
        len += l;
        buf[len++] = '\n';
    }
    tt_write(dir, "mutated.jsonl", buf, len);
    ck_assert_uint_gt(compare_readers("mutated.jsonl"), 100);
    free(buf);
}
END_TEST

START_TEST(fifty_megabyte_lines)
{
    size_t n = 50u << 20;
    char *big = malloc(n + 64);
    ck_assert_ptr_nonnull(big);
    for (size_t i = 0; i < n; i++)
        big[i] = (i % 6 == 5) ? ' ' : (char)('a' + i % 5);
    memcpy(big + n, "\nsmall\n", 8);
    tt_write(dir, "big.txt", big, n + 7);
    corpus_reader *r = open_in("big.txt", NULL, 0);
    const corpus_doc *d;
    char err[256];
    ck_assert_int_eq(corpus_next(r, &d, err, sizeof err), 0);
    ck_assert_uint_eq(d->len, n);
    ck_assert(memcmp(d->text, big, n) == 0);
    ck_assert_int_eq(corpus_next(r, &d, err, sizeof err), 0);
    ck_assert_str_eq(d->text, "small");
    ck_assert_int_eq(corpus_next(r, &d, err, sizeof err), 0);
    ck_assert_ptr_null(d);
    corpus_close(r);

    /* the same as a JSON string */
    char *line = malloc(n + 64);
    memcpy(line, "{\"text\": \"", 10);
    memcpy(line + 10, big, n);
    memcpy(line + 10 + n, "\"}\n", 3);
    tt_write(dir, "big.jsonl", line, n + 13);
    r = open_in("big.jsonl", NULL, 0);
    ck_assert_int_eq(corpus_next(r, &d, err, sizeof err), 0);
    ck_assert_uint_eq(d->len, n);
    ck_assert(memcmp(d->text, big, n) == 0);
    ck_assert_str_eq(d->id, "big.jsonl:1");
    corpus_close(r);
    free(line);
    free(big);
}
END_TEST

Suite *corpus_suite(void)
{
    Suite *s = suite_create("corpus");
    TCase *core = tcase_create("core");
    tcase_add_checked_fixture(core, setup, teardown);
    tcase_add_test(core, json_lines_with_optional_fields);
    tcase_add_test(core, plain_text_one_document_per_line);
    tcase_add_test(core, directory_tree_with_labels);
    tcase_add_test(core, gzip_files_read_like_plain_ones);
    tcase_add_test(core, near_duplicate_records_and_extra_fields);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_add_checked_fixture(limits, setup, teardown);
    tcase_set_timeout(limits, 60);
    tcase_add_test(limits, malformed_json_lines_fail_or_are_skipped);
    tcase_add_test(limits, fast_json_path_reads_as_jansson_does);
    tcase_add_test(limits, skip_policies_count_and_warn);
    tcase_add_test(limits, format_detection_and_open_errors);
    tcase_add_test(limits, standard_input_plain_or_compressed);
    tcase_add_test(limits, fifty_megabyte_lines);
    suite_add_tcase(s, limits);
    return s;
}
