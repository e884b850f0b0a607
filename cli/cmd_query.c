/* cmd_query.c — `semhash query`: the documents near a text, by Hamming
 * distance of the codes, optionally verified as near-duplicates.
 * Written on the public library (semhash.h) only. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "semhash.h"

#define MAX_QUERY_BYTES (64u << 20)

/* Reads all of f into a malloc'd, NUL-terminated buffer. NULL on error
 * (errno set) or when over MAX_QUERY_BYTES (EFBIG). */
static char *read_all(FILE *f, size_t *len)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n + 1 >= cap) {
            if (cap >= MAX_QUERY_BYTES) {
                free(buf);
                errno = EFBIG;
                return NULL;
            }
            char *grown = realloc(buf, cap * 2);
            if (!grown)
                break;
            buf = grown;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                free(buf);
                return NULL;
            }
            buf[n] = '\0';
            *len = n;
            return buf;
        }
    }
    free(buf);
    errno = ENOMEM;
    return NULL;
}

int cli_parse_count(const char *s, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end != '\0' || v < 0 || v > max)
        return -1;
    *out = v;
    return 0;
}

int cli_parse_mode(const char *s)
{
    static const char *const names[] = { "auto", "ball", "mih", "scan" };
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

static void print_hit_json(const sh_hit *hit, const sh_doc_info *doc, int bits, int near_dup)
{
    char hex[2 * SH_CODE_BYTES + 1];
    for (int i = 0; i < bits / 8; i++)
        sprintf(hex + 2 * i, "%02x", doc->code[i]);
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(doc->name));
    json_object_set_new(o, "id", json_integer(hit->id));
    json_object_set_new(o, "distance", json_integer(hit->distance));
    json_object_set_new(o, "code", json_string(hex));
    if (near_dup)
        json_object_set_new(o, "similarity", json_real(hit->similarity));
    if (doc->labels[0])
        json_object_set_new(o, "labels", json_string(doc->labels));
    char *line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (line)
        puts(line);
    free(line);
    json_decref(o);
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: semhash query -i DIR [-r R | -k K] [--limit N] [--json] [--near-dup]\n"
            "                     [--similarity S] [--mode MODE] [TEXT... | -f FILE | -]\n"
            "\n"
            "Encodes the query text with the index's model and prints the documents\n"
            "whose code is within Hamming distance R (every one, unless --limit), or\n"
            "the K nearest: distance, name and the start of the text. The text is the\n"
            "arguments (joined by spaces), the whole FILE, or standard input ('-').\n"
            "\n"
            "  -i, --index DIR     index directory (default index.path: semhash.idx)\n"
            "  -r, --radius R      every document within distance R (default query.radius: 3;\n"
            "                      with --near-dup query.near_dup_radius: 10, at most the\n"
            "                      code width)\n"
            "  -k, --top K         the K nearest documents instead\n"
            "  -n, --limit N       print at most N hits\n"
            "      --json          JSON lines: {\"name\", \"id\", \"distance\", \"code\"}\n"
            "      --near-dup      keep only near-duplicates: candidates whose word-pair\n"
            "                      signature is similar enough (estimated Jaccard)\n"
            "      --similarity S  near-duplicate threshold in (0, 1] (default 0.4)\n"
            "      --mode MODE     auto, ball, mih or scan (same results, other cost)\n"
            "  -f, --file FILE     read the query from FILE\n"
            "  -c, --config FILE   configuration (default ./config.yaml if present)\n"
            "  --set KEY=VALUE     override one configuration key (repeatable)\n"
            "  -h, --help          this text\n"
            "\n"
            "A query without terms (empty, or only stop words) is refused: its code\n"
            "exists (that of an empty document) but says nothing about the text.\n"
            "Exit status: 0 hits printed, 1 no hits, 2 usage or input error.\n");
}

int cmd_query(int argc, char **argv)
{
    enum { OPT_JSON = 256, OPT_NEAR, OPT_SIM, OPT_MODE };
    static const struct option longopts[] = {
        { "config", required_argument, NULL, 'c' }, { "set", required_argument, NULL, 's' },
        { "index", required_argument, NULL, 'i' },  { "radius", required_argument, NULL, 'r' },
        { "top", required_argument, NULL, 'k' },    { "limit", required_argument, NULL, 'n' },
        { "json", no_argument, NULL, OPT_JSON },    { "near-dup", no_argument, NULL, OPT_NEAR },
        { "similarity", required_argument, NULL, OPT_SIM },
        { "mode", required_argument, NULL, OPT_MODE },
        { "file", required_argument, NULL, 'f' },   { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    const char *dir = NULL, *file = NULL;
    long radius = -1, k = 0, limit = -1;
    cli_config_opts copts = { NULL, { NULL }, 0 };
    int json = 0, opt;
    sh_query_options q;
    memset(&q, 0, sizeof q);
    optind = 0;
    while ((opt = getopt_long(argc, argv, "c:i:r:k:n:f:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c':
        case 's':
            if (cli_config_opt(&copts, opt, optarg) != 0)
                return CLI_EXIT_ERROR;
            break;
        case 'i': dir = optarg; break;
        case 'r':
            if (cli_parse_count(optarg, 1000000, &radius) != 0)
                return cli_error("query: -r wants a radius 0..%d, not '%s'", SH_MAX_BITS, optarg);
            break;
        case 'k':
            if (cli_parse_count(optarg, 1000000, &k) != 0 || k == 0)
                return cli_error("query: -k wants a count 1..1000000, not '%s'", optarg);
            break;
        case 'n':
            if (cli_parse_count(optarg, 100000000, &limit) != 0)
                return cli_error("query: --limit wants a count, not '%s'", optarg);
            break;
        case 'f': file = optarg; break;
        case OPT_JSON: json = 1; break;
        case OPT_NEAR: q.near_dup = 1; break;
        case OPT_SIM: {
            char *end;
            q.min_similarity = strtod(optarg, &end);
            if (end == optarg || *end || !(q.min_similarity > 0 && q.min_similarity <= 1))
                return cli_error("query: --similarity wants a number in (0, 1], not '%s'", optarg);
            break;
        }
        case OPT_MODE:
            if ((q.mode = cli_parse_mode(optarg)) < 0)
                return cli_error("query: --mode is auto, ball, mih or scan, not '%s'", optarg);
            break;
        case 'h': usage(stdout); return CLI_EXIT_OK;
        default: usage(stderr); return CLI_EXIT_ERROR;
        }
    }
    sh_config cfg;
    int radius_given = radius >= 0;
    if (cli_config_load(&copts, &cfg, &dir, &radius) != 0)
        return CLI_EXIT_ERROR;
    if (!radius_given && q.near_dup)
        radius = cfg.query.near_dup_radius;
    char *text = NULL;
    size_t len = 0;
    int from_stdin = !file && optind == argc - 1 && strcmp(argv[optind], "-") == 0;
    if (file || from_stdin) {
        if (file && optind < argc)
            return cli_error("query: give the text or -f FILE, not both");
        FILE *f = from_stdin ? stdin : fopen(file, "rb");
        if (!f)
            return cli_error("query: %s: %s", file, strerror(errno));
        text = read_all(f, &len);
        int saved = errno;
        if (!from_stdin)
            fclose(f);
        if (!text)
            return cli_error("query: reading %s: %s", from_stdin ? "standard input" : file,
                             strerror(saved));
    } else {
        if (optind >= argc) {
            usage(stderr);
            return cli_error("query: no query text given");
        }
        for (int i = optind; i < argc; i++)
            len += strlen(argv[i]) + 1;
        text = malloc(len + 1);
        if (!text)
            return cli_error("out of memory");
        size_t pos = 0;
        for (int i = optind; i < argc; i++)
            pos += (size_t)sprintf(text + pos, "%s%s", i > optind ? " " : "", argv[i]);
        len = pos;
    }

    sh_index *ix = NULL;
    sh_hit *hits = NULL;
    int status = CLI_EXIT_ERROR;
    if (cli_open_index(dir, 1, &ix) != 0)
        goto done;
    int bits = sh_index_bits(ix);
    if (!radius_given && q.near_dup && radius > bits)
        radius = bits; /* the configured near-duplicate radius, capped */
    if (k == 0 && radius > bits) {
        cli_error("query: radius %ld is above the code width of index %s (%d bits)", radius, dir,
                  bits);
        goto done;
    }
    q.radius = (int)radius;
    q.k = (size_t)k;
    size_t cap = limit >= 0 ? (size_t)limit : k > 0 ? (size_t)k : 1000;
    char err[1024];
    size_t n = 0;
    sh_query_info info;
    for (;;) {
        sh_hit *grown = realloc(hits, (cap ? cap : 1) * sizeof *hits);
        if (!grown) {
            cli_error("out of memory for %zu hits", cap);
            goto done;
        }
        hits = grown;
        int rc = sh_query_text(ix, text, len, &q, hits, cap, &n, &info, err, sizeof err);
        if (rc != 0) {
            cli_error("query: %s", err);
            goto done;
        }
        if (limit >= 0 || info.total <= cap)
            break;
        cap = info.total; /* every hit wanted: once more with room for all */
    }
    static char buf[SH_DOC_BUF];
    for (size_t i = 0; i < n; i++) {
        sh_doc_info doc;
        if (sh_doc_get(ix, hits[i].id, &doc, buf, sizeof buf, err, sizeof err) != 0)
            continue; /* removed since the query's snapshot */
        if (json) {
            print_hit_json(&hits[i], &doc, bits, q.near_dup);
        } else if (q.near_dup) {
            printf("%3u  %.2f  %-32s  %.70s\n", (unsigned)hits[i].distance, hits[i].similarity,
                   doc.name, doc.snippet);
        } else {
            printf("%3u  %-32s  %.80s\n", (unsigned)hits[i].distance, doc.name, doc.snippet);
        }
    }
    if (!json && info.total > n)
        fprintf(stderr, "semhash: %zu of %zu hits shown\n", n, info.total);
    if (!json && q.near_dup)
        fprintf(stderr, "semhash: %zu near-duplicates verified among %zu candidates\n",
                info.total, info.candidates);
    status = n > 0 ? CLI_EXIT_OK : CLI_EXIT_NO_RESULTS;
done:
    free(hits);
    free(text);
    sh_index_close(ix);
    return status;
}
