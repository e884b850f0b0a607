/* sh_query.c — queries by text, code or document, near-duplicate
 * verification, and near-duplicate groups (semhash.h). */
#include <stdlib.h>
#include <string.h>

#include "sh_internal.h"

/* What a query asks, once the code (and signature) is known. */
typedef struct {
    sh_code code;
    const uint8_t *sig;     /* near_dup only */
    uint32_t exclude;       /* doc id left out of the hits (sh_query_doc), or 0 */
} query_target;

static int check_options(const sh_index *sh, const sh_query_options *q, char *err,
                         size_t err_len)
{
    if (!q)
        return sh_fail(err, err_len, SH_EINVAL, "no query options");
    if (q->k == 0 && (q->radius < 0 || q->radius > sh->bits))
        return sh_fail(err, err_len, SH_EINVAL,
                       "radius %d is outside 0..%d (the code width of this index)", q->radius,
                       sh->bits);
    if (q->mode < SH_MODE_AUTO || q->mode > SH_MODE_SCAN)
        return sh_fail(err, err_len, SH_EINVAL, "unknown search mode %d", q->mode);
    if (q->near_dup && !(q->min_similarity >= 0.0 && q->min_similarity <= 1.0))
        return sh_fail(err, err_len, SH_EINVAL, "similarity threshold %g is outside [0, 1]",
                       q->min_similarity);
    if (q->k > (size_t)1 << 31)
        return sh_fail(err, err_len, SH_EINVAL, "k = %zu is too large", q->k);
    return 0;
}

static int by_similarity(const void *a, const void *b)
{
    const sh_hit *x = a, *y = b;
    if (x->similarity != y->similarity)
        return x->similarity > y->similarity ? -1 : 1;
    if (x->distance != y->distance)
        return x->distance < y->distance ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* Candidates into r->hits[0..*count): every match (near_dup, or
 * everything needed), or the first `want` (plain radius queries). */
static int gather(sh_index *sh, sh_reader *r, const query_target *t, const sh_query_options *q,
                  size_t want, size_t *count, size_t *total, sh_query_info *info, char *err,
                  size_t err_len)
{
    idx_search_info si;
    memset(&si, 0, sizeof si);
    int rc;
    if (q->k > 0) {
        size_t k = q->k + (t->exclude ? 1 : 0);
        if (sh_reader_reserve(r, k))
            return sh_fail(err, err_len, SH_ENOMEM, "out of memory for %zu hits", k);
        rc = idx_topk(r->rd, &t->code, k, (idx_mode)q->mode, r->hits, count, &si);
        *total = *count;
    } else {
        size_t first = want == SIZE_MAX ? 256 : want < 64 ? 64 : want;
        if (sh_reader_reserve(r, first))
            return sh_fail(err, err_len, SH_ENOMEM, "out of memory for %zu hits", first);
        rc = idx_search(r->rd, &t->code, q->radius, (idx_mode)q->mode, r->hits, r->cap, total,
                        &si);
        if (rc == 0 && *total > r->cap && want > r->cap) {
            /* more matches than room and all of them wanted: once more */
            if (sh_reader_reserve(r, *total))
                return sh_fail(err, err_len, SH_ENOMEM, "out of memory for %zu hits", *total);
            rc = idx_search(r->rd, &t->code, q->radius, (idx_mode)q->mode, r->hits, r->cap,
                            total, &si);
        }
        *count = *total < r->cap ? *total : r->cap;
    }
    if (rc)
        return sh_fail(err, err_len, rc, "index %s: search failed: %s", sh->ix->path,
                       sh_strerror(rc));
    if (info) {
        info->radius = si.radius;
        info->mode = (int)si.mode;
        if (q->k == 0)
            info->radius = q->radius;
    }
    return 0;
}

static int run_query(sh_index *sh, sh_reader *r, const query_target *t,
                     const sh_query_options *q, sh_hit *hits, size_t cap, size_t *n,
                     sh_query_info *info, char *err, size_t err_len)
{
    size_t count = 0, total = 0;
    size_t want = q->near_dup || t->exclude ? SIZE_MAX : cap;
    int rc = gather(sh, r, t, q, want, &count, &total, info, err, err_len);
    if (rc)
        return rc;
    size_t candidates = total;
    if (t->exclude) {                 /* drop the querying document itself */
        size_t w = 0;
        for (size_t i = 0; i < count; i++)
            if (r->hits[i].id != t->exclude)
                r->hits[w++] = r->hits[i];
        total -= count - w;
        count = w;
        candidates = total;
        if (q->k > 0 && count > q->k)
            count = total = candidates = q->k;
    }
    if (q->near_dup) {
        double threshold = q->min_similarity > 0 ? q->min_similarity : SH_DEFAULT_SIMILARITY;
        size_t w = 0;
        for (size_t i = 0; i < count; i++) {
            idx_doc d;
            rc = idx_doc_get(r->rd, r->hits[i].id, &d);
            if (rc)
                return sh_fail(err, err_len, SH_EINDEX, "index %s: doc %u unreadable",
                               sh->ix->path, (unsigned)r->hits[i].id);
            double s = d.sig_len == SIG_BYTES ? sig_similarity(t->sig, d.sig) : 0.0;
            if (s >= threshold) {
                r->hits[w] = r->hits[i];
                r->sim[w++] = s;
            }
        }
        count = total = w;
    }
    size_t out = count < cap ? count : cap;
    if (q->near_dup) {
        /* sort every verified hit, then copy the best */
        sh_hit *all = malloc((count ? count : 1) * sizeof *all);
        if (!all)
            return sh_fail(err, err_len, SH_ENOMEM, "out of memory");
        for (size_t i = 0; i < count; i++) {
            all[i].id = r->hits[i].id;
            all[i].distance = r->hits[i].distance;
            all[i].similarity = r->sim[i];
        }
        if (count > 1)
            qsort(all, count, sizeof *all, by_similarity);
        if (out)
            memcpy(hits, all, out * sizeof *all);
        free(all);
    } else {
        for (size_t i = 0; i < out; i++) {
            hits[i].id = r->hits[i].id;
            hits[i].distance = r->hits[i].distance;
            hits[i].similarity = -1.0;
        }
    }
    *n = out;
    if (info) {
        info->total = total;
        info->candidates = q->near_dup ? candidates : total;
        code_to_bytes(&t->code, sh->bits, info->code);
    }
    return 0;
}

static void info_init(sh_query_info *info)
{
    if (info)
        memset(info, 0, sizeof *info);
}

int sh_query_text(sh_index *sh, const char *text, size_t len, const sh_query_options *q,
                  sh_hit *hits, size_t cap, size_t *n, sh_query_info *info, char *err,
                  size_t err_len)
{
    *n = 0;
    info_init(info);
    int rc = check_options(sh, q, err, err_len);
    if (!rc)
        rc = sh_check_searchable(sh, err, err_len);
    if (rc)
        return rc;
    size_t blank = 0;
    while (blank < len && (unsigned char)text[blank] <= 0x20 && text[blank] != '\0')
        blank++;
    if (len == 0 || blank == len)
        return sh_fail(err, err_len, SH_EEMPTY, "empty query: give some text");
    sh_encoded enc;
    rc = sh_encode_full(sh, text, len, &enc, err, err_len);
    if (rc)
        return rc;
    if (info)
        info->tokens = enc.tokens;
    if (enc.tokens == 0)
        return sh_fail(err, err_len, SH_EEMPTY,
                       "the query has no terms left after the tokenizer's filters (only stop "
                       "words, numbers or very short words); its code is defined, the code "
                       "of an empty document, but matches on it mean nothing");
    sh_reader *r;
    rc = sh_reader_take(sh, &r, err, err_len);
    if (rc)
        return rc;
    query_target t = { enc.code, enc.sig, 0 };
    rc = run_query(sh, r, &t, q, hits, cap, n, info, err, err_len);
    sh_reader_give(sh, r);
    if (info)
        info->tokens = enc.tokens;
    return rc;
}

int sh_query_code(sh_index *sh, const uint8_t *code, const sh_query_options *q, sh_hit *hits,
                  size_t cap, size_t *n, sh_query_info *info, char *err, size_t err_len)
{
    *n = 0;
    info_init(info);
    int rc = check_options(sh, q, err, err_len);
    if (!rc)
        rc = sh_check_searchable(sh, err, err_len);
    if (rc)
        return rc;
    if (q->near_dup)
        return sh_fail(err, err_len, SH_EINVAL,
                       "near-duplicate queries need a text or a document, not a code");
    query_target t = { code_from_bytes(code, sh->bits), NULL, 0 };
    sh_reader *r;
    rc = sh_reader_take(sh, &r, err, err_len);
    if (rc)
        return rc;
    rc = run_query(sh, r, &t, q, hits, cap, n, info, err, err_len);
    sh_reader_give(sh, r);
    return rc;
}

int sh_query_doc(sh_index *sh, uint32_t id, const sh_query_options *q, sh_hit *hits,
                 size_t cap, size_t *n, sh_query_info *info, char *err, size_t err_len)
{
    *n = 0;
    info_init(info);
    int rc = check_options(sh, q, err, err_len);
    if (!rc)
        rc = sh_check_searchable(sh, err, err_len);
    if (rc)
        return rc;
    sh_reader *r;
    rc = sh_reader_take(sh, &r, err, err_len);
    if (rc)
        return rc;
    idx_doc d;
    rc = idx_doc_get(r->rd, id, &d);
    if (rc) {
        rc = sh_fail(err, err_len, rc, rc == SH_ENOTFOUND ? "no document with id %u"
                                                          : "document %u: damaged record",
                     (unsigned)id);
    } else {
        uint8_t sig[SIG_BYTES];
        memset(sig, 0xff, sizeof sig);
        if (d.sig_len == SIG_BYTES)
            memcpy(sig, d.sig, SIG_BYTES);
        query_target t = { d.code, sig, id };
        rc = run_query(sh, r, &t, q, hits, cap, n, info, err, err_len);
    }
    sh_reader_give(sh, r);
    return rc;
}

/* ---- near-duplicate groups ------------------------------------------------------ */

typedef struct {
    sh_index *sh;
    sh_reader *r;
    int radius;
    double threshold;
    uint32_t *parent;      /* union-find over doc ids, [n_parent] */
    uint8_t *paired;       /* [n_parent] 1 if in a verified pair */
    size_t n_parent;
    uint64_t pairs, candidates;
    int rc;
} dup_walk;

static uint32_t uf_find(uint32_t *parent, uint32_t x)
{
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
}

static int uf_grow(dup_walk *w, size_t need)
{
    if (need <= w->n_parent)
        return 0;
    size_t n = w->n_parent ? w->n_parent : 1024;
    while (n < need)
        n *= 2;
    uint32_t *p = realloc(w->parent, n * sizeof *p);
    if (!p)
        return SH_ENOMEM;
    w->parent = p;
    uint8_t *m = realloc(w->paired, n);
    if (!m)
        return SH_ENOMEM;
    w->paired = m;
    for (size_t i = w->n_parent; i < n; i++) {
        p[i] = (uint32_t)i;
        m[i] = 0;
    }
    w->n_parent = n;
    return 0;
}

static int dup_visit(const idx_doc *doc, void *ctx)
{
    dup_walk *w = ctx;
    sh_reader *r = w->r;
    size_t total;
    if (sh_reader_reserve(r, 64))
        return w->rc = SH_ENOMEM;
    int rc = idx_search(r->rd, &doc->code, w->radius, IDX_MODE_AUTO, r->hits, r->cap, &total,
                        NULL);
    if (rc == 0 && total > r->cap) {
        if (sh_reader_reserve(r, total))
            return w->rc = SH_ENOMEM;
        rc = idx_search(r->rd, &doc->code, w->radius, IDX_MODE_AUTO, r->hits, r->cap, &total,
                        NULL);
    }
    if (rc)
        return w->rc = rc;
    for (size_t i = 0; i < total; i++) {
        uint32_t other = r->hits[i].id;
        if (other <= doc->id)
            continue;            /* each pair once, from its smaller id */
        w->candidates++;
        idx_doc d;
        if (idx_doc_get(r->rd, other, &d) != 0)
            return w->rc = SH_EINDEX;
        if (doc->sig_len != SIG_BYTES || d.sig_len != SIG_BYTES ||
            sig_similarity(doc->sig, d.sig) < w->threshold)
            continue;
        if (uf_grow(w, (size_t)other + 1))
            return w->rc = SH_ENOMEM;
        w->pairs++;
        w->paired[doc->id] = w->paired[other] = 1;
        uint32_t a = uf_find(w->parent, doc->id), b = uf_find(w->parent, other);
        if (a != b) {
            if (a < b)
                w->parent[b] = a;
            else
                w->parent[a] = b;
        }
    }
    return 0;
}

typedef struct {
    uint32_t root, id;
} member;

static int by_root(const void *a, const void *b)
{
    const member *x = a, *y = b;
    if (x->root != y->root)
        return x->root < y->root ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

typedef struct {
    size_t start, size;
    uint32_t first;
} group_ref;

static int by_size(const void *a, const void *b)
{
    const group_ref *x = a, *y = b;
    if (x->size != y->size)
        return x->size > y->size ? -1 : 1;
    return x->first < y->first ? -1 : x->first > y->first;
}

/* Turns the union-find into out's arrays. SH_ENOMEM. */
static int collect_groups(dup_walk *w, sh_dup_groups *out)
{
    size_t n = 0;
    for (size_t i = 0; i < w->n_parent; i++)
        n += w->paired[i];
    member *m = malloc((n ? n : 1) * sizeof *m);
    group_ref *g = malloc((n ? n : 1) * sizeof *g);
    out->ids = malloc((n ? n : 1) * sizeof *out->ids);
    out->start = malloc((n + 1) * sizeof *out->start);
    int rc = SH_ENOMEM;
    if (!m || !g || !out->ids || !out->start)
        goto done;
    size_t k = 0;
    for (size_t i = 0; i < w->n_parent; i++)
        if (w->paired[i])
            m[k++] = (member){ uf_find(w->parent, (uint32_t)i), (uint32_t)i };
    qsort(m, n, sizeof *m, by_root);
    size_t n_groups = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || m[i].root != m[i - 1].root)
            g[n_groups++] = (group_ref){ i, 0, m[i].id };
        g[n_groups - 1].size++;
    }
    qsort(g, n_groups, sizeof *g, by_size);
    size_t pos = 0;
    for (size_t i = 0; i < n_groups; i++) {
        out->start[i] = pos;
        for (size_t j = 0; j < g[i].size; j++)
            out->ids[pos++] = m[g[i].start + j].id;
    }
    out->start[n_groups] = pos;
    out->n_groups = n_groups;
    rc = 0;
done:
    free(m);
    free(g);
    return rc;
}

int sh_dups(sh_index *sh, int radius, double min_similarity, sh_dup_groups *out, char *err,
            size_t err_len)
{
    memset(out, 0, sizeof *out);
    int rc = sh_check_searchable(sh, err, err_len);
    if (rc)
        return rc;
    if (radius < 0 || radius > sh->bits)
        return sh_fail(err, err_len, SH_EINVAL,
                       "radius %d is outside 0..%d (the code width of this index)", radius,
                       sh->bits);
    if (!(min_similarity >= 0.0 && min_similarity <= 1.0))
        return sh_fail(err, err_len, SH_EINVAL, "similarity threshold %g is outside [0, 1]",
                       min_similarity);
    dup_walk w;
    memset(&w, 0, sizeof w);
    w.sh = sh;
    w.radius = radius;
    w.threshold = min_similarity > 0 ? min_similarity : SH_DEFAULT_SIMILARITY;
    rc = sh_reader_take(sh, &w.r, err, err_len);
    if (rc)
        return rc;
    rc = idx_docs_foreach(w.r->rd, dup_visit, &w);
    if (rc == 0)
        rc = collect_groups(&w, out);
    sh_reader_give(sh, w.r);
    free(w.parent);
    free(w.paired);
    if (rc) {
        sh_dup_groups_free(out);
        return sh_fail(err, err_len, rc, "index %s: near-duplicate walk failed: %s",
                       sh->ix->path, sh_strerror(rc));
    }
    out->pairs = w.pairs;
    out->candidates = w.candidates;
    return 0;
}

void sh_dup_groups_free(sh_dup_groups *g)
{
    if (!g)
        return;
    free(g->start);
    free(g->ids);
    memset(g, 0, sizeof *g);
}
