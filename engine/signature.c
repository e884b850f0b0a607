/* signature.c — one-permutation MinHash of word shingles (signature.h). */
#include "signature.h"

#include <string.h>
#include <xxhash.h>

/* splitmix64's finaliser: a bijective mix of all 64 bits. */
static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

static void add_shingle(sig_state *s, uint64_t h)
{
    unsigned bin = (unsigned)(h >> 57);           /* top 7 bits: SIG_BINS = 128 */
    uint32_t value = (uint32_t)(h >> 16);
    if (value < s->min[bin])
        s->min[bin] = value;
}

void sig_begin(sig_state *s)
{
    for (int i = 0; i < SIG_BINS; i++)
        s->min[i] = UINT32_MAX;
    s->prev = 0;
    s->tokens = 0;
    s->digest = 0;
}

void sig_add_token(sig_state *s, const char *token, size_t len)
{
    uint64_t h = XXH64(token, len, 0);
    s->digest = XXH64(token, len, s->digest);
    /* Shingle (previous, current): order matters, so "a b" != "b a". */
    if (s->tokens > 0)
        add_shingle(s, mix64(s->prev * 0x9e3779b97f4a7c15ULL + h + 1));
    s->prev = h;
    s->tokens++;
}

void sig_finish(const sig_state *s, uint8_t *out)
{
    uint32_t min[SIG_BINS];
    memcpy(min, s->min, sizeof min);
    if (s->tokens == 1) /* one token: it is the only shingle */
        min[(unsigned)(mix64(s->prev) >> 57)] = (uint32_t)(mix64(s->prev) >> 16);
    int any = 0;
    for (int i = 0; i < SIG_BINS; i++)
        any |= min[i] != UINT32_MAX;
    for (int i = 0; i < SIG_BINS; i++) {
        uint16_t v = 0xffff;
        if (any) {
            int j = i, step = 0;
            while (min[j] == UINT32_MAX) {  /* densify: borrow from the right */
                j = (j + 1) % SIG_BINS;
                step++;
            }
            v = (uint16_t)((min[j] & 0xffffu) + 0x9e37u * (unsigned)step);
        }
        out[2 * i] = (uint8_t)(v >> 8);
        out[2 * i + 1] = (uint8_t)v;
    }
}

int sig_token_fn(const char *token, size_t len, void *state)
{
    sig_add_token(state, token, len);
    return 0;
}

int sig_text(text_tokenizer *tok, const char *text, size_t len, uint8_t *out,
             uint64_t *tokens, uint64_t *digest)
{
    sig_state s;
    sig_begin(&s);
    int rc = text_tokenize(tok, text, len, sig_token_fn, &s);
    if (rc != 0)
        return rc;
    sig_finish(&s, out);
    if (tokens)
        *tokens = s.tokens;
    if (digest)
        *digest = s.digest;
    return 0;
}

double sig_similarity(const uint8_t *a, const uint8_t *b)
{
    int equal = 0;
    for (int i = 0; i < SIG_BINS; i++)
        equal += a[2 * i] == b[2 * i] && a[2 * i + 1] == b[2 * i + 1];
    return (double)equal / SIG_BINS;
}
