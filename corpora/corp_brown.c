/* corp_brown.c — tag stripping for the Brown corpus; see corp_brown.h. */
#include "corp_brown.h"

#include "sh_error.h"

#include <string.h>

static int brown_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

/* 1 if the word attaches to what comes before it (no space before). */
static int brown_closes(const char *w, size_t n)
{
    if (n == 2 && w[0] == '\'' && w[1] == '\'')
        return 1;
    return n == 1 && w[0] && strchr(",.;:?!)]", w[0]) != NULL;
}

/* 1 if what follows attaches to the word (no space after). */
static int brown_opens(const char *w, size_t n)
{
    if (n == 2 && w[0] == '`' && w[1] == '`')
        return 1;
    return n == 1 && (w[0] == '(' || w[0] == '[');
}

int corp_brown_detag(const char *in, size_t len, corp_buf *out)
{
    size_t start_len = out->len;
    size_t i = 0;
    while (i < len) {
        /* One line is one sentence. */
        size_t line_end = i;
        while (line_end < len && in[line_end] != '\n')
            line_end++;
        int words_in_line = 0, attach_next = 0;
        size_t j = i;
        while (j < line_end) {
            while (j < line_end && brown_space(in[j]))
                j++;
            if (j >= line_end)
                break;
            size_t tok = j;
            while (j < line_end && !brown_space(in[j]))
                j++;
            size_t tok_len = j - tok, word_len = tok_len;
            for (size_t k = tok_len; k > 0; k--)
                if (in[tok + k - 1] == '/') {
                    word_len = k - 1;
                    break;
                }
            if (word_len == 0)
                word_len = tok_len; /* "/" alone, or a token starting with '/' */
            const char *word = in + tok;
            if (words_in_line == 0) {
                if (out->len > start_len && corp_buf_putc(out, '\n'))
                    return SH_ENOMEM;
            } else if (!attach_next && !brown_closes(word, word_len)) {
                if (corp_buf_putc(out, ' '))
                    return SH_ENOMEM;
            }
            int is_quote = word_len == 2 && ((word[0] == '`' && word[1] == '`') ||
                                             (word[0] == '\'' && word[1] == '\''));
            if (is_quote ? corp_buf_putc(out, '"') : corp_buf_append(out, word, word_len))
                return SH_ENOMEM;
            attach_next = brown_opens(word, word_len);
            words_in_line++;
        }
        i = line_end + 1;
    }
    return 0;
}

char corp_brown_genre(const char *name)
{
    if (strlen(name) != 4 || name[0] != 'c' || name[1] < 'a' || name[1] > 'r' ||
        name[2] < '0' || name[2] > '9' || name[3] < '0' || name[3] > '9')
        return 0;
    return name[1];
}
