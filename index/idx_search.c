/* idx_search.c — ball enumeration, multi-index hashing, scan, top-k,
 * planner. See idx_search.h. */
#include "idx_search.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "idx_bucket.h"
#include "sh_error.h"

/* Relative costs used by the planner, in units of one MIH probe (a
 * B-tree search for a substring key and the visit of its entries).
 * Measured on 1M clustered 64-bit codes (m = 4, bench/search_codes, a
 * loaded 2-core machine): an MIH probe about 1.3 us, a candidate
 * verified 0.02 us, a ball probe (the search for one whole code, mostly
 * a miss near the previous one) 0.25-0.7 us, and the scan 0.2 us per key
 * of mih_0 plus 0.01 us per document; only the ratios matter. */
#define COST_PROBE 1.0
#define COST_CANDIDATE 0.015
#define COST_BALL_PROBE 0.3
#define COST_SCAN_KEY 0.17
#define COST_SCAN_DOC 0.01

/* --- combinations of k positions out of n, in lexicographic order ------- */

static void comb_first(int *pos, int k)
{
    for (int i = 0; i < k; i++)
        pos[i] = i;
}

/* Advances to the next combination; 0 when there is none. */
static int comb_next(int *pos, int k, int n)
{
    int i = k - 1;
    while (i >= 0 && pos[i] == n - k + i)
        i--;
    if (i < 0)
        return 0;
    pos[i]++;
    for (int j = i + 1; j < k; j++)
        pos[j] = pos[j - 1] + 1;
    return 1;
}

static double binomial(int n, int k)
{
    if (k < 0 || k > n)
        return 0;
    double c = 1;
    for (int i = 1; i <= k; i++)
        c = c * (n - k + i) / i;
    return c;
}

static double ball_size(int n, int r)
{
    double s = 0;
    for (int i = 0; i <= r && i <= n; i++)
        s += binomial(n, i);
    return s;
}

static int code_distance(const sh_code *a, const sh_code *b)
{
    return __builtin_popcountll(a->w[0] ^ b->w[0]) + __builtin_popcountll(a->w[1] ^ b->w[1]);
}

/* The integer value of a big-endian key of n bytes. */
/* The substring value in the first key_bytes of a mih key. */
static uint64_t key_value(const MDB_val *k, size_t key_bytes)
{
    uint64_t v = 0;
    for (size_t i = 0; i < key_bytes; i++)
        v = v << 8 | ((const uint8_t *)k->mv_data)[i];
    return v;
}

/* --- hits in the reader's scratch --------------------------------------- */

static int hit_push(idx_reader *rd, uint32_t id, int dist)
{
    if (rd->scratch_len == rd->scratch_cap) {
        size_t cap = rd->scratch_cap ? rd->scratch_cap * 2 : 256;
        uint64_t *p = realloc(rd->scratch, cap * sizeof *p);
        if (!p)
            return SH_ENOMEM;
        rd->scratch = p;
        rd->scratch_cap = cap;
    }
    rd->scratch[rd->scratch_len++] = (uint64_t)dist << 32 | id;
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* --- exact code lookups ---------------------------------------------------- */

/* probe_code's hit: one doc with the code. */
typedef struct {
    idx_reader *rd;
    int dist;
} code_walk;

static int code_entry(const uint8_t *e, void *ctx)
{
    code_walk *w = ctx;
    return hit_push(w->rd, idx_entry_id(e, &w->rd->ix->sub[0]), w->dist);
}

/* Adds every doc whose code is exactly code, at distance dist. Those docs
 * are one run of a mih_0 bucket: key = substring 0, entries starting with
 * the rest. */
static int probe_code(idx_reader *rd, const sh_code *code, int dist)
{
    const idx_substring *s = &rd->ix->sub[0];
    uint8_t key[8], want[IDX_ID_BYTES + IDX_TAG_BYTES + 16];
    idx_substring_key(idx_substring_value(code, s), s, key);
    idx_entry_encode(code, 0, 0, s, want);
    code_walk w = { rd, dist };
    return idx_bucket_run(rd->cur_mih[0], key, (size_t)s->key_bytes, (size_t)s->entry_bytes, want,
                          (size_t)s->rest_bytes, code_entry, &w);
}

/* --- ball ------------------------------------------------------------------ */

static void flip_bit(sh_code *c, int i)
{
    c->w[i >> 6] ^= (uint64_t)1 << (63 - (i & 63));
}

static int search_ball(idx_reader *rd, const sh_code *q, int r, idx_search_info *info)
{
    int bits = rd->ix->bits, pos[SH_CODE_MAX_BITS];
    sh_code c = *q;
    for (int d = 0; d <= r; d++) {
        comb_first(pos, d);
        do {
            for (int i = 0; i < d; i++)
                flip_bit(&c, pos[i]);
            int rc = probe_code(rd, &c, d);
            for (int i = 0; i < d; i++)
                flip_bit(&c, pos[i]);
            info->probes++;
            if (rc)
                return rc;
        } while (comb_next(pos, d, bits));
    }
    return 0;
}

/* --- multi-index hashing -------------------------------------------------- */

/* Radius for substring j (negative: not searched). */
static int mih_radius(int r, int m, int j)
{
    int q = r / m, a = r % m;
    return j <= a ? q : q - 1;
}

typedef struct {
    idx_reader *rd;
    const sh_code *q;
    sh_code q_rest;      /* the query's rest for substring j */
    int r, j;
    int probe_dist;      /* flips of the probed substring value */
    uint64_t probe_value;
    const int *sub_r;
    idx_search_info *info;
} mih_ctx;

SH_POPCOUNT_HOT static int mih_entries(const uint8_t *entries, size_t count, void *ctx)
{
    mih_ctx *mc = ctx;
    const idx_index *ix = mc->rd->ix;
    const idx_substring *s = &ix->sub[mc->j];
    mc->info->candidates += count;
    for (size_t i = 0; i < count; i++) {
        const uint8_t *e = entries + i * (size_t)s->entry_bytes;
        sh_code rest = idx_entry_rest(e, s);
        int d = mc->probe_dist + code_distance(&rest, &mc->q_rest);
        if (d > mc->r)
            continue;
        /* Keep a candidate only from the first table that can find it. */
        sh_code c = idx_code_join(mc->probe_value, &rest, s);
        sh_code x = { { mc->q->w[0] ^ c.w[0], mc->q->w[1] ^ c.w[1] } };
        int seen = 0;
        for (int k = 0; k < mc->j && !seen; k++) {
            const sh_code *mk = &ix->sub[k].mask;
            int dk = __builtin_popcountll(x.w[0] & mk->w[0]) + __builtin_popcountll(x.w[1] & mk->w[1]);
            seen = mc->sub_r[k] >= 0 && dk <= mc->sub_r[k];
        }
        if (seen)
            continue;
        int rc = hit_push(mc->rd, idx_entry_id(e, s), d);
        if (rc)
            return rc;
    }
    return 0;
}

static int search_mih(idx_reader *rd, const sh_code *q, int r, idx_search_info *info)
{
    const idx_index *ix = rd->ix;
    int sub_r[IDX_MAX_SUBSTRINGS], pos[64];
    for (int j = 0; j < ix->m; j++)
        sub_r[j] = mih_radius(r, ix->m, j);
    mih_ctx mc = { .rd = rd, .q = q, .r = r, .sub_r = sub_r, .info = info };
    for (int j = 0; j < ix->m; j++) {
        const idx_substring *s = &ix->sub[j];
        uint64_t qv = idx_substring_value(q, s);
        mc.j = j;
        mc.q_rest = idx_code_rest(q, s);
        for (int d = 0; d <= sub_r[j] && d <= s->len; d++) {
            comb_first(pos, d);
            do {
                uint64_t v = qv;
                for (int i = 0; i < d; i++)
                    v ^= (uint64_t)1 << pos[i];
                uint8_t key[8];
                idx_substring_key(v, s, key);
                info->probes++;
                mc.probe_dist = d;
                mc.probe_value = v;
                int rc = idx_bucket_visit(rd->cur_mih[j], key, (size_t)s->key_bytes,
                                          (size_t)s->entry_bytes, mih_entries, &mc);
                if (rc)
                    return rc;
            } while (comb_next(pos, d, s->len));
        }
    }
    return 0;
}

/* --- scan ------------------------------------------------------------------ */

/* The scan walks mih_0: a key's substring distance bounds all its
 * entries' distances, so keys farther than r are skipped whole. */
typedef struct {
    idx_reader *rd;
    sh_code q_rest;
    int r, key_dist;
    idx_search_info *info;
} scan_ctx;

SH_POPCOUNT_HOT static int scan_entries(const uint8_t *entries, size_t count, void *ctx)
{
    scan_ctx *sc = ctx;
    const idx_substring *s = &sc->rd->ix->sub[0];
    sc->info->candidates += count;
    for (size_t i = 0; i < count; i++) {
        const uint8_t *e = entries + i * (size_t)s->entry_bytes;
        sh_code rest = idx_entry_rest(e, s);
        int d = sc->key_dist + code_distance(&rest, &sc->q_rest);
        if (d > sc->r)
            continue;
        int rc = hit_push(sc->rd, idx_entry_id(e, s), d);
        if (rc)
            return rc;
    }
    return 0;
}

SH_POPCOUNT_HOT static int search_scan(idx_reader *rd, const sh_code *q, int r,
                                       idx_search_info *info)
{
    const idx_index *ix = rd->ix;
    const idx_substring *s = &ix->sub[0];
    MDB_cursor *c = rd->cur_mih[0];
    uint64_t qv = idx_substring_value(q, s);
    scan_ctx sc = { rd, idx_code_rest(q, s), r, 0, info };
    MDB_val k, v;
    int rc;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (!idx_bucket_key_ok(&k, (size_t)s->key_bytes, (size_t)s->entry_bytes))
            return MDB_CORRUPTED;
        sc.key_dist = __builtin_popcountll(key_value(&k, (size_t)s->key_bytes) ^ qv);
        if (sc.key_dist > r)
            continue;
        rc = idx_visit_bucket(&v, (size_t)s->entry_bytes, scan_entries, &sc);
        if (rc)
            return rc;
    }
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* --- planner and entry points ------------------------------------------------ */

static double mih_probes(const idx_index *ix, int r, double n_docs, double *candidates)
{
    double probes = 0, cand = 0;
    for (int j = 0; j < ix->m; j++) {
        int rj = mih_radius(r, ix->m, j);
        if (rj < 0)
            continue;
        double p = ball_size(ix->sub[j].len, rj);
        probes += p;
        cand += n_docs * p / ldexp(1.0, ix->sub[j].len);
    }
    *candidates = cand;
    return probes;
}

idx_mode idx_plan(const idx_index *ix, uint64_t n_docs, int radius, idx_search_info *info)
{
    double n = (double)n_docs, cand;
    double ball_probes = ball_size(ix->bits, radius);
    double mp = mih_probes(ix, radius, n, &cand);
    double cost[4];
    cost[IDX_MODE_AUTO] = 0;
    double keys = ldexp(1.0, ix->sub[0].len);
    if (keys > n)
        keys = n;
    cost[IDX_MODE_BALL] = ball_probes * COST_BALL_PROBE;
    cost[IDX_MODE_MIH] = mp * COST_PROBE + cand * COST_CANDIDATE;
    cost[IDX_MODE_SCAN] = keys * COST_SCAN_KEY + n * COST_SCAN_DOC + COST_PROBE;
    idx_mode best = IDX_MODE_SCAN;
    if (mp <= IDX_MAX_PROBES && cost[IDX_MODE_MIH] < cost[best])
        best = IDX_MODE_MIH;
    if (ball_probes <= IDX_MAX_PROBES && cost[IDX_MODE_BALL] < cost[best])
        best = IDX_MODE_BALL;
    if (info) {
        memcpy(info->cost, cost, sizeof cost);
        info->mode = best;
    }
    return best;
}

static int search_error(idx_reader *rd, int rc)
{
    if (rc < 0 && rc > -100)
        return rc; /* already a semhash code */
    return idx_lmdb_error(rd->ix, rc, "searching", NULL, 0);
}

/* Chooses the mode for one step. AUTO is planned. An explicit ball or MIH
 * search over IDX_MAX_PROBES is refused (strict) or, for a top-k step
 * (not strict), replaced by a scan as soon as it would cost more than one. */
static int resolve_mode(idx_reader *rd, int radius, idx_mode mode, int strict,
                        idx_search_info *info, idx_mode *out)
{
    idx_mode planned = idx_plan(rd->ix, idx_reader_doc_count(rd), radius, info);
    if (mode == IDX_MODE_AUTO) {
        *out = planned;
        return 0;
    }
    if (mode != IDX_MODE_BALL && mode != IDX_MODE_MIH && mode != IDX_MODE_SCAN)
        return SH_EINVAL;
    double cand, probes = mode == IDX_MODE_BALL ? ball_size(rd->ix->bits, radius)
                          : mode == IDX_MODE_MIH ? mih_probes(rd->ix, radius, 0, &cand)
                                                 : 0;
    if (strict && probes > IDX_MAX_PROBES)
        return SH_EINVAL;
    if (!strict && info->cost[mode] > info->cost[IDX_MODE_SCAN])
        mode = IDX_MODE_SCAN;
    *out = mode;
    return 0;
}

/* Gathers every hit within radius into rd->scratch, sorted. */
static int gather(idx_reader *rd, const sh_code *q, int radius, idx_mode mode,
                  idx_search_info *info)
{
    rd->scratch_len = 0;
    info->mode = mode;
    info->radius = radius;
    int rc = mode == IDX_MODE_BALL  ? search_ball(rd, q, radius, info)
             : mode == IDX_MODE_MIH ? search_mih(rd, q, radius, info)
                                    : search_scan(rd, q, radius, info);
    if (rc)
        return search_error(rd, rc);
    if (rd->scratch_len > 1)
        qsort(rd->scratch, rd->scratch_len, sizeof *rd->scratch, cmp_u64);
    return 0;
}

static void copy_hits(const idx_reader *rd, idx_hit *hits, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        hits[i].id = (uint32_t)rd->scratch[i];
        hits[i].distance = (uint32_t)(rd->scratch[i] >> 32);
    }
}

int idx_search(idx_reader *rd, const sh_code *query, int radius, idx_mode mode, idx_hit *hits,
               size_t cap, size_t *total, idx_search_info *info)
{
    idx_search_info local;
    if (!info)
        info = &local;
    memset(info, 0, sizeof *info);
    *total = 0;
    if (!rd->live || radius < 0 || radius > rd->ix->bits || (cap && !hits))
        return SH_EINVAL;
    idx_mode m;
    int rc = resolve_mode(rd, radius, mode, 1, info, &m);
    if (rc)
        return rc;
    rc = gather(rd, query, radius, m, info);
    if (rc)
        return rc;
    *total = rd->scratch_len;
    copy_hits(rd, hits, cap < rd->scratch_len ? cap : rd->scratch_len);
    return 0;
}

int idx_topk(idx_reader *rd, const sh_code *query, size_t k, idx_mode mode, idx_hit *hits,
             size_t *n, idx_search_info *info)
{
    idx_search_info local;
    if (!info)
        info = &local;
    memset(info, 0, sizeof *info);
    *n = 0;
    if (!rd->live || (k && !hits))
        return SH_EINVAL;
    if (k == 0)
        return 0;
    uint64_t probes = 0, candidates = 0;
    for (int r = 0; r <= rd->ix->bits; r++) {
        idx_mode m;
        int rc = resolve_mode(rd, r, mode, 0, info, &m);
        if (rc)
            return rc;
        if (m == IDX_MODE_SCAN)
            r = rd->ix->bits; /* one pass sees every doc */
        rc = gather(rd, query, r, m, info);
        probes += info->probes;
        candidates += info->candidates;
        info->probes = info->candidates = 0;
        if (rc)
            return rc;
        if (rd->scratch_len >= k)
            break;
    }
    info->probes = probes;
    info->candidates = candidates;
    *n = k < rd->scratch_len ? k : rd->scratch_len;
    copy_hits(rd, hits, *n);
    return 0;
}
