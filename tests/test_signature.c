/* test_signature.c — the near-duplicate signature: exact cases, the
 * Jaccard estimate against the true shingle-set similarity, and the
 * content digest against text_digest. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "rng.h"
#include "sh_error.h"
#include "signature.h"
#include "text_tokenize.h"

static void sig_of_words(const unsigned *w, size_t n, uint8_t *out)
{
    sig_state s;
    sig_begin(&s);
    for (size_t i = 0; i < n; i++) {
        char tok[16];
        int len = sprintf(tok, "t%u", w[i]);
        sig_add_token(&s, tok, (size_t)len);
    }
    sig_finish(&s, out);
}

/* True Jaccard similarity of the sets of ordered word pairs. */
static double true_jaccard(const unsigned *a, size_t na, const unsigned *b, size_t nb)
{
    size_t inter = 0, ua = 0, ub = 0;
    /* pairs as 64-bit keys; small n, quadratic is fine (duplicates counted once) */
    for (size_t i = 1; i < na; i++) {
        uint64_t k = (uint64_t)a[i - 1] << 32 | a[i];
        int dup = 0;
        for (size_t j = 1; j < i && !dup; j++)
            dup = ((uint64_t)a[j - 1] << 32 | a[j]) == k;
        if (dup)
            continue;
        ua++;
        for (size_t j = 1; j < nb; j++)
            if (((uint64_t)b[j - 1] << 32 | b[j]) == k) {
                inter++;
                break;
            }
    }
    for (size_t i = 1; i < nb; i++) {
        uint64_t k = (uint64_t)b[i - 1] << 32 | b[i];
        int dup = 0;
        for (size_t j = 1; j < i && !dup; j++)
            dup = ((uint64_t)b[j - 1] << 32 | b[j]) == k;
        ub += !dup;
    }
    return (double)inter / (double)(ua + ub - inter);
}

START_TEST(identical_disjoint_and_empty)
{
    unsigned a[50], b[50];
    for (unsigned i = 0; i < 50; i++) {
        a[i] = i;
        b[i] = 1000 + i;
    }
    uint8_t sa[SIG_BYTES], sa2[SIG_BYTES], sb[SIG_BYTES], se[SIG_BYTES], se2[SIG_BYTES];
    sig_of_words(a, 50, sa);
    sig_of_words(a, 50, sa2);
    sig_of_words(b, 50, sb);
    sig_of_words(NULL, 0, se);
    sig_of_words(NULL, 0, se2);
    ck_assert(sig_similarity(sa, sa2) == 1.0);
    ck_assert(sig_similarity(sa, sb) < 0.05);
    ck_assert(sig_similarity(se, se2) == 1.0);
    ck_assert(sig_similarity(sa, se) < 0.05);
    for (int i = 0; i < SIG_BYTES; i++)
        ck_assert_uint_eq(se[i], 0xff);
    /* one token: its own shingle, equal to itself, unlike another token */
    unsigned one = 7, other = 8;
    uint8_t s1[SIG_BYTES], s1b[SIG_BYTES], s2[SIG_BYTES];
    sig_of_words(&one, 1, s1);
    sig_of_words(&one, 1, s1b);
    sig_of_words(&other, 1, s2);
    ck_assert(sig_similarity(s1, s1b) == 1.0);
    ck_assert(sig_similarity(s1, s2) < 0.05);
    /* order of pairs matters: a reversed text shares no pair */
    unsigned rev[50];
    for (unsigned i = 0; i < 50; i++)
        rev[i] = a[49 - i];
    uint8_t sr[SIG_BYTES];
    sig_of_words(rev, 50, sr);
    ck_assert(sig_similarity(sa, sr) < 0.05);
}
END_TEST

START_TEST(estimate_tracks_true_jaccard)
{
    sh_rng rng;
    rng_seed(&rng, 11);
    double abs_err = 0.0, worst = 0.0;
    int pairs = 200;
    for (int p = 0; p < pairs; p++) {
        size_t n = 30 + (size_t)rng_below(&rng, 300);
        unsigned *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
        double rate = rng_uniform(&rng) * 0.6;
        for (size_t i = 0; i < n; i++) {
            a[i] = (unsigned)rng_below(&rng, 5000);
            b[i] = rng_uniform(&rng) < rate ? 10000 + (unsigned)rng_below(&rng, 5000) : a[i];
        }
        uint8_t sa[SIG_BYTES], sb[SIG_BYTES];
        sig_of_words(a, n, sa);
        sig_of_words(b, n, sb);
        double e = fabs(sig_similarity(sa, sb) - true_jaccard(a, n, b, n));
        abs_err += e;
        if (e > worst)
            worst = e;
        free(a);
        free(b);
    }
    /* standard deviation at most sqrt(0.25 / 128) = 0.044 */
    ck_assert_msg(abs_err / pairs < 0.045, "mean error %.3f", abs_err / pairs);
    ck_assert_msg(worst < 0.2, "worst error %.3f", worst);
}
END_TEST

START_TEST(text_signature_and_digest)
{
    sh_config cfg;
    config_defaults(&cfg);
    text_tokenizer *tok;
    char err[256];
    ck_assert_int_eq(text_tokenizer_new(&cfg.text, &tok, err, sizeof err), 0);
    const char *t1 = "The Quick brown fox jumps over the lazy dog near the river bank.";
    const char *t2 = "the quick BROWN fox, jumps over the lazy dog; near the river bank";
    uint8_t s1[SIG_BYTES], s2[SIG_BYTES];
    uint64_t n1, n2, d1, d2, ref;
    ck_assert_int_eq(sig_text(tok, t1, strlen(t1), s1, &n1, &d1), 0);
    ck_assert_int_eq(sig_text(tok, t2, strlen(t2), s2, &n2, &d2), 0);
    ck_assert_int_eq(text_digest(tok, t1, strlen(t1), &ref), 0);
    ck_assert_uint_eq(d1, ref);
    ck_assert_uint_eq(d1, d2);
    ck_assert_uint_eq(n1, n2);
    ck_assert_uint_eq(n1, 9); /* quick brown fox jumps lazy dog near river bank */
    ck_assert(sig_similarity(s1, s2) == 1.0);
    ck_assert_int_eq(sig_text(tok, "a\0b", 3, s1, NULL, NULL), SH_EINPUT);
    ck_assert_int_eq(sig_text(tok, "", 0, s1, &n1, &d1), 0);
    ck_assert_uint_eq(n1, 0);
    ck_assert_uint_eq(d1, 0);
    text_tokenizer_free(tok);
}
END_TEST

Suite *signature_suite(void)
{
    Suite *s = suite_create("signature");
    TCase *core = tcase_create("core");
    tcase_set_timeout(core, 60); /* a loaded machine, sanitizers */
    tcase_add_test(core, identical_disjoint_and_empty);
    tcase_add_test(core, estimate_tracks_true_jaccard);
    tcase_add_test(core, text_signature_and_digest);
    suite_add_tcase(s, core);
    return s;
}
