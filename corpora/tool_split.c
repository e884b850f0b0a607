/* tool_split.c — corp-split: writes a stratified, seeded train/test split
 * into the "split" member of every document of a JSON-lines corpus.
 *
 *   corp-split [--seed N] [--test-fraction F] [-o OUTPUT] [INPUT]
 *
 * Strata are the documents' first labels (see corp_split.h). The whole
 * corpus is held in memory. Duplicate ids are an error. Output order is
 * input order; an existing "split" member is overwritten in place. */
#include "corp_io.h"
#include "corp_split.h"
#include "sh_error.h"
#include "tool_common.h"

#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: corp-split [--seed N] [--test-fraction F] [-o OUTPUT] [INPUT]\n"
    "  Sets \"split\" to \"train\" or \"test\" in every document of a JSON-lines\n"
    "  corpus (INPUT or stdin), stratified by the first label.\n"
    "  --seed N            seed of the split (default 1)\n"
    "  --test-fraction F   share of each stratum in test, 0..1 (default 0.2)\n"
    "  -o OUTPUT           output file (default stdout)\n";

static int split_id_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int main(int argc, char **argv)
{
    tool_init(argv[0]);
    uint64_t seed = 1;
    double fraction = 0.2;
    const char *input = "-", *output = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (tool_is_help(a)) {
            fputs(usage, stdout);
            return TOOL_EXIT_OK;
        } else if (strcmp(a, "--seed") == 0 && i + 1 < argc) {
            if (corp_parse_u64(argv[++i], 0, UINT64_MAX, &seed))
                return tool_usage_error(usage, "--seed wants a whole number, not '%s'", argv[i]);
        } else if (strcmp(a, "--test-fraction") == 0 && i + 1 < argc) {
            if (corp_parse_double(argv[++i], 0.0, 1.0, &fraction))
                return tool_usage_error(usage, "--test-fraction wants a number in 0..1, not '%s'",
                                        argv[i]);
        } else if (strcmp(a, "-o") == 0 && i + 1 < argc) {
            output = argv[++i];
        } else if (a[0] == '-' && a[1] != '\0') {
            return tool_usage_error(usage, "unknown option or missing value: %s", a);
        } else {
            input = a;
        }
    }

    int status = TOOL_EXIT_ERROR;
    char err[512];
    corp_reader reader;
    json_t **docs = NULL;
    const char **strata = NULL, **ids = NULL;
    unsigned char *is_test = NULL;
    size_t n = 0, cap = 0;
    FILE *out = NULL;

    if (corp_reader_open(&reader, input, err, sizeof err) != 0)
        return tool_error("%s", err);
    for (;;) {
        json_t *doc;
        if (corp_reader_next(&reader, &doc, err, sizeof err) != 0) {
            tool_error("%s", err);
            goto done;
        }
        if (!doc)
            break;
        if (n == cap) {
            cap = cap ? 2 * cap : 1024;
            json_t **grown = realloc(docs, cap * sizeof *docs);
            if (!grown) {
                json_decref(doc);
                tool_error("out of memory after %zu documents", n);
                goto done;
            }
            docs = grown;
        }
        docs[n++] = doc;
    }
    if (n == 0) {
        tool_error("%s: no documents", reader.name);
        goto done;
    }
    strata = malloc(n * sizeof *strata);
    ids = malloc(n * sizeof *ids);
    is_test = malloc(n);
    if (!strata || !ids || !is_test) {
        tool_error("out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        strata[i] = corp_doc_first_label(docs[i]);
        ids[i] = json_string_value(json_object_get(docs[i], "id"));
    }
    qsort(ids, n, sizeof *ids, split_id_cmp);
    for (size_t i = 1; i < n; i++)
        if (strcmp(ids[i - 1], ids[i]) == 0) {
            tool_error("%s: id \"%s\" occurs more than once; ids must be unique", reader.name,
                       ids[i]);
            goto done;
        }
    if (corp_split_stratified(strata, n, fraction, seed, is_test) != 0) {
        tool_error("out of memory while splitting");
        goto done;
    }
    if (!(out = tool_open_output(output)))
        goto done;
    for (size_t i = 0; i < n; i++) {
        if (json_object_set_new(docs[i], "split", json_string(is_test[i] ? "test" : "train")) ||
            corp_write_doc(out, docs[i]) != 0) {
            tool_error("%s: write failed", output ? output : "stdout");
            goto done;
        }
    }
    status = TOOL_EXIT_OK;
done:
    status = tool_close_output(out, output, status);
    corp_reader_close(&reader);
    for (size_t i = 0; i < n; i++)
        json_decref(docs[i]);
    free(docs);
    free(strata);
    free(ids);
    free(is_test);
    return status;
}
