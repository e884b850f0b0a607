/* corp_split.c — stratified seeded split; see corp_split.h. */
#include "corp_split.h"

#include "rng.h"
#include "sh_error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

typedef struct {
    const char *stratum;
    uint32_t index;
} split_entry;

static int split_entry_cmp(const void *a, const void *b)
{
    const split_entry *x = a, *y = b;
    int c = strcmp(x->stratum, y->stratum);
    if (c)
        return c;
    return (x->index > y->index) - (x->index < y->index);
}

int corp_split_stratified(const char *const *strata, size_t n, double test_fraction,
                          uint64_t seed, unsigned char *is_test)
{
    if (!(test_fraction >= 0.0 && test_fraction <= 1.0) || n > UINT32_MAX)
        return SH_EINVAL;
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!strata[i])
            return SH_EINVAL;

    int rc = SH_ENOMEM;
    split_entry *entries = malloc(n * sizeof *entries);
    uint32_t *members = malloc(n * sizeof *members);
    if (!entries || !members)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        entries[i].stratum = strata[i];
        entries[i].index = (uint32_t)i;
    }
    /* Sorting by (stratum, index) lists each group in input order. */
    qsort(entries, n, sizeof *entries, split_entry_cmp);

    for (size_t start = 0; start < n;) {
        size_t end = start + 1;
        while (end < n && strcmp(entries[end].stratum, entries[start].stratum) == 0)
            end++;
        size_t size = end - start;
        for (size_t k = 0; k < size; k++)
            members[k] = entries[start + k].index;
        const char *name = entries[start].stratum;
        sh_rng rng;
        rng_seed(&rng, XXH64(name, strlen(name), seed));
        rng_shuffle_u32(&rng, members, size);
        size_t n_test = (size_t)floor((double)size * test_fraction + 0.5);
        for (size_t k = 0; k < size; k++)
            is_test[members[k]] = k < n_test;
        start = end;
    }
    rc = 0;
fail:
    free(entries);
    free(members);
    return rc;
}
