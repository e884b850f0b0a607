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

    utf8proc_int32_t *cps;          /* normalisation buffer, cps_cap entries */
    size_t cps_cap;
    char *token;                    /* one normalised token, token_cap bytes */
    size_t token_cap;

    text_token_fn fn;
    void *user;
    int status;                     /* first error of this document */
    text_email_filter email;
};

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
    if (tok->run == NULL || tok->cps == NULL || tok->token == NULL)
        goto nomem;
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
    free(tok->token);
    free(tok);
}

const sh_text_config *text_tokenizer_config(const text_tokenizer *tok)
{
    return &tok->cfg;
}

/* ---- character classes ---------------------------------------------------- */

enum { CLASS_SEPARATOR, CLASS_WORD, CLASS_IGNORED };

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
    case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
        return CLASS_WORD;
    case UTF8PROC_CATEGORY_CF:
        return CLASS_IGNORED;
    default:
        return CLASS_SEPARATOR;
    }
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

/* Filters one normalised token and delivers it. */
static void emit_token(text_tokenizer *tok, const char *bytes, size_t len,
                       size_t n_cps, int digits_only)
{
    const sh_text_config *cfg = &tok->cfg;
    if (n_cps < (size_t)cfg->min_token_len || n_cps > (size_t)cfg->max_token_len)
        return;
    if (digits_only && !cfg->numbers)
        return;
    if (cfg->stop_words && text_is_stopword(bytes, len))
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

/* Normalises a non-ASCII run and emits the tokens it splits into. */
static void emit_unicode_run(text_tokenizer *tok)
{
    utf8proc_ssize_t n = utf8proc_decompose((const utf8proc_uint8_t *)tok->run,
                                            (utf8proc_ssize_t)tok->run_len, tok->cps,
                                            (utf8proc_ssize_t)tok->cps_cap, NORM_OPTIONS);
    if (n < 0 || (size_t)n > tok->cps_cap)
        return; /* pathological expansion: drop, as an overlong run */
    n = utf8proc_normalize_utf32(tok->cps, n, NORM_OPTIONS);
    if (n < 0)
        return;
    utf8proc_ssize_t i = 0;
    while (i < n && tok->status == 0) {
        while (i < n && char_class(tok->cps[i]) != CLASS_WORD)
            i++;
        size_t len = 0, count = 0;
        int digits_only = 1;
        while (i < n && char_class(tok->cps[i]) == CLASS_WORD) {
            digits_only &= is_number(tok->cps[i]);
            len += (size_t)utf8proc_encode_char(tok->cps[i], (utf8proc_uint8_t *)tok->token + len);
            count++;
            i++;
        }
        if (count > 0)
            emit_token(tok, tok->token, len, count, digits_only);
    }
}

static void end_run(text_tokenizer *tok)
{
    if (tok->run_cps == 0)
        return;
    if (tok->run_cps <= tok->run_cap_cps) {
        if (tok->run_ascii) {
            int digits_only = 1;
            for (size_t i = 0; i < tok->run_len; i++) {
                char c = tok->run[i];
                digits_only &= c >= '0' && c <= '9';
                tok->token[i] = (c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c;
            }
            emit_token(tok, tok->token, tok->run_len, tok->run_len, digits_only);
        } else {
            emit_unicode_run(tok);
        }
    }
    tok->run_len = 0;
    tok->run_cps = 0;
    tok->run_ascii = 1;
}

/* Scans n bytes of text; runs may continue across calls. The caller
 * guarantees that pieces end on character boundaries (a truncated
 * sequence at the end of a piece is invalid). Returns tok->status. */
static int scan(text_tokenizer *tok, const char *text, size_t n)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t pos = 0;
    while (pos < n && tok->status == 0) {
        utf8proc_int32_t cp;
        size_t used = utf8_decode(s + pos, n - pos, &cp);
        int cls = char_class(cp);
        if (cls == CLASS_WORD) {
            tok->run_cps++;
            if (tok->run_cps <= tok->run_cap_cps) {
                memcpy(tok->run + tok->run_len, s + pos, used);
                tok->run_len += used;
                tok->run_ascii &= cp < 0x80;
            }
        } else if (cls == CLASS_SEPARATOR) {
            end_run(tok);
        }
        pos += used;
    }
    return tok->status;
}

static int scan_sink(void *sink, const char *bytes, size_t n)
{
    return scan(sink, bytes, n);
}

int text_tokenize(text_tokenizer *tok, const char *text, size_t len,
                  text_token_fn fn, void *user)
{
    if (len > 0 && memchr(text, '\0', len) != NULL)
        return SH_EINPUT;
    tok->fn = fn;
    tok->user = user;
    tok->status = 0;
    tok->run_len = 0;
    tok->run_cps = 0;
    tok->run_ascii = 1;
    if (tok->cfg.email && text_email_looks_like_mail(text, len)) {
        text_email_begin(&tok->email, scan_sink, tok);
        if (text_email_feed(&tok->email, text, len) == 0)
            text_email_end(&tok->email);
    } else {
        scan(tok, text, len);
    }
    if (tok->status == 0)
        end_run(tok);
    return tok->status;
}
