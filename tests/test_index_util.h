/* test_index_util.h — fixtures shared by the index test suites:
 * temporary directories, random and clustered codes, documents, and a
 * brute-force Hamming search over the docs table (independent of the
 * codes and mih tables it is used to check). */
#ifndef SH_TEST_INDEX_UTIL_H
#define SH_TEST_INDEX_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "code.h"
#include "idx_docs.h"
#include "idx_search.h"
#include "rng.h"

/* A fresh directory under TMPDIR (or /tmp); the caller frees the string
 * and removes the tree with tix_rmtree. Aborts the test on failure. */
char *tix_tmpdir(void);

/* Removes dir and everything below it, then frees dir. Accepts NULL. */
void tix_rmtree(char *dir);

/* A uniformly random code of the given width. */
sh_code tix_random_code(sh_rng *rng, int bits);

/* center with each of `flips` distinct random bits flipped. */
sh_code tix_perturb(sh_rng *rng, const sh_code *center, int bits, int flips);

/* Fills doc with a name "doc-<n>" (written into name_buf, >= 32 bytes),
 * code, content hash and length derived from n, no labels, a signature
 * of sig_len bytes taken from sig_buf (may be NULL if 0). */
void tix_doc(idx_doc *doc, char *name_buf, unsigned n, sh_code code, uint64_t hash,
             const uint8_t *sig_buf, size_t sig_len);

/* All docs of the reader's snapshot within radius of q, from the docs
 * table, as distance << 32 | id sorted ascending, into *out (malloc'd,
 * caller frees). Returns the count; aborts the test on failure. */
size_t tix_brute(idx_reader *rd, const sh_code *q, int radius, uint64_t **out);

/* Sum of C(n, i) for i <= r, as a double. */
double tix_ball(int n, int r);

/* Test options: flags, code bits, duplicates stored, the rest default. */
idx_options tix_options(int flags, int bits);

/* Opens an index with options o; aborts the test on failure. */
idx_index *tix_open_with(const char *dir, const idx_options *o);

/* tix_open_with(tix_options(flags, bits)) with substrings and map size. */
idx_index *tix_open(const char *dir, int flags, int bits, int substrings, size_t map_size);

/* Adds docs named doc-<first>..doc-<first+n-1> with the given codes
 * (content hash = number) and commits; aborts the test on failure. */
void tix_add_codes(idx_index *ix, unsigned first, const sh_code *codes, size_t n);

#endif
