/*
 * pii: detection and masking of personal data in free text. See pii.h for
 * what is found and what is not.
 *
 * DESIGN. Three passes over the text, each cheap: e-mail addresses first
 * (anchored on '@'), then numbers, then the customer's name (memmem); later
 * passes skip what earlier ones found. Numbers are read as "chains": digit
 * groups joined by one space or '-' (and a "(0xx)" area code), bounded on
 * both sides by something that cannot continue a number or an identifier.
 * Each chain is then matched group by group against the shapes of the five
 * number types, longest shape first, and every candidate must pass its
 * validator (check digit, birth date, province, Luhn, issuer prefix, area
 * code) and must not be labelled as an order or serial number. Findings go
 * to a list sorted by offset, and the masked text is assembled from the
 * text and the findings at the end. No allocation besides the list and the
 * output buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/xmalloc.h"
#include "text/pii.h"
#include "base/banned.h"

#define MAXG 8 /* groups read into one chain */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
    return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* ---- validators ---- */

bool pii_luhn_ok(const char *d, size_t n)
{
    int sum = 0;
    for (size_t k = 0; k < n; k++) {
        int v = d[n - 1 - k] - '0';
        if (v < 0 || v > 9)
            return false;
        if (k & 1)
            v = v * 2 > 9 ? v * 2 - 9 : v * 2;
        sum += v;
    }
    return n > 1 && sum % 10 == 0;
}

static int num(const char *d, size_t n)
{
    int v = 0;
    for (size_t k = 0; k < n; k++)
        v = v * 10 + (d[k] - '0');
    return v;
}

static bool province_ok(const char *d)
{
    static const char codes[] = "11121314152122233132333435363741424344454650515253546162636465"
                                "71818283";
    for (size_t k = 0; k + 2 <= sizeof codes - 1; k += 2)
        if (d[0] == codes[k] && d[1] == codes[k + 1])
            return true;
    return false;
}

static bool date_ok(int y, int m, int d)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return false;
    return !(m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)));
}

bool pii_id_number_ok(const char *s, size_t n)
{
    static const int wt[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    size_t nd = n == 18 ? 17 : n;
    int sum = 0, y;

    if (n != 18 && n != 15)
        return false;
    for (size_t k = 0; k < nd; k++)
        if (!is_digit(s[k]))
            return false;
    if (!province_ok(s))
        return false;
    if (n == 15)
        return date_ok(1900 + num(s + 6, 2), num(s + 8, 2), num(s + 10, 2));
    y = num(s + 6, 4);
    if (y < 1900 || y > 2099 || !date_ok(y, num(s + 10, 2), num(s + 12, 2)))
        return false;
    for (int k = 0; k < 17; k++)
        sum += (s[k] - '0') * wt[k];
    return "10X98765432"[sum % 11] == (s[17] == 'x' ? 'X' : s[17]);
}

static bool mobile_ok(const char *d, size_t n)
{
    return n == 11 && d[0] == '1' && d[1] >= '3' && d[1] <= '9';
}

static bool card_ok(const char *d, size_t n)
{
    if (n < 16 || n > 19 || !strchr("234569", d[0]))
        return false;
    if (n == 18 && num(d + 6, 2) >= 19 && num(d + 6, 2) <= 20 &&
        date_ok(num(d + 6, 4), num(d + 10, 2), num(d + 12, 2)))
        return false; /* shaped like an ID number with a wrong check character */
    if (d[0] == '2' && (num(d, 4) < 2221 || num(d, 4) > 2720))
        return false;
    return pii_luhn_ok(d, n);
}

/* Length of the area code of a landline number (digits d, starting with 0), or 0. */
static size_t area_len(const char *d, size_t n)
{
    if (n < 3 || d[0] != '0')
        return 0;
    if (d[1] == '1')
        return d[2] == '0' ? 3 : 0;
    if (d[1] == '2')
        return 3;
    return d[1] >= '3' && d[1] <= '9' && n >= 4 ? 4 : 0;
}

/* A landline: area code of alen digits then a 7-8 digit subscriber starting 2-9. */
static bool landline_ok(const char *d, size_t n, size_t alen)
{
    size_t sub = n - alen;
    if (!alen || alen != area_len(d, n))
        return false;
    if (sub != 8 && !(sub == 7 && alen == 4))
        return false;
    return d[alen] >= '2' && d[alen] <= '9';
}

/* ---- the finding list ---- */

static void add(struct pii_list *l, enum pii_type t, size_t off, size_t len)
{
    size_t k;
    if (l->n == l->alloc) {
        l->alloc = l->alloc ? l->alloc * 2 : 8;
        l->v = xrealloc(l->v, l->alloc * sizeof(*l->v));
    }
    for (k = l->n; k > 0 && l->v[k - 1].off > off; k--)
        l->v[k] = l->v[k - 1];
    l->v[k] = (struct pii_finding){t, off, len, 0, 0};
    l->n++;
}

/* Does [off, off+len) overlap a finding? */
static bool taken(const struct pii_list *l, size_t off, size_t len)
{
    for (size_t k = 0; k < l->n; k++)
        if (l->v[k].off < off + len && off < l->v[k].off + l->v[k].len)
            return true;
    return false;
}

void pii_list_release(struct pii_list *l)
{
    free(l->v);
    l->v = NULL;
    l->n = l->alloc = 0;
}

const char *pii_type_name(enum pii_type t)
{
    static const char *const names[PII_NTYPES] = {"mobile",    "landline", "id_number",
                                                  "bank_card", "email",    "name"};
    return (unsigned)t < PII_NTYPES ? names[t] : NULL;
}

/* ---- e-mail ---- */

static bool local_char(char c)
{
    return is_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}

/* Reads an address around the '@' at s[at]; returns its length and start, or 0. */
static size_t email_at(const char *s, size_t len, size_t at, size_t *start)
{
    size_t b = at, e = at + 1, last_dot = 0;
    while (b > 0 && at - b < 64 && local_char(s[b - 1]))
        b--;
    while (b < at && !is_alnum(s[b]))
        b++;
    if (b == at)
        return 0;
    while (e < len && (is_alnum(s[e]) || s[e] == '-' ||
                       (s[e] == '.' && e + 1 < len && is_alnum(s[e + 1]) && s[e - 1] != '.')))
        if (s[e++] == '.')
            last_dot = e - 1;
    while (e > at + 1 && s[e - 1] == '-')
        e--;
    if (!last_dot || last_dot <= at + 1 || e - last_dot - 1 < 2)
        return 0;
    for (size_t k = last_dot + 1; k < e; k++)
        if (is_digit(s[k]) || s[k] == '-')
            return 0;
    *start = b;
    return e - b;
}

static void find_emails(const char *s, size_t len, struct pii_list *l)
{
    const char *p = s, *end = s + len;
    size_t after = 0;
    while ((p = memchr(p, '@', (size_t)(end - p)))) {
        size_t at = (size_t)(p - s), b, n;
        if (at >= after && (n = email_at(s, len, at, &b)) && b >= after) {
            add(l, PII_EMAIL, b, n);
            after = b + n;
        }
        p++;
    }
}

/* ---- numbers ---- */

struct group {
    size_t off, len; /* digits, and a final X of an ID number */
    char sep;        /* what came before: 0 (first), ' ', '-' or ')' */
};

struct chain {
    size_t beg, end; /* beg includes a '+' or '(' prefix */
    bool plus, paren, left_ok, right_ok;
    int ng;
    struct group g[MAXG];
};

/* Does s[0..at) end with the UTF-8 or ASCII string w? */
static bool ends_with(const char *s, size_t at, const char *w)
{
    size_t n = strlen(w);
    return at >= n && memcmp(s + at - n, w, n) == 0;
}

/* Labels that say a number is not personal data. */
static const char *const other_labels[] = {"单号", "订单",   "编号", "序列号", "流水号", "交易号",
                                           "条码", "发票号", "票号", "型号",   "合同号", "批号",
                                           "工单", "快递",   "物流", "SN",     "sn",     "No",
                                           "NO",   "No.",    "no.",  "单据号", "凭证号", "追踪号"};
/* Labels that say a number is an identity document, not a card. */
static const char *const id_labels[] = {"身份证", "证件", "证号", "身份证号", "证件号", "号码"};

/* Does a label of the list stand right before s[at] (fillers such as ':' skipped)? */
static bool labelled(const char *s, size_t at, const char *const *labels, size_t n)
{
    static const char *const fillers[] = {" ", ":", "#", "：", "是", "为", "为：", "是："};
    for (int round = 0; round < 3; round++) {
        bool moved = false;
        for (size_t k = 0; k < sizeof fillers / sizeof fillers[0] && !moved; k++)
            if (ends_with(s, at, fillers[k])) {
                at -= strlen(fillers[k]);
                moved = true;
            }
        if (!moved)
            break;
    }
    for (size_t k = 0; k < n; k++)
        if (ends_with(s, at, labels[k]))
            return true;
    return false;
}

static bool labelled_other(const char *s, size_t at)
{
    return labelled(s, at, other_labels, sizeof other_labels / sizeof other_labels[0]);
}

/* Can a number start right after s[0..at)? */
static bool left_ok(const char *s, size_t at)
{
    char p;
    if (at == 0)
        return true;
    p = s[at - 1];
    if (is_alnum(p) || p == '_' || p == '&' || p == '@')
        return false;
    if (p == '/' && at >= 2 && !is_digit(s[at - 2]))
        return false; /* a path segment: example.com/u/13812345678 */
    if (p == '.' && at >= 2 && is_digit(s[at - 2]))
        return false;
    return !(ends_with(s, at, "¥") || ends_with(s, at, "$") || ends_with(s, at, "€") ||
             ends_with(s, at, "£"));
}

/* Can a number end right before s[at]? */
static bool right_ok(const char *s, size_t len, size_t at)
{
    static const char *const units[] = {"元", "块", "万", "亿", "円"};
    const char *p = s + at;
    if (at == len)
        return true;
    if (is_alnum(*p) || *p == '_' || *p == '@' || *p == '%')
        return false;
    if (*p == '/' && at + 1 < len && !is_digit(p[1]))
        return false;
    if ((*p == '.' || *p == ',') && at + 1 < len && is_digit(p[1]))
        return false;
    for (size_t k = 0; k < sizeof units / sizeof units[0]; k++)
        if (len - at >= 3 && memcmp(p, units[k], 3) == 0)
            return false;
    return true;
}

/* Reads the chain starting at s[i]; returns false when there is none. */
static bool read_chain(const char *s, size_t len, size_t i, struct chain *c)
{
    size_t j = i;
    memset(c, 0, offsetof(struct chain, g));
    c->beg = i;
    if (s[j] == '+') {
        c->plus = true;
        j++;
    } else if (s[j] == '(') {
        c->paren = true;
        j++;
    }
    while (j < len && is_digit(s[j])) {
        struct group *g = &c->g[c->ng];
        g->off = j;
        g->sep = c->ng == 0 ? 0 : s[g->off - 1];
        while (j < len && is_digit(s[j]))
            j++;
        if (j < len && (s[j] == 'X' || s[j] == 'x') &&
            (j - g->off == 17 ||
             (j - g->off == 3 && c->ng == 2 && c->g[0].len == 6 && c->g[1].len == 8)))
            j++; /* the check character of an ID number */
        g->len = j - g->off;
        if (++c->ng == MAXG)
            break;
        if (c->paren && c->ng == 1) {
            if (j >= len || s[j] != ')')
                break;
            j++;
            if (j + 1 < len && (s[j] == ' ' || s[j] == '-') && is_digit(s[j + 1]))
                j++;
            continue;
        }
        if (j + 1 < len && (s[j] == ' ' || s[j] == '-') && is_digit(s[j + 1]))
            j++;
        else
            break;
    }
    if (c->ng == 0)
        return false;
    if (c->paren && (c->ng < 2 || s[c->g[1].off - 1] == '(')) {
        c->paren = false; /* "(" without ")": the chain starts at the digits */
        c->beg = c->g[0].off;
    }
    c->end = c->g[c->ng - 1].off + c->g[c->ng - 1].len;
    c->left_ok = left_ok(s, c->beg);
    c->right_ok = right_ok(s, len, c->end);
    return true;
}

/* Copies the digits of groups k..k+m-1 into d (room for 40); returns how many. */
static size_t digits_of(const char *s, const struct chain *c, int k, int m, char *d)
{
    size_t n = 0;
    for (int q = k; q < k + m; q++) {
        if (n + c->g[q].len > 40)
            return 41;
        memcpy(d + n, s + c->g[q].off, c->g[q].len);
        n += c->g[q].len;
    }
    return n;
}

/* Do groups k..k+m-1 exist, share one separator, and have these lengths (0 = any)? */
static bool shape(const struct chain *c, int k, int m, const size_t *lens)
{
    if (k + m > c->ng)
        return false;
    for (int q = k; q < k + m; q++) {
        if (lens && lens[q - k] && c->g[q].len != lens[q - k])
            return false;
        if (q > k + 1 && c->g[q].sep != c->g[k + 1].sep)
            return false;
        if (q > k && c->g[q].sep == ')')
            return false;
    }
    return true;
}

struct match {
    enum pii_type type;
    int m;       /* groups used */
    bool prefix; /* a +86 / 86 / 0086 group or the chain's '+' or '(' is part of it */
};

static bool match_id(const char *s, const struct chain *c, int k, struct match *mt)
{
    static const size_t l684[] = {6, 8, 4};
    char d[41];
    if (c->g[k].len == 18 || c->g[k].len == 15) {
        mt->m = 1;
    } else if (shape(c, k, 3, l684) && c->g[k + 1].sep == ' ') {
        mt->m = 3;
    } else {
        return false;
    }
    mt->type = PII_ID_NUMBER;
    return pii_id_number_ok(d, digits_of(s, c, k, mt->m, d));
}

static bool match_mobile_at(const char *s, const struct chain *c, int k, int *m)
{
    static const size_t l344[] = {3, 4, 4}, l38[] = {3, 8};
    char d[41];
    if (k >= c->ng)
        return false;
    if (c->g[k].len == 11)
        *m = 1;
    else if (shape(c, k, 3, l344))
        *m = 3;
    else if (shape(c, k, 2, l38))
        *m = 2;
    else
        return false;
    return mobile_ok(d, digits_of(s, c, k, *m, d));
}

static bool match_mobile(const char *s, const struct chain *c, int k, struct match *mt)
{
    const struct group *g = &c->g[k];
    mt->type = PII_MOBILE;
    mt->prefix = false;
    if (match_mobile_at(s, c, k, &mt->m))
        return true;
    if ((g->len == 2 && memcmp(s + g->off, "86", 2) == 0) ||
        (g->len == 4 && memcmp(s + g->off, "0086", 4) == 0)) {
        if (k + 1 < c->ng && c->g[k + 1].sep != ')' && match_mobile_at(s, c, k + 1, &mt->m)) {
            mt->m++;
            mt->prefix = true;
            return true;
        }
    }
    if (k == 0 && c->plus && g->len == 13 && memcmp(s + g->off, "86", 2) == 0 &&
        mobile_ok(s + g->off + 2, 11)) {
        mt->m = 1;
        mt->prefix = true;
        return true;
    }
    return false;
}

static bool match_card(const char *s, const struct chain *c, int k, struct match *mt)
{
    char d[41];
    int m = 1;
    if (c->g[k].len < 16) {
        /* groups of four, the last one of 1 to 4 */
        while (k + m < c->ng && m < 5 && c->g[k + m - 1].len == 4 && c->g[k + m].len <= 4 &&
               c->g[k + m].sep == c->g[k + 1].sep && c->g[k + m].sep != ')')
            m++;
        if (m < 4 || c->g[k].len != 4)
            return false;
    }
    mt->type = PII_BANK_CARD;
    mt->m = m;
    if (labelled(s, c->g[k].off, id_labels, sizeof id_labels / sizeof id_labels[0]))
        return false;
    return card_ok(d, digits_of(s, c, k, m, d));
}

static bool match_landline(const char *s, const struct chain *c, int k, struct match *mt)
{
    char d[41];
    size_t n, alen = c->g[k].len;
    mt->type = PII_LANDLINE;
    mt->prefix = k == 0 && c->paren;
    if (alen >= 11 && alen <= 12 && !mt->prefix) {
        mt->m = 1;
        n = digits_of(s, c, k, 1, d);
        return landline_ok(d, n, area_len(d, n));
    }
    if (alen != 3 && alen != 4)
        return false;
    if (k + 1 < c->ng && c->g[k + 1].len >= 7 && c->g[k + 1].len <= 8)
        mt->m = 2;
    else if (k + 2 < c->ng && c->g[k + 1].len >= 3 && c->g[k + 1].len <= 4 &&
             c->g[k + 2].len == 4 && c->g[k + 2].sep == '-' && c->g[k + 1].sep != ' ')
        mt->m = 3;
    else
        return false;
    if (c->g[k + 1].sep == ')' && !mt->prefix)
        return false;
    n = digits_of(s, c, k, mt->m, d);
    return landline_ok(d, n, alen);
}

/* Matches groups starting at k; returns true and the match, or false. */
static bool match_at(const char *s, const struct chain *c, int k, unsigned types, struct match *mt)
{
    mt->prefix = false;
    if ((types & (1u << PII_ID_NUMBER)) && match_id(s, c, k, mt))
        return true;
    if ((types & (1u << PII_MOBILE)) && match_mobile(s, c, k, mt))
        return true;
    mt->prefix = false;
    if ((types & (1u << PII_BANK_CARD)) && match_card(s, c, k, mt))
        return true;
    mt->prefix = false;
    return (types & (1u << PII_LANDLINE)) && match_landline(s, c, k, mt);
}

static void scan_chain(const char *s, const struct chain *c, unsigned types, struct pii_list *l)
{
    struct match mt;
    for (int k = 0; k < c->ng;) {
        bool lok = k == 0 ? c->left_ok : c->g[k].sep == ' ';
        if (!lok || !match_at(s, c, k, types, &mt)) {
            k++;
            continue;
        }
        int last = k + mt.m - 1;
        bool rok = last + 1 == c->ng ? c->right_ok : c->g[last + 1].sep == ' ';
        if (!rok && mt.type == PII_LANDLINE && last + 1 < c->ng && c->g[last + 1].sep == '-' &&
            c->g[last + 1].len <= 5)
            rok = true; /* an extension, 010-62345678-123: not personal, left as it is */
        size_t beg = c->g[k].off, end = c->g[last].off + c->g[last].len;
        if (k == 0 && (c->plus || c->paren) && mt.prefix)
            beg = c->beg;
        else if (k == 0 && c->paren && mt.type != PII_LANDLINE)
            rok = false; /* "(0..." is only ever an area code */
        if (rok && !labelled_other(s, beg) && !taken(l, beg, end - beg)) {
            add(l, mt.type, beg, end - beg);
            k = last + 1;
        } else {
            k++;
        }
    }
}

static void find_numbers(const char *s, size_t len, unsigned types, struct pii_list *l)
{
    struct chain c;
    size_t i = 0;
    while (i < len) {
        char ch = s[i];
        bool start =
            is_digit(ch) || ((ch == '+' || ch == '(') && i + 1 < len && is_digit(s[i + 1]));
        if (!start || !read_chain(s, len, i, &c)) {
            i++;
            continue;
        }
        scan_chain(s, &c, types, l);
        i = c.end;
        while (i < len && (is_digit(s[i]) || s[i] == 'X' || s[i] == 'x'))
            i++; /* the rest of an over-long chain */
    }
}

/* ---- names ---- */

static const char *const compound_surnames[] = {
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙",
    "宇文", "司徒", "夏侯", "令狐", "独孤", "端木", "南宫", "西门", "轩辕", "百里",
    "呼延", "万俟", "澹台", "公冶", "太史", "申屠", "钟离", "闻人", "赫连", "东郭"};

static size_t cp_len(unsigned char c)
{
    return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

static size_t count_cps(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i += cp_len((unsigned char)s[i]))
        n++;
    return n;
}

static void find_names(const char *s, size_t len, const char *name, size_t nl, struct pii_list *l)
{
    bool ascii = true;
    for (size_t k = 0; k < nl; k++)
        ascii &= (unsigned char)name[k] < 0x80;
    if (count_cps(name, nl) < 2 || (ascii && nl < 3))
        return;
    for (const char *p = s; (p = memmem(p, len - (size_t)(p - s), name, nl)); p += nl) {
        size_t off = (size_t)(p - s);
        if (ascii &&
            ((off > 0 && is_alnum(s[off - 1])) || (off + nl < len && is_alnum(s[off + nl]))))
            continue;
        if (!taken(l, off, nl))
            add(l, PII_NAME, off, nl);
    }
}

/* ---- masking ---- */

static void stars(struct strbuf *out, size_t n)
{
    static const char s[] = "********************************";
    while (n > 0) {
        size_t k = n < sizeof s - 1 ? n : sizeof s - 1;
        strbuf_add(out, s, k);
        n -= k;
    }
}

int pii_mask_name(const char *s, size_t len, struct strbuf *out)
{
    size_t keep, i;
    bool ascii = true;
    for (i = 0; i < len; i++)
        ascii &= (unsigned char)s[i] < 0x80;
    if (ascii) {
        for (i = 0; i < len; i++)
            strbuf_addch(out, (i == 0 || s[i - 1] == ' ' || !is_alnum(s[i])) ? s[i] : '*');
        return PII_NAME;
    }
    keep = len ? cp_len((unsigned char)s[0]) : 0;
    for (size_t k = 0; k < sizeof compound_surnames / sizeof compound_surnames[0]; k++)
        if (len > 6 && memcmp(s, compound_surnames[k], 6) == 0)
            keep = 6;
    if (count_cps(s, len) < 2) {
        strbuf_addch(out, '*');
        return PII_NAME;
    }
    strbuf_add(out, s, keep);
    stars(out, count_cps(s + keep, len - keep));
    return PII_NAME;
}

int pii_mask_email(const char *s, size_t len, struct strbuf *out)
{
    const char *at = len ? memrchr(s, '@', len) : NULL;
    if (!at || at == s) {
        stars(out, count_cps(s, len));
        return -1;
    }
    strbuf_add(out, s, cp_len((unsigned char)s[0]));
    strbuf_addstr(out, "***");
    strbuf_add(out, at, len - (size_t)(at - s));
    return PII_EMAIL;
}

/* Masks a number given as its digits (no separators). */
static void mask_digits(enum pii_type t, const char *d, size_t n, struct strbuf *out)
{
    switch (t) {
    case PII_MOBILE:
        strbuf_add(out, d + n - 11, 3);
        strbuf_addstr(out, "****");
        strbuf_add(out, d + n - 4, 4);
        break;
    case PII_LANDLINE:
        strbuf_add(out, d, area_len(d, n));
        strbuf_addstr(out, "-****");
        strbuf_add(out, d + n - 4, 4);
        break;
    case PII_ID_NUMBER:
        strbuf_add(out, d, 6);
        stars(out, n - 10);
        strbuf_add(out, d + n - 4, 4);
        break;
    default: /* PII_BANK_CARD */
        strbuf_add(out, d, 4);
        stars(out, 8);
        strbuf_add(out, d + n - 4, 4);
        break;
    }
}

/* Digits (and X) of s[0..len), at most 40; a +86/0086 prefix is the caller's to drop. */
static size_t only_digits(const char *s, size_t len, char *d)
{
    size_t n = 0;
    for (size_t k = 0; k < len && n < 40; k++)
        if (is_digit(s[k]) || s[k] == 'X' || s[k] == 'x')
            d[n++] = s[k] == 'x' ? 'X' : s[k];
    return n;
}

int pii_mask_phone(const char *s, size_t len, struct strbuf *out)
{
    char d[41];
    size_t n = only_digits(s, len, d), o = 0;
    if (n == 13 && memcmp(d, "86", 2) == 0)
        o = 2;
    else if (n == 15 && memcmp(d, "0086", 4) == 0)
        o = 4;
    if (mobile_ok(d + o, n - o)) {
        mask_digits(PII_MOBILE, d + o, n - o, out);
        return PII_MOBILE;
    }
    if (landline_ok(d, n, area_len(d, n))) {
        mask_digits(PII_LANDLINE, d, n, out);
        return PII_LANDLINE;
    }
    if (n >= 7) {
        strbuf_add(out, d, 3);
        stars(out, n - 7);
        strbuf_add(out, d + n - 4, 4);
    } else {
        stars(out, n ? n : count_cps(s, len));
    }
    return -1;
}

static void mask_one(const char *s, const struct pii_finding *f, struct strbuf *out)
{
    char d[41];
    size_t n;
    switch (f->type) {
    case PII_EMAIL:
        pii_mask_email(s + f->off, f->len, out);
        break;
    case PII_NAME:
        pii_mask_name(s + f->off, f->len, out);
        break;
    default:
        n = only_digits(s + f->off, f->len, d);
        mask_digits(f->type, d, n, out);
        break;
    }
}

int pii_mask(const char *s, size_t len, const struct pii_opts *o, struct strbuf *masked,
             struct pii_list *found)
{
    struct pii_list own = {0}, *l = found ? found : &own;
    unsigned types = o && o->types ? o->types : (1u << PII_NTYPES) - 1;
    size_t pos = 0;
    int rc;

    l->n = 0;
    if (types & (1u << PII_EMAIL))
        find_emails(s, len, l);
    if (types &
        ((1u << PII_MOBILE) | (1u << PII_LANDLINE) | (1u << PII_ID_NUMBER) | (1u << PII_BANK_CARD)))
        find_numbers(s, len, types, l);
    if ((types & (1u << PII_NAME)) && o && o->name && *o->name)
        find_names(s, len, o->name, o->name_len ? o->name_len : strlen(o->name), l);
    for (size_t k = 0; k < l->n; k++) {
        struct pii_finding *f = &l->v[k];
        strbuf_add(masked, s + pos, f->off - pos);
        f->moff = masked->len;
        mask_one(s, f, masked);
        f->mlen = masked->len - f->moff;
        pos = f->off + f->len;
    }
    strbuf_add(masked, s + pos, len - pos);
    rc = masked->overflow ? KERR_TOOLARGE : (int)l->n;
    pii_list_release(&own);
    return rc;
}
