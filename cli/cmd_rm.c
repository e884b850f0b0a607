/* cmd_rm.c — `semhash rm`: remove documents from an index by name.
 * All or nothing: if one name is unknown, nothing is removed. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "semhash.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: semhash rm -i DIR NAME...\n"
            "\n"
            "Removes the documents called NAME (their corpus ids) from the index.\n"
            "If any NAME is not in the index, nothing is removed.\n"
            "\n"
            "  -i, --index DIR   index directory (default index.path: semhash.idx)\n"
            "  -c, --config FILE configuration (default ./config.yaml if present)\n"
            "  --set KEY=VALUE   override one configuration key (repeatable)\n"
            "  -q, --quiet       no summary\n"
            "  -h, --help        this text\n"
            "\n"
            "Exit status: 0 removed, 2 usage error or unknown name.\n");
}

int cmd_rm(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "config", required_argument, NULL, 'c' }, { "set", required_argument, NULL, 's' },
        { "index", required_argument, NULL, 'i' }, { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },        { NULL, 0, NULL, 0 }
    };
    const char *dir = NULL;
    cli_config_opts copts = { NULL, { NULL }, 0 };
    int quiet = 0, opt;
    optind = 0;
    while ((opt = getopt_long(argc, argv, "c:i:qh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c':
        case 's':
            if (cli_config_opt(&copts, opt, optarg) != 0)
                return CLI_EXIT_ERROR;
            break;
        case 'i': dir = optarg; break;
        case 'q': quiet = 1; break;
        case 'h': usage(stdout); return CLI_EXIT_OK;
        default: usage(stderr); return CLI_EXIT_ERROR;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return cli_error("rm: no document name given");
    }
    sh_config cfg;
    if (cli_config_load(&copts, &cfg, &dir, NULL) != 0)
        return CLI_EXIT_ERROR;
    sh_index *ix;
    if (cli_open_index(dir, 0, &ix) != 0)
        return CLI_EXIT_ERROR;
    static char buf[SH_DOC_BUF];
    char err[1024];
    int status = CLI_EXIT_OK, unknown = 0;
    for (int i = optind; i < argc; i++) {
        sh_doc_info doc;
        int rc = sh_doc_find(ix, argv[i], 0, &doc, buf, sizeof buf, err, sizeof err);
        if (rc == SH_ENOTFOUND) {
            cli_error("rm: no document named '%s' in index %s", argv[i], dir);
            unknown++;
        } else if (rc != 0) {
            status = cli_error("rm: %s", err);
            goto done;
        }
    }
    if (unknown) {
        status = cli_error("rm: nothing removed (%d unknown name%s)", unknown,
                           unknown > 1 ? "s" : "");
        goto done;
    }
    int removed = 0;
    for (int i = optind; i < argc; i++) {
        int rc = sh_remove(ix, argv[i], 0, NULL, err, sizeof err);
        if (rc == SH_ENOTFOUND)
            continue; /* the same name twice */
        if (rc != 0) {
            status = cli_error("rm: %s (nothing removed)", err);
            goto done;
        }
        removed++;
    }
    if (sh_sync(ix, err, sizeof err) != 0) {
        status = cli_error("rm: %s (nothing removed)", err);
        goto done;
    }
    if (!quiet)
        printf("removed %d document%s from %s\n", removed, removed == 1 ? "" : "s", dir);
done:
    sh_index_close(ix);
    return status;
}
