/* tool_common.h — what the corpus programs (tool_*.c) share: messages on
 * stderr and exit codes. Programs only; the corp_*.c modules never print. */
#ifndef CORP_TOOL_COMMON_H
#define CORP_TOOL_COMMON_H

enum { TOOL_EXIT_OK = 0, TOOL_EXIT_ERROR = 1, TOOL_EXIT_USAGE = 2 };

/* Prints "PROGRAM: message\n" on stderr (PROGRAM as set by tool_init).
 * Returns TOOL_EXIT_ERROR, for `return tool_error(...)`. */
int tool_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "PROGRAM: message\n" and the usage text on stderr. Returns
 * TOOL_EXIT_USAGE. */
int tool_usage_error(const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Remembers the program name for messages. */
void tool_init(const char *argv0);

/* 1 if arg is "-h" or "--help". */
int tool_is_help(const char *arg);

#endif
