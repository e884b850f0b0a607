/* cli_config.h — the configuration a subcommand runs with.
 *
 * Every subcommand that needs settings calls cli_config_resolve once: it
 * starts from the built-in defaults (config_defaults), reads a YAML file on
 * top, applies the --set overrides in order, and validates the result.
 * Which file: the -c PATH given by the user, else ./config.yaml if it
 * exists, else none (defaults only). A -c PATH that does not exist is an
 * error; a missing ./config.yaml is not.
 *
 * The subcommands parse -c and --set themselves; this module only turns
 * them into a checked sh_config. It prints nothing.
 */
#ifndef SH_CLI_CONFIG_H
#define SH_CLI_CONFIG_H

#include <stddef.h>

#include "config.h"

/* The file looked for when no -c is given. */
#define CLI_CONFIG_DEFAULT_PATH "config.yaml"

/* Builds the configuration into *out.
 *   path     the -c argument, or NULL to use ./config.yaml if present
 *   sets     n_sets assignments "section.key=value" (may be NULL if 0)
 * Returns 0 with *out filled; or an errno value (the -c file cannot be
 * read, e.g. ENOENT), SH_ECONFIG (bad file, bad --set or a failed
 * validation) or SH_ENOMEM, with a one-line message in err naming the
 * file and line, or the --set key; *out is then unchanged. */
int cli_config_resolve(const char *path, const char *const *sets, size_t n_sets,
                       sh_config *out, char *err, size_t err_len);

#endif
