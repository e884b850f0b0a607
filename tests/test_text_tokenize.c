/* test_text_tokenize.c — the tokenizer on tricky text, and the stop-word
 * list. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <utf8proc.h>

#include "rng.h"
#include "sh_error.h"
#include "test_text_util.h"
#include "text_email.h"
#include "text_stopwords.h"
#include "text_tokenize.h"

static const char *toks(const char *text)
{
    sh_text_config cfg = tt_text_defaults();
    return tt_tokens_cfg(&cfg, text);
}

START_TEST(plain_english_is_lowercased_and_stop_words_dropped)
{
    ck_assert_str_eq(toks("The QUICK brown Foxes, and the lazy dog!"),
                     "quick|brown|foxes|lazy|dog");
    ck_assert_str_eq(toks("don't stop-believing"), "stop|believing");
}
END_TEST

START_TEST(composed_and_decomposed_accents_give_the_same_tokens)
{
    const char *composed = "Caf\xc3\xa9 cr\xc3\xa8me br\xc3\xbbl\xc3\xa9" "e";
    const char *decomposed = "Cafe\xcc\x81 cre\xcc\x80me bru\xcc\x82le\xcc\x81" "e";
    char a[256];
    snprintf(a, sizeof a, "%s", toks(composed));
    ck_assert_str_eq(a, toks(decomposed));
    ck_assert_str_eq(a, "caf\xc3\xa9|cr\xc3\xa8me|br\xc3\xbbl\xc3\xa9" "e");
    /* case folding of non-ASCII capitals */
    ck_assert_str_eq(toks("CAF\xc3\x89"), "caf\xc3\xa9");
}
END_TEST

START_TEST(full_width_forms_and_ligatures_are_folded)
{
    /* "ＨＥＬＬＯ　ｗｏｒｌｄ１２３" with an ideographic space */
    const char *fw = "\xef\xbc\xa8\xef\xbc\xa5\xef\xbc\xac\xef\xbc\xac\xef\xbc\xaf"
                     "\xe3\x80\x80"
                     "\xef\xbd\x97\xef\xbd\x8f\xef\xbd\x92\xef\xbd\x8c\xef\xbd\x84"
                     "\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93";
    ck_assert_str_eq(toks(fw), "hello|world123");
    /* "ﬁnance" (fi ligature) and "Straße" */
    ck_assert_str_eq(toks("\xef\xac\x81nance Stra\xc3\x9f" "e"), "finance|strasse");
}
END_TEST

START_TEST(cjk_bigrams_and_emoji_separate)
{
    /* 東京 大阪 */
    ck_assert_str_eq(toks("\xe6\x9d\xb1\xe4\xba\xac \xe5\xa4\xa7\xe9\x98\xaa"),
                     "\xe6\x9d\xb1\xe4\xba\xac|\xe5\xa4\xa7\xe9\x98\xaa");
    /* 日本語のテキスト: bigrams across kanji, hiragana and katakana */
    ck_assert_str_eq(toks("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae"
                          "\xe3\x83\x86\xe3\x82\xad\xe3\x82\xb9\xe3\x83\x88"),
                     "\xe6\x97\xa5\xe6\x9c\xac|\xe6\x9c\xac\xe8\xaa\x9e|"
                     "\xe8\xaa\x9e\xe3\x81\xae|\xe3\x81\xae\xe3\x83\x86|"
                     "\xe3\x83\x86\xe3\x82\xad|\xe3\x82\xad\xe3\x82\xb9|"
                     "\xe3\x82\xb9\xe3\x83\x88");
    /* Latin glued to CJK splits at the change of script; a lone ideograph
     * is one character, below min_token_len */
    ck_assert_str_eq(toks("iPhone\xe6\x89\x8b\xe6\x9c\xba \xe4\xba\xba"),
                     "iphone|\xe6\x89\x8b\xe6\x9c\xba");
    /* decomposed か + combining voiced mark composes to が */
    char a[64];
    snprintf(a, sizeof a, "%s", toks("\xe3\x81\x8b\xe3\x82\x99\xe3\x81\x8d"));
    ck_assert_str_eq(a, toks("\xe3\x81\x8c\xe3\x81\x8d"));
    ck_assert_str_eq(a, "\xe3\x81\x8c\xe3\x81\x8d");
    /* half-width katakana ｶﾀｶﾅ folds to full width カタカナ */
    ck_assert_str_eq(toks("\xef\xbd\xb6\xef\xbe\x80\xef\xbd\xb6\xef\xbe\x85"),
                     "\xe3\x82\xab\xe3\x82\xbf|\xe3\x82\xbf\xe3\x82\xab|"
                     "\xe3\x82\xab\xe3\x83\x8a");
    /* "I ❤️ pizza🍕 party" — heart + VS16, pizza emoji glued to a word */
    ck_assert_str_eq(toks("I \xe2\x9d\xa4\xef\xb8\x8f pizza\xf0\x9f\x8d\x95party"),
                     "pizza|party");
    /* soft hyphen (Cf) inside a word is ignored, not a separator */
    ck_assert_str_eq(toks("hy\xc2\xadphen"), "hyphen");
}
END_TEST

START_TEST(invalid_utf8_is_replaced_not_fatal)
{
    ck_assert_str_eq(toks("abc\xff\xfe" "def"), "abc|def");
    ck_assert_str_eq(toks("ab\xe2\x82" "cd"), "ab|cd");      /* truncated sequence */
    ck_assert_str_eq(toks("xy\xc0\xaf" "zw"), "xy|zw");      /* overlong '/' */
    ck_assert_str_eq(toks("pq\xed\xa0\x80" "rs"), "pq|rs");  /* surrogate */
    ck_assert_str_eq(toks("end\xc3"), "end");                /* cut at the end */
}
END_TEST

START_TEST(length_limits_drop_rather_than_split)
{
    char word[40];
    memset(word, 'a', 30);
    word[30] = '\0';
    char text[128];
    snprintf(text, sizeof text, "ok %s x", word);
    ck_assert_str_eq(toks(text), "ok|aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    memset(word, 'b', 31);
    word[31] = '\0';
    snprintf(text, sizeof text, "ok %s yes", word);
    ck_assert_str_eq(toks(text), "ok|yes");
    /* a long non-ASCII run: 40 x 'é' */
    char accents[200] = "go ";
    for (int i = 0; i < 40; i++)
        strcat(accents, "\xc3\xa9");
    strcat(accents, " ok");
    ck_assert_str_eq(toks(accents), "go|ok");
    /* min_token_len counts code points, not bytes: "é" alone is 1 */
    ck_assert_str_eq(toks("\xc3\xa9 \xc3\xa9\xc3\xa9"), "\xc3\xa9\xc3\xa9");
    /* a very long raw run (100 KB) is dropped without harm */
    size_t n = 100000;
    char *big = malloc(n + 8);
    memcpy(big, "ab ", 3);
    memset(big + 3, 'z', n);
    memcpy(big + 3 + n, " cd", 4);
    ck_assert_str_eq(toks(big), "ab|cd");
    free(big);
}
END_TEST

START_TEST(empty_and_stop_word_only_documents_give_no_tokens)
{
    sh_text_config cfg = tt_text_defaults();
    text_tokenizer *tok = NULL;
    ck_assert_int_eq(text_tokenizer_new(&cfg, &tok, NULL, 0), 0);
    int rc = -99;
    ck_assert_str_eq(tt_tokens(tok, "", 0, &rc), "");
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(tt_tokens(tok, "the of and to it is", 19, &rc), "");
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(tt_tokens(tok, " \t\n.,;!", 7, &rc), "");
    text_tokenizer_free(tok);
    cfg.stop_words = 0;
    ck_assert_str_eq(tt_tokens_cfg(&cfg, "the of and to it is"), "the|of|and|to|it|is");
}
END_TEST

START_TEST(numbers_option_and_stemming)
{
    sh_text_config cfg = tt_text_defaults();
    ck_assert_str_eq(tt_tokens_cfg(&cfg, "call 555 1234 today 3d \xef\xbc\x94\xef\xbc\x95"),
                     "call|today|3d");
    cfg.numbers = 1;
    ck_assert_str_eq(tt_tokens_cfg(&cfg, "call 555 1234 today 3d \xef\xbc\x94\xef\xbc\x95"),
                     "call|555|1234|today|3d|45");
    cfg.numbers = 0;
    cfg.stemming = 1;
    ck_assert_str_eq(tt_tokens_cfg(&cfg, "Running runs connected connections generously"),
                     "run|run|connect|connect|generous");
}
END_TEST

START_TEST(binary_documents_are_refused_before_any_token)
{
    sh_text_config cfg = tt_text_defaults();
    text_tokenizer *tok = NULL;
    ck_assert_int_eq(text_tokenizer_new(&cfg, &tok, NULL, 0), 0);
    int rc;
    const char bin[] = "hello world\0binary";
    ck_assert_str_eq(tt_tokens(tok, bin, sizeof bin - 1, &rc), "");
    ck_assert_int_eq(rc, SH_EINPUT);
    text_tokenizer_free(tok);
}
END_TEST

static int stop_after_two(const char *token, size_t len, void *user)
{
    (void)token;
    (void)len;
    int *count = user;
    return ++*count >= 2;
}

START_TEST(callback_can_cancel)
{
    sh_text_config cfg = tt_text_defaults();
    text_tokenizer *tok = NULL;
    ck_assert_int_eq(text_tokenizer_new(&cfg, &tok, NULL, 0), 0);
    int count = 0;
    const char *t = "one two three four";
    ck_assert_int_eq(text_tokenize(tok, t, strlen(t), stop_after_two, &count), SH_ECANCEL);
    ck_assert_int_eq(count, 2);
    text_tokenizer_free(tok);
}
END_TEST

START_TEST(bad_length_options_are_config_errors)
{
    sh_text_config cfg = tt_text_defaults();
    text_tokenizer *tok = NULL;
    char err[128] = "";
    cfg.min_token_len = 0;
    ck_assert_int_eq(text_tokenizer_new(&cfg, &tok, err, sizeof err), SH_ECONFIG);
    ck_assert_ptr_nonnull(strstr(err, "min_token_len"));
    cfg.min_token_len = 5;
    cfg.max_token_len = 4;
    ck_assert_int_eq(text_tokenizer_new(&cfg, &tok, err, sizeof err), SH_ECONFIG);
    ck_assert_ptr_null(tok);
}
END_TEST

START_TEST(stop_word_list_is_sorted_and_searchable)
{
    size_t n = text_stopword_count();
    ck_assert_uint_ge(n, 150);
    ck_assert_uint_le(n, 300);
    for (size_t i = 0; i < n; i++) {
        const char *w = text_stopword_at(i);
        if (i > 0)
            ck_assert_int_lt(strcmp(text_stopword_at(i - 1), w), 0);
        ck_assert(text_is_stopword(w, strlen(w)));
    }
    ck_assert_ptr_null(text_stopword_at(n));
    ck_assert(!text_is_stopword("semantic", 8));
    ck_assert(!text_is_stopword("th", 2));
    ck_assert(text_is_stopword("thereby", 7));
    ck_assert(!text_is_stopword("thereb", 6));
    ck_assert(!text_is_stopword("a\0", 2));       /* padding never matches */
    ck_assert(!text_is_stopword("The", 3));       /* entries are case-folded */
    ck_assert(!text_is_stopword("", 0));
}
END_TEST

/* Linear search of the listed words: the reference for the lookup table. */
static int listed(const char *w, size_t len)
{
    for (size_t i = 0; i < text_stopword_count(); i++) {
        const char *e = text_stopword_at(i);
        if (strlen(e) == len && memcmp(e, w, len) == 0)
            return 1;
    }
    return 0;
}

START_TEST(stop_word_table_agrees_with_the_list)
{
    char w[24];
    for (size_t i = 0; i < text_stopword_count(); i++) {
        const char *e = text_stopword_at(i);
        size_t len = strlen(e);
        ck_assert_uint_le(len, 16);
        /* every prefix, every one-letter extension and change */
        for (size_t k = 0; k <= len; k++)
            ck_assert_int_eq(text_is_stopword(e, k), listed(e, k));
        for (int c = 'a'; c <= 'z'; c++) {
            memcpy(w, e, len);
            w[len] = (char)c;
            ck_assert_int_eq(text_is_stopword(w, len + 1), listed(w, len + 1));
            w[len - 1] = (char)c;
            ck_assert_int_eq(text_is_stopword(w, len), listed(w, len));
        }
    }
    uint64_t x = 88172645463325252ULL;
    for (int i = 0; i < 50000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size_t len = 1 + x % 18;
        for (size_t k = 0; k < len; k++) /* mostly letters common in stop words */
            w[k] = k < 4 ? "aeiost"[(x >> (8 + 3 * k)) % 6] : (char)('a' + (x >> (3 * k)) % 26);
        ck_assert_int_eq(text_is_stopword(w, len), listed(w, len));
    }
}
END_TEST

static int ignore_token(const char *token, size_t len, void *user)
{
    (void)token;
    (void)len;
    (void)user;
    return 0;
}

START_TEST(capture_keeps_the_start_of_a_mails_filtered_text)
{
    static const char mail[] = "From: a@b\nSubject: Hello there\nX-Junk: dropped\n\n"
                               "<p>Body &amp; more body text, long enough to be cut.</p>\n";
    char *plain = NULL;
    size_t plain_len = 0;
    ck_assert_int_eq(text_email_to_plain(mail, strlen(mail), &plain, &plain_len), 0);
    /* the capture is the Subject and body, whichever headers are tokenised */
    for (int headers = 0; headers < 2; headers++) {
        sh_text_config all = tt_text_defaults();
        all.email_headers = (sh_email_headers)headers;
        text_tokenizer *t = NULL;
        ck_assert_int_eq(text_tokenizer_new(&all, &t, NULL, 0), 0);
        const size_t caps[] = { 1, 20, 1000 };
        for (size_t i = 0; i < 3; i++) {
            text_tokenizer_capture(t, caps[i]);
            ck_assert_int_eq(text_tokenize(t, mail, strlen(mail), ignore_token, NULL), 0);
            size_t len = 0;
            const char *kept = text_tokenizer_captured(t, &len);
            ck_assert_ptr_nonnull(kept);
            size_t expect = caps[i] < plain_len ? caps[i] : plain_len;
            ck_assert_uint_eq(len, expect);
            ck_assert(memcmp(kept, plain, len) == 0);
        }
        text_tokenizer_free(t);
    }
    sh_text_config cfg = tt_text_defaults();
    text_tokenizer *tok = NULL;
    ck_assert_int_eq(text_tokenizer_new(&cfg, &tok, NULL, 0), 0);
    size_t len = 99;
    ck_assert_int_eq(text_tokenize(tok, mail, strlen(mail), ignore_token, NULL), 0);
    ck_assert_ptr_null(text_tokenizer_captured(tok, &len)); /* off by default */
    text_tokenizer_capture(tok, 1000);
    /* not a mail, a binary text: nothing kept */
    ck_assert_int_eq(text_tokenize(tok, "just words", 10, ignore_token, NULL), 0);
    ck_assert_ptr_null(text_tokenizer_captured(tok, &len));
    ck_assert_int_eq(text_tokenize(tok, "From: a\n\n\0b", 12, ignore_token, NULL), SH_EINPUT);
    ck_assert_ptr_null(text_tokenizer_captured(tok, &len));
    text_tokenizer_free(tok);
    /* email off: the text is not filtered, nothing kept */
    cfg.email = 0;
    ck_assert_int_eq(text_tokenizer_new(&cfg, &tok, NULL, 0), 0);
    text_tokenizer_capture(tok, 100);
    ck_assert_int_eq(text_tokenize(tok, mail, strlen(mail), ignore_token, NULL), 0);
    ck_assert_ptr_null(text_tokenizer_captured(tok, &len));
    text_tokenizer_free(tok);
    free(plain);
}
END_TEST

START_TEST(long_cjk_runs_keep_every_bigram)
{
    /* 1000 characters cycling 一二三 (far beyond the run buffer): every
     * one of the 999 bigrams comes out, in order, across the cuts. */
    const char *cycle[] = { "\xe4\xb8\x80", "\xe4\xba\x8c", "\xe4\xb8\x89" };
    static char text[3001], expected[8000];
    size_t pos = 0, epos = 0;
    for (int i = 0; i < 1000; i++) {
        memcpy(text + pos, cycle[i % 3], 3);
        pos += 3;
        if (i > 0) {
            if (i > 1)
                expected[epos++] = '|';
            memcpy(expected + epos, cycle[(i - 1) % 3], 3);
            memcpy(expected + epos + 3, cycle[i % 3], 3);
            epos += 6;
        }
    }
    text[pos] = '\0';
    expected[epos] = '\0';
    ck_assert_str_eq(toks(text), expected);
}
END_TEST

START_TEST(digest_ignores_form_but_not_content)
{
    sh_text_config cfg = tt_text_defaults();
    text_tokenizer *tok = NULL;
    ck_assert_int_eq(text_tokenizer_new(&cfg, &tok, NULL, 0), 0);
    const char *same[] = { "Caf\xc3\xa9 society, the BEST!", "cafe\xcc\x81   Society\nbest",
                           "Subject: CAF\xc3\x89\n\n<b>society</b> &amp; best" };
    const char *other[] = { "society cafe best", "best caf\xc3\xa9 society", "caf\xc3\xa9 society" };
    uint64_t first = 0, d = 0;
    ck_assert_int_eq(text_digest(tok, same[0], strlen(same[0]), &first), 0);
    ck_assert_uint_ne(first, 0);
    for (int i = 1; i < 3; i++) {
        ck_assert_int_eq(text_digest(tok, same[i], strlen(same[i]), &d), 0);
        ck_assert_uint_eq(d, first);
    }
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(text_digest(tok, other[i], strlen(other[i]), &d), 0);
        ck_assert_uint_ne(d, first);
    }
    /* token boundaries matter: "ab cd" and "abc d" differ */
    uint64_t d1, d2;
    ck_assert_int_eq(text_digest(tok, "ab cde", 6, &d1), 0);
    ck_assert_int_eq(text_digest(tok, "abc de", 6, &d2), 0);
    ck_assert_uint_ne(d1, d2);
    ck_assert_int_eq(text_digest(tok, "", 0, &d), 0);
    ck_assert_uint_eq(d, 0);
    d = 5;
    ck_assert_int_eq(text_digest(tok, "a\0b", 3, &d), SH_EINPUT);
    ck_assert_uint_eq(d, 5);
    text_tokenizer_free(tok);
}
END_TEST

typedef struct {
    int min_len, max_len;
    size_t tokens;
} token_check;

/* Every token is valid UTF-8, within the length limits, and made of
 * letters, digits and marks only. */
static int check_token(const char *token, size_t len, void *user)
{
    token_check *c = user;
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)token;
    utf8proc_ssize_t pos = 0;
    int count = 0;
    while ((size_t)pos < len) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate(p + pos, (utf8proc_ssize_t)len - pos, &cp);
        ck_assert_int_gt(n, 0);
        utf8proc_category_t cat = utf8proc_category(cp);
        ck_assert_msg((cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_NO),
                      "code point U+%04X (category %d) in a token", (unsigned)cp, (int)cat);
        pos += n;
        count++;
    }
    ck_assert_int_ge(count, c->min_len);
    ck_assert_int_le(count, c->max_len);
    c->tokens++;
    return 0;
}

START_TEST(random_bytes_and_markup_never_break_the_rules)
{
    static const char *pieces[] = {
        "<", ">", "&", "&amp;", "&#", ";", "=", "=3D", "=\n", "-", "--", "\n", "\r\n", " ",
        ":", "Content-Type: text/html\n", "Content-Transfer-Encoding: base64\n",
        "Content-Transfer-Encoding: quoted-printable\n", "<script>", "</script>", "<!--",
        "-->", "word", "W\xc3\xb6rd", "\xe6\x97\xa5\xe6\x9c\xac", "\xcc\x81", "\xff",
        "\xc3", "\xe2\x82", "\xf0\x9f\x8d\x95", "\xef\xbc\xa8", "12345", "\xc2\xad",
        "YWJj", "\t", "--b\n",
    };
    size_t n_pieces = sizeof pieces / sizeof pieces[0];
    sh_rng rng;
    rng_seed(&rng, 2024);
    static char doc[4096];
    for (int numbers = 0; numbers < 2; numbers++) {
        sh_text_config cfg = tt_text_defaults();
        cfg.numbers = numbers;
        cfg.min_token_len = 1 + numbers;
        cfg.max_token_len = 6 + 10 * numbers;
        text_tokenizer *tok = NULL;
        ck_assert_int_eq(text_tokenizer_new(&cfg, &tok, NULL, 0), 0);
        token_check c = { cfg.min_token_len, cfg.max_token_len, 0 };
        for (int d = 0; d < 1500; d++) {
            size_t len = 0;
            if (rng_below(&rng, 2))
                len = (size_t)snprintf(doc, sizeof doc, "Subject: s%d\n", d);
            size_t parts = rng_below(&rng, 120);
            for (size_t i = 0; i < parts; i++) {
                const char *piece = pieces[rng_below(&rng, n_pieces)];
                size_t l = strlen(piece);
                if (len + l >= sizeof doc)
                    break;
                memcpy(doc + len, piece, l);
                len += l;
            }
            ck_assert_int_eq(text_tokenize(tok, doc, len, check_token, &c), 0);
        }
        ck_assert_uint_gt(c.tokens, 1000);
        text_tokenizer_free(tok);
    }
}
END_TEST

static long max_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

typedef struct {
    size_t count;
    size_t bytes;
} token_stats;

static int count_tokens(const char *token, size_t len, void *user)
{
    (void)token;
    token_stats *s = user;
    s->count++;
    s->bytes += len;
    return 0;
}

START_TEST(fifty_megabyte_line_in_bounded_memory)
{
    /* One line of 50 MB: "alpha beta gamma ..." words, plus a mail variant
     * with one huge HTML body line. Peak RSS may grow only by a small
     * constant while tokenising (the input itself is already resident). */
    const char *words[] = { "alpha", "beta", "gamma", "delta", "epsilon" };
    size_t n = 50u << 20;
    char *text = malloc(n + 1);
    ck_assert_ptr_nonnull(text);
    size_t pos = 0, expected = 0;
    const char *hdr = "Subject: big\nContent-Type: text/html\n\n<p>";
    memcpy(text, hdr, strlen(hdr));
    pos = strlen(hdr);
    while (pos + 8 < n) {
        const char *w = words[expected % 5];
        size_t l = strlen(w);
        memcpy(text + pos, w, l);
        text[pos + l] = ' ';
        pos += l + 1;
        expected++;
    }
    memset(text + pos, ' ', n - pos);
    text[n] = '\0';
    sh_text_config cfg = tt_text_defaults();
    text_tokenizer *tok = NULL;
    ck_assert_int_eq(text_tokenizer_new(&cfg, &tok, NULL, 0), 0);
    long before = max_rss_kb();
    token_stats stats = { 0, 0 };
    /* as a mail: Subject "big" plus the body words */
    ck_assert_int_eq(text_tokenize(tok, text, n, count_tokens, &stats), 0);
    ck_assert_uint_eq(stats.count, expected + 1);
    /* as plain text: the header words count too */
    cfg.email = 0;
    text_tokenizer *plain = NULL;
    ck_assert_int_eq(text_tokenizer_new(&cfg, &plain, NULL, 0), 0);
    stats.count = 0;
    ck_assert_int_eq(text_tokenize(plain, text, n, count_tokens, &stats), 0);
    /* subject, big, content, type, text, html, p(1 char: dropped) */
    ck_assert_uint_eq(stats.count, expected + 6);
    /* one 50 MB token */
    memset(text, 'q', n);
    stats.count = 0;
    ck_assert_int_eq(text_tokenize(plain, text, n, count_tokens, &stats), 0);
    ck_assert_uint_eq(stats.count, 0);
    long after = max_rss_kb();
    ck_assert_msg(after - before < 8 * 1024, "peak RSS grew by %ld KiB", after - before);
    text_tokenizer_free(tok);
    text_tokenizer_free(plain);
    free(text);
}
END_TEST

Suite *text_tokenize_suite(void)
{
    Suite *s = suite_create("text_tokenize");
    TCase *core = tcase_create("core");
    tcase_add_test(core, plain_english_is_lowercased_and_stop_words_dropped);
    tcase_add_test(core, composed_and_decomposed_accents_give_the_same_tokens);
    tcase_add_test(core, full_width_forms_and_ligatures_are_folded);
    tcase_add_test(core, cjk_bigrams_and_emoji_separate);
    tcase_add_test(core, numbers_option_and_stemming);
    tcase_add_test(core, stop_word_list_is_sorted_and_searchable);
    tcase_add_test(core, stop_word_table_agrees_with_the_list);
    tcase_add_test(core, digest_ignores_form_but_not_content);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_set_timeout(limits, 60);
    tcase_add_test(limits, invalid_utf8_is_replaced_not_fatal);
    tcase_add_test(limits, length_limits_drop_rather_than_split);
    tcase_add_test(limits, long_cjk_runs_keep_every_bigram);
    tcase_add_test(limits, capture_keeps_the_start_of_a_mails_filtered_text);
    tcase_add_test(limits, random_bytes_and_markup_never_break_the_rules);
    tcase_add_test(limits, empty_and_stop_word_only_documents_give_no_tokens);
    tcase_add_test(limits, binary_documents_are_refused_before_any_token);
    tcase_add_test(limits, callback_can_cancel);
    tcase_add_test(limits, bad_length_options_are_config_errors);
    tcase_add_test(limits, fifty_megabyte_line_in_bounded_memory);
    suite_add_tcase(s, limits);
    return s;
}
