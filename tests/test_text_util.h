/* test_text_util.h — small helpers shared by the text, corpus and metrics
 * suites: default text options, a token collector, temporary fixtures. */
#ifndef SH_TEST_TEXT_UTIL_H
#define SH_TEST_TEXT_UTIL_H

#include <stddef.h>

#include "config.h"
#include "text_tokenize.h"

/* The default text options (config_defaults). */
sh_text_config tt_text_defaults(void);

/* Tokenises text and returns its tokens joined by '|' in a static buffer
 * (truncated at 64 KiB); *rc receives text_tokenize's return code. */
const char *tt_tokens(text_tokenizer *tok, const char *text, size_t len, int *rc);

/* Same, creating a tokenizer for cfg first. */
const char *tt_tokens_cfg(const sh_text_config *cfg, const char *text);

/* Creates a fresh temporary directory; returns its path (static). */
const char *tt_mkdtemp(void);

/* Writes len bytes to dir/name (creating parent directories). */
void tt_write(const char *dir, const char *name, const void *data, size_t len);

/* Removes a directory tree. */
void tt_rmtree(const char *path);

#endif
