/* tool_synth.c — corp-synth: a synthetic topic-model corpus of any size,
 * streamed as JSON lines in constant memory (see corp_synth.h).
 *
 *   corp-synth --count N [--seed S] [--topics T] [--vocab V] [-o OUTPUT]
 */
#include "corp_io.h"
#include "corp_synth.h"
#include "sh_error.h"
#include "tool_common.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char usage[] =
    "usage: corp-synth --count N [options] [-o OUTPUT]\n"
    "  Writes N synthetic documents (JSON lines, label = dominant topic,\n"
    "  split 80/20 per label) to OUTPUT or stdout, in constant memory.\n"
    "  --count N           documents, 1..10000000000\n"
    "  --seed S            seed (default 1)\n"
    "  --topics T          topics = labels (default 20)\n"
    "  --vocab V           vocabulary size (default 20000)\n"
    "  --zipf S            Zipf exponent of every topic (default 1.05)\n"
    "  --median-words M    median document length (default 60)\n"
    "  --background B      share of words from the shared background (default 0.3)\n"
    "  --test-every K      one test document per K of a label (default 5)\n"
    "  -v                  print the count and speed on stderr\n";

static double tool_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    tool_init(argv[0]);
    corp_synth_opts opts;
    corp_synth_defaults(&opts);
    uint64_t count = 0, u;
    const char *output = NULL;
    int verbose = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (tool_is_help(a)) {
            fputs(usage, stdout);
            return TOOL_EXIT_OK;
        } else if (strcmp(a, "-v") == 0) {
            verbose = 1;
            continue;
        } else if (!v) {
            return tool_usage_error(usage, "unknown option or missing value: %s", a);
        }
        int bad = 0;
        if (strcmp(a, "--count") == 0)
            bad = corp_parse_u64(v, 1, UINT64_C(10000000000), &count);
        else if (strcmp(a, "--seed") == 0)
            bad = corp_parse_u64(v, 0, UINT64_MAX, &opts.seed);
        else if (strcmp(a, "--topics") == 0)
            bad = corp_parse_u64(v, 1, 100000, &u), opts.topics = (uint32_t)u;
        else if (strcmp(a, "--vocab") == 0)
            bad = corp_parse_u64(v, 10, 50000000, &u), opts.vocab = (uint32_t)u;
        else if (strcmp(a, "--test-every") == 0)
            bad = corp_parse_u64(v, 2, 1000, &u), opts.test_every = (uint32_t)u;
        else if (strcmp(a, "--zipf") == 0)
            bad = corp_parse_double(v, 1e-6, 4, &opts.zipf_exponent);
        else if (strcmp(a, "--median-words") == 0)
            bad = corp_parse_double(v, 1, 1e6, &opts.median_words);
        else if (strcmp(a, "--background") == 0)
            bad = corp_parse_double(v, 0, 0.999, &opts.background);
        else if (strcmp(a, "-o") == 0)
            output = v;
        else
            return tool_usage_error(usage, "unknown option: %s", a);
        if (bad)
            return tool_usage_error(usage, "%s: value '%s' is not valid", a, v);
        i++;
    }
    if (count == 0)
        return tool_usage_error(usage, "--count is required");
    if (opts.median_words > opts.max_words)
        opts.max_words = opts.median_words * 10 < 1000000 ? (uint32_t)(opts.median_words * 10)
                                                          : 1000000;

    char err[512];
    corp_synth *g;
    if (corp_synth_open(&opts, &g, err, sizeof err) != 0)
        return tool_error("%s", err);
    int status = TOOL_EXIT_ERROR;
    corp_buf buf = { 0 };
    FILE *out = tool_open_output(output);
    if (!out)
        goto done;
    double start = tool_now();
    uint64_t words = 0;
    for (uint64_t i = 0; i < count; i++) {
        corp_synth_doc doc;
        corp_synth_next(g, &doc);
        words += doc.n_words;
        if (corp_synth_format(g, &doc, &buf) != 0) {
            tool_error("out of memory");
            goto done;
        }
        if (buf.len >= (1u << 20) || i + 1 == count) {
            if (fwrite(buf.data, 1, buf.len, out) != buf.len) {
                tool_error("%s: write failed: %s", output ? output : "stdout", strerror(errno));
                goto done;
            }
            corp_buf_clear(&buf);
        }
    }
    if (fflush(out) != 0) {
        tool_error("%s: write failed: %s", output ? output : "stdout", strerror(errno));
        goto done;
    }
    if (verbose) {
        double secs = tool_now() - start;
        fprintf(stderr, "corp-synth: %llu documents, %llu words, %.2f s, %.0f documents/s, "
                "model %.1f MiB\n", (unsigned long long)count, (unsigned long long)words, secs,
                secs > 0 ? (double)count / secs : 0.0,
                (double)corp_synth_memory(g) / (1024.0 * 1024.0));
    }
    status = TOOL_EXIT_OK;
done:
    status = tool_close_output(out, output, status);
    corp_buf_free(&buf);
    corp_synth_close(g);
    return status;
}
