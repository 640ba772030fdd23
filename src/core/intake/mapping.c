/*
 * mapping: column mappings for imports. See mapping.h and docs/mapping.md.
 *
 * A mapping is a list of rules, one per kesu field. Each rule builds one
 * text value from a row (a constant, or one or more columns joined), then
 * transforms it in a fixed order: split and pick a part, trim, default
 * value map, default when empty, date layout (time fields), star count
 * (rating).
 * The result goes through record_set(), so a mapped row meets exactly the
 * checks a CSV cell or an API field meets.
 */
#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/clock.h"
#include "base/json.h"
#include "base/strbuf.h"
#include "base/xmalloc.h"
#include "intake/mapping.h"
#include "intake/xlsx.h"
#include "base/banned.h"

#define MAPPING_MAX_BYTES (1 << 20)
#define MAX_COLS          16
#define VALUE_MAX         (RECORD_TEXT_MAX + 1024)
#define MAX_SPLIT_PART    1024       /* "part" of a split value */
#define MAX_ROWS          1000000000 /* header_row, skip_rows, a sheet number */

struct colref {
    char *name; /* header name, or NULL when fixed */
    long fixed; /* 0-based column for "$C" and numbers, -1 for names */
    long col;   /* bound column */
};

struct rule {
    const struct record_field *f;
    char *konst;
    struct colref cols[MAX_COLS];
    size_t ncols;
    char *sep;
    char *split;
    int part;
    char *deflt;
    char **map_from, **map_to;
    size_t nmap;
    char *map_else;
    char **dates;
    size_t ndates;
    double scale;
};

struct mapping {
    long header_row, skip_rows;
    char *encoding, *sheet;
    struct rule *rules;
    size_t nrules;
};

/* ---- times ------------------------------------------------------------- */

static const char *const auto_layouts[] = {
    "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日 %H:%M", "%Y年%m月%d日",
    "%Y/%m/%d %H:%M:%S",     "%Y/%m/%d %H:%M",     "%Y/%m/%d",
    "%Y.%m.%d %H:%M:%S",     "%Y.%m.%d %H:%M",     "%Y.%m.%d",
    "%d-%m-%Y %H:%M:%S",     "%d-%m-%Y %H:%M",     "%d-%m-%Y",
    "%Y-%m-%d %H:%M:%S",     "%Y-%m-%d %H:%M",     "%Y-%m-%d",
    "%Y%m%d %H:%M:%S",       "%Y%m%d%H%M%S",       "%Y%m%d",
};

/* Reads 1..max digits (exactly max when exact) at *p. */
static int digits(const char **p, const char *end, int max, bool exact, int *out)
{
    int n = 0, v = 0;
    while (*p < end && n < max && **p >= '0' && **p <= '9') {
        v = v * 10 + (**p - '0');
        (*p)++;
        n++;
    }
    if (n == 0 || (exact && n != max))
        return -1;
    *out = v;
    return 0;
}

/* Matches s against a layout of %Y %y %m %d %H %M %S and literal bytes; a
 * space matches one or more spaces. */
static int match_layout(const char *s, size_t len, const char *fmt, int64_t *ms)
{
    const char *p = s, *end = s + len;
    int y = -1, mo = 1, d = 1, h = 0, mi = 0, sec = 0;
    char buf[64];
    for (const char *f = fmt; *f; f++) {
        int rc = 0;
        if (*f == '%' && f[1]) {
            f++;
            switch (*f) {
            case 'Y':
                rc = digits(&p, end, 4, true, &y);
                break;
            case 'y':
                rc = digits(&p, end, 2, true, &y);
                y += 2000;
                break;
            case 'm':
                rc = digits(&p, end, 2, false, &mo);
                break;
            case 'd':
                rc = digits(&p, end, 2, false, &d);
                break;
            case 'H':
                rc = digits(&p, end, 2, false, &h);
                break;
            case 'M':
                rc = digits(&p, end, 2, false, &mi);
                break;
            case 'S':
                rc = digits(&p, end, 2, false, &sec);
                break;
            case '%':
                rc = p < end && *p == '%' ? (p++, 0) : -1;
                break;
            default:
                return -1;
            }
        } else if (*f == ' ') {
            if (p == end || (*p != ' ' && *p != 'T'))
                return -1;
            while (p < end && *p == ' ')
                p++;
            if (p < end && *p == 'T' && p[-1] != ' ')
                p++;
        } else {
            rc = p < end && *p == *f ? (p++, 0) : -1;
        }
        if (rc < 0)
            return -1;
    }
    if (p != end || y < 0 || h > 23 || mi > 59 || sec > 60)
        return -1;
    snprintf(buf, sizeof(buf), "%04d-%02d-%02d %02d:%02d:%02d", y, mo, d, h, mi, sec);
    return clock_parse(buf, strlen(buf), ms);
}

/* A decimal number, and whether it had a fraction. */
static int number(const char *s, size_t len, double *v, bool *frac)
{
    char buf[64], *end;
    if (len == 0 || len >= sizeof(buf))
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    for (size_t i = 0; i < len; i++)
        if (!(isdigit((unsigned char)buf[i]) || buf[i] == '.'))
            return -1;
    *v = strtod(buf, &end);
    *frac = memchr(buf, '.', len) != NULL;
    return *end == '\0' ? 0 : -1;
}

int mapping_parse_time(const char *s, size_t len, const char *fmt, int64_t *ms)
{
    double v;
    bool frac;
    bool any = strcmp(fmt, "auto") == 0;

    while (len && (*s == ' ' || *s == '\t'))
        s++, len--;
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    if (any && clock_parse(s, len, ms) == 0)
        return 0;
    if (number(s, len, &v, &frac) == 0) {
        bool is_epoch_s = strcmp(fmt, "epoch_s") == 0 || (any && !frac && len == 10);
        bool is_epoch_ms = strcmp(fmt, "epoch_ms") == 0 || (any && !frac && len == 13);
        bool is_excel = strcmp(fmt, "excel") == 0 || (any && v >= 20000 && v < 80000);
        if (is_epoch_s) {
            *ms = (int64_t)llround(v * 1000);
            return 0;
        }
        if (is_epoch_ms) {
            *ms = (int64_t)llround(v);
            return 0;
        }
        if (is_excel)
            return xlsx_serial_to_ms(v, 0, ms);
    }
    if (!any)
        return match_layout(s, len, fmt, ms);
    for (size_t i = 0; i < sizeof(auto_layouts) / sizeof(auto_layouts[0]); i++)
        if (match_layout(s, len, auto_layouts[i], ms) == 0)
            return 0;
    return -1;
}

/* ---- loading ----------------------------------------------------------- */

static bool mappable(const struct record_field *f)
{
    if (!f)
        return false;
    if (strncmp(f->name, "category_l", 10) == 0)
        return true;
    return (f->flags & RF_INPUT) && f->kind != RF_JSON_ARR && f->kind != RF_JSON_OBJ;
}

/* "名称" (header), "$C" (letter), or a 1-based number. */
static int parse_colref(const cJSON *j, struct colref *c, const char *field, struct kerr *err)
{
    c->name = NULL;
    c->fixed = -1;
    c->col = -1;
    if (cJSON_IsNumber(j) && j->valuedouble >= 1 && j->valuedouble <= XLSX_MAX_COLS) {
        c->fixed = (long)j->valuedouble - 1;
        return 0;
    }
    if (!cJSON_IsString(j) || !j->valuestring[0])
        return kerr_set(err, KERR_INVALID, "bad_mapping", field,
                        "%s: a column is a header name, \"$C\" or a number from 1", field);
    if (j->valuestring[0] == '$' && j->valuestring[1]) {
        long col = 0;
        const char *p = j->valuestring + 1;
        for (; *p && isalpha((unsigned char)*p) && col <= XLSX_MAX_COLS; p++)
            col = col * 26 + (toupper((unsigned char)*p) - 'A' + 1);
        if (*p || col > XLSX_MAX_COLS)
            return kerr_set(err, KERR_INVALID, "bad_mapping", field, "%s: bad column letter %.16s",
                            field, j->valuestring);
        c->fixed = col - 1;
        return 0;
    }
    c->name = xstrdup(j->valuestring);
    return 0;
}

static char *opt_str(const cJSON *o, const char *key)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(j) ? xstrdup(j->valuestring) : NULL;
}

static int parse_map(const cJSON *map, struct rule *r, struct kerr *err)
{
    const cJSON *it;
    size_t n = (size_t)cJSON_GetArraySize(map);
    r->map_from = xcalloc(n ? n : 1, sizeof(char *));
    r->map_to = xcalloc(n ? n : 1, sizeof(char *));
    cJSON_ArrayForEach(it, map)
    {
        char num[32];
        const char *to = cJSON_IsString(it) ? it->valuestring : NULL;
        if (cJSON_IsNumber(it)) {
            snprintf(num, sizeof(num), "%.15g", it->valuedouble);
            to = num;
        }
        if (!to)
            return kerr_set(err, KERR_INVALID, "bad_mapping", r->f->name,
                            "%s: \"map\" values must be strings or numbers", r->f->name);
        r->map_from[r->nmap] = xstrdup(it->string);
        r->map_to[r->nmap] = xstrdup(to);
        r->nmap++;
    }
    return 0;
}

static int parse_rule(const cJSON *j, struct rule *r, struct kerr *err)
{
    const char *fn = r->f->name;
    const cJSON *col, *cols, *map, *date, *part, *scale;

    r->scale = NAN;
    if (cJSON_IsString(j) || cJSON_IsNumber(j)) {
        r->ncols = 1;
        return parse_colref(j, &r->cols[0], fn, err);
    }
    if (!cJSON_IsObject(j))
        return kerr_set(err, KERR_INVALID, "bad_mapping", fn, "%s: expected a column or an object",
                        fn);
    r->konst = opt_str(j, "const");
    r->sep = opt_str(j, "sep");
    r->split = opt_str(j, "split");
    r->deflt = opt_str(j, "default");
    r->map_else = opt_str(j, "else");
    col = cJSON_GetObjectItemCaseSensitive(j, "column");
    cols = cJSON_GetObjectItemCaseSensitive(j, "columns");
    if (col) {
        r->ncols = 1;
        if (parse_colref(col, &r->cols[0], fn, err) < 0)
            return KERR_INVALID;
    } else if (cJSON_IsArray(cols)) {
        const cJSON *it;
        cJSON_ArrayForEach(it, cols)
        {
            if (r->ncols == MAX_COLS)
                return kerr_set(err, KERR_INVALID, "bad_mapping", fn, "%s: at most %d columns", fn,
                                MAX_COLS);
            if (parse_colref(it, &r->cols[r->ncols++], fn, err) < 0)
                return KERR_INVALID;
        }
    }
    if (!r->konst && r->ncols == 0 && !r->deflt)
        return kerr_set(err, KERR_INVALID, "bad_mapping", fn,
                        "%s: give \"column\", \"columns\", \"const\" or \"default\"", fn);
    part = cJSON_GetObjectItemCaseSensitive(j, "part");
    /* out of int's range is no part (1e29 must not be cast): 0, refused below with a split */
    r->part = !cJSON_IsNumber(part) ? 1
              : part->valuedouble >= 1 && part->valuedouble <= MAX_SPLIT_PART
                  ? (int)part->valuedouble
                  : 0;
    if (r->split && (!r->split[0] || r->part < 1))
        return kerr_set(err, KERR_INVALID, "bad_mapping", fn,
                        "%s: \"split\" needs a separator and \"part\" from 1", fn);
    if ((map = cJSON_GetObjectItemCaseSensitive(j, "map"))) {
        if (!cJSON_IsObject(map) || parse_map(map, r, err) < 0)
            return kerr_set(err, KERR_INVALID, "bad_mapping", fn,
                            "%s: \"map\" must be an object of strings", fn);
    }
    date = cJSON_GetObjectItemCaseSensitive(j, "date");
    if (date && r->f->kind != RF_TIME)
        return kerr_set(err, KERR_INVALID, "bad_mapping", fn, "%s: \"date\" is for time fields",
                        fn);
    if (cJSON_IsString(date)) {
        r->dates = xcalloc(1, sizeof(char *));
        r->dates[r->ndates++] = xstrdup(date->valuestring);
    } else if (cJSON_IsArray(date)) {
        const cJSON *it;
        r->dates = xcalloc((size_t)cJSON_GetArraySize(date) + 1, sizeof(char *));
        cJSON_ArrayForEach(it, date) if (cJSON_IsString(it)) r->dates[r->ndates++] =
            xstrdup(it->valuestring);
    }
    scale = cJSON_GetObjectItemCaseSensitive(j, "scale");
    if (scale) {
        if (strcmp(fn, "rating") != 0 || !cJSON_IsNumber(scale) || scale->valuedouble <= 0)
            return kerr_set(err, KERR_INVALID, "bad_mapping", fn,
                            "%s: \"scale\" is a positive number on rating", fn);
        r->scale = scale->valuedouble;
    }
    return 0;
}

static int parse_top(struct mapping *m, const cJSON *root, struct kerr *err)
{
    const cJSON *fields = cJSON_GetObjectItemCaseSensitive(root, "fields"), *it;
    const cJSON *hr = cJSON_GetObjectItemCaseSensitive(root, "header_row");
    const cJSON *sk = cJSON_GetObjectItemCaseSensitive(root, "skip_rows");
    const cJSON *sh = cJSON_GetObjectItemCaseSensitive(root, "sheet");

    if (!cJSON_IsObject(root) || !cJSON_IsObject(fields))
        return kerr_set(err, KERR_INVALID, "bad_mapping", "fields",
                        "a mapping is a JSON object with a \"fields\" object");
    /* numbers beyond MAX_ROWS are refused as such, never cast */
    m->header_row = !cJSON_IsNumber(hr)                                   ? 1
                    : hr->valuedouble >= 1 && hr->valuedouble <= MAX_ROWS ? (long)hr->valuedouble
                                                                          : 0;
    m->skip_rows = !cJSON_IsNumber(sk)                                   ? 0
                   : sk->valuedouble >= 0 && sk->valuedouble <= MAX_ROWS ? (long)sk->valuedouble
                                                                         : -1;
    if (m->header_row < 1 || m->skip_rows < 0)
        return kerr_set(err, KERR_INVALID, "bad_mapping", "header_row",
                        "header_row counts from 1 and skip_rows from 0");
    m->encoding = opt_str(root, "encoding");
    if (cJSON_IsNumber(sh) && !(sh->valuedouble >= 1 && sh->valuedouble <= MAX_ROWS))
        return kerr_set(err, KERR_INVALID, "bad_mapping", "sheet",
                        "sheet is a name or a number from 1");
    if (cJSON_IsNumber(sh)) {
        char num[32];
        snprintf(num, sizeof(num), "%d", (int)sh->valuedouble);
        m->sheet = xstrdup(num);
    } else {
        m->sheet = opt_str(root, "sheet");
    }
    m->rules = xcalloc((size_t)cJSON_GetArraySize(fields) + 1, sizeof(struct rule));
    cJSON_ArrayForEach(it, fields)
    {
        const struct record_field *f = record_field_by_name(it->string);
        struct rule *r = &m->rules[m->nrules];
        if (!mappable(f))
            return kerr_set(err, KERR_INVALID, "bad_mapping", it->string,
                            "\"%.40s\" is not a field an import can set", it->string);
        for (size_t i = 0; i < m->nrules; i++)
            if (m->rules[i].f == f)
                return kerr_set(err, KERR_INVALID, "bad_mapping", f->name, "%s is mapped twice",
                                f->name);
        r->f = f;
        m->nrules++;
        if (parse_rule(it, r, err) < 0)
            return KERR_INVALID;
    }
    return 0;
}

int mapping_parse(const char *json, size_t len, struct mapping **out, struct kerr *err)
{
    struct mapping *m;
    cJSON *root;
    int rc;

    *out = NULL;
    if (!(root = json_parse_checked(json, len, err)))
        return KERR_INVALID;
    m = xcalloc(1, sizeof(*m));
    rc = parse_top(m, root, err);
    cJSON_Delete(root);
    if (rc < 0) {
        mapping_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

int mapping_load(const char *path, struct mapping **out, struct kerr *err)
{
    FILE *f = fopen(path, "rb");
    struct strbuf sb = STRBUF_INIT;
    char buf[8192];
    size_t got;
    int rc;

    *out = NULL;
    if (!f)
        return kerr_set(err, KERR_IO, "cannot_open", "", "cannot open mapping %.160s", path);
    sb.cap = MAPPING_MAX_BYTES;
    while ((got = fread(buf, 1, sizeof(buf), f)) > 0)
        strbuf_add(&sb, buf, got);
    if (ferror(f) || sb.overflow)
        rc = kerr_set(err, sb.overflow ? KERR_TOOLARGE : KERR_IO, "cannot_read", "",
                      "cannot read mapping %.160s (at most 1 MiB)", path);
    else
        rc = mapping_parse(sb.buf, sb.len, out, err);
    fclose(f);
    strbuf_release(&sb);
    return rc;
}

static void free_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void mapping_free(struct mapping *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->nrules; i++) {
        struct rule *r = &m->rules[i];
        free(r->konst);
        free(r->sep);
        free(r->split);
        free(r->deflt);
        free(r->map_else);
        for (size_t k = 0; k < r->ncols; k++)
            free(r->cols[k].name);
        free_list(r->map_from, r->nmap);
        free_list(r->map_to, r->nmap);
        free_list(r->dates, r->ndates);
    }
    free(m->rules);
    free(m->encoding);
    free(m->sheet);
    free(m);
}

long mapping_header_row(const struct mapping *m)
{
    return m->header_row;
}

long mapping_skip_rows(const struct mapping *m)
{
    return m->skip_rows;
}

const char *mapping_encoding(const struct mapping *m)
{
    return m->encoding;
}

const char *mapping_sheet(const struct mapping *m)
{
    return m->sheet;
}

/* ---- binding and applying ---------------------------------------------- */

static void trim(const char **s, size_t *len)
{
    while (*len && isspace((unsigned char)**s))
        (*s)++, (*len)--;
    while (*len && isspace((unsigned char)(*s)[*len - 1]))
        (*len)--;
}

int mapping_bind(struct mapping *m, const struct csv_row *header, struct kerr *err)
{
    for (size_t i = 0; i < m->nrules; i++) {
        for (size_t k = 0; k < m->rules[i].ncols; k++) {
            struct colref *c = &m->rules[i].cols[k];
            c->col = c->fixed;
            for (size_t h = 0; c->name && h < header->nfields && c->col < 0; h++) {
                const char *p = header->fields[h].ptr;
                size_t len = header->fields[h].len;
                trim(&p, &len);
                if (len == strlen(c->name) && memcmp(p, c->name, len) == 0)
                    c->col = (long)h;
            }
            if (c->col < 0)
                return kerr_set(err, KERR_INVALID, "unknown_column", m->rules[i].f->name,
                                "line %ld: no column \"%.60s\" (for %s) in the header",
                                header->line, c->name, m->rules[i].f->name);
        }
    }
    return 0;
}

/* Keeps part r->part (1-based) of v split at r->split. */
static void split_part(const struct rule *r, struct strbuf *v)
{
    size_t sl = strlen(r->split);
    const char *p = v->buf, *end = v->buf + v->len;
    for (int i = 1; i < r->part && p; i++) {
        p = memmem(p, (size_t)(end - p), r->split, sl);
        if (p)
            p += sl;
    }
    if (!p) {
        strbuf_reset(v);
        return;
    }
    const char *q = memmem(p, (size_t)(end - p), r->split, sl);
    size_t len = q ? (size_t)(q - p) : (size_t)(end - p);
    memmove(v->buf, p, len);
    strbuf_setlen(v, len);
}

/* "★★★☆☆" -> "3"; anything else unchanged. */
static void count_stars(struct strbuf *v)
{
    size_t n = 0, i = 0;
    bool only = v->len > 0;
    while (i < v->len && only) {
        if (v->len - i >= 3 && memcmp(v->buf + i, "\xE2\x98\x85", 3) == 0) /* ★ */
            n++, i += 3;
        else if (v->len - i >= 3 && memcmp(v->buf + i, "\xE2\x98\x86", 3) == 0) /* ☆ */
            i += 3;
        else
            only = false;
    }
    if (only) {
        strbuf_reset(v);
        strbuf_addf(v, "%zu", n);
    }
}

static void assign(struct strbuf *v, const char *s)
{
    strbuf_reset(v);
    strbuf_addstr(v, s);
}

/* Builds the rule's value from the row; returns <0 on a bad date. */
static int build(const struct rule *r, const struct csv_row *row, struct strbuf *v,
                 struct kerr *err)
{
    strbuf_reset(v);
    if (r->konst)
        strbuf_addstr(v, r->konst);
    for (size_t k = 0; k < r->ncols; k++) {
        long c = r->cols[k].col;
        const char *p = c >= 0 && (size_t)c < row->nfields ? row->fields[c].ptr : "";
        size_t len = c >= 0 && (size_t)c < row->nfields ? row->fields[c].len : 0;
        trim(&p, &len);
        if (!len)
            continue;
        if (v->len)
            strbuf_addstr(v, r->sep ? r->sep : " ");
        strbuf_add(v, p, len);
    }
    if (r->split)
        split_part(r, v);
    {
        const char *p = v->buf;
        size_t len = v->len;
        trim(&p, &len);
        memmove(v->buf, p, len);
        strbuf_setlen(v, len);
    }
    if (v->len && (r->nmap || r->map_else)) {
        size_t i = 0;
        for (; i < r->nmap; i++)
            if (strcmp(r->map_from[i], v->buf) == 0)
                break;
        if (i < r->nmap)
            assign(v, r->map_to[i]);
        else if (r->map_else)
            assign(v, r->map_else);
    }
    if (!v->len && r->deflt)
        assign(v, r->deflt);
    if (r->f->kind == RF_TIME && v->len) {
        int64_t ms;
        char out[CLOCK_FMT_MAX];
        size_t i = 0;
        for (; i < (r->ndates ? r->ndates : 1); i++)
            if (mapping_parse_time(v->buf, v->len, r->ndates ? r->dates[i] : "auto", &ms) == 0)
                break;
        if (i == (r->ndates ? r->ndates : 1))
            return kerr_set(err, KERR_INVALID, "invalid_time", r->f->name,
                            "\"%.40s\" is not a date in the mapped layout", v->buf);
        assign(v, clock_format(ms, out));
    }
    if (strcmp(r->f->name, "rating") == 0)
        count_stars(v);
    return 0;
}

int mapping_apply(const struct mapping *m, const struct csv_row *row, struct record *r,
                  struct kerr *err)
{
    struct strbuf v = STRBUF_INIT;
    bool category = false;
    int rc = 0;

    v.cap = VALUE_MAX;
    for (size_t i = 0; i < m->nrules && rc == 0; i++) {
        const struct rule *ru = &m->rules[i];
        rc = build(ru, row, &v, err);
        if (rc == 0 && v.overflow)
            rc =
                kerr_set(err, KERR_INVALID, "too_long", ru->f->name, "%s is too long", ru->f->name);
        if (rc == 0)
            rc = record_set(r, ru->f, v.buf, v.len, err);
        if (rc == 0 && !isnan(ru->scale) && isnan(r->rating_scale))
            r->rating_scale = ru->scale;
        if (rc == 0 && v.len && strncmp(ru->f->name, "category_l", 10) == 0)
            category = true;
        if (rc < 0 && err && ru->ncols == 1 && ru->cols[0].name) {
            size_t ml = strlen(err->message);
            snprintf(err->message + ml, sizeof(err->message) - ml, " (column %s)",
                     ru->cols[0].name);
        }
    }
    if (rc == 0 && category && !r->category_source)
        r->category_source = xstrdup("import");
    strbuf_release(&v);
    return rc;
}
