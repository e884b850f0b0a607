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

/* ---- train / encode / eval (cmd_train.c, cmd_encode.c, cmd_eval.c) ---- */

int cmd_train(int argc, char **argv);
int cmd_encode(int argc, char **argv);
int cmd_eval(int argc, char **argv);

/* Progress of an autoencoder training on stderr (a bar per epoch with the
 * batch loss, then one line per epoch with the validation precision),
 * shared by train and eval. Defined in cmd_train.c. */
typedef struct {
    int enabled;        /* stderr is a terminal and not --quiet */
    const char *label;  /* "train", "ae-64", ... */
    void *bar;          /* cli_progress, owned */
} cli_train_view;

/* Points the recipe's callbacks at view (o is a hash_train_opts). Returns
 * 0 or CLI_EXIT_ERROR when out of memory (message printed). */
int cli_train_view_attach(cli_train_view *view, void *recipe, const char *label, int enabled);

/* Frees what attach allocated. Accepts a view never attached. */
void cli_train_view_done(cli_train_view *view);

/* Parses a comma-separated list of positive integers into out[cap];
 * returns the count, or -1 on a malformed list. */
int cli_parse_int_list(const char *s, int *out, int cap);

/* ---- index, query, rm, stats, dups (cmd_index.c ... cmd_dups.c) ---- */

int cmd_index(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_dups(int argc, char **argv);
int cmd_compact(int argc, char **argv); /* cmd_compact.c */

struct sh_index;

/* Opens the index in path (read-only if rdonly) into *out; prints a
 * one-line error and returns CLI_EXIT_ERROR on failure. Defined in
 * cmd_index.c. */
int cli_open_index(const char *path, int rdonly, struct sh_index **out);

/* The same with sh_open_options flags (SH_OPEN_RDONLY, SH_OPEN_NOSYNC). */
int cli_open_index_flags(const char *path, int flags, struct sh_index **out);

#include <stddef.h>
#include <stdio.h>

#include "config.h"

/* -c FILE and --set KEY=VALUE of the index commands (query, rm, stats,
 * dups): collected while parsing, then resolved by cli_config_resolve
 * (the index directory defaults to index.path, the radius to
 * query.radius). Defined in cmd_index.c. */
#define CLI_MAX_SETS 64
typedef struct {
    const char *path;                  /* -c, or NULL for ./config.yaml if present */
    const char *sets[CLI_MAX_SETS];
    size_t n_sets;
} cli_config_opts;

/* Records option opt ('c' for -c, anything else for --set) with its
 * argument. Returns 0, or CLI_EXIT_ERROR (message printed). */
int cli_config_opt(cli_config_opts *o, int opt, const char *arg);

/* Builds *cfg from the recorded options, and fills the defaults: *dir
 * when NULL becomes cfg->index.path (so cfg must outlive it), *radius
 * (radius may be NULL) when negative becomes cfg->query.radius. Returns
 * 0, or CLI_EXIT_ERROR (message printed). */
int cli_config_load(const cli_config_opts *o, sh_config *cfg, const char **dir, long *radius);

/* The simple index commands (stats, rm, compact) take -c/--config, --set,
 * -i/--index, -h/--help, and -q/--quiet when allow_quiet; document names
 * after the options when names is set, nothing otherwise. */
typedef struct {
    const char *name;          /* "rm": for messages */
    void (*usage)(FILE *out);
    int allow_quiet;
    int names;
} cli_index_command;

/* Parses those options, then loads the configuration into *cfg (*dir
 * defaults to index.path). Returns -1 to go on (the names start at
 * argv[optind]), or the exit status to return at once: after --help, or
 * after a usage or configuration error has been printed. cli_index_opts.c. */
int cli_index_command_options(int argc, char **argv, const cli_index_command *cmd,
                              sh_config *cfg, const char **dir, int *quiet);

/* Parses a decimal count 0..max into *out; -1 if malformed. cmd_query.c. */
int cli_parse_count(const char *s, long max, long *out);

/* "auto", "ball", "mih", "scan" -> SH_MODE_...; -1 if unknown. cmd_query.c. */
int cli_parse_mode(const char *s);

/* `semhash ae <task>`: the autoencoder toolkit (cli/cmd_ae.c). */
int cmd_ae(int argc, char **argv);

#endif
