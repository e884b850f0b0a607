/* text_stopwords.h — the English stop-word list of semhash.
 *
 * A fixed list of about 250 function words (articles, pronouns,
 * auxiliaries, prepositions, conjunctions, common adverbs) written for this
 * project, plus the fragments the tokenizer leaves from contractions
 * ("don't" becomes "don" and "t"). Entries are lowercase ASCII of at
 * most 16 bytes, as tokens are after case folding. The list is a static
 * sorted array; lookups go through a static hash table built from it on
 * the first call (pthread_once): no allocation, thread-safe.
 *
 * It does not do stemming: "being" and "be" are both listed. Stop words
 * are matched before stemming.
 */
#ifndef SH_TEXT_STOPWORDS_H
#define SH_TEXT_STOPWORDS_H

#include <stddef.h>
#include <stdint.h>

/* 1 if the len bytes at word are exactly a listed stop word, else 0.
 * word need not be NUL-terminated. Cannot fail. */
int text_is_stopword(const char *word, size_t len);

/* The same for a word of len bytes (1..16) given packed: byte i of the
 * word at bits 8 * (i % 8) of key[i / 8], zero bytes beyond len. The
 * tokenizer builds the key while it lowercases an ASCII token. Cannot
 * fail. */
int text_is_stopword_key(const uint64_t key[2], size_t len);

/* The number of listed words and the i-th of them (NULL when i is out of
 * range), in strictly increasing byte order. For tests and `--help`. */
size_t text_stopword_count(void);
const char *text_stopword_at(size_t i);

/* Chained XXH64 of the words (each hashed with the previous hash as
 * seed, starting from 0): recorded in models so a
 * model built with another list is detected. Cannot fail. */
unsigned long long text_stopwords_digest(void);

#endif
