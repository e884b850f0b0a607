/* test_library_util.h — fixtures shared by the libsemhash suites
 * (defined in test_library.c): synthetic topic documents, a model file
 * fitted on them, index creation and adding. Each aborts the test on
 * failure. */
#ifndef SH_TEST_LIBRARY_UTIL_H
#define SH_TEST_LIBRARY_UTIL_H

#include <stdint.h>

#include "config.h"
#include "semhash.h"

/* Text of synthetic document n (40 words, topic n % 8); caller frees. */
char *tlib_doc_text(unsigned n);

/* "doc-<n>" into out (>= 32 bytes). */
void tlib_doc_name(unsigned n, char *out);

/* Fits a hasher (kind, bits) on documents 0..199 and saves it as
 * dir/file; returns the path (caller frees). */
char *tlib_model(const char *dir, const char *file, int bits, sh_encoder_kind kind);

/* Creates an index at path with the model file (no fsync). */
sh_index *tlib_create(const char *path, const char *model, int batch);

/* Adds document n as "doc-<n>" with labels "topic<letter>". */
void tlib_add(sh_index *ix, unsigned n);

/* Hamming distance of two codes of bits bits. */
int tlib_hamming(const uint8_t *a, const uint8_t *b, int bits);

/* The error codes SH_OK..SH_EREADONLY and SH_VERSION_STRING as seen by
 * a file that includes semhash.h only (test_library_api.c). */
extern const int tlib_public_codes[16];
extern const char tlib_public_version[];

#endif
