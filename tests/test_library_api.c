/* test_library_api.c — the public header alone: compiles on its own
 * (no engine header before it) and records its error codes and version,
 * which test_library.c compares with engine/sh_error.h and version.h.
 * No suite here. */
#include "semhash.h"

#include "test_library_util.h"

const int tlib_public_codes[16] = {
    SH_OK,       SH_EINVAL,    SH_ENOMEM, SH_EFORMAT, SH_EVERSION,  SH_ECHECKSUM,
    SH_ETRUNC,   SH_ECONFIG,   SH_EINPUT, SH_EEMPTY,  SH_EMODEL,    SH_ENOTFOUND,
    SH_EINDEX,   SH_ECANCEL,   SH_EFULL,  SH_EREADONLY
};

const char tlib_public_version[] = SH_VERSION_STRING;
