/* corpus.h — reading document collections, one document at a time.
 *
 * One streaming reader for every input the engine accepts:
 *
 *   JSON lines (.jsonl, .json, .ndjson): one object per line,
 *       {"id": "...", "text": "...", "labels": ["..."], "split": "train"}
 *       "text" is required (a string); "id" is optional (a string or an
 *       integer; default "FILE:LINE"); "labels" optional (an array of
 *       strings); "split" optional ("train", "test", or null); "source"
 *       optional (a string: the id of the original a near-duplicate was
 *       made from). Other keys are kept for corpus_field_string /
 *       corpus_field_number. Blank lines are skipped. A line that is not such an
 *       object is malformed: an SH_EINPUT error "FILE:LINE: problem", or,
 *       with skip_malformed, skipped, counted and reported to warn.
 *   plain text (.txt): one document per line, id "FILE:LINE"; blank lines
 *       are skipped (the line numbers in ids stay true).
 *   a directory: every regular file below it, recursively, in sorted
 *       order (names compared bytewise, directory by directory); hidden
 *       entries (names starting with '.') and symbolic links to
 *       directories are skipped. id = the path relative to the root;
 *       labels = { first-level subdirectory name } (none for files at the
 *       root). Each file is one document.
 *   any file compressed with gzip: "name.jsonl.gz", "name.txt.gz", and
 *       .gz files inside directories are decompressed while reading
 *       (zlib reads uncompressed files unchanged too).
 *   "-" is standard input (plain or gzip); its format must be given.
 *
 * FILE in ids is the base name of the file. Line endings "\n" and "\r\n"
 * are both accepted. Lines and files may be of any length that fits in
 * memory (the reader holds one document at a time).
 *
 * Binary documents (containing a NUL byte, including "\u0000" in JSON
 * text) follow on_binary: SH_BINARY_SKIP skips, counts and reports them
 * to warn; SH_BINARY_FAIL stops with SH_EINPUT naming the document.
 *
 * The library never prints: warn (optional) receives one line per skipped
 * document, naming it and the reason.
 */
#ifndef SH_CORPUS_H
#define SH_CORPUS_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

typedef enum {
    CORPUS_AUTO = 0,  /* by the path: directory, or extension under .gz */
    CORPUS_JSONL = 1,
    CORPUS_TXT = 2,
    CORPUS_DIR = 3
} corpus_format;

typedef enum {
    CORPUS_SPLIT_NONE = 0,
    CORPUS_SPLIT_TRAIN = 1,
    CORPUS_SPLIT_TEST = 2
} corpus_split;

typedef struct {
    corpus_format format;
    sh_binary_policy on_binary;
    int skip_malformed;    /* bool: skip malformed JSON lines instead of failing */
    int json_reference;    /* bool: parse every JSON line with jansson only (the
                              reference the fast path is tested against; slower) */
    void (*warn)(void *user, const char *message);
    void *warn_user;
} corpus_options;

/* One document. Every pointer is owned by the reader and valid until the
 * next corpus_next or corpus_close. text is NUL-terminated at text[len]
 * but may be used as (text, len). */
typedef struct {
    const char *id;
    const char *text;
    size_t len;
    const char *const *labels;
    size_t n_labels;
    corpus_split split;
    const char *source;   /* JSON "source", or NULL */
} corpus_doc;

typedef struct {
    uint64_t docs;              /* documents returned */
    uint64_t skipped_binary;
    uint64_t skipped_malformed;
} corpus_stats;

typedef struct corpus_reader corpus_reader;

/* The default options: AUTO, skip binary documents, fail on malformed
 * lines, no warnings. Cannot fail. */
corpus_options corpus_default_options(void);

/* The format AUTO would choose for path (CORPUS_AUTO if it cannot tell). */
corpus_format corpus_guess_format(const char *path);

/* Opens path. Returns 0 and *out (close with corpus_close); SH_EINVAL if
 * the format cannot be told from the path (message suggests giving it);
 * an errno value if the path cannot be opened or listed; SH_ENOMEM. The
 * message in err names the path. Nothing to close after a failure. */
int corpus_open(const char *path, const corpus_options *opts, corpus_reader **out,
                char *err, size_t err_len);

/* Reads the next document: returns 0 with *doc pointing at it, or 0 with
 * *doc = NULL at the end. Errors: SH_EINPUT (malformed line or binary
 * document under the fail policies), SH_EFORMAT (corrupt gzip data),
 * SH_ETRUNC (gzip stream cut short), an errno value (read error),
 * SH_ENOMEM; all with "FILE[:LINE]: problem" in err. After an error the
 * reader may be closed; reading on after SH_EINPUT continues with the
 * next document. */
int corpus_next(corpus_reader *r, const corpus_doc **doc, char *err, size_t err_len);

/* Another key of the current JSON-lines document: its string value
 * (owned by the reader, valid like the document), or NULL if the key is
 * absent, not a string, or the format is not JSON lines. The first call
 * for a document may parse its line again (hence the non-const reader). */
const char *corpus_field_string(corpus_reader *r, const char *key);

/* The same for a number: returns 0 with *value, or SH_ENOTFOUND. */
int corpus_field_number(corpus_reader *r, const char *key, double *value);

/* Counters so far. */
corpus_stats corpus_get_stats(const corpus_reader *r);

/* Closes the reader. Accepts NULL. */
void corpus_close(corpus_reader *r);

#endif
