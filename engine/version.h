/* version.h — the semhash version. The Makefile reads SH_VERSION_STRING
 * from this file to name the shared library and fill semhash.pc. */
#ifndef SH_VERSION_H
#define SH_VERSION_H

#define SH_VERSION_MAJOR 0
#define SH_VERSION_MINOR 1
#define SH_VERSION_PATCH 0
#define SH_VERSION_STRING "0.1.0"

/* The runtime version string, e.g. "0.1.0". Cannot fail. */
const char *sh_version(void);

#endif
