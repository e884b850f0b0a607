/* test_text_util.c — helpers for the text, corpus and metrics suites. */
#include "test_text_util.h"

#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

sh_text_config tt_text_defaults(void)
{
    sh_config c;
    config_defaults(&c);
    return c.text;
}

typedef struct {
    char *buf;
    size_t len, cap;
} collector;

static int collect(const char *token, size_t len, void *user)
{
    collector *c = user;
    if (c->len > 0 && c->len + 1 < c->cap)
        c->buf[c->len++] = '|';
    if (c->len + len >= c->cap)
        len = c->cap - c->len - 1;
    memcpy(c->buf + c->len, token, len);
    c->len += len;
    c->buf[c->len] = '\0';
    return 0;
}

const char *tt_tokens(text_tokenizer *tok, const char *text, size_t len, int *rc)
{
    static char buf[65536];
    collector c = { buf, 0, sizeof buf };
    buf[0] = '\0';
    *rc = text_tokenize(tok, text, len, collect, &c);
    return buf;
}

const char *tt_tokens_cfg(const sh_text_config *cfg, const char *text)
{
    text_tokenizer *tok = NULL;
    ck_assert_int_eq(text_tokenizer_new(cfg, &tok, NULL, 0), 0);
    int rc;
    const char *out = tt_tokens(tok, text, strlen(text), &rc);
    ck_assert_int_eq(rc, 0);
    text_tokenizer_free(tok);
    return out;
}

const char *tt_mkdtemp(void)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/semhash-test-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(path));
    return path;
}

void tt_write(const char *dir, const char *name, const void *data, size_t len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    for (char *p = path + strlen(dir) + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(path, 0700);
            *p = '/';
        }
    }
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    fclose(f);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void tt_rmtree(const char *path)
{
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}
