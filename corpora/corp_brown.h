/* corp_brown.h — plain text from the tagged Brown corpus (form C).
 *
 * A Brown file holds one sentence per line as tokens "word/tag"
 * ("The/at jury/nn said/vbd ./."), sentences separated by blank lines.
 * corp_brown_detag keeps each word (the part before the token's last '/';
 * a token without '/' is kept whole), turns the corpus' `` and '' into
 * straight double quotes, joins tokens with single spaces except before
 * closing punctuation (, . ; : ? ! ) ] and closing quotes) and after
 * opening ones (( [ and opening quotes), and writes one sentence per line:
 * sentences are separated by '\n', with no trailing newline.
 * It does not split or merge sentences, and keeps the corpus' case.
 */
#ifndef CORP_BROWN_H
#define CORP_BROWN_H

#include "corp_io.h"

/* Appends the plain text of the tagged text in[0..len) to out. Returns 0
 * or SH_ENOMEM (out may hold part of the text). */
int corp_brown_detag(const char *in, size_t len, corp_buf *out);

/* The genre letter of a Brown file name ("ca01" -> 'a'), or 0 when the
 * name is not 'c', a letter a-r and two digits. */
char corp_brown_genre(const char *name);

#endif
