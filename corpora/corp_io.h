/* corp_io.h — what the corpus tools share: a growable byte buffer, reading
 * JSON-lines corpora line by line, checking a document against the
 * interchange format, and small command-line helpers.
 *
 * The interchange format is one JSON object per line:
 *   {"id": "...", "text": "...", "labels": ["..."], "split": "train"|"test"}
 * "id" and "text" are strings, "labels" an array of strings (may be empty),
 * "split" optional before splitting. Other members are kept and ignored.
 *
 * Not part of libsemhash: these files build the programs under
 * $(BUILD)/corpora/ (see corpora/corpora.mk) and are compiled into the
 * corpora test suites. Like the library, nothing here prints or exits;
 * functions return 0 or an SH_E... code (positive: errno) and fill an
 * optional message buffer (err, err_len; NULL/0 for none).
 */
#ifndef CORP_IO_H
#define CORP_IO_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* A growable byte buffer; data is always NUL-terminated once non-empty.
 * Zero-initialise ({0}) before first use; release with corp_buf_free. */
typedef struct {
    char *data;
    size_t len;
    size_t cap;
} corp_buf;

/* Appends n bytes. Returns 0, or SH_ENOMEM (buffer unchanged). */
int corp_buf_append(corp_buf *b, const char *s, size_t n);

/* Makes room for extra more bytes (and the NUL) without changing the
 * content, so a caller may write up to b->data + b->len + extra and then
 * advance b->len. Returns 0 or SH_ENOMEM (buffer unchanged). */
int corp_buf_reserve(corp_buf *b, size_t extra);

/* Appends one byte. Returns 0 or SH_ENOMEM (buffer unchanged). */
int corp_buf_putc(corp_buf *b, char c);

/* Empties the buffer, keeping its memory. Cannot fail. */
void corp_buf_clear(corp_buf *b);

/* Releases the memory and zeroes the struct; accepts NULL. */
void corp_buf_free(corp_buf *b);

/* Reads a whole file into b (replacing its content). Returns 0, an errno
 * value if the file cannot be opened or read, or SH_ENOMEM. */
int corp_read_file(const char *path, corp_buf *b, char *err, size_t err_len);

/* A JSON-lines reader: one line at a time, any length. */
typedef struct {
    FILE *f;
    const char *name;   /* for messages: the path, or "stdin" */
    int owns_file;
    long lineno;        /* number of the line last returned, 1-based */
    char *line;
    size_t cap;
} corp_reader;

/* Opens path for reading ("-" means stdin). Returns 0 or an errno value;
 * on failure nothing needs closing. */
int corp_reader_open(corp_reader *r, const char *path, char *err, size_t err_len);

/* Parses the next non-blank line into *doc (a new reference the caller
 * must json_decref) and checks it is an interchange-format document.
 * Returns 0 with *doc set, 0 with *doc == NULL at end of input,
 * SH_EINPUT for a malformed line (message names file and line), or an
 * errno value for a read error. */
int corp_reader_next(corp_reader *r, json_t **doc, char *err, size_t err_len);

/* Closes the file if the reader opened it and frees the line buffer;
 * accepts a reader that failed to open or was already closed. */
void corp_reader_close(corp_reader *r);

/* 0 if doc has string "id" and "text", an array "labels" of strings and,
 * if present, "split" equal to "train" or "test"; else SH_EINPUT with a
 * message naming the missing or wrong member. */
int corp_doc_check(const json_t *doc, char *err, size_t err_len);

/* The first label of a checked document, or "" if it has none. The
 * string belongs to doc. */
const char *corp_doc_first_label(const json_t *doc);

/* Writes doc compactly on one line followed by '\n', members in insertion
 * order, reals with 6 significant digits (0.1, not 0.10000000000000001). Returns 0, SH_ENOMEM, or EIO if the stream reports an error. */
int corp_write_doc(FILE *f, const json_t *doc);

/* A seed for a sub-stream derived from two numbers and a seed (xxh64 of
 * a and b as little-endian bytes): the same on every machine. */
uint64_t corp_seed_key(uint64_t a, uint64_t b, uint64_t seed);

/* Parses a whole decimal number in [min, max]. Returns 0 or SH_EINVAL
 * (*out unchanged). */
int corp_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* Parses a whole finite number in [min, max]. Returns 0 or SH_EINVAL. */
int corp_parse_double(const char *s, double min, double max, double *out);

#endif
