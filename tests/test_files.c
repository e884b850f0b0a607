/* test_files.c — temporary directories and whole files for the suites
 * (see test_files.h). */
#include "test_files.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char fixture_dir[128];

const char *tf_dir_make(const char *tag)
{
    snprintf(fixture_dir, sizeof(fixture_dir), "/tmp/semhash-%s-XXXXXX", tag);
    ck_assert_ptr_nonnull(mkdtemp(fixture_dir));
    return fixture_dir;
}

void tf_dir_remove(void)
{
    char cmd[160];
    ck_assert(fixture_dir[0] == '/');
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fixture_dir);
    ck_assert_int_eq(system(cmd), 0);
}

void tf_path(char *out, size_t len, const char *name)
{
    snprintf(out, len, "%s/%s", fixture_dir, name);
}

void *tf_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "%s: cannot open", path);
    ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    ck_assert(n > 0);
    rewind(f);
    unsigned char *buf = malloc((size_t)n);
    ck_assert_ptr_nonnull(buf);
    ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

void tf_write(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "%s: cannot create", path);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}
