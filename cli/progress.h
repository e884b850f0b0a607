/* progress.h — a one-line progress bar on stderr for long work.
 *
 *   indexing [##########..........]  50.0%  5000/10000  1234/s  ETA 0:04  loss 3.21
 *
 * The bar draws only when its stream is a terminal (isatty), unless
 * forced, so pipes and log files stay clean. It redraws at most about ten
 * times a second however often progress_update is called, so calling it
 * per item is cheap. progress_finish draws the final line and a newline.
 * When the total is unknown (0) the line shows the count, rate and
 * elapsed time instead of a bar.
 *
 * progress_render formats a line into a caller buffer without any I/O or
 * clock; the tests check its text. Not thread-safe: one bar per thread, or
 * update from one thread only.
 */
#ifndef SH_PROGRESS_H
#define SH_PROGRESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PROGRESS_EXTRA_MAX 64
#define PROGRESS_LINE_MAX 512

typedef struct {
    FILE *out;             /* where to draw (stderr by default) */
    int enabled;           /* 0: every call is a no-op */
    int width;             /* terminal columns; lines use at most width - 1 */
    char label[32];
    uint64_t total;        /* 0 = unknown */
    uint64_t done;
    double start;          /* monotonic seconds at progress_start */
    double last_draw;      /* monotonic seconds of the last redraw */
    size_t last_len;       /* length of the line on screen, to blank leftovers */
    char extra[PROGRESS_EXTRA_MAX];
} cli_progress;

/* Starts a bar on stderr. It draws if stderr is a terminal or force is
 * nonzero. label is copied (truncated to 31 bytes). Cannot fail. */
void progress_start(cli_progress *p, const char *label, uint64_t total, int force);

/* The same on another stream (tests use a temporary file); draws if out is
 * a terminal or force is nonzero. */
void progress_start_on(cli_progress *p, FILE *out, const char *label, uint64_t total,
                       int force);

/* Records that done items are finished (absolute, not an increment) and
 * optional extra text (NULL keeps the previous text; "" clears it);
 * redraws if 0.1 s have passed since the last redraw. Cannot fail. */
void progress_update(cli_progress *p, uint64_t done, const char *extra);

/* Draws the final line (with done as given) and a newline. Does nothing
 * when the bar is disabled. Cannot fail. */
void progress_finish(cli_progress *p, uint64_t done, const char *extra);

/* Formats one line into buf (NUL-terminated, at most width - 1 visible
 * characters and at most buf_len - 1 bytes): label, bar, percent,
 * done/total, rate (items per second over elapsed seconds), ETA and extra.
 * When the width is short the bar shrinks (never below 10 cells) or goes,
 * then the extra text goes, then the line is cut. total 0 means unknown.
 * Returns the line's length. Cannot fail. */
size_t progress_render(char *buf, size_t buf_len, int width, const char *label,
                       uint64_t done, uint64_t total, double elapsed, const char *extra);

#endif
