/* tool_common.h — what the corpus programs (tool_*.c) share: messages on
 * stderr, exit codes, arguments and the output stream. Programs only; the
 * corp_*.c modules never print. */
#ifndef CORP_TOOL_COMMON_H
#define CORP_TOOL_COMMON_H

#include <jansson.h>
#include <stdio.h>

enum { TOOL_EXIT_OK = 0, TOOL_EXIT_ERROR = 1, TOOL_EXIT_USAGE = 2 };

/* Remembers the program name for messages. */
void tool_init(const char *argv0);

/* Prints "PROGRAM: message\n" on stderr. Returns TOOL_EXIT_ERROR, for
 * `return tool_error(...)`. */
int tool_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "PROGRAM: message\n" and the usage text on stderr. Returns
 * TOOL_EXIT_USAGE. */
int tool_usage_error(const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* 1 if arg is "-h" or "--help". */
int tool_is_help(const char *arg);

/* For programs taking exactly one argument (a directory): sets *arg and
 * returns -1 to go on, or returns the exit code after printing the usage
 * (for --help on stdout, for a wrong count on stderr). */
int tool_single_arg(int argc, char **argv, const char *usage, const char *what,
                    const char **arg);

/* Opens path for writing, or returns stdout when path is NULL. On failure
 * prints the reason and returns NULL. */
FILE *tool_open_output(const char *path);

/* Flushes out and closes it unless it is stdout. Returns status, or
 * TOOL_EXIT_ERROR (after a message naming path, or "stdout") when status
 * was TOOL_EXIT_OK and the data could not be written. Accepts NULL. */
int tool_close_output(FILE *out, const char *path, int status);

/* Writes doc as one JSON line to out (path names it in messages; NULL
 * for stdout) and releases the caller's reference to doc, which may be
 * NULL (then it reports "out of memory or invalid UTF-8"). Returns 0, or
 * TOOL_EXIT_ERROR after a message. */
int tool_put_doc(FILE *out, const char *path, json_t *doc);

#endif
