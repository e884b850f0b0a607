/* corp_neardup.c — edited copies for near-duplicate tests; see
 * corp_neardup.h for the exact definition of the edits. */
#include "corp_neardup.h"

#include "sh_error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { EDIT_KEEP = 0, EDIT_DELETE, EDIT_SUBSTITUTE, EDIT_INSERT };
enum { CASE_KEEP = 0, CASE_UPPER, CASE_LOWER, CASE_CAPITAL };

#define DUP_SUBSTITUTE_TRIES 16

/* One word of the copy with the whitespace before it. */
typedef struct {
    const char *sep;
    size_t sep_len;
    const char *word;
    size_t word_len;
    unsigned char recase;
} dup_item;

static int dup_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int dup_letter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int dup_alnum(char c)
{
    return dup_letter(c) || (c >= '0' && c <= '9');
}

/* ---- the word pool -------------------------------------------------------- */

int corp_pool_add_text(corp_word_pool *pool, const char *text, size_t len)
{
    size_t i = 0;
    while (i < len) {
        while (i < len && dup_space(text[i]))
            i++;
        size_t a = i;
        while (i < len && !dup_space(text[i]))
            i++;
        size_t b = i;
        while (a < b && !dup_alnum(text[a]))
            a++;
        while (b > a && !dup_alnum(text[b - 1]))
            b--;
        if (b - a < 2 || b - a > 24)
            continue;
        int letters = 1;
        for (size_t k = a; k < b && letters; k++)
            letters = dup_letter(text[k]);
        if (!letters)
            continue;
        if (pool->count + 2 > pool->cap) {
            size_t cap = pool->cap ? 2 * pool->cap : 1024;
            size_t *grown = realloc(pool->start, cap * sizeof *grown);
            if (!grown)
                return SH_ENOMEM;
            pool->start = grown;
            pool->cap = cap;
        }
        size_t at = pool->letters.len;
        if (corp_buf_append(&pool->letters, text + a, b - a) != 0)
            return SH_ENOMEM;
        for (size_t k = at; k < pool->letters.len; k++)
            if (pool->letters.data[k] <= 'Z')
                pool->letters.data[k] += 'a' - 'A';
        pool->start[pool->count] = at;
        pool->start[++pool->count] = pool->letters.len;
    }
    return 0;
}

void corp_pool_free(corp_word_pool *pool)
{
    if (!pool)
        return;
    corp_buf_free(&pool->letters);
    free(pool->start);
    pool->start = NULL;
    pool->count = pool->cap = 0;
}

static void dup_pool_word(const corp_word_pool *pool, sh_rng *rng, const char **w, size_t *n)
{
    size_t k = (size_t)rng_below(rng, pool->count);
    *w = pool->letters.data + pool->start[k];
    *n = pool->start[k + 1] - pool->start[k];
}

static int dup_same_folded(const char *a, size_t an, const char *b, size_t bn)
{
    if (an != bn)
        return 0;
    for (size_t i = 0; i < an; i++) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z')
            x += 'a' - 'A';
        if (y >= 'A' && y <= 'Z')
            y += 'a' - 'A';
        if (x != y)
            return 0;
    }
    return 1;
}

/* ---- case and sentences --------------------------------------------------- */

static char dup_cased(char c, int upper)
{
    if (upper && c >= 'a' && c <= 'z')
        return (char)(c - ('a' - 'A'));
    if (!upper && c >= 'A' && c <= 'Z')
        return (char)(c + ('a' - 'A'));
    return c;
}

/* The byte at position i of word w under recase mode m. */
static char dup_recase_at(const char *w, size_t i, int m)
{
    switch (m) {
    case CASE_UPPER: return dup_cased(w[i], 1);
    case CASE_LOWER: return dup_cased(w[i], 0);
    case CASE_CAPITAL: {
        size_t first = 0;
        while (first < i && !dup_letter(w[first]))
            first++;
        return dup_cased(w[i], first == i);
    }
    default: return w[i];
    }
}

static int dup_recase_changes(const char *w, size_t n, int m)
{
    for (size_t i = 0; i < n; i++)
        if (dup_recase_at(w, i, m) != w[i])
            return 1;
    return 0;
}

static int dup_ends_sentence(const char *w, size_t n)
{
    while (n > 0 && w[n - 1] && strchr("\"')]", w[n - 1]))
        n--;
    return n > 0 && (w[n - 1] == '.' || w[n - 1] == '!' || w[n - 1] == '?');
}

static int dup_blank_line(const char *s, size_t n)
{
    int newlines = 0;
    for (size_t i = 0; i < n; i++)
        newlines += s[i] == '\n';
    return newlines >= 2;
}

/* Swaps two random sentences of items[0..n) (tmp has room for n). */
static int dup_swap_sentences(dup_item *items, size_t n, dup_item *tmp, sh_rng *rng)
{
    size_t sentences = 0;
    for (size_t k = 0; k < n; k++)
        if (k == 0 || dup_ends_sentence(items[k - 1].word, items[k - 1].word_len) ||
            dup_blank_line(items[k].sep, items[k].sep_len))
            sentences++;
    if (sentences < 2)
        return 0;
    size_t a = (size_t)rng_below(rng, sentences), b = (size_t)rng_below(rng, sentences - 1);
    if (b >= a)
        b++;
    if (a > b) {
        size_t t = a;
        a = b;
        b = t;
    }
    /* Item ranges [sa, ea) and [sb, eb) of sentences a < b. */
    size_t sa = 0, ea = 0, sb = 0, eb = n, s = 0;
    for (size_t k = 0; k < n; k++) {
        if (k == 0 || dup_ends_sentence(items[k - 1].word, items[k - 1].word_len) ||
            dup_blank_line(items[k].sep, items[k].sep_len)) {
            if (s == a)
                sa = k;
            if (s == a + 1)
                ea = k;
            if (s == b)
                sb = k;
            if (s == b + 1)
                eb = k;
            s++;
        }
    }
    size_t len_a = ea - sa, len_mid = sb - ea, len_b = eb - sb;
    memcpy(tmp, items + sb, len_b * sizeof *items);
    memcpy(tmp + len_b, items + ea, len_mid * sizeof *items);
    memcpy(tmp + len_b + len_mid, items + sa, len_a * sizeof *items);
    /* The whitespace before each sentence stays where it was. */
    tmp[0].sep = items[sa].sep;
    tmp[0].sep_len = items[sa].sep_len;
    tmp[len_b + len_mid].sep = items[sb].sep;
    tmp[len_b + len_mid].sep_len = items[sb].sep_len;
    if (len_mid) {
        tmp[len_b].sep = items[ea].sep;
        tmp[len_b].sep_len = items[ea].sep_len;
    }
    memcpy(items + sa, tmp, (eb - sa) * sizeof *items);
    return 1;
}

/* ---- editing -------------------------------------------------------------- */

size_t corp_mail_body(const char *text, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++) {
        if (text[i] != '\n')
            continue;
        if (text[i + 1] == '\n')
            return i + 2;
        if (text[i + 1] == '\r' && i + 2 < len && text[i + 2] == '\n')
            return i + 3;
    }
    return 0;
}

int corp_edit_text(const char *text, size_t len, const corp_edit_opts *opts,
                   const corp_word_pool *pool, sh_rng *rng, corp_buf *out,
                   corp_edit_stats *stats)
{
    if (!(opts->rate >= 0.0 && opts->rate <= 1.0))
        return SH_EINVAL;
    corp_edit_stats st;
    memset(&st, 0, sizeof st);
    size_t body = opts->mail ? corp_mail_body(text, len) : 0;
    if (corp_buf_append(out, text, body) != 0)
        return SH_ENOMEM;

    /* Words of the body: count, then locate. */
    size_t W = 0;
    for (size_t i = body; i < len; i++)
        if (!dup_space(text[i]) && (i == body || dup_space(text[i - 1])))
            W++;
    st.words = W;
    size_t E = 0;
    if (W > 0 && opts->rate > 0) {
        E = (size_t)floor(opts->rate * (double)W + 0.5);
        if (E < 1)
            E = 1;
    }
    if (E > 0 && (!pool || pool->count == 0))
        return SH_EEMPTY;

    int rc = SH_ENOMEM;
    dup_item *words = malloc((W + 1) * sizeof *words);      /* the original's */
    dup_item *items = malloc((2 * W + 1) * sizeof *items);  /* the copy's */
    dup_item *tmp = malloc((2 * W + 1) * sizeof *tmp);
    uint32_t *order = malloc((W + 1) * sizeof *order);
    unsigned char *action = calloc(W + 1, 1);
    unsigned char *recase = calloc(W + 1, 1);
    const char **new_sep = calloc(W + 1, sizeof *new_sep);
    if (!words || !items || !tmp || !order || !action || !recase || !new_sep)
        goto fail;

    size_t i = body, k = 0;
    while (k < W) {
        size_t sep = i;
        while (dup_space(text[i]))
            i++;
        size_t w = i;
        while (i < len && !dup_space(text[i]))
            i++;
        words[k] = (dup_item){ text + sep, w - sep, text + w, i - w, CASE_KEEP };
        k++;
    }
    const char *trail = text + i;
    size_t trail_len = len - i;

    /* 1. Word edits on E distinct positions; order[E..] stays untouched. */
    for (size_t p = 0; p < W; p++)
        order[p] = (uint32_t)p;
    size_t R = opts->cosmetic ? (size_t)floor((double)E / 4.0 + 0.5) : 0;
    if (R > W - E)
        R = W - E;
    for (size_t p = 0; p < E + R; p++) {
        size_t q = p + (size_t)rng_below(rng, W - p);
        uint32_t t = order[p];
        order[p] = order[q];
        order[q] = t;
    }
    for (size_t p = 0; p < E; p++)
        action[order[p]] = (unsigned char)(EDIT_DELETE + rng_below(rng, 3));

    /* 2. Cosmetic: case of R untouched words, whitespace of S gaps. */
    for (size_t p = E; p < E + R; p++) {
        const dup_item *wd = &words[order[p]];
        int first = 1 + (int)rng_below(rng, 3);
        for (int m = 0; m < 3; m++) {
            int mode = 1 + (first - 1 + m) % 3;
            if (dup_recase_changes(wd->word, wd->word_len, mode)) {
                recase[order[p]] = (unsigned char)mode;
                st.recased++;
                break;
            }
        }
    }
    size_t S = R;
    if (W < 2 || S > (W - 1) / 2)
        S = W < 2 ? 0 : (W - 1) / 2;
    for (size_t done = 0; done < S;) {
        size_t gap = 1 + (size_t)rng_below(rng, W - 1);
        if (new_sep[gap])
            continue;
        const dup_item *wd = &words[gap];
        if (memchr(wd->sep, '\n', wd->sep_len))
            new_sep[gap] = " ";
        else {
            static const char *const spaces[] = { "  ", "\n", "\t" };
            new_sep[gap] = spaces[rng_below(rng, 3)];
        }
        st.respaced++;
        done++;
    }

    /* The copy's items. */
    size_t n = 0;
    for (size_t p = 0; p < W; p++) {
        dup_item it = words[p];
        if (new_sep[p]) {
            it.sep = new_sep[p];
            it.sep_len = strlen(new_sep[p]);
        }
        it.recase = recase[p];
        switch (action[p]) {
        case EDIT_DELETE:
            st.deleted++;
            continue;
        case EDIT_SUBSTITUTE: {
            int tries = 0;
            do
                dup_pool_word(pool, rng, &it.word, &it.word_len);
            while (dup_same_folded(it.word, it.word_len, words[p].word, words[p].word_len) &&
                   ++tries < DUP_SUBSTITUTE_TRIES);
            if (tries == DUP_SUBSTITUTE_TRIES) {
                st.deleted++; /* the pool offers nothing else: delete instead */
                continue;
            }
            st.substituted++;
            break;
        }
        case EDIT_INSERT: {
            dup_item ins = it;
            dup_pool_word(pool, rng, &ins.word, &ins.word_len);
            ins.recase = CASE_KEEP;
            items[n++] = ins;
            it.sep = " ";
            it.sep_len = 1;
            st.inserted++;
            break;
        }
        default:
            break;
        }
        items[n++] = it;
    }
    st.touched = st.deleted + st.substituted + st.inserted;

    /* 3. Two sentences change places. */
    if (opts->swap_sentences)
        st.swapped = dup_swap_sentences(items, n, tmp, rng);

    for (size_t p = 0; p < n; p++) {
        const dup_item *it = &items[p];
        if (corp_buf_append(out, it->sep, it->sep_len) != 0 ||
            corp_buf_reserve(out, it->word_len) != 0)
            goto fail;
        for (size_t c = 0; c < it->word_len; c++)
            out->data[out->len++] = dup_recase_at(it->word, c, it->recase);
        out->data[out->len] = '\0';
    }
    if (corp_buf_append(out, trail, trail_len) != 0)
        goto fail;
    if (stats)
        *stats = st;
    rc = 0;
fail:
    free(words);
    free(items);
    free(tmp);
    free(order);
    free(action);
    free(recase);
    free(new_sep);
    return rc;
}
