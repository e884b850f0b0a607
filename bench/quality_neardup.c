/* bench/quality_neardup.c — near-duplicate search quality on a real index,
 * through the public library, as `semhash query --near-dup` answers.
 *
 *   quality_neardup INDEX DUPS.jsonl [--max-radius R] [--similarity S]
 *
 * DUPS holds edited copies of indexed documents (corp-neardup: "source"
 * is the original's name, "edit_rate" the share of words edited). Each
 * copy queries the index at every radius 0..R (default 8), twice:
 *   - codes only: every document within the radius is a candidate;
 *   - verified: candidates whose signature similarity to the copy
 *     reaches the threshold S (default SH_DEFAULT_SIMILARITY).
 * Per edit rate and radius it reports the recall (the original among the
 * answers) and the false answers per query (answers other than the
 * original). Prints one JSON object.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpus.h"
#include "semhash.h"

#define MAX_RATES 16
#define MAX_RADIUS 16

typedef struct {
    double rate;
    long queries;
    long found[2][MAX_RADIUS + 1];      /* [verified][radius] */
    double false_sum[2][MAX_RADIUS + 1];
} rate_row;

static void die(const char *what, const char *err)
{
    fprintf(stderr, "quality_neardup: %s: %s\n", what, err);
    exit(2);
}

static rate_row *row_for(rate_row *rows, int *n_rows, double rate)
{
    for (int i = 0; i < *n_rows; i++)
        if (rows[i].rate == rate)
            return &rows[i];
    if (*n_rows == MAX_RATES)
        die("dups", "more than 16 edit rates");
    rate_row *r = &rows[(*n_rows)++];
    memset(r, 0, sizeof *r);
    r->rate = rate;
    return r;
}

int main(int argc, char **argv)
{
    const char *usage = "quality_neardup INDEX DUPS.jsonl [--max-radius R] [--similarity S]";
    if (argc < 3 || argc % 2 == 0)
        die("usage", usage);
    int max_radius = 8;
    double similarity = SH_DEFAULT_SIMILARITY;
    for (int i = 3; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--max-radius"))
            max_radius = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--similarity"))
            similarity = atof(argv[i + 1]);
        else
            die("usage", usage);
    }
    if (max_radius < 0 || max_radius > MAX_RADIUS)
        die("--max-radius", "0..16");
    if (!(similarity > 0 && similarity <= 1))
        die("--similarity", "a number in (0, 1]");
    char err[1024];
    sh_open_options oo = { .flags = SH_OPEN_RDONLY };
    sh_index *ix;
    if (sh_index_open(argv[1], &oo, &ix, err, sizeof err))
        die(argv[1], err);
    uint64_t n_docs;
    if (sh_doc_count(ix, &n_docs, err, sizeof err))
        die(argv[1], err);
    corpus_options co = corpus_default_options();
    corpus_reader *cr;
    if (corpus_open(argv[2], &co, &cr, err, sizeof err))
        die(argv[2], err);
    size_t cap = (size_t)n_docs + 1;
    sh_hit *hits = calloc(cap, sizeof *hits);
    static char buf[SH_DOC_BUF];
    rate_row rows[MAX_RATES];
    int n_rows = 0;
    long missing_source = 0, no_terms = 0;
    const corpus_doc *d;
    int rc;
    while ((rc = corpus_next(cr, &d, err, sizeof err)) == 0 && d) {
        const char *source = corpus_field_string(cr, "source");
        double rate = 0;
        if (!source || corpus_field_number(cr, "edit_rate", &rate) != 0)
            die(argv[2], "a record without source or edit_rate");
        sh_doc_info orig;
        if (sh_doc_find(ix, source, 0, &orig, buf, sizeof buf, err, sizeof err) != 0) {
            missing_source++;
            continue;
        }
        uint32_t want = orig.id;
        rate_row *row = row_for(rows, &n_rows, rate);
        int counted = 0;
        for (int verified = 0; verified < 2; verified++) {
            for (int r = 0; r <= max_radius; r++) {
                sh_query_options q = { .radius = r, .near_dup = verified,
                                       .min_similarity = similarity };
                size_t n;
                sh_query_info info;
                rc = sh_query_text(ix, d->text, d->len, &q, hits, cap, &n, &info, err, sizeof err);
                if (rc == SH_EEMPTY) {
                    no_terms++;
                    goto next_doc;
                }
                if (rc)
                    die("sh_query_text", err);
                int found = 0;
                for (size_t i = 0; i < n; i++)
                    found |= hits[i].id == want;
                row->found[verified][r] += found;
                row->false_sum[verified][r] += (double)n - found;
                counted = 1;
            }
        }
        if (counted)
            row->queries++;
    next_doc:;
    }
    if (rc)
        die(argv[2], err);
    corpus_close(cr);
    printf("{\"index\": \"%s\", \"docs\": %llu, \"threshold\": %.2f, \"missing_source\": %ld, "
           "\"no_terms\": %ld, \"rates\": [\n",
           argv[1], (unsigned long long)n_docs, similarity, missing_source, no_terms);
    for (int i = 0; i < n_rows; i++) {
        rate_row *r = &rows[i];
        printf("  {\"edit_rate\": %.2f, \"queries\": %ld", r->rate, r->queries);
        const char *names[2] = { "codes_only", "verified" };
        for (int v = 0; v < 2; v++) {
            printf(", \"%s\": {\"recall\": [", names[v]);
            for (int k = 0; k <= max_radius; k++)
                printf("%s%.4f", k ? ", " : "", r->queries ? (double)r->found[v][k] / r->queries : 0);
            printf("], \"false_per_query\": [");
            for (int k = 0; k <= max_radius; k++)
                printf("%s%.3f", k ? ", " : "", r->queries ? r->false_sum[v][k] / r->queries : 0);
            printf("]}");
        }
        printf("}%s\n", i + 1 < n_rows ? "," : "");
    }
    printf(" ]}\n");
    free(hits);
    sh_index_close(ix);
    return 0;
}
