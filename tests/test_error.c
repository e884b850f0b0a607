/* test_error.c — error messages name their code; sh_fail formats safely. */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "sh_error.h"
#include "version.h"

START_TEST(messages_start_with_code_name)
{
    ck_assert(strncmp(sh_strerror(SH_EVERSION), "SH_EVERSION:", 12) == 0);
    ck_assert(strncmp(sh_strerror(SH_ECHECKSUM), "SH_ECHECKSUM:", 13) == 0);
    ck_assert(strncmp(sh_strerror(SH_EREADONLY), "SH_EREADONLY:", 13) == 0);
    ck_assert_str_eq(sh_strerror(ENOENT), strerror(ENOENT));
    ck_assert(strncmp(sh_strerror(-999), "SH_E?", 5) == 0);
}
END_TEST

START_TEST(fail_formats_and_truncates)
{
    char buf[16];
    int rc = sh_fail(buf, sizeof buf, SH_EINVAL, "%s:%d: %s", "config.yaml", 12, "a long message");
    ck_assert_int_eq(rc, SH_EINVAL);
    ck_assert_uint_eq(strlen(buf), sizeof buf - 1);
    ck_assert(strncmp(buf, "config.yaml:12: ", 15) == 0);
    ck_assert_int_eq(sh_fail(NULL, 0, SH_EFORMAT, "ignored"), SH_EFORMAT);
    ck_assert_str_eq(sh_version(), SH_VERSION_STRING);
}
END_TEST

Suite *error_suite(void)
{
    Suite *s = suite_create("error");
    TCase *core = tcase_create("core");
    tcase_add_test(core, messages_start_with_code_name);
    tcase_add_test(core, fail_formats_and_truncates);
    suite_add_tcase(s, core);
    return s;
}
