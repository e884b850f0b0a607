/* sh_error.c — messages for the error codes of sh_error.h. */
#include "sh_error.h"
#include "version.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *sh_version(void)
{
    return SH_VERSION_STRING;
}

const char *sh_strerror(int code)
{
    switch (code) {
    case SH_OK:        return "SH_OK: success";
    case SH_EINVAL:    return "SH_EINVAL: invalid argument or value out of range";
    case SH_ENOMEM:    return "SH_ENOMEM: out of memory";
    case SH_EFORMAT:   return "SH_EFORMAT: not a semhash file, or malformed content";
    case SH_EVERSION:  return "SH_EVERSION: written by another format version";
    case SH_ECHECKSUM: return "SH_ECHECKSUM: checksum mismatch (file changed or damaged)";
    case SH_ETRUNC:    return "SH_ETRUNC: file or record is truncated";
    case SH_ECONFIG:   return "SH_ECONFIG: configuration error";
    case SH_EINPUT:    return "SH_EINPUT: unusable input data";
    case SH_EEMPTY:    return "SH_EEMPTY: nothing to work on (empty input)";
    case SH_EMODEL:    return "SH_EMODEL: model does not fit this data or index";
    case SH_ENOTFOUND: return "SH_ENOTFOUND: not found";
    case SH_EINDEX:    return "SH_EINDEX: index damaged or not a semhash index";
    case SH_ECANCEL:   return "SH_ECANCEL: cancelled";
    case SH_EFULL:     return "SH_EFULL: storage full";
    case SH_EREADONLY: return "SH_EREADONLY: write on a read-only handle";
    default:
        if (code > 0)
            return strerror(code);
        return "SH_E?: unknown error code";
    }
}

int sh_fail(char *err, size_t err_len, int code, const char *fmt, ...)
{
    if (err != NULL && err_len > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_len, fmt, ap);
        va_end(ap);
    }
    return code;
}
