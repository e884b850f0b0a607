/* text_stopwords.c — the sorted English stop-word array and its lookup. */
#include "text_stopwords.h"

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

/* Byte order of a counted word against a NUL-terminated entry. */
static int compare_word(const char *word, size_t len, const char *entry)
{
    /* most probes differ in the first byte: decide those cheaply */
    if ((unsigned char)word[0] != (unsigned char)entry[0])
        return (unsigned char)word[0] < (unsigned char)entry[0] ? -1 : 1;
    size_t entry_len = strlen(entry);
    size_t common = len < entry_len ? len : entry_len;
    int c = memcmp(word, entry, common);
    if (c != 0)
        return c;
    return (len > entry_len) - (len < entry_len);
}

int text_is_stopword(const char *word, size_t len)
{
    if (len == 0 || len > 16)
        return 0;
    size_t lo = 0, hi = STOPWORD_COUNT;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = compare_word(word, len, stopwords[mid]);
        if (c == 0)
            return 1;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return 0;
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
