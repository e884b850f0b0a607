/* test_text_email.c — the mail filter on a small hand-written mail with
 * headers, HTML and quoted-printable, and the mail detector. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "test_text_util.h"
#include "text_email.h"
#include "text_tokenize.h"

static const char mail[] =
    "From alice@example.com  Mon Jul 29 11:28:02 2002\n"
    "Return-Path: <alice@example.com>\n"
    "From: Alice Zyxwv <alice@example.com>\n"
    "To: bob@example.com\n"
    "Subject: Cheap watches\n"
    "  for everyone\n"
    "Content-Type: text/html; charset=utf-8\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "\n"
    "<html><head><style>p { color: red; }</style>"
    "<script>if (a<b) { x = \"<b>hidden</b>\"; }</script></head>\n"
    "<body><p>Caf=C3=A9 &amp; cr=\n"
    "=C3=A8me &lt;today&gt; &#72;&#x49; 50=25 off=3D</p>"
    "<!-- secret -- comment --> a < b &bogus; end</body></html>\n";

/* The filtered text of a mail (malloc'd; the caller frees it). */
static char *filtered(const char *m)
{
    char *plain = NULL;
    size_t len = 0;
    ck_assert_int_eq(text_email_to_plain(m, strlen(m), &plain, &len), 0);
    ck_assert_uint_eq(strlen(plain), len);
    return plain;
}

static const char multipart[] =
    "From: x@y\nContent-Type: multipart/alternative;\n\tboundary=\"----=_NextPart_000\"\n\n"
    "This is a multi-part message.\n\n"
    "------=_NextPart_000\r\n"
    "Content-Type: text/plain;\r\n"
    "\tcharset=\"iso-8859-1\"\r\n"
    "Content-Transfer-Encoding: 7bit\r\n\r\n"
    "hello world\n"
    "  indented text stays\n"
    "-- \nsignature here\n"
    "-x not a boundary\n"
    "------=_NextPart_000--";

static const char with_base64[] =
    "From: x@y\nContent-Type: multipart/mixed; boundary=\"zz\"\n\n"
    "--zz\n"
    "Content-Type: text/html; charset=utf-8\n"
    "Content-Transfer-Encoding: base64\n\n"
    "SGVsbG8gYmFzZTY0IHfD\r\n"
    "tnJsZCwgPGI+Ym9sZDwvYj4gJmFtcDsgbW9yZQ==\n"
    "--zz\n"
    "Content-Type: image/png;\n"
    "  name=\"secret.png\"\n"
    "Content-Transfer-Encoding: base64\n\n"
    "U0VDUkVUSU1BR0UgcGF5bG9hZA==\n"
    "--zz\n\n"
    "plain after\n"
    "--zz--\n";

START_TEST(headers_html_and_quoted_printable)
{
    char *plain = filtered(mail);
    ck_assert_ptr_nonnull(strstr(plain, "Cheap watches"));
    ck_assert_ptr_nonnull(strstr(plain, "for everyone"));
    ck_assert_ptr_nonnull(strstr(plain, "Caf\xc3\xa9 & cr\xc3\xa8me <today> HI 50% off="));
    ck_assert_ptr_nonnull(strstr(plain, " a < b &bogus; end"));
    const char *absent[] = { "alice", "Alice", "Zyxwv", "bob", "Return", "charset",
                             "color", "hidden", "secret", "comment", "html", "=C3",
                             "quoted", "Mon Jul" };
    for (size_t i = 0; i < sizeof absent / sizeof absent[0]; i++)
        ck_assert_msg(strstr(plain, absent[i]) == NULL, "'%s' leaked into: %s", absent[i], plain);
    free(plain);
}
END_TEST

typedef struct {
    char buf[4096];
    size_t len;
} sink_buf;

static int to_sink(void *sink, const char *bytes, size_t n)
{
    sink_buf *s = sink;
    ck_assert_uint_lt(s->len + n, sizeof s->buf);
    memcpy(s->buf + s->len, bytes, n);
    s->len += n;
    return 0;
}

START_TEST(byte_at_a_time_feeding_gives_the_same_text)
{
    const char *mails[] = { mail, multipart, with_base64,
                            "Subject: =?utf-8?Q?Caf=C3=A9?= x =?utf-8?B?w6k=?=\n\nb" };
    for (int m = 0; m < 4; m++) {
        char *whole = filtered(mails[m]);
        size_t whole_len = strlen(whole);
        static sink_buf s;
        s.len = 0;
        text_email_filter f;
        text_email_begin(&f, to_sink, &s);
        for (size_t i = 0; mails[m][i] != '\0'; i++)
            ck_assert_int_eq(text_email_feed(&f, mails[m] + i, 1), 0);
        ck_assert_int_eq(text_email_end(&f), 0);
        ck_assert_uint_eq(s.len, whole_len);
        ck_assert(memcmp(s.buf, whole, whole_len) == 0);
        free(whole);
    }
}
END_TEST

START_TEST(all_headers_keep_their_text_but_not_the_mime_ones)
{
    const char m[] = "From nobody  Mon Jul 29 11:28:02 2002\n"
                     "Received: from relay.example.org\n"
                     "\tby mx.example.net; Tue\n"
                     "From: =?utf-8?Q?Ren=C3=A9?= <rene@example.org>\n"
                     "Content-Type: text/plain; charset=utf-8\n"
                     "Content-Transfer-Encoding: quoted-printable\n"
                     "Content-Disposition: inline; filename=notes\n"
                     "X-Mailer: Zorp 1.0\n"
                     "\n"
                     "body=3Dtext\n";
    static sink_buf s;
    s.len = 0;
    text_email_filter f;
    text_email_begin(&f, to_sink, &s);
    text_email_keep_all_headers(&f, 1);
    ck_assert_int_eq(text_email_feed(&f, m, strlen(m)), 0);
    ck_assert_int_eq(text_email_end(&f), 0);
    s.buf[s.len] = '\0';
    const char *present[] = { "from relay.example.org", "by mx.example.net; Tue",
                              "Ren\xc3\xa9 <rene@example.org>", "Zorp 1.0", "body=text" };
    for (size_t i = 0; i < sizeof present / sizeof present[0]; i++)
        ck_assert_msg(strstr(s.buf, present[i]) != NULL, "'%s' missing from: %s", present[i], s.buf);
    const char *absent[] = { "nobody", "Mon Jul", "charset", "quoted", "filename", "notes" };
    for (size_t i = 0; i < sizeof absent / sizeof absent[0]; i++)
        ck_assert_msg(strstr(s.buf, absent[i]) == NULL, "'%s' leaked into: %s", absent[i], s.buf);
}
END_TEST

/* A mail of about 60 KB with every kind of run the filter takes in one
 * step: long dropped header lines, HTML text longer than the output
 * buffer, tags, comments, script, quoted-printable, a skipped part. */
static char *long_mail(size_t *len)
{
    size_t cap = 1 << 17, n = 0;
    char *m = malloc(cap);
    ck_assert_ptr_nonnull(m);
#define PUT(str) do { size_t l_ = strlen(str); memcpy(m + n, str, l_); n += l_; } while (0)
    PUT("From: x@y\nReceived: ");
    for (int i = 0; i < 300; i++)
        PUT("by relay.example.com ");
    PUT("\nSubject: long one\nContent-Type: multipart/mixed; boundary=\"b\"\n\n--b\n"
        "Content-Type: text/html\nContent-Transfer-Encoding: quoted-printable\n\n");
    for (int i = 0; i < 150; i++) {
        PUT("<p class=3D\"x\">caf=C3=A9 words and more words");
        PUT(i % 7 ? " plain " : "=\n soft break ");
        PUT("<!-- a comment - with -- dashes --> &amp; <script>x<y</script> end</p>");
    }
    PUT("\n--b\nContent-Type: image/gif\n\n");
    for (int i = 0; i < 200; i++)
        PUT("R0lGODlhAQABAIAAAP///wAAACwAAAAAAQABAAACAkQBADs=\n");
    PUT("--b\nContent-Type: text/plain\n\n");
    for (int i = 0; i < 400; i++)
        PUT("a long plain line without any break at all ");
    PUT("\n--b--\n");
#undef PUT
    ck_assert_uint_lt(n, cap);
    m[n] = '\0';
    *len = n;
    return m;
}

typedef struct {
    char *buf;
    size_t len, cap;
    size_t calls, stop_after; /* stop_after > 0: return 7 once len >= it */
    size_t max_piece;         /* > 0: no call may hand more */
} grow_sink;

static int to_grow_sink(void *sink, const char *bytes, size_t n)
{
    grow_sink *s = sink;
    ck_assert(s->stop_after == 0 || s->len < s->stop_after); /* no call after a stop */
    s->calls++;
    ck_assert(s->max_piece == 0 || n <= s->max_piece);
    if (s->len + n > s->cap) {
        s->cap = 2 * (s->len + n);
        s->buf = realloc(s->buf, s->cap);
        ck_assert_ptr_nonnull(s->buf);
    }
    memcpy(s->buf + s->len, bytes, n);
    s->len += n;
    return s->stop_after && s->len >= s->stop_after ? 7 : 0;
}

START_TEST(long_runs_give_the_same_text_in_any_pieces)
{
    size_t len;
    char *m = long_mail(&len);
    char *whole = filtered(m);
    size_t whole_len = strlen(whole);
    ck_assert_uint_gt(whole_len, 20000);
    ck_assert_ptr_null(strstr(whole, "R0lGOD"));
    ck_assert_ptr_null(strstr(whole, "relay"));
    ck_assert_ptr_nonnull(strstr(whole, "caf\xc3\xa9 words and more words soft break"));
    uint64_t x = 12345;
    for (int round = 0; round < 4; round++) {
        grow_sink s = { NULL, 0, 0, 0, 0, 0 };
        text_email_filter f;
        text_email_begin(&f, to_grow_sink, &s);
        for (size_t i = 0; i < len;) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            size_t piece = round == 0 ? 1 : round == 1 ? 1 + x % 7 : 1 + x % 3000;
            if (piece > len - i)
                piece = len - i;
            ck_assert_int_eq(text_email_feed(&f, m + i, piece), 0);
            i += piece;
        }
        ck_assert_int_eq(text_email_end(&f), 0);
        ck_assert_uint_eq(s.len, whole_len);
        ck_assert(memcmp(s.buf, whole, whole_len) == 0);
        free(s.buf);
    }
    /* smaller pieces: the same text, never more than asked for at once */
    const size_t pieces[] = { 1, 8, 100, 320, 5000 };
    for (size_t p = 0; p < sizeof pieces / sizeof pieces[0]; p++) {
        size_t expect = pieces[p] < 8 ? 8 : pieces[p] > 1024 ? 1024 : pieces[p];
        grow_sink s = { NULL, 0, 0, 0, 0, expect };
        text_email_filter f;
        text_email_begin(&f, to_grow_sink, &s);
        text_email_set_piece(&f, pieces[p]);
        ck_assert_int_eq(text_email_feed(&f, m, len), 0);
        ck_assert_int_eq(text_email_end(&f), 0);
        ck_assert_uint_eq(s.len, whole_len);
        ck_assert(memcmp(s.buf, whole, whole_len) == 0);
        ck_assert_uint_ge(s.calls, whole_len / expect);
        free(s.buf);
    }
    /* a sink that stops: the filter stops at once and returns its value */
    grow_sink s = { NULL, 0, 0, 0, 1500, 0 };
    text_email_filter f;
    text_email_begin(&f, to_grow_sink, &s);
    ck_assert_int_eq(text_email_feed(&f, m, len), 7);
    ck_assert_int_eq(text_email_feed(&f, m, len), 7);
    ck_assert_int_eq(text_email_end(&f), 7);
    ck_assert_uint_le(s.len, 1500 + sizeof f.out);
    ck_assert(memcmp(s.buf, whole, s.len) == 0);
    free(s.buf);
    free(whole);
    free(m);
}
END_TEST

START_TEST(tokenizer_uses_the_filter_only_for_mails)
{
    sh_text_config cfg = tt_text_defaults();
    cfg.email_headers = SH_EMAIL_SUBJECT;
    ck_assert_str_eq(tt_tokens_cfg(&cfg, mail),
                     "cheap|watches|caf\xc3\xa9|cr\xc3\xa8me|today|hi|bogus|end");
    /* every header but the MIME ones (the default); not the mbox line */
    cfg.email_headers = SH_EMAIL_ALL_HEADERS;
    ck_assert_str_eq(tt_tokens_cfg(&cfg, mail),
                     "alice|example|com|alice|zyxwv|alice|example|com|bob|example|com|"
                     "cheap|watches|caf\xc3\xa9|cr\xc3\xa8me|today|hi|bogus|end");
    /* the 50 is "50=25" decoded to "50%": digits only, dropped */
    cfg.numbers = 1;
    ck_assert_ptr_nonnull(strstr(tt_tokens_cfg(&cfg, mail), "|hi|50|bogus|"));
    cfg.numbers = 0;
    cfg.email = 0;
    const char *raw = tt_tokens_cfg(&cfg, mail);
    ck_assert_ptr_nonnull(strstr(raw, "alice"));
    ck_assert_ptr_nonnull(strstr(raw, "c3"));
    /* not a mail: angle brackets and entities stay as typed */
    cfg.email = 1;
    ck_assert_str_eq(tt_tokens_cfg(&cfg, "Note: <b>bold</b> &amp; more"), "note|bold|amp");
}
END_TEST

START_TEST(quoted_printable_only_when_declared)
{
    char *plain = filtered("Subject: hi\n\nsoft=\nbreak =41=42\n");
    ck_assert_str_eq(plain, " hi soft=\nbreak =41=42\n");
    free(plain);
    /* a MIME part header in the body switches decoding on; CRLF breaks */
    const char *part = "From: x@y\r\nContent-Type: multipart/alternative\r\n\r\n"
                       "--b\r\nContent-Type: text/plain\r\n"
                       "Content-Transfer-Encoding: Quoted-Printable\r\n\r\n"
                       "soft=\r\nbreak =41=42 =ZZ\r\n";
    plain = filtered(part);
    ck_assert_ptr_nonnull(strstr(plain, "softbreak AB =ZZ"));
    ck_assert_ptr_null(strstr(plain, "Content"));
    ck_assert_ptr_null(strstr(plain, "multipart"));
    free(plain);
}
END_TEST

START_TEST(mime_boundaries_and_folded_part_headers_are_dropped)
{
    char *plain = filtered(multipart);
    ck_assert_ptr_nonnull(strstr(plain, "This is a multi-part message."));
    ck_assert_ptr_nonnull(strstr(plain, "hello world"));
    ck_assert_ptr_nonnull(strstr(plain, "  indented text stays"));
    ck_assert_ptr_nonnull(strstr(plain, "-- \nsignature here"));
    ck_assert_ptr_nonnull(strstr(plain, "-x not a boundary"));
    const char *absent[] = { "NextPart", "charset", "iso", "7bit", "Content", "multipart" };
    for (size_t i = 0; i < sizeof absent / sizeof absent[0]; i++)
        ck_assert_msg(strstr(plain, absent[i]) == NULL, "'%s' leaked into: %s", absent[i], plain);
    free(plain);
}
END_TEST

START_TEST(base64_text_parts_decoded_and_attachments_skipped)
{
    char *plain = filtered(with_base64);
    ck_assert_ptr_nonnull(strstr(plain, "Hello base64 w\xc3\xb6rld,  bold  & more"));
    ck_assert_ptr_nonnull(strstr(plain, "plain after"));
    const char *absent[] = { "SECRET", "U0VD", "secret", "png", "SGVs" };
    for (size_t i = 0; i < sizeof absent / sizeof absent[0]; i++)
        ck_assert_msg(strstr(plain, absent[i]) == NULL, "'%s' leaked into: %s", absent[i], plain);
    free(plain);
    /* a single-part base64 mail, padding of one and two bytes */
    plain = filtered("Subject: s\nContent-Transfer-Encoding: BASE64\n\nYWI= YWJjZA==");
    ck_assert_str_eq(plain, " s ababcd");
    free(plain);
    /* a non-text single part shows only its subject */
    plain = filtered("Subject: pic\nContent-Type: application/octet-stream\n\nbinarystuff");
    ck_assert_str_eq(plain, " pic ");
    free(plain);
}
END_TEST

START_TEST(encoded_words_in_the_subject)
{
    char *plain = filtered("Subject: =?utf-8?Q?Caf=C3=A9_cr=C3=A8me?= and\n"
                           " =?UTF-8?B?R3LDvMOfZSBhdXMgS8O2bG4=?= =?iso-8859-1?q?na=EFve?=\n"
                           "\nbody");
    ck_assert_str_eq(plain, " Caf\xc3\xa9 cr\xc3\xa8me and  Gr\xc3\xbc\xc3\x9f" "e aus "
                            "K\xc3\xb6ln na\xc3\xafve body");
    free(plain);
    /* not encoded words: kept as typed */
    plain = filtered("Subject: a=b =?x =?utf-8?X?abc?= =?broken =?gb2312?B?1tA=?=\n\nz");
    ck_assert_str_eq(plain, " a=b =?x =?utf-8?X?abc?= =?broken =?gb2312?B?1tA=?= z");
    free(plain);
}
END_TEST

START_TEST(latin1_parts_decode_to_their_characters)
{
    /* "café" quoted-printable and "naïve" base64 in ISO-8859-1, the charset
     * on a folded continuation line; literal UTF-8 stays UTF-8; the next
     * part is read as UTF-8 again */
    char *plain = filtered(
        "From: x@y\nContent-Type: multipart/mixed; boundary=zz\n\n"
        "--zz\n"
        "Content-Type: text/plain;\n"
        "\tcharset=\"ISO-8859-1\"\n"
        "Content-Transfer-Encoding: quoted-printable\n\n"
        "caf=E9 cr\xc3\xa8me\n"
        "--zz\n"
        "Content-Type: text/plain; charset=windows-1252\n"
        "Content-Transfer-Encoding: base64\n\n"
        "bmHvdmU=\n"
        "--zz\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: quoted-printable\n\n"
        "=C3=BCber =E9\n"
        "--zz--\n");
    ck_assert_ptr_nonnull(strstr(plain, "caf\xc3\xa9 cr\xc3\xa8me"));
    ck_assert_ptr_nonnull(strstr(plain, "na\xc3\xafve"));
    ck_assert_ptr_nonnull(strstr(plain, "\xc3\xbc" "ber \xe9"));
    free(plain);
}
END_TEST

START_TEST(mail_detection)
{
    const char *yes[] = {
    "Subject: hello\n\nbody",
    "From someone  Mon Jul 29\nTo: a@b\nX-Spam: yes\n  folded\n\nbody",
    "Received: from x\r\nDate: today\r\n\r\n",
    "From: a@b",
    };
    const char *no[] = {
    "hello world",
    "Note: this is not a mail\n\nreally",
    "Subject: hi\nthis line is not a header\n\nbody",
    " Subject: indented first line\n\n",
    "",
    "From someone\n\nbody",
    };
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        ck_assert_msg(text_email_looks_like_mail(yes[i], strlen(yes[i])), "yes[%zu]", i);
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        ck_assert_msg(!text_email_looks_like_mail(no[i], strlen(no[i])), "no[%zu]", i);
}
END_TEST

START_TEST(entities_and_unfinished_constructs)
{
    char *plain = filtered("Subject: s\n\n&#233;t&#xE9; &#0; &#x110000; &nbsp;x&lt");
    ck_assert_str_eq(plain, " s \xc3\xa9t\xc3\xa9 &#0; &#x110000;  x&lt");
    free(plain);
    plain = filtered("Subject: s\n\nabc <unfinished tag");
    ck_assert_str_eq(plain, " s abc ");
    free(plain);
}
END_TEST

Suite *text_email_suite(void)
{
    Suite *s = suite_create("text_email");
    TCase *core = tcase_create("core");
    tcase_add_test(core, headers_html_and_quoted_printable);
    tcase_add_test(core, all_headers_keep_their_text_but_not_the_mime_ones);
    tcase_add_test(core, tokenizer_uses_the_filter_only_for_mails);
    tcase_add_test(core, quoted_printable_only_when_declared);
    tcase_add_test(core, mail_detection);
    tcase_add_test(core, mime_boundaries_and_folded_part_headers_are_dropped);
    tcase_add_test(core, base64_text_parts_decoded_and_attachments_skipped);
    tcase_add_test(core, encoded_words_in_the_subject);
    tcase_add_test(core, latin1_parts_decode_to_their_characters);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_add_test(limits, byte_at_a_time_feeding_gives_the_same_text);
    tcase_add_test(limits, long_runs_give_the_same_text_in_any_pieces);
    tcase_add_test(limits, entities_and_unfinished_constructs);
    suite_add_tcase(s, limits);
    return s;
}
