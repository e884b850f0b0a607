/* cmd_encode.c — `semhash encode`: the code of every document under a
 * trained model, one line per document: <id> TAB <code as hex>. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "corpus.h"
#include "hasher.h"
#include "sh_error.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: semhash encode -m MODEL [--hex] [--format jsonl|txt] [CORPUS... | -]\n"
            "\n"
            "Prints one line per document: its id, a tab, its code as hex (bit 0 is the\n"
            "most significant bit of the first hex digit). Without a corpus, or with\n"
            "'-', reads standard input (one document per line unless --format jsonl).\n"
            "\n"
            "  -m, --model MODEL   a model written by 'semhash train'\n"
            "  --hex               hex output (the default and only format)\n"
            "  --format FORMAT     jsonl or txt, for standard input (default txt)\n"
            "  -h, --help          this text\n");
}

static void warn_skipped(void *user, const char *message)
{
    (void)user;
    fprintf(stderr, "semhash: warning: %s\n", message);
}

/* Encodes every document of one input. Returns 0 or CLI_EXIT_ERROR. */
static int encode_input(sh_hasher *h, const char *path, const corpus_options *opts)
{
    char err[1024], hex[SH_CODE_MAX_BITS / 4 + 1];
    corpus_reader *r = NULL;
    int rc = corpus_open(path, opts, &r, err, sizeof err);
    if (rc != 0)
        return cli_error("%s", err);
    for (;;) {
        const corpus_doc *doc;
        if ((rc = corpus_next(r, &doc, err, sizeof err)) != 0) {
            corpus_close(r);
            return cli_error("%s", err);
        }
        if (doc == NULL)
            break;
        sh_code code;
        if ((rc = hasher_encode_text(h, doc->text, doc->len, &code)) != 0) {
            corpus_close(r);
            return cli_error("%s: document %s: %s", path, doc->id, sh_strerror(rc));
        }
        code_to_hex(&code, hasher_bits(h), hex);
        printf("%s\t%s\n", doc->id, hex);
    }
    corpus_close(r);
    if (fflush(stdout) != 0)
        return cli_error("writing the output failed");
    return 0;
}

int cmd_encode(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "model", required_argument, NULL, 'm' }, { "hex", no_argument, NULL, 'x' },
        { "format", required_argument, NULL, 'f' }, { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    const char *model = NULL;
    corpus_options opts = corpus_default_options();
    opts.warn = warn_skipped;
    corpus_format stdin_format = CORPUS_TXT;
    int opt;
    optind = 0;
    while ((opt = getopt_long(argc, argv, "m:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'm':
            model = optarg;
            break;
        case 'x':
            break;
        case 'f':
            if (strcmp(optarg, "jsonl") == 0)
                stdin_format = CORPUS_JSONL;
            else if (strcmp(optarg, "txt") == 0)
                stdin_format = CORPUS_TXT;
            else
                return cli_error("encode: --format %s: use jsonl or txt", optarg);
            break;
        case 'h':
            usage(stdout);
            return CLI_EXIT_OK;
        default:
            usage(stderr);
            return CLI_EXIT_ERROR;
        }
    }
    if (model == NULL) {
        usage(stderr);
        return cli_error("encode: no model given (-m MODEL)");
    }
    char err[1024];
    sh_hasher *h = NULL;
    int rc = hasher_load(model, &h, err, sizeof err);
    if (rc != 0)
        return cli_error("%s", err);
    opts.on_binary = hasher_config(h)->text.on_binary;
    int status = 0;
    if (optind >= argc) {
        opts.format = stdin_format;
        status = encode_input(h, "-", &opts);
    }
    for (int i = optind; i < argc && status == 0; i++) {
        corpus_options o = opts;
        if (strcmp(argv[i], "-") == 0)
            o.format = stdin_format;
        status = encode_input(h, argv[i], &o);
    }
    hasher_free(h);
    return status;
}
