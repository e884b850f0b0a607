/* text_tokenize.c — streaming UTF-8 scanner, per-run normalisation,
 * token filters and stemming. See text_tokenize.h for the rules. */
#include "text_tokenize.h"
#include "text_email.h"
#include "text_stopwords.h"
#include "sh_error.h"

#include <libstemmer.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#include <xxhash.h>

#define NORM_OPTIONS (UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT | \
                      UTF8PROC_CASEFOLD | UTF8PROC_IGNORE)

struct text_tokenizer {
    sh_text_config cfg;
    struct sb_stemmer *stemmer;     /* NULL unless cfg.stemming */

    /* the raw run being collected (valid UTF-8 of word characters) */
    char *run;                      /* run_cap bytes */
    size_t run_len, run_cap;
    size_t run_cps, run_cap_cps;    /* code points seen / kept at most */
    int run_ascii;
    int run_cjk;                    /* the run is ideographs/kana: emitted as bigrams */
    int cjk_continued;              /* the run's first character ended the previous piece */
    size_t cjk_tail_off, cjk_tail_cps; /* where the run's last CJK character starts */

    utf8proc_int32_t *cps;          /* normalisation buffer, cps_cap entries */
    size_t *starts;                 /* character starts in cps, cps_cap + 1 entries */
    size_t cps_cap;
    char *token;                    /* one normalised token, token_cap bytes */
    size_t token_cap;

    unsigned char byte_class[256]; /* BYTE_SEPARATOR, BYTE_WORD or BYTE_OTHER */

    text_token_fn fn;
    void *user;
    int status;                     /* first error of this document */
    text_email_filter email;

    /* text_tokenizer_capture: the start of the mail filter's output */
    char capture[TEXT_CAPTURE_MAX];
    size_t capture_cap, capture_len;
    int filtered;                   /* the last text went through the filter */
};

/* What a byte starts, for the scanner's fast path: an ASCII separator, an
 * ASCII word character (letter or digit), or anything else (a UTF-8 lead
 * or continuation byte: the general path). */
enum { BYTE_SEPARATOR, BYTE_WORD, BYTE_OTHER };

static void fill_byte_classes(unsigned char *cls)
{
    for (int c = 0; c < 256; c++) {
        if (c >= 0x80)
            cls[c] = BYTE_OTHER;
        else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
            cls[c] = BYTE_WORD;
        else
            cls[c] = BYTE_SEPARATOR;
    }
}

int text_tokenizer_new(const sh_text_config *cfg, text_tokenizer **out,
                       char *err, size_t err_len)
{
    if (cfg->min_token_len < 1 || cfg->min_token_len > 100)
        return sh_fail(err, err_len, SH_ECONFIG,
                       "text.min_token_len = %d: must be 1..100", cfg->min_token_len);
    if (cfg->max_token_len < cfg->min_token_len || cfg->max_token_len > 1000)
        return sh_fail(err, err_len, SH_ECONFIG,
                       "text.max_token_len = %d: must be min_token_len (%d)..1000",
                       cfg->max_token_len, cfg->min_token_len);
    text_tokenizer *tok = calloc(1, sizeof(*tok));
    if (tok == NULL)
        goto nomem;
    tok->cfg = *cfg;
    tok->run_cap_cps = 4 * (size_t)cfg->max_token_len + 8;
    tok->run_cap = 4 * tok->run_cap_cps;
    tok->cps_cap = 4 * tok->run_cap_cps + 64;
    tok->token_cap = 4 * tok->cps_cap;
    tok->run = malloc(tok->run_cap);
    tok->cps = malloc(tok->cps_cap * sizeof(*tok->cps));
    tok->token = malloc(tok->token_cap);
    tok->starts = malloc((tok->cps_cap + 1) * sizeof(*tok->starts));
    if (tok->run == NULL || tok->cps == NULL || tok->token == NULL || tok->starts == NULL)
        goto nomem;
    fill_byte_classes(tok->byte_class);
    if (cfg->stemming) {
        tok->stemmer = sb_stemmer_new("english", "UTF_8");
        if (tok->stemmer == NULL)
            goto nomem;
    }
    *out = tok;
    return 0;
nomem:
    text_tokenizer_free(tok);
    return sh_fail(err, err_len, SH_ENOMEM, "out of memory creating the tokenizer");
}

void text_tokenizer_free(text_tokenizer *tok)
{
    if (tok == NULL)
        return;
    if (tok->stemmer != NULL)
        sb_stemmer_delete(tok->stemmer);
    free(tok->run);
    free(tok->cps);
    free(tok->starts);
    free(tok->token);
    free(tok);
}

const sh_text_config *text_tokenizer_config(const text_tokenizer *tok)
{
    return &tok->cfg;
}

/* ---- character classes ---------------------------------------------------- */

/* WORD, MARK and CJK characters make up tokens: MARK (combining marks)
 * continues whatever run it follows; CJK (ideographs and kana) forms runs
 * of its own, emitted as overlapping bigrams. */
enum { CLASS_SEPARATOR, CLASS_WORD, CLASS_MARK, CLASS_CJK, CLASS_IGNORED };

static int is_cjk(utf8proc_int32_t cp)
{
    return (cp >= 0x3040 && cp <= 0x30FF) ||   /* hiragana, katakana */
           (cp >= 0x31F0 && cp <= 0x31FF) ||   /* katakana extensions */
           (cp >= 0x3400 && cp <= 0x4DBF) ||   /* CJK extension A */
           (cp >= 0x4E00 && cp <= 0x9FFF) ||   /* CJK unified ideographs */
           (cp >= 0xF900 && cp <= 0xFAFF) ||   /* compatibility ideographs */
           (cp >= 0xFF66 && cp <= 0xFF9D) ||   /* half-width katakana */
           (cp >= 0x20000 && cp <= 0x3FFFF) || /* supplementary ideographs */
           cp == 0x3005;                       /* iteration mark */
}

static int char_class(utf8proc_int32_t cp)
{
    if (cp < 0x80) {
        if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9'))
            return CLASS_WORD;
        return CLASS_SEPARATOR;
    }
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
        return is_cjk(cp) ? CLASS_CJK : CLASS_WORD;
    case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
        return CLASS_WORD;
    case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
        return CLASS_MARK;
    case UTF8PROC_CATEGORY_CF:
        return CLASS_IGNORED;
    default:
        return CLASS_SEPARATOR;
    }
}

static int in_token(int cls)
{
    return cls == CLASS_WORD || cls == CLASS_MARK || cls == CLASS_CJK;
}

static int is_number(utf8proc_int32_t cp)
{
    if (cp < 0x80)
        return cp >= '0' && cp <= '9';
    utf8proc_category_t c = utf8proc_category(cp);
    return c == UTF8PROC_CATEGORY_ND || c == UTF8PROC_CATEGORY_NL || c == UTF8PROC_CATEGORY_NO;
}

/* Decodes one UTF-8 character from s (n > 0 bytes). Returns the bytes
 * consumed (>= 1); invalid or truncated sequences give U+FFFD and consume
 * their maximal valid prefix (at least one byte). */
static size_t utf8_decode(const unsigned char *s, size_t n, utf8proc_int32_t *cp)
{
    unsigned c = s[0];
    size_t need;
    utf8proc_int32_t v, min;
    if (c < 0x80) {
        *cp = (utf8proc_int32_t)c;
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        need = 2, v = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3, v = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4, v = c & 0x07, min = 0x10000;
    } else {
        *cp = 0xFFFD;
        return 1;
    }
    for (size_t i = 1; i < need; i++) {
        if (i >= n || (s[i] & 0xC0) != 0x80) {
            *cp = 0xFFFD;
            return i;
        }
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        v = 0xFFFD;
    *cp = v;
    return need;
}

/* ---- tokens ------------------------------------------------------------------ */

/* Filters one normalised token and delivers it. key is the token packed
 * for text_is_stopword_key when the caller built it (ASCII tokens of at
 * most 16 bytes), else NULL. */
static void emit_token(text_tokenizer *tok, const char *bytes, size_t len,
                       size_t n_cps, int digits_only, const uint64_t *key)
{
    const sh_text_config *cfg = &tok->cfg;
    if (n_cps < (size_t)cfg->min_token_len || n_cps > (size_t)cfg->max_token_len)
        return;
    if (digits_only && !cfg->numbers)
        return;
    if (cfg->stop_words &&
        (key ? text_is_stopword_key(key, len) : text_is_stopword(bytes, len)))
        return;
    if (tok->stemmer != NULL) {
        const sb_symbol *stem = sb_stemmer_stem(tok->stemmer, (const sb_symbol *)bytes, (int)len);
        if (stem == NULL) {
            tok->status = SH_ENOMEM;
            return;
        }
        bytes = (const char *)stem;
        len = (size_t)sb_stemmer_length(tok->stemmer);
        if (len == 0)
            return;
    }
    if (tok->fn(bytes, len, tok->user) != 0)
        tok->status = SH_ECANCEL;
}

/* Normalises the raw run into tok->cps. Returns the number of code
 * points, or -1 for a pathological expansion (the run is then dropped,
 * as an overlong one is). */
static utf8proc_ssize_t normalise_run(text_tokenizer *tok)
{
    utf8proc_ssize_t n = utf8proc_decompose((const utf8proc_uint8_t *)tok->run,
                                            (utf8proc_ssize_t)tok->run_len, tok->cps,
                                            (utf8proc_ssize_t)tok->cps_cap, NORM_OPTIONS);
    if (n < 0 || (size_t)n > tok->cps_cap)
        return -1;
    return utf8proc_normalize_utf32(tok->cps, n, NORM_OPTIONS);
}

/* Encodes cps[from, to) into tok->token; returns the byte length. */
static size_t encode_cps(text_tokenizer *tok, size_t from, size_t to)
{
    size_t len = 0;
    for (size_t i = from; i < to; i++)
        len += (size_t)utf8proc_encode_char(tok->cps[i], (utf8proc_uint8_t *)tok->token + len);
    return len;
}

/* Normalises a non-ASCII, non-CJK run and emits the tokens it splits
 * into. */
static void emit_unicode_run(text_tokenizer *tok)
{
    utf8proc_ssize_t n = normalise_run(tok);
    utf8proc_ssize_t i = 0;
    while (i < n && tok->status == 0) {
        while (i < n && !in_token(char_class(tok->cps[i])))
            i++;
        utf8proc_ssize_t start = i;
        int digits_only = 1;
        while (i < n && in_token(char_class(tok->cps[i]))) {
            digits_only &= is_number(tok->cps[i]);
            i++;
        }
        if (i > start)
            emit_token(tok, tok->token, encode_cps(tok, (size_t)start, (size_t)i),
                       (size_t)(i - start), digits_only, NULL);
    }
}

/* Emits a piece of a CJK run as overlapping bigrams of characters (a
 * character is a base code point with its combining marks). A piece of one
 * character is a unigram, unless it only repeats the end of the previous
 * piece. */
static void emit_cjk_piece(text_tokenizer *tok)
{
    utf8proc_ssize_t n = normalise_run(tok);
    if (n <= 0)
        return;
    size_t chars = 0;
    for (utf8proc_ssize_t i = 0; i < n; i++)
        if (i == 0 || char_class(tok->cps[i]) != CLASS_MARK)
            tok->starts[chars++] = (size_t)i;
    tok->starts[chars] = (size_t)n;
    if (chars == 1 && !tok->cjk_continued)
        emit_token(tok, tok->token, encode_cps(tok, 0, (size_t)n), (size_t)n, 0, NULL);
    for (size_t c = 0; c + 1 < chars && tok->status == 0; c++) {
        size_t from = tok->starts[c], to = tok->starts[c + 2];
        emit_token(tok, tok->token, encode_cps(tok, from, to), to - from, 0, NULL);
    }
}

/* Delivers an ASCII word (k bytes at s, letters and digits): lowercased
 * into tok->token, packed for the stop-word lookup on the way. */
static void emit_ascii_word(text_tokenizer *tok, const unsigned char *s, size_t k)
{
    if (k > tok->run_cap_cps)
        return; /* overlong: dropped, as end_run drops it */
    int digits_only = 1;
    uint64_t low = 0, high = 0; /* the key's two words, kept in registers */
    for (size_t i = 0; i < k; i++) {
        unsigned char c = s[i];
        digits_only &= (unsigned)(c - '0') < 10u;
        c = (unsigned char)((unsigned)(c - 'A') < 26u ? c + ('a' - 'A') : c);
        tok->token[i] = (char)c;
        if (i < 8)
            low |= (uint64_t)c << (8 * i);
        else if (i < 16)
            high |= (uint64_t)c << (8 * (i - 8));
    }
    uint64_t key[2] = { low, high };
    emit_token(tok, tok->token, k, k, digits_only, k <= 16 ? key : NULL);
}

/* An empty run. */
static void reset_run(text_tokenizer *tok)
{
    tok->run_len = 0;
    tok->run_cps = 0;
    tok->run_ascii = 1;
    tok->run_cjk = 0;
    tok->cjk_continued = 0;
}

static void end_run(text_tokenizer *tok)
{
    if (tok->run_cps == 0)
        return;
    if (tok->run_cps <= tok->run_cap_cps) {
        if (tok->run_cjk) {
            emit_cjk_piece(tok);
        } else if (tok->run_ascii) {
            emit_ascii_word(tok, (const unsigned char *)tok->run, tok->run_len);
        } else {
            emit_unicode_run(tok);
        }
    }
    reset_run(tok);
}

/* A CJK run reached the buffer's size: emit what it holds and keep its
 * last character, so that the bigram across the cut is not lost. */
static void flush_cjk_piece(text_tokenizer *tok)
{
    emit_cjk_piece(tok);
    memmove(tok->run, tok->run + tok->cjk_tail_off, tok->run_len - tok->cjk_tail_off);
    tok->run_len -= tok->cjk_tail_off;
    tok->run_cps -= tok->cjk_tail_cps;
    tok->cjk_tail_off = 0;
    tok->cjk_tail_cps = 0;
    tok->cjk_continued = 1;
}

/* The ASCII word characters at s[0..n) (at least one): continues the
 * current run, or, when they form a run of their own (nothing collected
 * before, an ASCII separator after), emits them at once. Returns the
 * bytes consumed. */
static size_t scan_ascii_word(text_tokenizer *tok, const unsigned char *s, size_t n)
{
    size_t k = 1;
    while (k < n && tok->byte_class[s[k]] == BYTE_WORD)
        k++;
    if (tok->run_cps > 0 && tok->run_cjk)
        end_run(tok);
    if (tok->run_cps == 0 && k < n && s[k] < 0x80) {
        emit_ascii_word(tok, s, k);
        return k + 1; /* the separator ends nothing more */
    }
    if (tok->run_cps == 0)
        tok->run_cjk = 0;
    if (tok->run_cps < tok->run_cap_cps) {
        size_t room = tok->run_cap_cps - tok->run_cps;
        size_t take = k < room ? k : room;
        memcpy(tok->run + tok->run_len, s, take);
        tok->run_len += take;
    }
    tok->run_cps += k;
    return k;
}

/* One character of any kind (the general path). Returns the bytes
 * consumed. */
static size_t scan_char(text_tokenizer *tok, const unsigned char *s, size_t n)
{
    utf8proc_int32_t cp;
    size_t used = utf8_decode(s, n, &cp);
    int cls = char_class(cp);
    if (in_token(cls)) {
        if (cls != CLASS_MARK) {
            int cjk = cls == CLASS_CJK;
            if (tok->run_cps > 0 && cjk != tok->run_cjk)
                end_run(tok);
            if (tok->run_cps == 0)
                tok->run_cjk = cjk;
            if (cjk) {
                if (tok->run_cps >= tok->run_cap_cps)
                    flush_cjk_piece(tok);
                tok->cjk_tail_off = tok->run_len;
                tok->cjk_tail_cps = tok->run_cps;
            }
        }
        tok->run_cps++;
        if (tok->run_cps <= tok->run_cap_cps) {
            memcpy(tok->run + tok->run_len, s, used);
            tok->run_len += used;
            tok->run_ascii &= cp < 0x80;
        }
    } else if (cls == CLASS_SEPARATOR) {
        end_run(tok);
    }
    return used;
}

/* Scans n bytes of text; runs may continue across calls. The caller
 * guarantees that pieces end on character boundaries (a truncated
 * sequence at the end of a piece is invalid). ASCII takes a fast path
 * that gives exactly what scan_char would; every other character goes
 * through scan_char. Returns tok->status. */
static int scan(text_tokenizer *tok, const char *text, size_t n)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t pos = 0;
    const unsigned char *cls = tok->byte_class;
    while (pos < n && tok->status == 0) {
        switch (cls[s[pos]]) {
        case BYTE_WORD:
            pos += scan_ascii_word(tok, s + pos, n - pos);
            break;
        case BYTE_SEPARATOR:
            end_run(tok);
            do
                pos++;
            while (pos < n && cls[s[pos]] == BYTE_SEPARATOR);
            break;
        default:
            pos += scan_char(tok, s + pos, n - pos);
            break;
        }
    }
    return tok->status;
}

static int scan_sink(void *sink, const char *bytes, size_t n)
{
    text_tokenizer *tok = sink;
    if (tok->capture_len < tok->capture_cap && !text_email_piece_is_header(&tok->email)) {
        size_t room = tok->capture_cap - tok->capture_len;
        size_t take = n < room ? n : room;
        memcpy(tok->capture + tok->capture_len, bytes, take);
        tok->capture_len += take;
    }
    return scan(tok, bytes, n);
}

void text_tokenizer_capture(text_tokenizer *tok, size_t cap)
{
    tok->capture_cap = cap < TEXT_CAPTURE_MAX ? cap : TEXT_CAPTURE_MAX;
}

const char *text_tokenizer_captured(const text_tokenizer *tok, size_t *len)
{
    if (!tok->filtered || tok->capture_cap == 0)
        return NULL;
    *len = tok->capture_len;
    return tok->capture;
}

int text_tokenize(text_tokenizer *tok, const char *text, size_t len,
                  text_token_fn fn, void *user)
{
    if (len > 0 && memchr(text, '\0', len) != NULL)
        return SH_EINPUT;
    tok->fn = fn;
    tok->user = user;
    tok->status = 0;
    tok->capture_len = 0;
    tok->filtered = 0;
    reset_run(tok);
    if (tok->cfg.email && text_email_looks_like_mail(text, len)) {
        tok->filtered = 1;
        text_email_begin(&tok->email, scan_sink, tok);
        text_email_keep_all_headers(&tok->email, tok->cfg.email_headers == SH_EMAIL_ALL_HEADERS);
        if (text_email_feed(&tok->email, text, len) == 0)
            text_email_end(&tok->email);
    } else {
        scan(tok, text, len);
    }
    if (tok->status == 0)
        end_run(tok);
    return tok->status;
}

static int chain_token(const char *token, size_t len, void *user)
{
    uint64_t *h = user;
    *h = XXH64(token, len, *h);
    return 0;
}

int text_digest(text_tokenizer *tok, const char *text, size_t len, uint64_t *digest)
{
    uint64_t h = 0;
    int rc = text_tokenize(tok, text, len, chain_token, &h);
    if (rc == 0)
        *digest = h;
    return rc;
}
