/* cli_config.c — defaults, then a file, then --set, then validation.
 * See cli_config.h. */
#include "cli_config.h"
#include "sh_error.h"

#include <stdio.h>
#include <unistd.h>

int cli_config_resolve(const char *path, const char *const *sets, size_t n_sets,
                       sh_config *out, char *err, size_t err_len)
{
    sh_config cfg;
    int rc;

    config_defaults(&cfg);
    if (path == NULL && access(CLI_CONFIG_DEFAULT_PATH, F_OK) == 0)
        path = CLI_CONFIG_DEFAULT_PATH;
    if (path != NULL) {
        rc = config_load(&cfg, path, err, err_len);
        if (rc != 0)
            return rc;
    }
    for (size_t i = 0; i < n_sets; i++) {
        rc = config_set(&cfg, sets[i], err, err_len);
        if (rc != 0)
            return rc;
    }
    rc = config_validate(&cfg, err, err_len);
    if (rc != 0) {
        /* Say where the values came from, so the user knows what to edit. */
        char detail[512];
        snprintf(detail, sizeof detail, "%s", err != NULL && err_len > 0 ? err : "");
        return sh_fail(err, err_len, rc, "%s%s: %s", path ? path : "defaults",
                       n_sets > 0 ? " with --set" : "", detail);
    }
    *out = cfg;
    return 0;
}
