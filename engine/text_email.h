/* text_email.h — turn a raw e-mail into the text worth tokenising.
 *
 * When the tokenizer's `email` option is on and a document looks like a
 * mail (text_email_looks_like_mail), the tokenizer feeds it through this
 * filter instead of reading it directly. The filter is a byte-at-a-time
 * state machine with small fixed buffers, so a mail of any size passes
 * through in bounded memory. It:
 *
 *  - keeps the text of the Subject header (and its folded continuation
 *    lines), decoding RFC 2047 encoded words ("=?utf-8?Q?...?=", B or Q,
 *    in UTF-8, US-ASCII or ISO-8859-1/windows-1252; others stay as
 *    typed), and drops every other header line, including an mbox
 *    "From " separator line; with text_email_keep_all_headers, the text
 *    of every header except the MIME Content-* ones is kept the same way
 *    (senders, recipients, dates, the Received route: in a mail
 *    collection they say which list, sender and period a mail belongs to);
 *  - decodes quoted-printable ("=XX" escapes, "=" line-end soft breaks)
 *    and base64 when the Content-Transfer-Encoding says so (decoded bytes
 *    of a part whose Content-Type names charset ISO-8859-1 or
 *    windows-1252 are read in that charset), and skips
 *    content whose Content-Type is not text, multipart or message
 *    (images, attachments). The mail's headers set this for the body; in
 *    the body, a line of at most 79 bytes that starts with "--" and holds
 *    no blank (a MIME boundary) is dropped and starts a new part (plain,
 *    not skipped), and a line starting with "Content-" (a part header) is
 *    dropped with its folded continuation lines after applying what it
 *    says. A simple line-based rule, not a full MIME parser;
 *  - strips HTML tags (a tag is "<" followed by a letter, "/", "!" or "?",
 *    up to the next ">"; a lone "<" stays text), skips <!-- comments -->
 *    and the contents of <script> and <style> elements, replaces each tag
 *    by a space, and decodes the entities &amp; &lt; &gt; &quot; &apos;
 *    &nbsp; and numeric &#NNN; / &#xHH; (unknown entities stay as typed).
 *
 * It does not convert other character sets, nor 8-bit text that is not
 * transfer-encoded (that is read as UTF-8),
 * and it does not handle ">" inside quoted attribute values. The filter
 * only transforms bytes; it never fails except by passing on an error
 * returned by the output callback.
 */
#ifndef SH_TEXT_EMAIL_H
#define SH_TEXT_EMAIL_H

#include <stddef.h>

/* Receives filtered bytes. Pieces always end on a UTF-8 character
 * boundary, except possibly the last one. Returns 0 to continue, anything
 * else to stop the filter (that value is passed back to the caller). */
typedef int (*text_emit_fn)(void *sink, const char *bytes, size_t n);

/* Filter state. Fields are private; the struct is public only so that it
 * can live inside other structs without an allocation. */
typedef struct {
    int state, html_state, qp, qp_state, header_kind;
    int base64, skip_part, latin1, b64_count;
    unsigned long b64_acc;
    int body_line_start, part_header, after_part_header, keep_all_headers, extra_header;
    char name[32];
    size_t name_len;
    char value[64];
    size_t value_len;
    char prefix[80];      /* the start of a body line, until it is classified */
    size_t prefix_len;
    char qp_hex;
    char tag[12];
    size_t tag_len;
    char entity[12];
    size_t entity_len;
    const char *skip_pattern;
    size_t skip_match, comment_dashes;
    char out[1024];
    size_t out_len, out_cap;  /* out_cap: emit once this many bytes are held */
    text_emit_fn emit;
    void *sink;
    int status;
} text_email_filter;

/* 1 if text starts with a mail header block: every line up to the first
 * blank line (or the end) is a header "Name: value", a folded
 * continuation, or (first line only) an mbox "From " line; at least one
 * header has a usual mail name (From, To, Subject, Date, Received,
 * Message-ID, ...). Looks at most at the first 64 KiB. Cannot fail. */
int text_email_looks_like_mail(const char *text, size_t len);

/* Starts filtering a new mail; filtered bytes go to emit(sink, ...).
 * Cannot fail. */
void text_email_begin(text_email_filter *f, text_emit_fn emit, void *sink);

/* keep_all 1: keep the text of every mail header except the MIME
 * Content-* ones; 0 (after text_email_begin): the Subject's only. Call
 * before feeding. Cannot fail. */
void text_email_keep_all_headers(text_email_filter *f, int keep_all);

/* Inside emit: 1 if the piece handed over is the text of a header other
 * than the Subject (only with keep_all_headers; such a piece holds nothing
 * else), so that a sink wanting a mail's readable text (the index's
 * snippets: Subject and body) can pass over it. Cannot fail. */
int text_email_piece_is_header(const text_email_filter *f);

/* Makes the filter hand its text out in pieces of at most max_bytes
 * (clamped to 8..1024; 1024 after text_email_begin), so that a sink
 * that needs only a short prefix can stop the filter early. Call before
 * feeding. Cannot fail. */
void text_email_set_piece(text_email_filter *f, size_t max_bytes);

/* Filters n more bytes. Returns 0, or the first nonzero value returned
 * by emit (after which the filter ignores further input). */
int text_email_feed(text_email_filter *f, const char *bytes, size_t n);

/* Flushes what is buffered. Returns 0 or emit's nonzero value. */
int text_email_end(text_email_filter *f);

/* Convenience for tests and debugging: the whole filtered text of a mail
 * as a new NUL-terminated malloc'd string (*out, free with free()) of
 * *out_len bytes. Returns 0 or SH_ENOMEM (*out unchanged). */
int text_email_to_plain(const char *text, size_t len, char **out, size_t *out_len);

#endif
