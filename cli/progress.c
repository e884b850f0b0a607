/* progress.c — the progress bar of progress.h: line formatting, redraw
 * throttling, terminal detection. */
#include "progress.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define PROGRESS_INTERVAL 0.1 /* seconds between redraws */
#define BAR_MIN 10
#define BAR_MAX 30

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* "m:ss" or "h:mm:ss". */
static void format_duration(char *out, size_t out_len, double seconds)
{
    unsigned long s = (unsigned long)(seconds + 0.5);
    if (s >= 3600)
        snprintf(out, out_len, "%lu:%02lu:%02lu", s / 3600, s / 60 % 60, s % 60);
    else
        snprintf(out, out_len, "%lu:%02lu", s / 60, s % 60);
}

/* "0.50/s", "12.3/s", "456/s", "12.3k/s", "4.5M/s". */
static void format_rate(char *out, size_t out_len, double rate)
{
    if (rate < 10)
        snprintf(out, out_len, "%.2f/s", rate);
    else if (rate < 100)
        snprintf(out, out_len, "%.1f/s", rate);
    else if (rate < 10000)
        snprintf(out, out_len, "%.0f/s", rate);
    else if (rate < 1e7)
        snprintf(out, out_len, "%.1fk/s", rate / 1e3);
    else
        snprintf(out, out_len, "%.1fM/s", rate / 1e6);
}

/* Formats the line with a bar of bar_width cells (0 = no bar) and with or
 * without the extra text. Returns the untruncated length. */
static size_t compose(char *buf, size_t buf_len, const char *label, uint64_t done,
                      uint64_t total, double elapsed, const char *extra, int bar_width)
{
    char rate[32], when[48], bar[BAR_MAX + 3] = "";
    double per_second = elapsed > 0 ? (double)done / elapsed : 0.0;
    format_rate(rate, sizeof rate, per_second);
    size_t n;
    if (total == 0) {
        char spent[32];
        format_duration(spent, sizeof spent, elapsed);
        snprintf(when, sizeof when, "elapsed %s", spent);
        n = (size_t)snprintf(buf, buf_len, "%s%s%llu  %s  %s", label, label[0] ? "  " : "",
                             (unsigned long long)done, rate, when);
    } else {
        uint64_t shown = done < total ? done : total;
        double fraction = (double)shown / (double)total;
        if (shown == total) {
            snprintf(when, sizeof when, "ETA 0:00");
        } else if (shown == 0 || per_second <= 0) {
            snprintf(when, sizeof when, "ETA --:--");
        } else {
            double eta = (double)(total - shown) / per_second;
            char left[32];
            if (eta > 99.0 * 3600)
                snprintf(left, sizeof left, ">99h");
            else
                format_duration(left, sizeof left, eta);
            snprintf(when, sizeof when, "ETA %s", left);
        }
        if (bar_width > 0) {
            int filled = (int)(fraction * bar_width);
            bar[0] = '[';
            for (int i = 0; i < bar_width; i++)
                bar[1 + i] = i < filled ? '#' : '.';
            bar[1 + bar_width] = ']';
            bar[2 + bar_width] = '\0';
        }
        n = (size_t)snprintf(buf, buf_len, "%s%s%s%s%5.1f%%  %llu/%llu  %s  %s", label,
                             label[0] ? " " : "", bar, bar_width > 0 ? " " : "",
                             100.0 * fraction, (unsigned long long)shown,
                             (unsigned long long)total, rate, when);
    }
    if (extra != NULL && extra[0] != '\0') {
        size_t used = n < buf_len ? n : (buf_len ? buf_len - 1 : 0);
        n += (size_t)snprintf(buf + used, buf_len - used, "  %s", extra);
    }
    return n;
}

size_t progress_render(char *buf, size_t buf_len, int width, const char *label,
                       uint64_t done, uint64_t total, double elapsed, const char *extra)
{
    char line[PROGRESS_LINE_MAX * 2];
    if (buf == NULL || buf_len == 0)
        return 0;
    if (label == NULL)
        label = "";
    size_t room = width > 1 ? (size_t)width - 1 : 0;
    if (room > buf_len - 1)
        room = buf_len - 1;
    /* The line without a bar tells how many cells the bar can have. */
    size_t base = compose(line, sizeof line, label, done, total, elapsed, extra, 0);
    int with_extra = 1;
    if (base > room && extra != NULL && extra[0] != '\0') {
        base = compose(line, sizeof line, label, done, total, elapsed, NULL, 0);
        with_extra = 0;
    }
    int bar_width = 0;
    if (total > 0 && base + 3 + BAR_MIN <= room) {
        size_t spare = room - base - 3; /* '[', ']' and a space */
        bar_width = spare > BAR_MAX ? BAR_MAX : (int)spare;
    }
    compose(line, sizeof line, label, done, total, elapsed, with_extra ? extra : NULL,
            bar_width);
    size_t len = strlen(line);
    if (len > room)
        len = room;
    memcpy(buf, line, len);
    buf[len] = '\0';
    return len;
}

static int terminal_width(FILE *out)
{
    struct winsize ws;
    int width = 0;
    if (ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        width = ws.ws_col;
    else if (getenv("COLUMNS") != NULL)
        width = atoi(getenv("COLUMNS"));
    if (width <= 0)
        width = 80;
    if (width < 20)
        width = 20;
    if (width > PROGRESS_LINE_MAX)
        width = PROGRESS_LINE_MAX;
    return width;
}

void progress_start_on(cli_progress *p, FILE *out, const char *label, uint64_t total,
                       int force)
{
    memset(p, 0, sizeof *p);
    p->out = out;
    p->enabled = out != NULL && (force || isatty(fileno(out)));
    p->width = p->enabled ? terminal_width(out) : 80;
    snprintf(p->label, sizeof p->label, "%s", label ? label : "");
    p->total = total;
    p->start = now_seconds();
    p->last_draw = -1e9; /* the first update draws */
}

void progress_start(cli_progress *p, const char *label, uint64_t total, int force)
{
    progress_start_on(p, stderr, label, total, force);
}

static void draw(cli_progress *p, double now)
{
    char line[PROGRESS_LINE_MAX];
    size_t len = progress_render(line, sizeof line, p->width, p->label, p->done, p->total,
                                 now - p->start, p->extra);
    fputc('\r', p->out);
    fputs(line, p->out);
    /* Blank what is left of a longer previous line. */
    for (size_t i = len; i < p->last_len; i++)
        fputc(' ', p->out);
    p->last_len = len;
    p->last_draw = now;
    fflush(p->out);
}

void progress_update(cli_progress *p, uint64_t done, const char *extra)
{
    if (p == NULL || !p->enabled)
        return;
    p->done = done;
    if (extra != NULL)
        snprintf(p->extra, sizeof p->extra, "%s", extra);
    double now = now_seconds();
    if (now - p->last_draw >= PROGRESS_INTERVAL)
        draw(p, now);
}

void progress_finish(cli_progress *p, uint64_t done, const char *extra)
{
    if (p == NULL || !p->enabled)
        return;
    p->done = done;
    if (extra != NULL)
        snprintf(p->extra, sizeof p->extra, "%s", extra);
    draw(p, now_seconds());
    fputc('\n', p->out);
    fflush(p->out);
    p->enabled = 0;
}
