/* cmd_rm.c — `semhash rm`: remove documents from an index by name.
 * All or nothing: if one name is unknown, nothing is removed. */
#include <stdio.h>
#include <unistd.h>
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
    static const cli_index_command cmd = { "rm", usage, 1, 1 };
    sh_config cfg;
    const char *dir;
    int quiet;
    int status = cli_index_command_options(argc, argv, &cmd, &cfg, &dir, &quiet);
    if (status >= 0)
        return status;
    sh_index *ix;
    if (cli_open_index(dir, 0, &ix) != 0)
        return CLI_EXIT_ERROR;
    static char buf[SH_DOC_BUF];
    char err[1024];
    int unknown = 0;
    status = CLI_EXIT_OK;
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
