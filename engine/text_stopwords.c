/* text_stopwords.c — the sorted English stop-word array and its lookup
 * table. */
#include "text_stopwords.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <xxhash.h>

/* Keep strictly sorted in byte order (the tests check it). */
static const char *const stopwords[] = {
    "a", "about", "above", "across", "after", "afterwards", "again",
    "against", "ago", "all", "almost", "alone", "along", "already", "also",
    "although", "always", "am", "among", "amongst", "an", "and", "another",
    "any", "anybody", "anyhow", "anyone", "anything", "anyway", "anywhere",
    "are", "aren", "around", "as", "at", "be", "became", "because", "become",
    "becomes", "been", "before", "beforehand", "behind", "being", "below",
    "beside", "besides", "between", "beyond", "both", "but", "by", "can",
    "cannot", "could", "couldn", "d", "did", "didn", "do", "does", "doesn",
    "doing", "don", "done", "down", "during", "each", "either", "else",
    "elsewhere", "enough", "etc", "even", "ever", "every", "everyone",
    "everything", "everywhere", "except", "few", "for", "from", "further",
    "furthermore", "had", "hadn", "has", "hasn", "have", "haven", "having",
    "he", "hence", "her", "here", "hereafter", "hereby", "herein", "hers",
    "herself", "him", "himself", "his", "how", "however", "i", "ie", "if",
    "in", "indeed", "into", "is", "isn", "it", "its", "itself", "just", "ll",
    "m", "many", "may", "me", "meanwhile", "might", "mine", "more",
    "moreover", "most", "mostly", "much", "must", "mustn", "my", "myself",
    "namely", "neither", "never", "nevertheless", "next", "no", "nobody",
    "none", "nor", "not", "nothing", "now", "nowhere", "of", "off", "often",
    "on", "once", "one", "only", "onto", "or", "other", "others",
    "otherwise", "our", "ours", "ourselves", "out", "over", "own", "per",
    "perhaps", "quite", "rather", "re", "really", "s", "same", "several",
    "shall", "shan", "she", "should", "shouldn", "since", "so", "some",
    "somebody", "somehow", "someone", "something", "sometimes", "somewhere",
    "still", "such", "t", "than", "that", "the", "their", "theirs", "them",
    "themselves", "then", "thence", "there", "thereafter", "thereby",
    "therefore", "therein", "these", "they", "this", "those", "though",
    "through", "throughout", "thus", "to", "together", "too", "toward",
    "towards", "under", "unless", "until", "up", "upon", "us", "ve", "very",
    "via", "was", "wasn", "we", "well", "were", "weren", "what", "whatever",
    "when", "whence", "whenever", "where", "whereas", "whereby", "wherever",
    "whether", "which", "while", "whither", "who", "whoever", "whole",
    "whom", "whose", "why", "will", "with", "within", "without", "won",
    "would", "wouldn", "yet", "you", "your", "yours", "yourself",
    "yourselves",
};

#define STOPWORD_COUNT (sizeof(stopwords) / sizeof(stopwords[0]))
_Static_assert(STOPWORD_COUNT < 511, "the lookup table stores 9-bit entry numbers");

/* The lookup: an open-addressing table built once (pthread_once) from
 * the array. A word of at most 16 bytes is packed, zero-padded, into two
 * 64-bit keys, so a probe compares two words and a length: no strlen,
 * no memcmp. The table (2 KB) holds each entry's length and number, so
 * only a word of the right length reads the packed entries, which sit in
 * a separate array. Entries are at most 16 bytes (the tests check it). */
#define MAX_STOPWORD_LEN 16
#define TABLE_BITS 10
#define TABLE_SIZE (1u << TABLE_BITS) /* > 4 * STOPWORD_COUNT: short probes */

typedef struct {
    uint64_t key[2];
    size_t len;
} packed_word;

static packed_word packed[STOPWORD_COUNT];
static uint16_t table[TABLE_SIZE];    /* length << 9 | (1 + index into packed),
                                         0 = empty */
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

/* Built byte by byte with shifts: a memcpy into a buffer read back as
 * words would stall on store forwarding. */
static void pack(const char *word, size_t len, uint64_t key[2])
{
    key[0] = key[1] = 0;
    for (size_t i = 0; i < len; i++)
        key[i / 8] |= (uint64_t)(unsigned char)word[i] << (8 * (i % 8));
}

static size_t slot_of(const uint64_t key[2], size_t len)
{
    uint64_t h = (key[0] * 0x9e3779b97f4a7c15ULL) ^ (key[1] * 0xc2b2ae3d27d4eb4fULL) ^ len;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ULL;
    return (size_t)(h >> (64 - TABLE_BITS));
}

static void build_table(void)
{
    for (size_t i = 0; i < STOPWORD_COUNT; i++) {
        packed_word *w = &packed[i];
        w->len = strlen(stopwords[i]);
        pack(stopwords[i], w->len, w->key);
        size_t slot = slot_of(w->key, w->len);
        while (table[slot] != 0)
            slot = (slot + 1) & (TABLE_SIZE - 1);
        table[slot] = (uint16_t)(w->len << 9 | (i + 1));
    }
}

int text_is_stopword(const char *word, size_t len)
{
    if (len == 0 || len > MAX_STOPWORD_LEN)
        return 0;
    uint64_t key[2];
    pack(word, len, key);
    return text_is_stopword_key(key, len);
}

int text_is_stopword_key(const uint64_t key[2], size_t len)
{
    if (len == 0 || len > MAX_STOPWORD_LEN)
        return 0;
    pthread_once(&table_once, build_table);
    for (size_t slot = slot_of(key, len);; slot = (slot + 1) & (TABLE_SIZE - 1)) {
        unsigned e = table[slot];
        if (e == 0)
            return 0;
        if (e >> 9 != len)
            continue;
        const packed_word *w = &packed[(e & 0x1ff) - 1];
        if (w->key[0] == key[0] && w->key[1] == key[1])
            return 1;
    }
}

size_t text_stopword_count(void)
{
    return STOPWORD_COUNT;
}

const char *text_stopword_at(size_t i)
{
    return i < STOPWORD_COUNT ? stopwords[i] : NULL;
}

unsigned long long text_stopwords_digest(void)
{
    XXH64_hash_t h = 0;
    for (size_t i = 0; i < STOPWORD_COUNT; i++)
        h = XXH64(stopwords[i], strlen(stopwords[i]), h);
    return (unsigned long long)h;
}
