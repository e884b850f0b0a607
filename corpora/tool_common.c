/* tool_common.c — messages, arguments and output for the corpus programs. */
#include "tool_common.h"

#include "corp_io.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

static const char *tool_name = "corpora";

void tool_init(const char *argv0)
{
    const char *slash = argv0 ? strrchr(argv0, '/') : NULL;
    if (argv0)
        tool_name = slash ? slash + 1 : argv0;
}

static void tool_vmessage(const char *fmt, va_list ap)
{
    fprintf(stderr, "%s: ", tool_name);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

int tool_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tool_vmessage(fmt, ap);
    va_end(ap);
    return TOOL_EXIT_ERROR;
}

int tool_usage_error(const char *usage, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tool_vmessage(fmt, ap);
    va_end(ap);
    fputs(usage, stderr);
    return TOOL_EXIT_USAGE;
}

int tool_is_help(const char *arg)
{
    return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

int tool_single_arg(int argc, char **argv, const char *usage, const char *what,
                    const char **arg)
{
    tool_init(argv[0]);
    if (argc == 2 && tool_is_help(argv[1])) {
        fputs(usage, stdout);
        return TOOL_EXIT_OK;
    }
    if (argc != 2)
        return tool_usage_error(usage, "expected one argument, %s", what);
    *arg = argv[1];
    return -1;
}

FILE *tool_open_output(const char *path)
{
    if (!path)
        return stdout;
    FILE *f = fopen(path, "wb");
    if (!f)
        tool_error("%s: cannot create: %s", path, strerror(errno));
    return f;
}

int tool_close_output(FILE *out, const char *path, int status)
{
    if (!out)
        return status;
    int failed = fflush(out) != 0 || ferror(out);
    if (out != stdout)
        failed |= fclose(out) != 0;
    if (failed && status == TOOL_EXIT_OK)
        return tool_error("%s: write failed: %s", path ? path : "stdout", strerror(errno));
    return status;
}

int tool_put_doc(FILE *out, const char *path, json_t *doc)
{
    if (!doc)
        return tool_error("building a document for %s: out of memory or invalid UTF-8",
                          path ? path : "stdout");
    int rc = corp_write_doc(out, doc);
    json_decref(doc);
    if (rc != 0)
        return tool_error("%s: write failed", path ? path : "stdout");
    return 0;
}
