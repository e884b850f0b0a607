/* test_files.h — fixtures on disk for the suites: one temporary directory
 * per test (mkdtemp, removed with everything in it), paths inside it, and
 * whole-file reads and writes. Standard headers only, so a suite that
 * must see nothing but a public header (test_ae_library.c) can use it.
 * Every failure aborts the test. Test code only. */
#ifndef SH_TEST_FILES_H
#define SH_TEST_FILES_H

#include <stddef.h>

/* Creates /tmp/semhash-TAG-XXXXXX and makes it the current fixture
 * directory; returns its path (static, valid until the next call). */
const char *tf_dir_make(const char *tag);

/* Removes the fixture directory and everything below it. */
void tf_dir_remove(void);

/* out = the fixture directory / name (cut to len). */
void tf_path(char *out, size_t len, const char *name);

/* The whole file at path (malloc'd; free it) and its length, > 0. */
void *tf_read(const char *path, size_t *len);

/* Writes len bytes to path, replacing the file. */
void tf_write(const char *path, const void *data, size_t len);

#endif
