/* text_email.c — the mail filter: headers, MIME parts, transfer
 * encodings, HTML.
 *
 * Small state machines in a row, each fed one byte at a time:
 * header / body-line framing (mail_byte, body_byte) -> transfer decoding
 * (decode_byte: quoted-printable or base64, or nothing in a skipped part) ->
 * HTML stripping (html_byte) -> an output buffer flushed to the caller's
 * emit function at UTF-8 character boundaries. Where a run of bytes would
 * only be dropped or copied out (a header line that is not kept, plain
 * HTML text, a tag's contents), fast_run takes it in one step.
 */
#include "text_email.h"
#include "sh_error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { S_HDR_START, S_HDR_NAME, S_HDR_VALUE, S_BODY };
/* Header kinds: dropped, text kept (Subject, or every non-MIME header with
 * keep_all_headers), the part's transfer encoding, its content type. */
enum { K_OTHER, K_TEXT, K_CTE, K_CT };
enum { H_TEXT, H_LT, H_TAG_NAME, H_TAG, H_COMMENT, H_SKIP, H_ENTITY };

#define MAIL_SCAN_LIMIT 65536

static int lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

static int is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = lower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Case-insensitive equality of a counted name with a lowercase literal
 * (read only as far as it matches: no strlen per comparison). */
static int name_is(const char *name, size_t len, const char *lit)
{
    for (size_t i = 0; i < len; i++)
        if (lit[i] == '\0' || lower((unsigned char)name[i]) != lit[i])
            return 0;
    return lit[len] == '\0';
}

/* Does the lowercase haystack contain needle? */
static int contains(const char *hay, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(hay + i, needle, n) == 0)
            return 1;
    return 0;
}

/* ---- looks like a mail? ------------------------------------------------ */

static int header_name_char(int c)
{
    return c > ' ' && c < 127 && c != ':';
}

static int usual_mail_header(const char *name, size_t len)
{
    static const char *const names[] = {
        "from", "to", "cc", "subject", "date", "received", "message-id",
        "return-path", "delivered-to", "reply-to", "sender", "mime-version",
        "content-type", "content-transfer-encoding", "in-reply-to",
        "references", "x-mailer",
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (name_is(name, len, names[i]))
            return 1;
    return 0;
}

int text_email_looks_like_mail(const char *text, size_t len)
{
    size_t limit = len < MAIL_SCAN_LIMIT ? len : MAIL_SCAN_LIMIT;
    size_t pos = 0;
    int headers = 0, usual = 0, first = 1;
    while (pos < limit) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', limit - pos);
        if (nl == NULL && limit < len)
            return 0; /* header block longer than we are willing to scan */
        size_t line_len = nl ? (size_t)(nl - line) : limit - pos;
        if (line_len > 0 && line[line_len - 1] == '\r')
            line_len--;
        if (line_len == 0)
            break; /* the blank line that ends the headers */
        if (first && line_len >= 5 && memcmp(line, "From ", 5) == 0) {
            /* mbox separator */
        } else if (line[0] == ' ' || line[0] == '\t') {
            if (headers == 0)
                return 0;
        } else {
            size_t n = 0;
            while (n < line_len && header_name_char((unsigned char)line[n]))
                n++;
            if (n == 0 || n >= line_len || line[n] != ':')
                return 0;
            headers++;
            usual |= usual_mail_header(line, n);
        }
        first = 0;
        if (nl == NULL)
            break;
        pos += (size_t)(nl - line) + 1;
    }
    return headers > 0 && usual;
}

/* ---- output ------------------------------------------------------------ */

/* Emits the buffered bytes, keeping back an incomplete UTF-8 sequence at
 * the end unless final. */
static void flush(text_email_filter *f, int final)
{
    if (f->status != 0 || f->out_len == 0)
        return;
    size_t keep = 0;
    if (!final) {
        /* Walk back over at most 3 continuation bytes to a lead byte. */
        size_t i = f->out_len;
        size_t back = 0;
        while (i > 0 && back < 4) {
            unsigned char c = (unsigned char)f->out[i - 1];
            back++;
            i--;
            if ((c & 0xC0) != 0x80) {
                size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
                if (need > back)
                    keep = back;
                break;
            }
        }
    }
    size_t n = f->out_len - keep;
    if (n > 0)
        f->status = f->emit(f->sink, f->out, n);
    memmove(f->out, f->out + n, keep);
    f->out_len = keep;
}

static void out_byte(text_email_filter *f, char c)
{
    if (f->out_len >= f->out_cap)
        flush(f, 0);
    f->out[f->out_len++] = c;
}

/* Starts a run of output that is (extra 1) or is not the text of a header
 * other than the Subject; what is held of the other kind goes out first,
 * so that each piece emit gets is of one kind. */
static void set_piece_kind(text_email_filter *f, int extra)
{
    if (f->extra_header != extra) {
        flush(f, 1);
        f->extra_header = extra;
    }
}

static void out_bytes(text_email_filter *f, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out_byte(f, s[i]);
}

/* The same as out_bytes for a long run: copies in pieces, flushing where
 * out_byte would. Stops once emit has failed (nothing goes out then). */
static void out_run(text_email_filter *f, const char *s, size_t n)
{
    while (n > 0 && f->status == 0) {
        if (f->out_len >= f->out_cap)
            flush(f, 0);
        size_t room = f->out_cap - f->out_len;
        size_t take = n < room ? n : room;
        memcpy(f->out + f->out_len, s, take);
        f->out_len += take;
        s += take;
        n -= take;
    }
}

static void out_codepoint(text_email_filter *f, uint32_t cp)
{
    char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        b[0] = (char)(0xF0 | (cp >> 18));
        b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    out_bytes(f, b, n);
}

/* ---- HTML ---------------------------------------------------------------- */

static void html_byte(text_email_filter *f, int c);

/* Decodes the entity in f->entity (without '&' and ';'); 0 if unknown. */
static int decode_entity(text_email_filter *f)
{
    static const struct { const char *name; uint32_t cp; } named[] = {
        { "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' },
        { "apos", '\'' }, { "nbsp", ' ' },
    };
    const char *e = f->entity;
    size_t n = f->entity_len;
    for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
        if (name_is(e, n, named[i].name)) {
            out_codepoint(f, named[i].cp);
            return 1;
        }
    }
    if (n < 2 || e[0] != '#')
        return 0;
    uint32_t cp = 0;
    int hex = lower((unsigned char)e[1]) == 'x';
    size_t start = hex ? 2 : 1;
    if (start >= n)
        return 0;
    for (size_t i = start; i < n; i++) {
        int v = hex ? hex_value((unsigned char)e[i])
                    : (e[i] >= '0' && e[i] <= '9' ? e[i] - '0' : -1);
        if (v < 0)
            return 0;
        cp = cp * (hex ? 16u : 10u) + (uint32_t)v;
        if (cp > 0x10FFFF)
            return 0;
    }
    if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    out_codepoint(f, cp);
    return 1;
}

static void end_tag(text_email_filter *f)
{
    out_byte(f, ' ');
    f->html_state = H_TEXT;
    if (name_is(f->tag, f->tag_len, "script")) {
        f->skip_pattern = "</script";
        f->html_state = H_SKIP;
    } else if (name_is(f->tag, f->tag_len, "style")) {
        f->skip_pattern = "</style";
        f->html_state = H_SKIP;
    }
    f->skip_match = 0;
}

static void html_byte(text_email_filter *f, int c)
{
    switch (f->html_state) {
    case H_TEXT:
        if (c == '<')
            f->html_state = H_LT;
        else if (c == '&') {
            f->entity_len = 0;
            f->html_state = H_ENTITY;
        } else
            out_byte(f, (char)c);
        return;
    case H_LT:
        if (is_alpha(c) || c == '/' || c == '!' || c == '?') {
            f->tag[0] = (char)lower(c);
            f->tag_len = 1;
            f->html_state = H_TAG_NAME;
        } else {
            out_byte(f, '<');
            f->html_state = H_TEXT;
            html_byte(f, c);
        }
        return;
    case H_TAG_NAME:
        if (c == '>') {
            end_tag(f);
        } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '/') {
            f->html_state = H_TAG;
        } else if (f->tag_len < sizeof(f->tag)) {
            f->tag[f->tag_len++] = (char)lower(c);
            if (f->tag_len == 3 && memcmp(f->tag, "!--", 3) == 0) {
                f->comment_dashes = 0;
                f->html_state = H_COMMENT;
            }
        }
        return;
    case H_TAG:
        if (c == '>')
            end_tag(f);
        return;
    case H_COMMENT:
        if (c == '>' && f->comment_dashes >= 2) {
            out_byte(f, ' ');
            f->html_state = H_TEXT;
        } else
            f->comment_dashes = c == '-' ? f->comment_dashes + 1 : 0;
        return;
    case H_SKIP:
        if (lower(c) == f->skip_pattern[f->skip_match]) {
            if (f->skip_pattern[++f->skip_match] == '\0') {
                f->tag_len = 0; /* the closing tag ends the skip */
                f->html_state = H_TAG;
            }
        } else
            f->skip_match = c == '<' ? 1 : 0;
        return;
    case H_ENTITY:
        if (c == ';') {
            f->html_state = H_TEXT;
            if (!decode_entity(f)) {
                out_byte(f, '&');
                out_bytes(f, f->entity, f->entity_len);
                out_byte(f, ';');
            }
        } else if ((is_alpha(c) || (c >= '0' && c <= '9') || c == '#') &&
                   f->entity_len < sizeof(f->entity)) {
            f->entity[f->entity_len++] = (char)c;
        } else {
            out_byte(f, '&');
            out_bytes(f, f->entity, f->entity_len);
            f->html_state = H_TEXT;
            html_byte(f, c);
        }
        return;
    }
}

/* ---- transfer decoding: quoted-printable, base64 ---------------------------- */

enum { QP_TEXT, QP_EQUALS, QP_HEX, QP_CR };

/* A byte produced by transfer decoding. In a part declared ISO-8859-1 or
 * windows-1252, a byte >= 0x80 is that charset's character (8-bit text
 * that arrives undecoded is taken as UTF-8, as everywhere else). */
static void decoded_byte(text_email_filter *f, int b)
{
    if (f->latin1 && b >= 0x80 && f->html_state == H_TEXT)
        out_codepoint(f, (uint32_t)b);
    else
        html_byte(f, b);
}

static int base64_value(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Base64: four sextets give three bytes; "=" padding flushes a partial
 * group; anything outside the alphabet (line breaks) is ignored. */
static void base64_byte(text_email_filter *f, int c)
{
    if (c == '=') {
        if (f->b64_count == 2)
            decoded_byte(f, (int)((f->b64_acc >> 4) & 0xFF));
        else if (f->b64_count == 3) {
            decoded_byte(f, (int)((f->b64_acc >> 10) & 0xFF));
            decoded_byte(f, (int)((f->b64_acc >> 2) & 0xFF));
        }
        f->b64_count = 0;
        f->b64_acc = 0;
        return;
    }
    int v = base64_value(c);
    if (v < 0)
        return;
    f->b64_acc = (f->b64_acc << 6) | (unsigned long)v;
    if (++f->b64_count == 4) {
        decoded_byte(f, (int)((f->b64_acc >> 16) & 0xFF));
        decoded_byte(f, (int)((f->b64_acc >> 8) & 0xFF));
        decoded_byte(f, (int)(f->b64_acc & 0xFF));
        f->b64_count = 0;
        f->b64_acc = 0;
    }
}

static void decode_byte(text_email_filter *f, int c)
{
    if (f->skip_part)
        return;
    if (f->base64) {
        base64_byte(f, c);
        return;
    }
    if (!f->qp) {
        html_byte(f, c);
        return;
    }
    switch (f->qp_state) {
    case QP_TEXT:
        if (c == '=')
            f->qp_state = QP_EQUALS;
        else
            html_byte(f, c);
        return;
    case QP_EQUALS:
        f->qp_state = QP_TEXT;
        if (c == '\n')
            return; /* soft line break */
        if (c == '\r') {
            f->qp_state = QP_CR;
        } else if (hex_value(c) >= 0) {
            f->qp_hex = (char)c;
            f->qp_state = QP_HEX;
        } else {
            html_byte(f, '=');
            decode_byte(f, c);
        }
        return;
    case QP_HEX:
        f->qp_state = QP_TEXT;
        if (hex_value(c) >= 0) {
            decoded_byte(f, hex_value((unsigned char)f->qp_hex) * 16 + hex_value(c));
        } else {
            html_byte(f, '=');
            html_byte(f, (unsigned char)f->qp_hex);
            decode_byte(f, c);
        }
        return;
    case QP_CR:
        f->qp_state = QP_TEXT;
        if (c != '\n')
            decode_byte(f, c);
        return;
    }
}

/* ---- headers and body framing ------------------------------------------ */

/* No transfer decoding, nothing half decoded. */
static void reset_decoders(text_email_filter *f)
{
    f->qp = 0;
    f->base64 = 0;
    f->qp_state = 0;
    f->b64_count = 0;
    f->b64_acc = 0;
}

/* Applies a Content-Transfer-Encoding or Content-Type value just read
 * (lowercase in f->value). */
static void apply_content_header(text_email_filter *f)
{
    if (f->header_kind == K_CTE) {
        reset_decoders(f);
        f->qp = contains(f->value, f->value_len, "quoted-printable");
        f->base64 = contains(f->value, f->value_len, "base64");
    } else if (f->header_kind == K_CT) {
        size_t i = 0;
        while (i < f->value_len && (f->value[i] == ' ' || f->value[i] == '\t'))
            i++;
        const char *v = f->value + i;
        size_t n = f->value_len - i;
        f->skip_part = !((n >= 5 && memcmp(v, "text/", 5) == 0) ||
                         (n >= 10 && memcmp(v, "multipart/", 10) == 0) ||
                         (n >= 8 && memcmp(v, "message/", 8) == 0));
        f->latin1 = contains(v, n, "iso-8859-1") || contains(v, n, "windows-1252") ||
                    contains(v, n, "latin1");
    }
}

/* ---- Subject: RFC 2047 encoded words ("=?charset?Q|B?text?=") ------------ */

/* Sends decoded bytes of an encoded word on, mapping ISO-8859-1 and
 * windows-1252 bytes to their characters (UTF-8 passes as it is). */
static void out_charset_byte(text_email_filter *f, int latin1, int byte)
{
    if (latin1 && byte >= 0x80)
        out_codepoint(f, (uint32_t)byte);
    else
        out_byte(f, (char)byte);
}

/* Decodes the encoded word held in f->prefix. Returns 0 if it is not a
 * well-formed encoded word in UTF-8, US-ASCII or ISO-8859-1 /
 * windows-1252 (the caller then emits it as typed). */
static int decode_encoded_word(text_email_filter *f)
{
    const char *w = f->prefix;
    size_t n = f->prefix_len;
    if (n < 8 || w[0] != '=' || w[1] != '?' || w[n - 2] != '?' || w[n - 1] != '=')
        return 0;
    const char *charset = w + 2;
    const char *q1 = memchr(charset, '?', n - 2);
    if (q1 == NULL || q1 + 3 > w + n - 2 || q1[2] != '?')
        return 0;
    size_t charset_len = (size_t)(q1 - charset);
    int latin1 = name_is(charset, charset_len, "iso-8859-1") ||
                 name_is(charset, charset_len, "windows-1252") ||
                 name_is(charset, charset_len, "latin1");
    int utf8 = name_is(charset, charset_len, "utf-8") || name_is(charset, charset_len, "us-ascii");
    int encoding = lower((unsigned char)q1[1]);
    if ((encoding != 'q' && encoding != 'b') || !(utf8 || latin1))
        return 0; /* a charset we cannot map: keep the word as typed */
    const char *text = q1 + 3, *end = w + n - 2;
    if (encoding == 'q') {
        for (const char *p = text; p < end; p++) {
            if (*p == '_')
                out_byte(f, ' ');
            else if (*p == '=' && p + 2 < end && hex_value((unsigned char)p[1]) >= 0 &&
                     hex_value((unsigned char)p[2]) >= 0) {
                out_charset_byte(f, latin1, hex_value((unsigned char)p[1]) * 16 +
                                            hex_value((unsigned char)p[2]));
                p += 2;
            } else
                out_charset_byte(f, latin1, (unsigned char)*p);
        }
        return 1;
    }
    unsigned long acc = 0;
    int bits = 0;
    for (const char *p = text; p < end; p++) {
        int v = base64_value((unsigned char)*p);
        if (v < 0)
            continue;
        acc = ((acc << 6) | (unsigned long)v) & 0xFFFFFF;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out_charset_byte(f, latin1, (int)((acc >> bits) & 0xFF));
        }
    }
    return 1;
}

static void flush_encoded_word(text_email_filter *f)
{
    if (f->prefix_len > 0 && !decode_encoded_word(f))
        out_bytes(f, f->prefix, f->prefix_len);
    f->prefix_len = 0;
}

/* Subject text goes out as typed, except encoded words, which are held
 * (at most 75 bytes, their RFC limit) and decoded. */
static void subject_byte(text_email_filter *f, int c)
{
    if (c == '\r')
        return;
    if (f->prefix_len == 0) {
        if (c == '=')
            f->prefix[f->prefix_len++] = (char)c;
        else
            out_byte(f, (char)c);
        return;
    }
    if (c == ' ' || c == '\t' || f->prefix_len == 75 || (f->prefix_len == 1 && c != '?')) {
        flush_encoded_word(f);
        subject_byte(f, c);
        return;
    }
    f->prefix[f->prefix_len++] = (char)c;
    /* "?=" ends the word once charset and encoding are behind us */
    if (c == '=' && f->prefix[f->prefix_len - 2] == '?') {
        size_t marks = 0;
        for (size_t i = 0; i < f->prefix_len; i++)
            marks += f->prefix[i] == '?';
        if (marks >= 4)
            flush_encoded_word(f);
    }
}

static void end_header_line(text_email_filter *f)
{
    apply_content_header(f);
    if (f->header_kind == K_TEXT) {
        flush_encoded_word(f);
        out_byte(f, ' ');
    }
}

/* A MIME boundary: the next part starts plain and visible. */
static void new_part(text_email_filter *f)
{
    reset_decoders(f);
    f->skip_part = 0;
    f->latin1 = 0;
}

static void start_body_line(text_email_filter *f)
{
    f->body_line_start = 1;
    f->prefix_len = 0;
}

/* Sends the held start of a line on as ordinary text. */
static void release_prefix(text_email_filter *f)
{
    f->body_line_start = 0;
    f->after_part_header = 0;
    for (size_t i = 0; i < f->prefix_len; i++)
        decode_byte(f, (unsigned char)f->prefix[i]);
    f->prefix_len = 0;
}

static int is_boundary_prefix(const text_email_filter *f)
{
    if (f->prefix_len < 2 || f->prefix[0] != '-' || f->prefix[1] != '-')
        return 0;
    for (size_t i = 2; i < f->prefix_len; i++)
        if (f->prefix[i] == ' ' || f->prefix[i] == '\t')
            return 0;
    return 1;
}

/* Could the held bytes still become "content-..."? */
static int is_part_header_prefix(const text_email_filter *f)
{
    static const char part_prefix[] = "content-";
    for (size_t i = 0; i < f->prefix_len; i++)
        if (i >= sizeof(part_prefix) - 1 || lower((unsigned char)f->prefix[i]) != part_prefix[i])
            return 0;
    return 1;
}

/* A part header line starts; a continuation line (new_header 0) goes on
 * with the header it continues (its kind and the value read so far). */
static void begin_part_header(text_email_filter *f, int new_header)
{
    f->part_header = 1;
    f->body_line_start = 0;
    f->prefix_len = 0;
    if (new_header) {
        f->header_kind = K_OTHER;
        f->name_len = 0;
        f->value_len = 0;
    }
}

/* The first bytes of a body line are held until the line is known to be
 * text, a MIME part header (or its continuation) or a boundary. */
static void body_line_start_byte(text_email_filter *f, int c)
{
    if (c == '\n' || c == '\r') {
        if (c == '\r' && f->prefix_len < sizeof(f->prefix)) {
            f->prefix[f->prefix_len++] = (char)c;
            return;
        }
        if (c == '\n' && is_boundary_prefix(f)) {
            f->after_part_header = 0;
            new_part(f);
            start_body_line(f); /* boundary line dropped */
            return;
        }
        release_prefix(f);
        decode_byte(f, c);
        if (c == '\n')
            start_body_line(f);
        return;
    }
    if (f->prefix_len == 0 && (c == ' ' || c == '\t') && f->after_part_header) {
        begin_part_header(f, 0); /* folded continuation of a part header */
        return;
    }
    if (f->prefix_len == sizeof(f->prefix)) {
        release_prefix(f);
        decode_byte(f, c);
        return;
    }
    f->prefix[f->prefix_len++] = (char)c;
    if (is_part_header_prefix(f)) {
        if (f->prefix_len == 8)
            begin_part_header(f, 1);
        return;
    }
    if (is_boundary_prefix(f) || (f->prefix_len == 1 && c == '-'))
        return;
    release_prefix(f);
}

static void body_byte(text_email_filter *f, int c)
{
    if (f->part_header) {
        if (c == '\n') {
            f->part_header = 0;
            apply_content_header(f);
            f->after_part_header = 1;
            decode_byte(f, '\n');
            start_body_line(f);
        } else if ((f->header_kind == K_CTE || f->header_kind == K_CT) &&
                   f->value_len < sizeof(f->value)) {
            f->value[f->value_len++] = (char)lower(c);
        } else if (f->name_len < sizeof(f->name) && c != ':' && f->header_kind == K_OTHER) {
            /* still reading the part header's name */
            f->name[f->name_len++] = (char)lower(c);
        } else if (c == ':' && f->header_kind == K_OTHER) {
            f->header_kind = name_is(f->name, f->name_len, "transfer-encoding") ? K_CTE
                : name_is(f->name, f->name_len, "type") ? K_CT : K_OTHER;
            f->value_len = 0;
            if (f->header_kind == K_OTHER)
                f->name_len = sizeof(f->name); /* stop collecting */
        }
        return;
    }
    if (f->body_line_start) {
        body_line_start_byte(f, c);
        return;
    }
    decode_byte(f, c);
    if (c == '\n')
        start_body_line(f);
}

/* The kind of the mail header whose name was just read. Content-* headers
 * are never text; a "name" holding a blank is not a header name (an mbox
 * "From " line, cut at the colon of its time). */
static int header_kind(const text_email_filter *f)
{
    if (name_is(f->name, f->name_len, "content-transfer-encoding"))
        return K_CTE;
    if (name_is(f->name, f->name_len, "content-type"))
        return K_CT;
    if (name_is(f->name, f->name_len, "subject"))
        return K_TEXT;
    if (!f->keep_all_headers || (f->name_len >= 8 && name_is(f->name, 8, "content-")))
        return K_OTHER;
    for (size_t i = 0; i < f->name_len; i++)
        if (f->name[i] == ' ' || f->name[i] == '\t')
            return K_OTHER;
    return K_TEXT;
}

static void mail_byte(text_email_filter *f, int c)
{
    switch (f->state) {
    case S_HDR_START:
        if (c == '\r')
            return;
        if (c == '\n') {
            f->state = S_BODY;
            set_piece_kind(f, 0);
            start_body_line(f);
        } else if (c == ' ' || c == '\t') {
            f->state = S_HDR_VALUE; /* folded continuation of the last header */
            if (f->header_kind == K_TEXT)
                out_byte(f, ' ');
        } else {
            f->name[0] = (char)c;
            f->name_len = 1;
            f->state = S_HDR_NAME;
        }
        return;
    case S_HDR_NAME:
        if (c == ':') {
            f->header_kind = header_kind(f);
            if (f->header_kind == K_TEXT)
                set_piece_kind(f, !name_is(f->name, f->name_len, "subject"));
            f->value_len = 0;
            f->state = S_HDR_VALUE;
        } else if (c == '\n') {
            f->header_kind = K_OTHER; /* a line without a colon: dropped */
            f->state = S_HDR_START;
        } else if (f->name_len < sizeof(f->name)) {
            f->name[f->name_len++] = (char)c;
        }
        return;
    case S_HDR_VALUE:
        if (c == '\n') {
            end_header_line(f);
            f->state = S_HDR_START;
        } else if (f->header_kind == K_TEXT) {
            subject_byte(f, c);
        } else if ((f->header_kind == K_CTE || f->header_kind == K_CT) &&
                   f->value_len < sizeof(f->value)) {
            f->value[f->value_len++] = (char)lower(c);
        }
        return;
    default:
        body_byte(f, c);
        return;
    }
}

void text_email_begin(text_email_filter *f, text_emit_fn emit, void *sink)
{
    memset(f, 0, sizeof(*f));
    f->state = S_HDR_START;
    f->html_state = H_TEXT;
    f->emit = emit;
    f->sink = sink;
    f->out_cap = sizeof(f->out);
}

int text_email_piece_is_header(const text_email_filter *f)
{
    return f->extra_header;
}

void text_email_keep_all_headers(text_email_filter *f, int keep_all)
{
    f->keep_all_headers = keep_all != 0;
}

void text_email_set_piece(text_email_filter *f, size_t max_bytes)
{
    f->out_cap = max_bytes < 8 ? 8 : max_bytes > sizeof(f->out) ? sizeof(f->out) : max_bytes;
}

/* ---- fast paths ------------------------------------------------------------ */

/* Bytes that end a run of the fast paths below, by what they end. */
enum {
    STOP_LINE = 1,     /* '\n': every state looks at line starts */
    STOP_QP = 2,       /* '=': a quoted-printable escape */
    STOP_TEXT = 4,     /* '<' and '&' in HTML text */
    STOP_TAG = 8,      /* '>' ends a tag or a comment */
    STOP_COMMENT = 16, /* '-' counts towards a comment's end */
    STOP_SKIP = 32     /* '<' may start the closing tag of a skipped element */
};

static const unsigned char stop_byte[256] = {
    ['\n'] = STOP_LINE,
    ['='] = STOP_QP,
    ['<'] = STOP_TEXT | STOP_SKIP,
    ['&'] = STOP_TEXT,
    ['>'] = STOP_TAG,
    ['-'] = STOP_COMMENT,
};

/* The length of the run at s[0..n) free of the stop bytes in mask. */
static size_t run_length(const char *s, size_t n, unsigned mask)
{
    size_t k = 0;
    while (k < n && !(stop_byte[(unsigned char)s[k]] & mask))
        k++;
    return k;
}

/* How many bytes at s[0..n) a fast path can take in the current state, in
 * one step that gives exactly what mail_byte would give byte by byte: a
 * header line that is dropped, a line of a skipped part, and in the body's
 * plain decoding (no base64, no half-read quoted-printable escape) HTML
 * text (copied out), tag and comment contents and skipped script or style
 * contents (dropped); also a header's name (collected) and a base64 line
 * (decoded without the per-byte dispatch). 0 when the next byte needs
 * mail_byte. */
static size_t fast_run(text_email_filter *f, const char *s, size_t n)
{
    if (f->state == S_HDR_VALUE && f->header_kind == K_OTHER) {
        const char *nl = memchr(s, '\n', n);
        return nl ? (size_t)(nl - s) : n;
    }
    if (f->state == S_HDR_NAME) { /* collected up to ':' or the line's end */
        size_t k = 0;
        while (k < n && s[k] != ':' && s[k] != '\n')
            k++;
        size_t room = sizeof(f->name) - f->name_len;
        size_t take = k < room ? k : room;
        memcpy(f->name + f->name_len, s, take);
        f->name_len += take;
        return k;
    }
    if (f->state != S_BODY || f->part_header || f->body_line_start)
        return 0;
    if (f->skip_part) {
        const char *nl = memchr(s, '\n', n);
        return nl ? (size_t)(nl - s) : n;
    }
    if (f->base64) { /* the rest of the line, straight to the decoder */
        size_t k = 0;
        for (; k < n && s[k] != '\n' && f->status == 0; k++)
            base64_byte(f, (unsigned char)s[k]);
        return k;
    }
    if (f->qp && f->qp_state != QP_TEXT)
        return 0;
    unsigned mask = STOP_LINE | (f->qp ? STOP_QP : 0);
    size_t k;
    switch (f->html_state) {
    case H_TEXT:
        k = run_length(s, n, mask | STOP_TEXT);
        out_run(f, s, k);
        return k;
    case H_TAG:
        return run_length(s, n, mask | STOP_TAG);
    case H_COMMENT:
        k = run_length(s, n, mask | STOP_TAG | STOP_COMMENT);
        if (k > 0)
            f->comment_dashes = 0;
        return k;
    case H_SKIP:
        if (f->skip_match != 0)
            return 0;
        return run_length(s, n, mask | STOP_SKIP);
    default:
        return 0;
    }
}

int text_email_feed(text_email_filter *f, const char *bytes, size_t n)
{
    size_t i = 0;
    while (i < n && f->status == 0) {
        size_t k = fast_run(f, bytes + i, n - i);
        if (k == 0) {
            mail_byte(f, (unsigned char)bytes[i]);
            k = 1;
        }
        i += k;
    }
    return f->status;
}

int text_email_end(text_email_filter *f)
{
    if (f->state == S_HDR_VALUE)
        end_header_line(f);
    /* Text held back by an unfinished construct is emitted as it was,
     * except a final boundary line. */
    if (f->state == S_BODY && f->body_line_start && !is_boundary_prefix(f))
        release_prefix(f);
    f->prefix_len = 0;
    if (f->qp && f->qp_state == QP_HEX) {
        html_byte(f, '=');
        html_byte(f, (unsigned char)f->qp_hex);
    } else if (f->qp && f->qp_state == QP_EQUALS) {
        html_byte(f, '=');
    }
    f->qp_state = QP_TEXT;
    if (f->html_state == H_LT)
        out_byte(f, '<');
    else if (f->html_state == H_ENTITY) {
        out_byte(f, '&');
        out_bytes(f, f->entity, f->entity_len);
    }
    f->html_state = H_TEXT;
    flush(f, 1);
    return f->status;
}

/* ---- whole-text convenience --------------------------------------------- */

typedef struct {
    char *buf;
    size_t len, cap;
} grow_buf;

static int append_to_buf(void *sink, const char *bytes, size_t n)
{
    grow_buf *g = sink;
    if (g->len + n + 1 > g->cap) {
        size_t cap = g->cap ? g->cap : 256;
        while (cap < g->len + n + 1)
            cap *= 2;
        char *b = realloc(g->buf, cap);
        if (b == NULL)
            return SH_ENOMEM;
        g->buf = b;
        g->cap = cap;
    }
    memcpy(g->buf + g->len, bytes, n);
    g->len += n;
    g->buf[g->len] = '\0';
    return 0;
}

int text_email_to_plain(const char *text, size_t len, char **out, size_t *out_len)
{
    grow_buf g = { NULL, 0, 0 };
    text_email_filter f;
    int rc = append_to_buf(&g, "", 0);
    if (rc != 0)
        goto fail;
    text_email_begin(&f, append_to_buf, &g);
    rc = text_email_feed(&f, text, len);
    if (rc == 0)
        rc = text_email_end(&f);
    if (rc != 0)
        goto fail;
    *out = g.buf;
    *out_len = g.len;
    return 0;
fail:
    free(g.buf);
    return rc;
}
