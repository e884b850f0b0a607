/* corp_split.h — a seeded, stratified train/test split.
 *
 * Documents are grouped by a stratum string (the first label, in practice).
 * Within each group, the members (in input order) are shuffled by a
 * generator seeded from the seed and the stratum's xxh64, and the first
 * round(size x test_fraction) of them become the test part. So every
 * group is split in the same proportion (to within half a document), the
 * result depends only on the seed and the input, and adding documents of
 * one stratum never changes the split of another. A stratum with a single
 * document goes to train for any fraction below 0.5.
 */
#ifndef CORP_SPLIT_H
#define CORP_SPLIT_H

#include <stddef.h>
#include <stdint.h>

/* Fills is_test[i] (1 test, 0 train) for the n documents whose strata are
 * strata[0..n-1] (non-NULL strings; "" is a stratum like any other).
 * test_fraction must be in [0, 1]. Returns 0, SH_EINVAL for a bad
 * fraction or a NULL stratum, or SH_ENOMEM; is_test is unspecified on
 * failure. n == 0 succeeds and writes nothing. */
int corp_split_stratified(const char *const *strata, size_t n, double test_fraction,
                          uint64_t seed, unsigned char *is_test);

#endif
