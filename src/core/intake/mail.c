/*
 * mail: one RFC 5322 message into one record. See mail.h for the mapping.
 *
 * DESIGN. GMime parses the MIME structure and undoes the transfer encodings
 * (base64, quoted-printable); everything that depends on charsets is done
 * here and in charset.c, because mail from Chinese senders is routinely
 * mislabelled (GBK text declared as gb2312, raw 8-bit GBK in headers) and
 * GMime's own conversion turns such text into '?'. So header values are
 * taken raw and decoded by charset_decode_header(), and body parts are read
 * as bytes (at most MAIL_PART_READ_MAX per part) and converted by
 * charset_to_utf8().
 */
#include <ctype.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <sodium.h>

#include "base/clock.h"
#include "base/jsonw.h"
#include "base/strbuf.h"
#include "base/utf8.h"
#include "base/xmalloc.h"
#include "intake/charset.h"
#include "intake/html.h"
#include "intake/mail_int.h"
#include "base/banned.h"

#define TEXT_WORK_MAX  (1u << 20) /* converted text kept per message before stripping */
#define TITLE_MAX      1024
#define ATTACH_MAX     16000 /* attachments JSON, below the field's 16 KB */
#define MAX_PART_DEPTH 32

static pthread_once_t gmime_once = PTHREAD_ONCE_INIT;
static GMimeParserOptions *parser_opts;

static void gmime_init_once(void)
{
    static const char *fallback[] = {"UTF-8", "GB18030", NULL};
    g_mime_init();
    parser_opts = g_mime_parser_options_new();
    g_mime_parser_options_set_fallback_charsets(parser_opts, fallback);
    g_mime_parser_options_set_rfc2047_compliance_mode(parser_opts, GMIME_RFC_COMPLIANCE_LOOSE);
    g_mime_parser_options_set_parameter_compliance_mode(parser_opts, GMIME_RFC_COMPLIANCE_LOOSE);
    g_mime_parser_options_set_address_compliance_mode(parser_opts, GMIME_RFC_COMPLIANCE_LOOSE);
}

void mail_gmime_init(void)
{
    pthread_once(&gmime_once, gmime_init_once);
}

GMimeParserOptions *mail_parser_options(void)
{
    mail_gmime_init();
    return parser_opts;
}

/* ---- headers ------------------------------------------------------------ */

/* The raw (undecoded, possibly folded) value of the first header called name, or NULL. */
static const char *raw_header(GMimeObject *obj, const char *name)
{
    GMimeHeaderList *hl = g_mime_object_get_header_list(obj);
    GMimeHeader *h = hl ? g_mime_header_list_get_header(hl, name) : NULL;
    return h ? g_mime_header_get_raw_value(h) : NULL;
}

/* Unfolds and trims a raw header value into sb (reset first). */
static void unfold(const char *raw, struct strbuf *sb)
{
    strbuf_reset(sb);
    if (!raw)
        return;
    for (const char *p = raw; *p; p++) {
        if (*p == '\r' || *p == '\n')
            continue;
        strbuf_addch(sb, *p == '\t' ? ' ' : *p);
    }
    size_t a = 0, b = sb->len;
    while (a < b && sb->buf[a] == ' ')
        a++;
    while (b > a && sb->buf[b - 1] == ' ')
        b--;
    memmove(sb->buf, sb->buf + a, b - a);
    strbuf_setlen(sb, b - a);
}

static bool plausible(int64_t ms, int64_t now)
{
    return ms >= RECORD_TIME_MIN && ms <= now + 24 * 3600 * 1000LL;
}

static int64_t parse_date(const char *s)
{
    GDateTime *dt;
    int64_t ms;
    if (!s || !*s)
        return 0;
    if (!(dt = g_mime_utils_header_decode_date(s)))
        return 0;
    ms = (int64_t)g_date_time_to_unix(dt) * 1000;
    g_date_time_unref(dt);
    return ms;
}

/* The newest plausible time among the Received headers (the part after the last ';'). */
static int64_t newest_received(GMimeObject *obj, int64_t now, struct strbuf *tmp)
{
    GMimeHeaderList *hl = g_mime_object_get_header_list(obj);
    int n = hl ? g_mime_header_list_get_count(hl) : 0;
    int64_t best = 0;
    for (int i = 0; i < n; i++) {
        GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
        if (strcasecmp(g_mime_header_get_name(h), "Received") != 0)
            continue;
        unfold(g_mime_header_get_raw_value(h), tmp);
        char *semi = strrchr(tmp->buf, ';');
        int64_t t = semi ? parse_date(semi + 1) : 0;
        if (plausible(t, now) && t > best)
            best = t;
    }
    return best;
}

/* The date of an mbox "From sender Sat Nov 21 10:00:00 2026" line. */
static int64_t marker_time(const char *marker)
{
    const char *p;
    if (!marker || strncmp(marker, "From ", 5) != 0)
        return 0;
    p = marker + 5;
    while (*p == ' ')
        p++;
    while (*p && *p != ' ')
        p++;
    return parse_date(p);
}

static int64_t received_time(GMimeMessage *msg, int64_t fallback, const char *marker)
{
    GMimeObject *obj = GMIME_OBJECT(msg);
    struct strbuf tmp = STRBUF_INIT;
    int64_t now = clock_now_ms(), t;

    unfold(raw_header(obj, "Date"), &tmp);
    t = parse_date(tmp.buf);
    if (!plausible(t, now))
        t = newest_received(obj, now, &tmp);
    if (!plausible(t, now))
        t = marker_time(marker);
    if (!plausible(t, now))
        t = fallback;
    strbuf_release(&tmp);
    return plausible(t, now) ? t : 0;
}

/* Sets a string field from valid UTF-8, cut to the field's limit on a character boundary. */
static void set_str(struct record *r, const char *name, struct strbuf *v, size_t max)
{
    const struct record_field *f = record_field_by_name(name);
    size_t w = 0;
    for (size_t i = 0; i < v->len; i++)
        if ((unsigned char)v->buf[i] >= 0x20 || v->buf[i] == '\t')
            v->buf[w++] = v->buf[i];
    strbuf_setlen(v, w);
    charset_truncate_utf8(v, max);
    if (v->len == 0)
        return;
    free(*record_str(r, f));
    *record_str(r, f) = xstrndup(v->buf, v->len);
}

/* Index of the first c in s[0..n) outside quotes, comments and <>; n when none. */
static size_t find_outside(const char *s, size_t n, char c)
{
    bool quoted = false;
    int paren = 0, angle = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (quoted) {
            if (ch == '\\' && i + 1 < n)
                i++;
            else if (ch == '"')
                quoted = false;
            continue;
        }
        if (ch == c && !paren && (c == '<' || !angle))
            return i;
        if (ch == '"' && !paren)
            quoted = true;
        else if (ch == '(')
            paren++;
        else if (ch == ')' && paren)
            paren--;
        else if (ch == '<' && !paren)
            angle++;
        else if (ch == '>' && angle)
            angle--;
    }
    return n;
}

static void trim(const char **p, size_t *n)
{
    while (*n && isspace((unsigned char)**p))
        (*p)++, (*n)--;
    while (*n && isspace((unsigned char)(*p)[*n - 1]))
        (*n)--;
}

/* A plausible address: printable ASCII, no spaces, one '@' with text on both sides. */
static bool good_address(const char *a, size_t n)
{
    const char *at = memchr(a, '@', n);
    if (!at || at == a || at == a + n - 1 || n > RECORD_SHORT_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)a[i] <= ' ' || (unsigned char)a[i] >= 0x7F || a[i] == '<' ||
            a[i] == '>' || a[i] == '"' || a[i] == ',')
            return false;
    return true;
}

/* From: the first mailbox's display name and address. */
static void set_from(struct record *r, const char *s, size_t n)
{
    struct strbuf name = STRBUF_INIT, unq = STRBUF_INIT;
    const char *addr = NULL, *disp = NULL;
    size_t alen = 0, dlen = 0, lt;

    n = find_outside(s, n, ','); /* first of a list */
    lt = find_outside(s, n, '<');
    if (lt < n) {
        const char *gt = memchr(s + lt, '>', n - lt);
        addr = s + lt + 1;
        alen = gt ? (size_t)(gt - addr) : n - lt - 1;
        disp = s;
        dlen = lt;
    } else {
        size_t paren = find_outside(s, n, '(');
        addr = s;
        alen = paren;
        if (paren < n) {
            const char *close = memchr(s + paren, ')', n - paren);
            disp = s + paren + 1;
            dlen = close ? (size_t)(close - disp) : n - paren - 1;
        }
    }
    trim(&addr, &alen);
    if (alen > 7 && strncasecmp(addr, "mailto:", 7) == 0)
        addr += 7, alen -= 7;
    if (good_address(addr, alen)) {
        free(r->email);
        r->email = xstrndup(addr, alen);
    }
    if (disp) {
        trim(&disp, &dlen);
        for (size_t i = 0; i < dlen; i++) { /* drop quotes, unescape \x */
            if (disp[i] == '"')
                continue;
            if (disp[i] == '\\' && i + 1 < dlen)
                i++;
            strbuf_addch(&unq, disp[i]);
        }
        charset_decode_header(unq.buf, unq.len, &name);
        if (name.len && !(r->email && strcmp(name.buf, r->email) == 0))
            set_str(r, "customer_name", &name, RECORD_SHORT_MAX);
    }
    strbuf_release(&name);
    strbuf_release(&unq);
}

/* ---- body ---------------------------------------------------------------- */

struct body {
    struct strbuf plain, html, raw, conv;
    struct strbuf att;
    struct jsonw aw;
    int natt, omitted;
};

/* Reads the decoded content of part into raw (reset first), at most MAIL_PART_READ_MAX. */
static void read_part(GMimePart *part, struct strbuf *raw)
{
    GMimeDataWrapper *w = g_mime_part_get_content(part);
    GMimeStream *src, *fs;
    GMimeContentEncoding enc;
    char buf[16384];
    ssize_t n;

    strbuf_reset(raw);
    if (!w || !(src = g_mime_data_wrapper_get_stream(w)))
        return;
    enc = g_mime_data_wrapper_get_encoding(w);
    g_mime_stream_reset(src);
    fs = g_mime_stream_filter_new(src);
    if (enc == GMIME_CONTENT_ENCODING_BASE64 || enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ||
        enc == GMIME_CONTENT_ENCODING_UUENCODE) {
        GMimeFilter *f = g_mime_filter_basic_new(enc, FALSE);
        g_mime_stream_filter_add(GMIME_STREAM_FILTER(fs), f);
        g_object_unref(f);
    }
    while (raw->len < MAIL_PART_READ_MAX && (n = g_mime_stream_read(fs, buf, sizeof(buf))) > 0) {
        size_t take = (size_t)n;
        if (take > MAIL_PART_READ_MAX - raw->len)
            take = MAIL_PART_READ_MAX - raw->len;
        strbuf_add(raw, buf, take);
    }
    g_object_unref(fs);
}

/* Decoded size of a part's content, in bytes. */
static int64_t part_size(GMimeObject *obj)
{
    GMimeStream *ns = g_mime_stream_null_new();
    int64_t n = 0;
    if (GMIME_IS_PART(obj)) {
        GMimeDataWrapper *w = g_mime_part_get_content(GMIME_PART(obj));
        if (w)
            g_mime_data_wrapper_write_to_stream(w, ns);
    } else if (GMIME_IS_MESSAGE_PART(obj)) {
        GMimeMessage *m = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
        if (m)
            g_mime_object_write_to_stream(GMIME_OBJECT(m), NULL, ns);
    }
    n = (int64_t)GMIME_STREAM_NULL(ns)->written;
    g_object_unref(ns);
    return n;
}

static void add_attachment(struct body *b, GMimeObject *obj, const char *name)
{
    GMimeContentType *ct = g_mime_object_get_content_type(obj);
    struct strbuf nm = STRBUF_INIT, type = STRBUF_INIT;
    size_t mark = b->att.len;

    if (name && strstr(name, "=?"))
        charset_decode_header(name, strlen(name), &nm);
    else if (name)
        charset_to_utf8(NULL, name, strlen(name), &nm);
    charset_truncate_utf8(&nm, 255);
    strbuf_addf(&type, "%s/%s", ct ? g_mime_content_type_get_media_type(ct) : "application",
                ct ? g_mime_content_type_get_media_subtype(ct) : "octet-stream");
    for (size_t i = 0; i < type.len; i++)
        type.buf[i] = (char)tolower((unsigned char)type.buf[i]);
    charset_truncate_utf8(&type, 127);
    if (utf8_invalid_at(type.buf, type.len) >= 0)
        strbuf_reset(&type);
    jsonw_obj(&b->aw);
    jsonw_key(&b->aw, "name");
    jsonw_strn(&b->aw, nm.buf, nm.len);
    jsonw_key(&b->aw, "type");
    jsonw_strn(&b->aw, type.buf, type.len);
    jsonw_kint(&b->aw, "size", part_size(obj));
    jsonw_end(&b->aw);
    if (b->att.len > ATTACH_MAX) { /* too many: keep a count instead */
        strbuf_setlen(&b->att, mark);
        b->omitted++;
    } else {
        b->natt++;
    }
    strbuf_release(&nm);
    strbuf_release(&type);
}

/* Converts the raw bytes of a text part and appends them to b->plain or b->html. */
static void add_text(struct body *b, GMimeObject *obj, bool html)
{
    const char *cs = g_mime_object_get_content_type_parameter(obj, "charset");
    const char *flowed = g_mime_object_get_content_type_parameter(obj, "format");
    char meta[64];

    read_part(GMIME_PART(obj), &b->raw);
    if (html && (!cs || !*cs) && html_meta_charset(b->raw.buf, b->raw.len, meta, sizeof(meta)))
        cs = meta;
    strbuf_reset(&b->conv);
    b->conv.cap = TEXT_WORK_MAX;
    charset_to_utf8(cs, b->raw.buf, b->raw.len, &b->conv);
    if (html) {
        if (b->html.len)
            strbuf_addch(&b->html, '\n');
        html_to_text(b->conv.buf, b->conv.len, &b->html);
        return;
    }
    if (b->plain.len)
        strbuf_addch(&b->plain, '\n');
    size_t start = b->plain.len;
    /* CRLF to LF; format=flowed soft breaks (a line ending in a space) joined */
    bool is_flowed = flowed && strcasecmp(flowed, "flowed") == 0;
    for (size_t i = 0; i < b->conv.len; i++) {
        char c = b->conv.buf[i];
        if (c == '\r') {
            if (i + 1 < b->conv.len && b->conv.buf[i + 1] == '\n')
                continue;
            c = '\n';
        }
        if (c == '\n' && is_flowed && b->plain.len > start &&
            b->plain.buf[b->plain.len - 1] == ' ' &&
            !(b->plain.len - start >= 3 && memcmp(b->plain.buf + b->plain.len - 3, "-- ", 3) == 0))
            continue;
        if (c == '\0')
            continue;
        if (!strbuf_addch(&b->plain, c))
            break;
    }
}

static bool is_text_body(GMimeObject *obj, bool *html)
{
    GMimeContentType *ct = g_mime_object_get_content_type(obj);
    const char *disp = g_mime_object_get_disposition(obj);
    if (!ct || !g_mime_content_type_is_type(ct, "text", "*"))
        return false;
    if (disp && strcasecmp(disp, "attachment") == 0)
        return false;
    if (g_mime_part_get_filename(GMIME_PART(obj)))
        return false;
    if (g_mime_content_type_is_type(ct, "text", "plain")) {
        *html = false;
        return true;
    }
    if (g_mime_content_type_is_type(ct, "text", "html")) {
        *html = true;
        return true;
    }
    return false;
}

static void walk(GMimeObject *obj, struct body *b, int depth)
{
    bool html;
    if (!obj || depth > MAX_PART_DEPTH)
        return;
    if (GMIME_IS_MULTIPART(obj)) {
        GMimeMultipart *mp = GMIME_MULTIPART(obj);
        int n = g_mime_multipart_get_count(mp);
        for (int i = 0; i < n; i++)
            walk(g_mime_multipart_get_part(mp, i), b, depth + 1);
    } else if (GMIME_IS_MESSAGE_PART(obj)) {
        GMimeMessage *m = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
        const char *subj = m ? raw_header(GMIME_OBJECT(m), "Subject") : NULL;
        struct strbuf nm = STRBUF_INIT;
        unfold(subj, &nm);
        strbuf_addstr(&nm, nm.len ? ".eml" : "message.eml");
        add_attachment(b, obj, nm.buf);
        strbuf_release(&nm);
    } else if (GMIME_IS_PART(obj)) {
        if (is_text_body(obj, &html))
            add_text(b, obj, html);
        else
            add_attachment(b, obj, g_mime_part_get_filename(GMIME_PART(obj)));
    }
}

/* ---- text clean-up ---------------------------------------------------------- */

/* Trims trailing spaces of each line, at most one blank line in a row, no blank ends. */
static void tidy(struct strbuf *t)
{
    size_t w = 0, line = 0;
    bool gap = false;

    /* control characters other than tab and newline (NUL above all) are dropped */
    for (size_t r = 0; r < t->len; r++) {
        unsigned char c = (unsigned char)t->buf[r];
        if (c >= 0x20 || c == '\n' || c == '\t')
            t->buf[w++] = (char)c;
        else if (c == '\r' && (r + 1 == t->len || t->buf[r + 1] != '\n'))
            t->buf[w++] = '\n';
    }
    strbuf_setlen(t, w);
    w = 0;
    for (size_t r = 0; r <= t->len; r++) {
        if (r < t->len && t->buf[r] != '\n')
            continue;
        size_t e = r;
        while (e > line && (t->buf[e - 1] == ' ' || t->buf[e - 1] == '\t' || t->buf[e - 1] == '\r'))
            e--;
        if (e == line) {
            gap = true;
        } else {
            if (w > 0) {
                t->buf[w++] = '\n';
                if (gap)
                    t->buf[w++] = '\n';
            }
            memmove(t->buf + w, t->buf + line, e - line);
            w += e - line;
            gap = false;
        }
        line = r + 1;
    }
    strbuf_setlen(t, w);
}

static bool starts_with(const char *s, size_t n, const char *prefix)
{
    size_t k = strlen(prefix);
    return n >= k && memcmp(s, prefix, k) == 0;
}

static bool contains(const char *s, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(s + i, needle, k) == 0)
            return true;
    return false;
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

/* An Outlook, Foxmail or QQ Mail line that introduces the earlier message. */
static bool separator_line(const char *s, size_t n)
{
    return starts_with(s, n, "-----") &&
           (contains(s, n, "Original Message") || contains(s, n, "原始邮件") ||
            contains(s, n, " Original "));
}

/* Every non-empty line from s on starts with '>'. */
static bool rest_quoted(const char *s, const char *end)
{
    bool any = false;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);
        if (n > 0) {
            if (s[0] != '>')
                return false;
            any = true;
        }
        s += n + 1;
    }
    return any;
}

static size_t count_lines(const char *s, const char *end)
{
    size_t n = 0;
    for (; s < end; s++)
        n += *s == '\n';
    return n;
}

/* Offset where quoted replies or a signature begin (see mail.h), or t->len. */
static size_t quote_start(const struct strbuf *t)
{
    const char *end = t->buf + t->len;
    size_t sig = t->len;
    for (const char *s = t->buf; s < end;) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);
        const char *next = nl ? nl + 1 : end;
        size_t off = (size_t)(s - t->buf);
        if (separator_line(s, n))
            return off;
        if ((ends_with(s, n, "wrote:") || ends_with(s, n, "写道：") || ends_with(s, n, "写道:")) &&
            rest_quoted(next, end))
            return off;
        if (n > 0 && s[0] == '>' && rest_quoted(s, end))
            return off;
        /* "-- " (trailing space already trimmed by tidy) */
        if (n == 2 && memcmp(s, "--", 2) == 0 && count_lines(next, end) <= 12 && sig == t->len)
            sig = off;
        s = next;
    }
    return sig;
}

/* mboxrd: a body line ">From " (any number of '>') was written with one '>' more. */
static void unescape_from(struct strbuf *t)
{
    size_t w = 0;
    for (size_t r = 0; r < t->len; r++) {
        if (t->buf[r] == '>' && (r == 0 || t->buf[r - 1] == '\n')) {
            size_t k = r;
            while (k < t->len && t->buf[k] == '>')
                k++;
            if (t->len - k >= 5 && memcmp(t->buf + k, "From ", 5) == 0)
                continue; /* drop this one '>' */
        }
        t->buf[w++] = t->buf[r];
    }
    strbuf_setlen(t, w);
}

static void strip_quotes(struct strbuf *t)
{
    size_t cut = quote_start(t);
    size_t keep = cut;
    while (keep > 0 && isspace((unsigned char)t->buf[keep - 1]))
        keep--;
    if (cut < t->len && keep > 0)
        strbuf_setlen(t, keep);
}

/* ---- the record ------------------------------------------------------------- */

static void set_external_id(struct record *r, GMimeMessage *msg, const char *from, const char *date,
                            const char *subject, const char *text)
{
    const char *mid = g_mime_message_get_message_id(msg);
    size_t n = mid ? strlen(mid) : 0;
    unsigned char h[16];
    char hex[33];
    crypto_generichash_state st;

    while (n && isspace((unsigned char)mid[0]))
        mid++, n--;
    while (n && isspace((unsigned char)mid[n - 1]))
        n--;
    if (n && mid[0] == '<' && mid[n - 1] == '>')
        mid++, n -= 2;
    if (n > 0 && n <= RECORD_SHORT_MAX && utf8_invalid_at(mid, n) < 0) {
        r->external_id = xstrndup(mid, n);
        return;
    }
    crypto_generichash_init(&st, NULL, 0, sizeof(h));
    if (n) /* an unusable Message-ID still tells messages apart */
        crypto_generichash_update(&st, (const unsigned char *)mid, n);
    const char *parts[] = {from, date, subject, text};
    for (size_t i = 0; i < 4; i++) {
        const char *p = parts[i] ? parts[i] : "";
        crypto_generichash_update(&st, (const unsigned char *)p, strlen(p) + 1);
    }
    crypto_generichash_final(&st, h, sizeof(h));
    sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
    r->external_id = xmalloc(6 + 32 + 1);
    memcpy(r->external_id, "nomid:", 6);
    memcpy(r->external_id + 6, hex, 33);
}

static void body_release(struct body *b)
{
    strbuf_release(&b->plain);
    strbuf_release(&b->html);
    strbuf_release(&b->raw);
    strbuf_release(&b->conv);
    strbuf_release(&b->att);
}

int mail_from_message(GMimeMessage *msg, int64_t fallback_ms, const char *marker,
                      const struct mail_opts *o, struct record *r, struct kerr *err)
{
    GMimeObject *obj = GMIME_OBJECT(msg);
    struct body b;
    struct strbuf v = STRBUF_INIT, title = STRBUF_INIT;
    struct strbuf *text;
    const char *from = raw_header(obj, "From"), *subject = raw_header(obj, "Subject");
    int rc = 0;

    memset(&b, 0, sizeof(b));
    b.plain = b.html = b.raw = b.conv = b.att = (struct strbuf)STRBUF_INIT;
    b.plain.cap = b.html.cap = TEXT_WORK_MAX;
    r->channel = xstrdup("email");
    r->received_at = received_time(msg, fallback_ms, marker);
    if (from) {
        unfold(from, &v);
        set_from(r, v.buf, v.len);
    }
    if (subject) {
        unfold(subject, &v);
        title.cap = 4 * TITLE_MAX; /* decoded further than kept: the rest is cut below */
        charset_decode_header(v.buf, v.len, &title);
        set_str(r, "title", &title, TITLE_MAX);
    }
    jsonw_init(&b.aw, &b.att);
    jsonw_arr(&b.aw);
    walk(g_mime_message_get_mime_part(msg), &b, 0);
    jsonw_end(&b.aw);
    if (b.natt)
        r->attachments = xstrndup(b.att.buf, b.att.len);
    if (b.omitted) {
        strbuf_reset(&v);
        strbuf_addf(&v, "{\"attachments_omitted\":%d}", b.omitted);
        r->extra = xstrndup(v.buf, v.len);
    }

    tidy(&b.plain);
    tidy(&b.html);
    text = b.plain.len ? &b.plain : &b.html;
    if (marker)
        unescape_from(text);
    if (!o || !o->keep_quotes)
        strip_quotes(text);
    if (text->len == 0 && title.len)
        strbuf_add(text, title.buf, title.len);
    if (text->len == 0) {
        rc = kerr_set(err, KERR_INVALID, "no_text", "text",
                      "the message has neither body text nor a subject");
        goto out;
    }
    charset_truncate_utf8(text, RECORD_TEXT_MAX);
    r->text = xstrndup(text->buf, text->len);
    unfold(raw_header(obj, "Date"), &v);
    set_external_id(r, msg, from, v.buf, subject, r->text);
out:
    strbuf_release(&v);
    strbuf_release(&title);
    body_release(&b);
    return rc;
}

int mail_parse_stream(GMimeStream *st, int64_t fallback_ms, const struct mail_opts *o,
                      struct record *r, struct kerr *err)
{
    GMimeParser *p;
    GMimeMessage *msg;
    int rc;

    mail_gmime_init();
    if (g_mime_stream_length(st) == 0) {
        g_object_unref(st);
        return kerr_set(err, KERR_INVALID, "empty_message", "", "the message is empty (0 bytes)");
    }
    p = g_mime_parser_new_with_stream(st);
    g_mime_parser_set_format(p, GMIME_FORMAT_MESSAGE);
    msg = g_mime_parser_construct_message(p, parser_opts);
    g_object_unref(p);
    g_object_unref(st);
    if (!msg)
        return kerr_set(err, KERR_INVALID, "not_a_message", "",
                        "the file is not an RFC 5322 message");
    rc = mail_from_message(msg, fallback_ms, NULL, o, r, err);
    g_object_unref(msg);
    return rc;
}

int mail_parse_file(const char *path, const struct mail_opts *o, struct record *r, struct kerr *err)
{
    GMimeStream *st;
    GError *gerr = NULL;
    struct stat sb;

    mail_gmime_init();
    st = g_mime_stream_fs_open(path, O_RDONLY | O_CLOEXEC, 0, &gerr);
    if (!st) {
        int rc = kerr_set(err, KERR_IO, "read_failed", "", "cannot open %s: %s", path,
                          gerr ? gerr->message : "error");
        if (gerr)
            g_error_free(gerr);
        return rc;
    }
    if (fstat(GMIME_STREAM_FS(st)->fd, &sb) != 0)
        sb.st_mtime = 0;
    return mail_parse_stream(st, (int64_t)sb.st_mtime * 1000, o, r, err);
}

int mail_parse_mem(const char *data, size_t len, int64_t fallback_ms, const struct mail_opts *o,
                   struct record *r, struct kerr *err)
{
    mail_gmime_init();
    return mail_parse_stream(g_mime_stream_mem_new_with_buffer(data, len), fallback_ms, o, r, err);
}
