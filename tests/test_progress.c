/* test_progress.c — the rendered line (counts, percent, bar, rate, ETA,
 * extra, width), redraw throttling and the final line. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "progress.h"

/* Number of '#' inside the brackets, and the bar's width (0 if none). */
static int bar_cells(const char *line, int *width)
{
    const char *open = strchr(line, '['), *close = open ? strchr(open, ']') : NULL;
    *width = 0;
    if (open == NULL || close == NULL)
        return 0;
    int filled = 0;
    for (const char *c = open + 1; c < close; c++) {
        ck_assert(*c == '#' || *c == '.');
        filled += *c == '#';
    }
    *width = (int)(close - open - 1);
    return filled;
}

START_TEST(line_shows_counts_percent_rate_and_eta)
{
    char line[PROGRESS_LINE_MAX];
    /* 250 of 1000 in 5 s: 50/s, 750 left -> 15 s. */
    size_t len = progress_render(line, sizeof line, 100, "indexing", 250, 1000, 5.0,
                                 "loss 3.21");
    ck_assert_uint_eq(len, strlen(line));
    ck_assert_msg(strncmp(line, "indexing [", 10) == 0, "%s", line);
    ck_assert_msg(strstr(line, " 25.0%") != NULL, "%s", line);
    ck_assert_msg(strstr(line, "250/1000") != NULL, "%s", line);
    ck_assert_msg(strstr(line, "50.0/s") != NULL, "%s", line);
    ck_assert_msg(strstr(line, "ETA 0:15") != NULL, "%s", line);
    ck_assert_msg(strstr(line, "loss 3.21") != NULL, "%s", line);
    int width, filled = bar_cells(line, &width);
    ck_assert_int_ge(width, 10);
    ck_assert_int_eq(filled, width / 4);

    /* Counts past the total are shown as complete; the bar is full. */
    progress_render(line, sizeof line, 80, "x", 12, 10, 2.0, NULL);
    ck_assert_msg(strstr(line, "100.0%") != NULL && strstr(line, "10/10") != NULL, "%s", line);
    ck_assert_msg(strstr(line, "ETA 0:00") != NULL, "%s", line);
    filled = bar_cells(line, &width);
    ck_assert_int_eq(filled, width);

    /* Nothing done yet: no ETA guess, no division by zero. */
    progress_render(line, sizeof line, 80, "train", 0, 30, 0.0, NULL);
    ck_assert_msg(strstr(line, "  0.0%") != NULL && strstr(line, "ETA --:--") != NULL,
                  "%s", line);
    filled = bar_cells(line, &width);
    ck_assert_int_eq(filled, 0);

    /* Hours and large rates. 1 of 100000 in 100 s -> 99999*100 s > 99 h. */
    progress_render(line, sizeof line, 120, "slow", 1, 100000, 100.0, NULL);
    ck_assert_msg(strstr(line, "ETA >99h") != NULL, "%s", line);
    progress_render(line, sizeof line, 120, "slow", 1000, 5000, 1000.0, NULL);
    ck_assert_msg(strstr(line, "ETA 1:06:40") != NULL, "%s", line);
    progress_render(line, sizeof line, 120, "fast", 50000, 100000, 2.0, NULL);
    ck_assert_msg(strstr(line, "25.0k/s") != NULL, "%s", line);

    /* Unknown total: count, rate, elapsed; no bar, no percent. */
    progress_render(line, sizeof line, 80, "reading", 4200, 0, 65.0, NULL);
    ck_assert_msg(strstr(line, "4200") != NULL && strstr(line, "elapsed 1:05") != NULL,
                  "%s", line);
    ck_assert(strchr(line, '[') == NULL && strchr(line, '%') == NULL);
}
END_TEST

START_TEST(line_fits_the_width)
{
    char line[PROGRESS_LINE_MAX];
    for (int width = 1; width <= 200; width++) {
        for (uint64_t done = 0; done <= 1000000; done += 250000) {
            size_t len = progress_render(line, sizeof line, width, "a-long-label",
                                         done, 1000000, 3.5, "loss 123.456 acc 0.5");
            ck_assert_uint_eq(len, strlen(line));
            ck_assert_msg(len <= (size_t)(width > 1 ? width - 1 : 0),
                          "width %d: %zu '%s'", width, len, line);
            int bw, filled = bar_cells(line, &bw);
            if (bw > 0) /* a bar is never squeezed below 10 cells */
                ck_assert_int_ge(bw, 10);
            ck_assert_int_le(filled, bw);
        }
    }
    /* Wide terminals: the bar stops growing, the extra text stays. */
    progress_render(line, sizeof line, 200, "x", 1, 2, 1.0, "extra");
    int bw;
    bar_cells(line, &bw);
    ck_assert_int_eq(bw, 30);
    ck_assert(strstr(line, "extra") != NULL);
    /* Extra text that cannot fit even without a bar is left out. */
    progress_render(line, sizeof line, 60, "x", 1, 2, 1.0,
                    "a very long extra text that cannot fit here");
    bar_cells(line, &bw);
    ck_assert_int_ge(bw, 10);
    ck_assert(strstr(line, "extra") == NULL);
    /* A tiny caller buffer is respected. */
    char small[8];
    ck_assert_uint_eq(progress_render(small, sizeof small, 100, "label", 1, 2, 1.0, NULL), 7);
    ck_assert_uint_eq(strlen(small), 7);
}
END_TEST

START_TEST(updates_are_throttled_and_finish_ends_the_line)
{
    FILE *f = tmpfile();
    ck_assert_ptr_nonnull(f);
    cli_progress p;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    progress_start_on(&p, f, "work", 100000, 1);
    ck_assert_int_eq(p.enabled, 1);
    for (uint64_t i = 1; i <= 100000; i++)
        progress_update(&p, i, i % 1000 == 0 ? "step" : NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double spent = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    progress_finish(&p, 100000, "done");

    long size = ftell(f);
    rewind(f);
    char *text = calloc(1, (size_t)size + 1);
    ck_assert_uint_eq(fread(text, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    int draws = 0;
    for (char *c = text; *c; c++)
        draws += *c == '\r';
    /* At most one redraw per 0.1 s, plus the first and the final one. */
    ck_assert_msg(draws >= 2 && draws <= 2 + (int)(spent / 0.1) + 1,
                  "%d draws in %.3f s", draws, spent);
    ck_assert(text[size - 1] == '\n');
    char *last = strrchr(text, '\r');
    ck_assert_msg(strstr(last, "100000/100000") != NULL && strstr(last, "100.0%") != NULL &&
                      strstr(last, "done") != NULL,
                  "%s", last);
    free(text);

    /* Not a terminal and not forced: nothing is written. */
    f = tmpfile();
    progress_start_on(&p, f, "quiet", 10, 0);
    progress_update(&p, 5, NULL);
    progress_finish(&p, 10, NULL);
    ck_assert_int_eq(ftell(f), 0);
    fclose(f);
    progress_update(NULL, 1, NULL);
    progress_finish(NULL, 1, NULL);
}
END_TEST

Suite *progress_suite(void)
{
    Suite *s = suite_create("progress");
    TCase *core = tcase_create("core");
    tcase_add_test(core, line_shows_counts_percent_rate_and_eta);
    tcase_add_test(core, updates_are_throttled_and_finish_ends_the_line);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_add_test(limits, line_fits_the_width);
    suite_add_tcase(s, limits);
    return s;
}
