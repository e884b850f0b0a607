/* test_e2e.c — end-to-end tests of the installed program and the build.
 *
 * Each tests/e2e/NAME.sh is a shell script that exits 0 on success and
 * prints what went wrong otherwise. This suite runs every script found
 * there, one check test per script, with these variables set:
 *   SEMHASH      absolute path of the built semhash program
 *   SEMHASH_SRC  the source tree
 *   TMPDIR_E2E   a fresh temporary directory, removed afterwards
 * so that the scripts report through the same runner as the C suites. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

START_TEST(every_script_passes)
{
    const char *src = getenv("SEMHASH_SRC");
    const char *bin = getenv("SEMHASH_BIN");
    ck_assert_msg(src != NULL && bin != NULL, "run through `make test` (SEMHASH_SRC/SEMHASH_BIN unset)");

    char dir_path[4096];
    snprintf(dir_path, sizeof dir_path, "%s/tests/e2e", src);
    DIR *dir = opendir(dir_path);
    ck_assert_msg(dir != NULL, "cannot open %s", dir_path);
    char *names[256];
    size_t count = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL && count < 256) {
        size_t len = strlen(entry->d_name);
        if (len > 3 && strcmp(entry->d_name + len - 3, ".sh") == 0)
            names[count++] = strdup(entry->d_name);
    }
    closedir(dir);
    qsort(names, count, sizeof names[0], compare_names);
    ck_assert_msg(count > 0, "no scripts in %s", dir_path);

    int failures = 0;
    for (size_t i = 0; i < count; i++) {
        char tmp_template[] = "/tmp/semhash-e2e-XXXXXX";
        char *tmp = mkdtemp(tmp_template);
        ck_assert(tmp != NULL);
        char command[12288];
        snprintf(command, sizeof command,
                 "cd '%s' && SEMHASH='%s' SEMHASH_SRC='%s' TMPDIR_E2E='%s' sh tests/e2e/%s > '%s/log' 2>&1",
                 src, bin, src, tmp, names[i], tmp);
        int status = system(command);
        int ok = status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
        if (!ok) {
            failures++;
            fprintf(stderr, "e2e: %s FAILED; its output:\n", names[i]);
            char show[8192];
            snprintf(show, sizeof show, "tail -n 40 '%s/log' >&2", tmp);
            if (system(show) != 0)
                fprintf(stderr, "(no output)\n");
        }
        char cleanup[8192];
        snprintf(cleanup, sizeof cleanup, "rm -rf '%s'", tmp);
        if (system(cleanup) != 0)
            fprintf(stderr, "e2e: could not remove %s\n", tmp);
        free(names[i]);
    }
    ck_assert_msg(failures == 0, "%d end-to-end script(s) failed (see stderr)", failures);
}
END_TEST

Suite *e2e_suite(void)
{
    Suite *s = suite_create("e2e");
    TCase *scripts = tcase_create("scripts");
    tcase_set_timeout(scripts, 600);
    tcase_add_test(scripts, every_script_passes);
    suite_add_tcase(s, scripts);
    return s;
}
