/* cli_common.c — helpers shared by the subcommands. See cli.h. */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>

int cli_error(const char *fmt, ...)
{
    va_list ap;
    fputs("semhash: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return CLI_EXIT_ERROR;
}
