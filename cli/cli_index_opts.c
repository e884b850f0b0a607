/* cli_index_opts.c — the options of the simple index commands (stats, rm,
 * compact): -c/--config, --set, -i/--index, -q/--quiet and -h/--help, then
 * the configuration they name. See cli.h. */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"

int cli_index_command_options(int argc, char **argv, const cli_index_command *cmd,
                              sh_config *cfg, const char **dir, int *quiet)
{
    static const struct option longopts[] = {
        { "config", required_argument, NULL, 'c' }, { "set", required_argument, NULL, 's' },
        { "index", required_argument, NULL, 'i' }, { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },        { NULL, 0, NULL, 0 }
    };
    cli_config_opts copts = { NULL, { NULL }, 0 };
    *dir = NULL;
    *quiet = 0;
    int opt;
    optind = 0;
    while ((opt = getopt_long(argc, argv, cmd->allow_quiet ? "c:i:qh" : "c:i:h", longopts,
                              NULL)) != -1) {
        switch (opt) {
        case 'c':
        case 's':
            if (cli_config_opt(&copts, opt, optarg) != 0)
                return CLI_EXIT_ERROR;
            break;
        case 'i': *dir = optarg; break;
        case 'q':
            if (!cmd->allow_quiet) {
                cmd->usage(stderr);
                return CLI_EXIT_ERROR;
            }
            *quiet = 1;
            break;
        case 'h': cmd->usage(stdout); return CLI_EXIT_OK;
        default: cmd->usage(stderr); return CLI_EXIT_ERROR;
        }
    }
    if (cmd->names && optind >= argc) {
        cmd->usage(stderr);
        return cli_error("%s: no document name given", cmd->name);
    }
    if (!cmd->names && optind < argc) {
        cmd->usage(stderr);
        return cli_error("%s: unexpected argument '%s'", cmd->name, argv[optind]);
    }
    if (cli_config_load(&copts, cfg, dir, NULL) != 0)
        return CLI_EXIT_ERROR;
    return -1;
}
