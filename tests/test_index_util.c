/* test_index_util.c — shared index test fixtures. See test_index_util.h.
 * (No suite here: this file only provides helpers.) */
#include "test_index_util.h"

#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sh_error.h"

char *tix_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    char buf[512];
    snprintf(buf, sizeof buf, "%s/semhash-index-XXXXXX", base && *base ? base : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(buf));
    char *dir = strdup(buf);
    ck_assert_ptr_nonnull(dir);
    return dir;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    return remove(path);
}

void tix_rmtree(char *dir)
{
    if (!dir)
        return;
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(dir);
}

sh_code tix_random_code(sh_rng *rng, int bits)
{
    sh_code c = { { rng_u64(rng), rng_u64(rng) } };
    if (bits < 128)
        c.w[1] = bits <= 64 ? 0 : c.w[1] & ~(~(uint64_t)0 >> (bits - 64));
    if (bits < 64)
        c.w[0] &= ~(~(uint64_t)0 >> bits);
    return c;
}

sh_code tix_perturb(sh_rng *rng, const sh_code *center, int bits, int flips)
{
    sh_code c = *center;
    int done = 0;
    while (done < flips && done < bits) {
        int b = (int)rng_below(rng, (uint64_t)bits);
        if (code_get_bit(&c, b) != code_get_bit(center, b))
            continue;
        code_set_bit(&c, b, !code_get_bit(&c, b));
        done++;
    }
    return c;
}

void tix_doc(idx_doc *doc, char *name_buf, unsigned n, sh_code code, uint64_t hash,
             const uint8_t *sig_buf, size_t sig_len)
{
    memset(doc, 0, sizeof *doc);
    snprintf(name_buf, 32, "doc-%u", n);
    doc->name = name_buf;
    doc->name_len = strlen(name_buf);
    doc->code = code;
    doc->content_hash = hash;
    doc->length = n * 3u + 1;
    doc->sig = sig_len ? sig_buf : NULL;
    doc->sig_len = sig_len;
}

typedef struct {
    const sh_code *q;
    int radius;
    uint64_t *hits;
    size_t n, cap;
} brute_ctx;

static int brute_one(const idx_doc *d, void *ctx)
{
    brute_ctx *b = ctx;
    int dist = code_hamming(b->q, &d->code);
    if (dist > b->radius)
        return 0;
    if (b->n == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 64;
        b->hits = realloc(b->hits, b->cap * sizeof *b->hits);
        if (!b->hits)
            return SH_ENOMEM;
    }
    b->hits[b->n++] = (uint64_t)dist << 32 | d->id;
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

size_t tix_brute(idx_reader *rd, const sh_code *q, int radius, uint64_t **out)
{
    brute_ctx b = { q, radius, NULL, 0, 0 };
    ck_assert_int_eq(idx_docs_foreach(rd, brute_one, &b), 0);
    if (b.n > 1)
        qsort(b.hits, b.n, sizeof *b.hits, cmp_u64);
    *out = b.hits;
    return b.n;
}

double tix_ball(int n, int r)
{
    double s = 0, c = 1;
    for (int i = 0; i <= r && i <= n; i++) {
        s += c;
        c = c * (n - i) / (i + 1);
    }
    return s;
}

idx_options tix_options(int flags, int bits)
{
    idx_options o = { 0 };
    o.flags = flags;
    o.code_bits = bits;
    o.store_duplicates = 1;
    return o;
}

idx_index *tix_open_with(const char *dir, const idx_options *o)
{
    idx_index *ix = NULL;
    char err[256] = "";
    int rc = idx_open(dir, o, &ix, err, sizeof err);
    ck_assert_msg(rc == 0, "idx_open %s: %d %s", dir, rc, err);
    return ix;
}

idx_index *tix_open(const char *dir, int flags, int bits, int substrings, size_t map_size)
{
    idx_options o = tix_options(flags, bits);
    o.substrings = substrings;
    o.map_size = map_size;
    return tix_open_with(dir, &o);
}

void tix_add_codes(idx_index *ix, unsigned first, const sh_code *codes, size_t n)
{
    char name[32], err[256] = "";
    for (size_t i = 0; i < n; i++) {
        idx_doc d;
        tix_doc(&d, name, first + (unsigned)i, codes[i], first + i, NULL, 0);
        ck_assert_msg(idx_add(ix, &d, NULL, err, sizeof err) == 0, "add: %s", err);
    }
    ck_assert_msg(idx_commit(ix, err, sizeof err) == 0, "commit: %s", err);
}
