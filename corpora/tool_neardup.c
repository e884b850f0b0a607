/* tool_neardup.c — corp-neardup: edited copies of documents of a JSON-lines
 * corpus at several edit rates, for near-duplicate search tests (the edits
 * are defined in corp_neardup.h).
 *
 *   corp-neardup [--count N] [--seed S] [--rates 0.05,0.1,...] [--mail]
 *                [--split train|test] [--no-swap] [--no-cosmetic]
 *                [-o OUTPUT] INPUT
 *
 * N originals are chosen by seeded reservoir sampling (one pass, memory for
 * N documents) and kept in input order. Output, rate by rate and original
 * by original:
 *   {"id":"dup-10-000123","text":...,"source":"<original id>",
 *    "edit_rate":0.1,"labels":[the original's labels]}
 * where 10 is the rate in percent and 000123 the original's number among
 * the chosen ones. Copy k at rate r draws from a generator seeded by
 * (seed, k, r), so adding a rate leaves the other copies unchanged. */
#include "corp_io.h"
#include "corp_neardup.h"
#include "rng.h"
#include "sh_error.h"
#include "tool_common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RATES 32

static const char usage[] =
    "usage: corp-neardup [options] [-o OUTPUT] INPUT\n"
    "  Writes edited copies of N seeded-chosen documents of INPUT (JSON lines)\n"
    "  at each edit rate, as JSON lines with \"source\" and \"edit_rate\".\n"
    "  --count N       originals to copy (default 1000; all if fewer)\n"
    "  --seed S        seed (default 1)\n"
    "  --rates LIST    comma-separated rates in (0, 1] (default 0.05,0.10,0.20,0.30)\n"
    "  --mail          edit only the mail body, after the header block\n"
    "  --split NAME    choose only documents whose split is NAME\n"
    "  --no-swap       no sentence swap\n"
    "  --no-cosmetic   no case or whitespace changes\n"
    "  -v              print the achieved edit rates on stderr\n";

typedef struct {
    json_t *doc;
    uint64_t position;
} chosen_doc;

static int chosen_cmp(const void *a, const void *b)
{
    const chosen_doc *x = a, *y = b;
    return (x->position > y->position) - (x->position < y->position);
}

static int parse_rates(const char *s, double *rates, int *n_rates)
{
    char copy[512];
    if (strlen(s) >= sizeof copy)
        return SH_EINVAL;
    strcpy(copy, s);
    *n_rates = 0;
    for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        double r;
        if (*n_rates == MAX_RATES || corp_parse_double(tok, 0.001, 1.0, &r) != 0)
            return SH_EINVAL;
        for (int i = 0; i < *n_rates; i++)
            if (lround(rates[i] * 100) == lround(r * 100))
                return SH_EINVAL; /* two rates would share an id */
        rates[(*n_rates)++] = r;
    }
    return *n_rates ? 0 : SH_EINVAL;
}

int main(int argc, char **argv)
{
    tool_init(argv[0]);
    uint64_t count = 1000, seed = 1;
    double rates[MAX_RATES] = { 0.05, 0.10, 0.20, 0.30 };
    int n_rates = 4, verbose = 0;
    corp_edit_opts opts = { .rate = 0, .mail = 0, .cosmetic = 1, .swap_sentences = 1 };
    const char *input = NULL, *output = NULL, *split = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (tool_is_help(a)) {
            fputs(usage, stdout);
            return TOOL_EXIT_OK;
        } else if (strcmp(a, "--mail") == 0) {
            opts.mail = 1;
        } else if (strcmp(a, "--no-swap") == 0) {
            opts.swap_sentences = 0;
        } else if (strcmp(a, "--no-cosmetic") == 0) {
            opts.cosmetic = 0;
        } else if (strcmp(a, "-v") == 0) {
            verbose = 1;
        } else if (strcmp(a, "--count") == 0 && v) {
            if (corp_parse_u64(v, 1, 100000000, &count))
                return tool_usage_error(usage, "--count wants a number >= 1, not '%s'", v);
            i++;
        } else if (strcmp(a, "--seed") == 0 && v) {
            if (corp_parse_u64(v, 0, UINT64_MAX, &seed))
                return tool_usage_error(usage, "--seed wants a whole number, not '%s'", v);
            i++;
        } else if (strcmp(a, "--rates") == 0 && v) {
            if (parse_rates(v, rates, &n_rates))
                return tool_usage_error(usage, "--rates wants up to %d distinct percentages "
                                        "as numbers in (0, 1], like 0.05,0.1; not '%s'",
                                        MAX_RATES, v);
            i++;
        } else if (strcmp(a, "--split") == 0 && v) {
            split = v;
            i++;
        } else if (strcmp(a, "-o") == 0 && v) {
            output = v;
            i++;
        } else if (a[0] == '-' && a[1] != '\0') {
            return tool_usage_error(usage, "unknown option or missing value: %s", a);
        } else if (!input) {
            input = a;
        } else {
            return tool_usage_error(usage, "more than one input: %s", a);
        }
    }
    if (!input)
        return tool_usage_error(usage, "no input corpus given");

    int status = TOOL_EXIT_ERROR;
    char err[512];
    corp_reader reader;
    chosen_doc *chosen = calloc(count, sizeof *chosen);
    corp_word_pool pool = { 0 };
    corp_buf text = { 0 };
    size_t n_chosen = 0;
    FILE *out = NULL;
    if (!chosen)
        return tool_error("out of memory for %llu documents", (unsigned long long)count);
    if (corp_reader_open(&reader, input, err, sizeof err) != 0) {
        free(chosen);
        return tool_error("%s", err);
    }

    /* Seeded reservoir sampling over the eligible documents. */
    sh_rng pick;
    rng_seed(&pick, corp_seed_key(0x7069636b, 0, seed));
    uint64_t eligible = 0;
    for (;;) {
        json_t *doc;
        if (corp_reader_next(&reader, &doc, err, sizeof err) != 0) {
            tool_error("%s", err);
            goto done;
        }
        if (!doc)
            break;
        const char *s = json_string_value(json_object_get(doc, "split"));
        if (split && (!s || strcmp(s, split) != 0)) {
            json_decref(doc);
            continue;
        }
        uint64_t slot = eligible < count ? eligible : rng_below(&pick, eligible + 1);
        if (slot < count) {
            json_decref(chosen[slot].doc);
            chosen[slot] = (chosen_doc){ doc, eligible };
        } else {
            json_decref(doc);
        }
        eligible++;
    }
    n_chosen = eligible < count ? (size_t)eligible : (size_t)count;
    if (n_chosen == 0) {
        tool_error("%s: no documents%s%s", reader.name, split ? " with split " : "",
                   split ? split : "");
        goto done;
    }
    qsort(chosen, n_chosen, sizeof *chosen, chosen_cmp);

    for (size_t k = 0; k < n_chosen; k++) {
        json_t *t = json_object_get(chosen[k].doc, "text");
        const char *s = json_string_value(t);
        size_t len = json_string_length(t), body = opts.mail ? corp_mail_body(s, len) : 0;
        if (corp_pool_add_text(&pool, s + body, len - body) != 0) {
            tool_error("out of memory collecting words");
            goto done;
        }
    }

    if (!(out = tool_open_output(output)))
        goto done;
    for (int r = 0; r < n_rates; r++) {
        long pct = lround(rates[r] * 100);
        double achieved = 0;
        size_t measured = 0;
        opts.rate = rates[r];
        for (size_t k = 0; k < n_chosen; k++) {
            json_t *orig = chosen[k].doc, *t = json_object_get(orig, "text");
            sh_rng rng;
            rng_seed(&rng, corp_seed_key(k, (uint64_t)pct, seed));
            corp_edit_stats st;
            corp_buf_clear(&text);
            int rc = corp_edit_text(json_string_value(t), json_string_length(t), &opts, &pool,
                                    &rng, &text, &st);
            if (rc != 0) {
                tool_error("editing %s: %s", json_string_value(json_object_get(orig, "id")),
                           sh_strerror(rc));
                goto done;
            }
            if (st.words) {
                achieved += (double)st.touched / (double)st.words;
                measured++;
            }
            char id[64];
            snprintf(id, sizeof id, "dup-%02ld-%06zu", pct, k);
            json_t *copy = json_pack("{s:s, s:s#, s:O, s:f, s:O}", "id", id, "text",
                                     text.data ? text.data : "", text.len, "source",
                                     json_object_get(orig, "id"), "edit_rate", rates[r],
                                     "labels", json_object_get(orig, "labels"));
            if (tool_put_doc(out, output, copy) != 0)
                goto done;
        }
        if (verbose)
            fprintf(stderr, "corp-neardup: rate %.2f: %zu copies, achieved mean rate %.4f\n",
                    rates[r], n_chosen, measured ? achieved / (double)measured : 0.0);
    }
    status = TOOL_EXIT_OK;
done:
    status = tool_close_output(out, output, status);
    corp_reader_close(&reader);
    for (uint64_t k = 0; k < count; k++)
        json_decref(chosen[k].doc);
    free(chosen);
    corp_pool_free(&pool);
    corp_buf_free(&text);
    return status;
}
