/* cli.h — what the subcommands of the `semhash` program share.
 *
 * Each subcommand lives in its own file cli/cmd_NAME.c and exposes
 * `int cmd_NAME(int argc, char **argv)`, returning the process exit code:
 * 0 success, 1 "no results" where that matters (like grep), 2 usage or
 * input error. Only cli/ prints and exits; engine/ and index/ return codes.
 */
#ifndef SH_CLI_H
#define SH_CLI_H

enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_NO_RESULTS = 1,
    CLI_EXIT_ERROR = 2
};

/* Prints "semhash: " + the formatted message + newline to stderr.
 * Always returns CLI_EXIT_ERROR, for `return cli_error(...)`. */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* `semhash ae <task>`: the autoencoder toolkit (cli/cmd_ae.c). */
int cmd_ae(int argc, char **argv);

#endif
