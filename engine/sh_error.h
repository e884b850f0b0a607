/* sh_error.h — error codes shared by every semhash module.
 *
 * Convention (as in LMDB): functions return int, 0 on success; negative
 * SH_E... codes are semhash's own errors; positive values are errno values
 * (from a failed open, read, write...). These numbers are part of the public
 * interface: never renumber one, only add new codes at the end.
 *
 * Where a caller needs more than a code, functions take an optional message
 * buffer (char *err, size_t err_len; NULL or 0 means "no message wanted")
 * that receives one line naming the file, record or key and the problem.
 */
#ifndef SH_ERROR_H
#define SH_ERROR_H

#include <stddef.h>

enum {
    SH_OK        = 0,
    SH_EINVAL    = -1,  /* an argument or a value out of range */
    SH_ENOMEM    = -2,  /* allocation failed */
    SH_EFORMAT   = -3,  /* not a semhash file / malformed content (bad magic, bad field) */
    SH_EVERSION  = -4,  /* written by another format version */
    SH_ECHECKSUM = -5,  /* checksum mismatch: the file was changed or damaged */
    SH_ETRUNC    = -6,  /* file or record shorter than its header says */
    SH_ECONFIG   = -7,  /* configuration error: unknown key, wrong type, out of range */
    SH_EINPUT    = -8,  /* unusable input data: binary file, malformed line */
    SH_EEMPTY    = -9,  /* nothing to work on: empty corpus, empty document */
    SH_EMODEL    = -10, /* model does not fit: wrong kind, shapes or vocabulary */
    SH_ENOTFOUND = -11, /* no such name, key or document */
    SH_EINDEX    = -12, /* index damaged or not a semhash index */
    SH_ECANCEL   = -13, /* a callback asked to stop */
    SH_EFULL     = -14, /* storage full and could not grow */
    SH_EREADONLY = -15  /* a write on a read-only handle */
};

/* A message for any code this library returns, starting with the code's
 * name ("SH_EVERSION: ..."); for positive codes, strerror's text.
 * The string is static; never free it. Cannot fail. */
const char *sh_strerror(int code);

/* Formats a message into err (if err is non-NULL and err_len > 0),
 * always NUL-terminated, truncated if needed. Returns code unchanged so
 * that `return sh_fail(err, err_len, SH_EINVAL, "...")` reads naturally. */
int sh_fail(char *err, size_t err_len, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
