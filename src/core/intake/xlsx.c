/*
 * xlsx: workbook parts with libzip, their XML with expat. See xlsx.h.
 *
 * DESIGN. The small parts (relationships, workbook, styles, shared strings)
 * are parsed whole at open. The sheet is parsed as a pull stream: the end
 * of every <row> suspends expat (XML_StopParser, resumable) with the row's
 * cells ready; xlsx_read() resumes it, and feeds the next 64 KiB of the zip
 * entry when expat has used up what it had. Element names are matched by
 * their local part, so prefixed namespaces (x:row) read the same.
 */
#include <expat.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

#include "base/clock.h"
#include "base/strbuf.h"
#include "base/xmalloc.h"
#include "intake/xlsx.h"
#include "base/banned.h"

#define CHUNK 65536

struct sheet {
    char *name;
    char *rid;
    char *path;
};

struct xlsx {
    zip_t *zip;
    struct sheet *sheets;
    size_t nsheets;
    bool date1904;
    /* shared strings: string i is pool[offs[i] .. offs[i+1]) */
    struct strbuf pool;
    size_t *offs;
    size_t nshared, shared_alloc;
    /* styles: is cell format i a date? */
    bool *xf_date;
    size_t nxf;
    /* the sheet being read */
    zip_file_t *entry;
    XML_Parser parser;
    bool suspended, fed_final, done;
    struct strbuf cells[XLSX_MAX_COLS];
    struct csv_field fields[XLSX_MAX_COLS];
    size_t ncells;
    long rownum;
    long colnum; /* column of the cell being read, -1 before the first */
    char ctype[16];
    long cstyle;
    struct strbuf text; /* text of the current <v> or <t> */
    bool in_v, in_is, in_t, in_rph;
    bool row_ready, row_error;
    struct kerr row_err;
    int fatal;
    struct kerr fatal_err;
};

/* What one whole-part parse collects; the handlers are set per part. */
struct part {
    struct xlsx *x;
    struct strbuf text;
    bool collect;
    int depth_rph;
    bool in_cellxfs;
    /* numFmts: custom id -> code */
    int *fmt_ids;
    char **fmt_codes;
    size_t nfmts;
    /* relationships */
    char **rel_ids, **rel_targets, **rel_types;
    size_t nrels;
    int rc;
};

static const char *local(const char *name)
{
    const char *c = strrchr(name, ':');
    return c ? c + 1 : name;
}

static const char *attr(const char **atts, const char *name)
{
    for (size_t i = 0; atts[i]; i += 2)
        if (strcmp(local(atts[i]), name) == 0)
            return atts[i + 1];
    return NULL;
}

/* The relationship id attribute (r:id), not a plain "id". */
static const char *attr_rid(const char **atts)
{
    for (size_t i = 0; atts[i]; i += 2)
        if (strchr(atts[i], ':') && strcmp(local(atts[i]), "id") == 0)
            return atts[i + 1];
    return attr(atts, "id");
}

static void part_text(void *ud, const XML_Char *s, int len)
{
    struct part *p = ud;
    if (p->collect && p->depth_rph == 0)
        strbuf_add(&p->text, s, (size_t)len);
}

/* Parses the zip entry `name` whole with the handlers set on a fresh parser. */
static int parse_part(struct xlsx *x, const char *name, XML_StartElementHandler start,
                      XML_EndElementHandler end, struct part *p, bool optional, struct kerr *err)
{
    zip_file_t *zf = zip_fopen(x->zip, name, 0);
    XML_Parser xp;
    int rc = 0;

    if (!zf)
        return optional ? 0
                        : kerr_set(err, KERR_INVALID, "xlsx_invalid", "",
                                   "not an xlsx workbook: it has no %.100s", name);
    xp = XML_ParserCreate("UTF-8");
    XML_SetUserData(xp, p);
    XML_SetElementHandler(xp, start, end);
    XML_SetCharacterDataHandler(xp, part_text);
    for (;;) {
        void *buf = XML_GetBuffer(xp, CHUNK);
        zip_int64_t got = zip_fread(zf, buf, CHUNK);
        if (got < 0) {
            rc = kerr_set(err, KERR_IO, "read_failed", "", "reading %.100s failed", name);
            break;
        }
        if (XML_ParseBuffer(xp, (int)got, got == 0) != XML_STATUS_OK) {
            rc = kerr_set(err, KERR_INVALID, "xlsx_invalid", "", "%.100s: line %lu: %s", name,
                          (unsigned long)XML_GetCurrentLineNumber(xp),
                          XML_ErrorString(XML_GetErrorCode(xp)));
            break;
        }
        if (p->rc < 0) {
            rc = kerr_set(err, p->rc, p->rc == KERR_TOOLARGE ? "xlsx_too_large" : "xlsx_invalid",
                          "", "%.100s is too large", name);
            break;
        }
        if (got == 0)
            break;
    }
    XML_ParserFree(xp);
    zip_fclose(zf);
    return rc;
}

/* ---- relationships ---------------------------------------------------- */

static void rels_start(void *ud, const XML_Char *el, const XML_Char **atts)
{
    struct part *p = ud;
    const char *id = attr(atts, "Id"), *target = attr(atts, "Target"), *type = attr(atts, "Type");
    if (strcmp(local(el), "Relationship") != 0 || !id || !target)
        return;
    p->rel_ids = xrealloc(p->rel_ids, (p->nrels + 1) * sizeof(char *));
    p->rel_targets = xrealloc(p->rel_targets, (p->nrels + 1) * sizeof(char *));
    p->rel_types = xrealloc(p->rel_types, (p->nrels + 1) * sizeof(char *));
    p->rel_ids[p->nrels] = xstrdup(id);
    p->rel_targets[p->nrels] = xstrdup(target);
    p->rel_types[p->nrels] = xstrdup(type ? type : "");
    p->nrels++;
}

static void no_end(void *ud, const XML_Char *el)
{
    (void)ud;
    (void)el;
}

static void rels_free(struct part *p)
{
    for (size_t i = 0; i < p->nrels; i++) {
        free(p->rel_ids[i]);
        free(p->rel_targets[i]);
        free(p->rel_types[i]);
    }
    free(p->rel_ids);
    free(p->rel_targets);
    free(p->rel_types);
    p->rel_ids = p->rel_targets = p->rel_types = NULL;
    p->nrels = 0;
}

/* A part path from a relationship target, relative to dir ("xl/"). */
static char *resolve(const char *dir, const char *target)
{
    struct strbuf sb = STRBUF_INIT;
    if (target[0] == '/') {
        strbuf_addstr(&sb, target + 1);
    } else {
        strbuf_addstr(&sb, dir);
        strbuf_addstr(&sb, target);
    }
    return strbuf_detach(&sb, NULL);
}

/* The target of the relationship whose type ends in `/suffix`, or NULL. */
static const char *rel_by_type(const struct part *p, const char *suffix)
{
    size_t sl = strlen(suffix);
    for (size_t i = 0; i < p->nrels; i++) {
        size_t tl = strlen(p->rel_types[i]);
        if (tl > sl && strcmp(p->rel_types[i] + tl - sl, suffix) == 0 &&
            p->rel_types[i][tl - sl - 1] == '/')
            return p->rel_targets[i];
    }
    return NULL;
}

/* ---- workbook ---------------------------------------------------------- */

static void workbook_start(void *ud, const XML_Char *el, const XML_Char **atts)
{
    struct part *p = ud;
    struct xlsx *x = p->x;
    const char *name = local(el);
    if (strcmp(name, "workbookPr") == 0) {
        const char *d = attr(atts, "date1904");
        x->date1904 = d && (strcmp(d, "1") == 0 || strcmp(d, "true") == 0);
    } else if (strcmp(name, "sheet") == 0) {
        const char *sn = attr(atts, "name"), *rid = attr_rid(atts);
        if (!sn || !rid)
            return;
        x->sheets = xrealloc(x->sheets, (x->nsheets + 1) * sizeof(*x->sheets));
        x->sheets[x->nsheets].name = xstrdup(sn);
        x->sheets[x->nsheets].rid = xstrdup(rid);
        x->sheets[x->nsheets].path = NULL;
        x->nsheets++;
    }
}

/* ---- shared strings ---------------------------------------------------- */

static void sst_start(void *ud, const XML_Char *el, const XML_Char **atts)
{
    struct part *p = ud;
    const char *name = local(el);
    (void)atts;
    if (strcmp(name, "si") == 0)
        strbuf_reset(&p->text);
    else if (strcmp(name, "t") == 0)
        p->collect = true;
    else if (strcmp(name, "rPh") == 0)
        p->depth_rph++;
}

static void sst_end(void *ud, const XML_Char *el)
{
    struct part *p = ud;
    struct xlsx *x = p->x;
    const char *name = local(el);
    if (strcmp(name, "t") == 0) {
        p->collect = false;
    } else if (strcmp(name, "rPh") == 0) {
        p->depth_rph--;
    } else if (strcmp(name, "si") == 0) {
        if (x->nshared + 2 > x->shared_alloc) {
            x->shared_alloc = x->shared_alloc ? x->shared_alloc * 2 : 1024;
            x->offs = xrealloc(x->offs, x->shared_alloc * sizeof(size_t));
        }
        if (!strbuf_add(&x->pool, p->text.buf, p->text.len))
            p->rc = KERR_TOOLARGE;
        x->nshared++;
        x->offs[x->nshared] = x->pool.len;
    }
}

/* ---- styles ------------------------------------------------------------ */

int xlsx_is_date_format(int id, const char *code)
{
    if (!code)
        return (id >= 14 && id <= 22) || (id >= 27 && id <= 36) || (id >= 45 && id <= 47) ||
               (id >= 50 && id <= 58);
    for (const char *c = code; *c; c++) {
        switch (*c) {
        case '"':
            c = strchr(c + 1, '"');
            if (!c)
                return 0;
            break;
        case '[':
            c = strchr(c + 1, ']');
            if (!c)
                return 0;
            break;
        case '\\':
        case '_':
        case '*':
            if (!c[1])
                return 0;
            c++;
            break;
        case 'y':
        case 'Y':
        case 'm':
        case 'M':
        case 'd':
        case 'D':
        case 'h':
        case 'H':
        case 's':
        case 'S':
            return 1;
        default:
            break;
        }
    }
    return 0;
}

static void styles_start(void *ud, const XML_Char *el, const XML_Char **atts)
{
    struct part *p = ud;
    struct xlsx *x = p->x;
    const char *name = local(el);
    if (strcmp(name, "numFmt") == 0) {
        const char *id = attr(atts, "numFmtId"), *code = attr(atts, "formatCode");
        if (!id || !code)
            return;
        p->fmt_ids = xrealloc(p->fmt_ids, (p->nfmts + 1) * sizeof(int));
        p->fmt_codes = xrealloc(p->fmt_codes, (p->nfmts + 1) * sizeof(char *));
        p->fmt_ids[p->nfmts] = (int)strtol(id, NULL, 10);
        p->fmt_codes[p->nfmts] = xstrdup(code);
        p->nfmts++;
    } else if (strcmp(name, "cellXfs") == 0) {
        p->in_cellxfs = true;
    } else if (strcmp(name, "xf") == 0 && p->in_cellxfs) {
        const char *id = attr(atts, "numFmtId");
        int fid = id ? (int)strtol(id, NULL, 10) : 0;
        const char *code = NULL;
        for (size_t i = 0; i < p->nfmts; i++)
            if (p->fmt_ids[i] == fid)
                code = p->fmt_codes[i];
        x->xf_date = xrealloc(x->xf_date, (x->nxf + 1) * sizeof(bool));
        x->xf_date[x->nxf++] = xlsx_is_date_format(fid, code);
    }
}

static void styles_end(void *ud, const XML_Char *el)
{
    struct part *p = ud;
    if (strcmp(local(el), "cellXfs") == 0)
        p->in_cellxfs = false;
}

/* ---- open -------------------------------------------------------------- */

static int load_parts(struct xlsx *x, struct kerr *err)
{
    struct part p;
    char *wb_path, *rels_path, *dir;
    const char *slash, *t;
    int rc;

    memset(&p, 0, sizeof(p));
    strbuf_init(&p.text, 0);
    p.x = x;
    if ((rc = parse_part(x, "_rels/.rels", rels_start, no_end, &p, true, err)) < 0) {
        rels_free(&p); /* the relationships read before the part turned out malformed */
        strbuf_release(&p.text);
        return rc;
    }
    t = rel_by_type(&p, "officeDocument");
    wb_path = resolve("", t ? t : "xl/workbook.xml");
    rels_free(&p);
    slash = strrchr(wb_path, '/');
    dir = xstrndup(wb_path, slash ? (size_t)(slash - wb_path + 1) : 0);
    {
        struct strbuf sb = STRBUF_INIT;
        strbuf_addf(&sb, "%s_rels/%s.rels", dir, slash ? slash + 1 : wb_path);
        rels_path = strbuf_detach(&sb, NULL);
    }
    rc = parse_part(x, wb_path, workbook_start, no_end, &p, false, err);
    if (rc == 0)
        rc = parse_part(x, rels_path, rels_start, no_end, &p, false, err);
    for (size_t i = 0; rc == 0 && i < x->nsheets; i++)
        for (size_t k = 0; k < p.nrels; k++)
            if (strcmp(p.rel_ids[k], x->sheets[i].rid) == 0)
                x->sheets[i].path = resolve(dir, p.rel_targets[k]);
    if (rc == 0 && x->nsheets == 0)
        rc = kerr_set(err, KERR_INVALID, "xlsx_invalid", "", "the workbook has no sheet");
    if (rc == 0 && (t = rel_by_type(&p, "sharedStrings"))) {
        char *path = resolve(dir, t);
        x->offs = xcalloc(1024, sizeof(size_t));
        x->shared_alloc = 1024;
        x->pool.cap = XLSX_MAX_SHARED_SIZE;
        rc = parse_part(x, path, sst_start, sst_end, &p, false, err);
        free(path);
    }
    if (rc == 0 && (t = rel_by_type(&p, "styles"))) {
        char *path = resolve(dir, t);
        rc = parse_part(x, path, styles_start, styles_end, &p, true, err);
        free(path);
    }
    strbuf_release(&p.text);
    for (size_t i = 0; i < p.nfmts; i++)
        free(p.fmt_codes[i]);
    free(p.fmt_codes);
    free(p.fmt_ids);
    rels_free(&p);
    free(wb_path);
    free(rels_path);
    free(dir);
    return rc;
}

int xlsx_open(FILE *f, struct xlsx **out, struct kerr *err)
{
    struct xlsx *x;
    int fd = dup(fileno(f)), zerr = 0, rc;

    *out = NULL;
    if (fd < 0)
        return kerr_set(err, KERR_IO, "read_failed", "", "cannot read the workbook");
    x = xcalloc(1, sizeof(*x));
    x->zip = zip_fdopen(fd, ZIP_RDONLY, &zerr);
    if (!x->zip) {
        close(fd);
        free(x);
        return kerr_set(err, zerr == ZIP_ER_READ ? KERR_IO : KERR_INVALID, "xlsx_invalid", "",
                        "not an xlsx workbook (zip error %d)", zerr);
    }
    for (size_t i = 0; i < XLSX_MAX_COLS; i++) {
        strbuf_init(&x->cells[i], 0);
        x->cells[i].cap = XLSX_MAX_CELL;
    }
    strbuf_init(&x->text, 0);
    strbuf_init(&x->pool, 0);
    x->text.cap = XLSX_MAX_CELL;
    if ((rc = load_parts(x, err)) < 0 || (rc = xlsx_select(x, "1", err)) < 0) {
        xlsx_free(x);
        return rc;
    }
    *out = x;
    return 0;
}

size_t xlsx_sheet_count(const struct xlsx *x)
{
    return x->nsheets;
}

const char *xlsx_sheet_name(const struct xlsx *x, size_t i)
{
    return i < x->nsheets ? x->sheets[i].name : NULL;
}

/* ---- the sheet stream -------------------------------------------------- */

static long column_of(const char *ref)
{
    long col = 0;
    size_t i = 0;
    for (; ref[i] >= 'A' && ref[i] <= 'Z' && i < 4; i++)
        col = col * 26 + (ref[i] - 'A' + 1);
    return i == 0 || i == 4 ? -1 : col - 1;
}

static void row_fail(struct xlsx *x, const char *code, const char *what, long limit)
{
    if (x->row_error)
        return;
    x->row_error = true;
    kerr_set(&x->row_err, KERR_TOOLARGE, code, "", "%s %ld", what, limit);
}

static void sheet_start(void *ud, const XML_Char *el, const XML_Char **atts)
{
    struct xlsx *x = ud;
    const char *name = local(el);
    if (strcmp(name, "c") == 0) {
        const char *r = attr(atts, "r"), *t = attr(atts, "t"), *s = attr(atts, "s");
        x->colnum = r ? column_of(r) : x->colnum + 1;
        snprintf(x->ctype, sizeof(x->ctype), "%s", t ? t : "n");
        x->cstyle = s ? strtol(s, NULL, 10) : 0;
        strbuf_reset(&x->text);
    } else if (strcmp(name, "v") == 0) {
        x->in_v = true;
    } else if (strcmp(name, "is") == 0) {
        x->in_is = true;
    } else if (strcmp(name, "t") == 0 && x->in_is) {
        x->in_t = true;
    } else if (strcmp(name, "rPh") == 0) {
        x->in_rph = true;
    } else if (strcmp(name, "row") == 0) {
        const char *r = attr(atts, "r");
        x->rownum = r ? strtol(r, NULL, 10) : x->rownum + 1;
        for (size_t i = 0; i < x->ncells; i++)
            strbuf_reset(&x->cells[i]);
        x->ncells = 0;
        x->colnum = -1;
        x->row_error = false;
    }
}

static void sheet_text(void *ud, const XML_Char *s, int len)
{
    struct xlsx *x = ud;
    if ((x->in_v || x->in_t) && !x->in_rph && !strbuf_add(&x->text, s, (size_t)len))
        row_fail(x, "cell_too_long", "a cell is longer than the cap in bytes,",
                 (long)XLSX_MAX_CELL);
}

int xlsx_serial_to_ms(double serial, int date1904, int64_t *ms)
{
    char buf[64];
    if (!(serial >= 0 && serial < 2958466)) /* up to 9999-12-31 */
        return -1;
    if (!date1904 && serial < 61)
        serial += 1; /* Excel's 1900-02-29 */
    long long secs = llround(serial * 86400.0);
    long long days = secs / 86400 + (date1904 ? -24107 : -25569), sod = secs % 86400;
    /* civil date from days since 1970-01-01 (Howard Hinnant's algorithm) */
    long long z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
    long long doe = z - era * 146097;
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    long long d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
    long long y = yoe + era * 400 + (m <= 2);
    snprintf(buf, sizeof(buf), "%04d-%02d-%02d %02d:%02d:%02d", (int)y, (int)m, (int)d,
             (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60));
    return clock_parse(buf, strlen(buf), ms);
}

/* Stores the finished cell's text in its column. */
static void cell_done(struct xlsx *x)
{
    struct strbuf *out;
    if (x->row_error)
        return;
    if (x->colnum < 0 || x->colnum >= XLSX_MAX_COLS) {
        row_fail(x, "too_many_columns", "a cell lies past the last column allowed,",
                 (long)XLSX_MAX_COLS);
        return;
    }
    out = &x->cells[x->colnum];
    strbuf_reset(out);
    if (strcmp(x->ctype, "s") == 0) {
        char *end;
        unsigned long i = strtoul(x->text.buf, &end, 10);
        if (end != x->text.buf && i < x->nshared)
            strbuf_add(out, x->pool.buf + x->offs[i], x->offs[i + 1] - x->offs[i]);
    } else if (strcmp(x->ctype, "b") == 0) {
        if (x->text.len)
            strbuf_addstr(out, strcmp(x->text.buf, "0") == 0 ? "FALSE" : "TRUE");
    } else if (strcmp(x->ctype, "n") == 0 && x->text.len && x->cstyle >= 0 &&
               (size_t)x->cstyle < x->nxf && x->xf_date[x->cstyle]) {
        char *end, tbuf[CLOCK_FMT_MAX];
        int64_t ms;
        double v = strtod(x->text.buf, &end);
        if (*end == '\0' && xlsx_serial_to_ms(v, x->date1904, &ms) == 0)
            strbuf_addstr(out, clock_format(ms, tbuf));
        else
            strbuf_add(out, x->text.buf, x->text.len);
    } else {
        strbuf_add(out, x->text.buf, x->text.len);
    }
    if ((size_t)x->colnum + 1 > x->ncells)
        x->ncells = (size_t)x->colnum + 1;
}

static void sheet_end(void *ud, const XML_Char *el)
{
    struct xlsx *x = ud;
    const char *name = local(el);
    if (strcmp(name, "c") == 0) {
        cell_done(x);
    } else if (strcmp(name, "v") == 0) {
        x->in_v = false;
    } else if (strcmp(name, "is") == 0) {
        x->in_is = false;
    } else if (strcmp(name, "t") == 0) {
        x->in_t = false;
    } else if (strcmp(name, "rPh") == 0) {
        x->in_rph = false;
    } else if (strcmp(name, "row") == 0) {
        bool any = x->row_error;
        for (size_t i = 0; i < x->ncells && !any; i++)
            any = x->cells[i].len > 0;
        if (any) {
            x->row_ready = true;
            XML_StopParser(x->parser, XML_TRUE);
        }
    }
}

static void sheet_close(struct xlsx *x)
{
    if (x->parser)
        XML_ParserFree(x->parser);
    if (x->entry)
        zip_fclose(x->entry);
    x->parser = NULL;
    x->entry = NULL;
}

int xlsx_select(struct xlsx *x, const char *sheet, struct kerr *err)
{
    size_t i, n = 0;
    bool digits = sheet[0] != '\0';

    for (i = 0; i < x->nsheets; i++)
        if (strcmp(x->sheets[i].name, sheet) == 0)
            break;
    for (const char *c = sheet; *c; c++)
        digits = digits && *c >= '0' && *c <= '9';
    if (i == x->nsheets && digits) {
        n = strtoul(sheet, NULL, 10);
        i = n >= 1 && n <= x->nsheets ? n - 1 : x->nsheets;
    }
    if (i == x->nsheets || !x->sheets[i].path)
        return kerr_set(err, KERR_NOTFOUND, "no_such_sheet", "sheet",
                        "the workbook has no sheet \"%.64s\" (it has %zu)", sheet, x->nsheets);
    sheet_close(x);
    x->entry = zip_fopen(x->zip, x->sheets[i].path, 0);
    if (!x->entry)
        return kerr_set(err, KERR_INVALID, "xlsx_invalid", "sheet", "sheet \"%.64s\" is missing",
                        x->sheets[i].name);
    x->parser = XML_ParserCreate("UTF-8");
    XML_SetUserData(x->parser, x);
    XML_SetElementHandler(x->parser, sheet_start, sheet_end);
    XML_SetCharacterDataHandler(x->parser, sheet_text);
    x->suspended = x->fed_final = x->done = x->row_ready = false;
    x->fatal = 0;
    x->rownum = 0;
    x->ncells = 0;
    return 0;
}

static int xml_fail(struct xlsx *x, struct kerr *err)
{
    x->fatal = kerr_set(&x->fatal_err, KERR_INVALID, "xlsx_invalid", "", "sheet XML, line %lu: %s",
                        (unsigned long)XML_GetCurrentLineNumber(x->parser),
                        XML_ErrorString(XML_GetErrorCode(x->parser)));
    if (err)
        *err = x->fatal_err;
    return x->fatal;
}

/* Runs expat until a row is ready (1), the sheet ends (0) or it fails. */
static int advance(struct xlsx *x, struct kerr *err)
{
    enum XML_Status st;
    for (;;) {
        if (x->suspended) {
            x->suspended = false;
            st = XML_ResumeParser(x->parser);
        } else if (x->fed_final) {
            x->done = true;
            return 0;
        } else {
            void *buf = XML_GetBuffer(x->parser, CHUNK);
            zip_int64_t got = zip_fread(x->entry, buf, CHUNK);
            if (got < 0) {
                x->fatal =
                    kerr_set(&x->fatal_err, KERR_IO, "read_failed", "", "reading the sheet failed");
                if (err)
                    *err = x->fatal_err;
                return x->fatal;
            }
            x->fed_final = got == 0;
            st = XML_ParseBuffer(x->parser, (int)got, got == 0);
        }
        if (st == XML_STATUS_ERROR)
            return xml_fail(x, err);
        if (st == XML_STATUS_SUSPENDED)
            x->suspended = true;
        if (x->row_ready)
            return 1;
    }
}

int xlsx_read(struct xlsx *x, struct csv_row *row, struct kerr *err)
{
    int rc;
    if (x->fatal) {
        if (err)
            *err = x->fatal_err;
        return x->fatal;
    }
    if (x->done || !x->parser)
        return 0;
    x->row_ready = false;
    if ((rc = advance(x, err)) <= 0)
        return rc;
    if (x->row_error) {
        x->row_err.line = x->rownum;
        if (err)
            *err = x->row_err;
        return KERR_TOOLARGE;
    }
    for (size_t i = 0; i < x->ncells; i++) {
        x->fields[i].ptr = x->cells[i].buf;
        x->fields[i].len = x->cells[i].len;
    }
    row->fields = x->fields;
    row->nfields = x->ncells;
    row->line = x->rownum;
    return 1;
}

void xlsx_free(struct xlsx *x)
{
    if (!x)
        return;
    sheet_close(x);
    for (size_t i = 0; i < x->nsheets; i++) {
        free(x->sheets[i].name);
        free(x->sheets[i].rid);
        free(x->sheets[i].path);
    }
    free(x->sheets);
    for (size_t i = 0; i < XLSX_MAX_COLS; i++)
        strbuf_release(&x->cells[i]);
    strbuf_release(&x->text);
    strbuf_release(&x->pool);
    free(x->offs);
    free(x->xf_date);
    if (x->zip)
        zip_discard(x->zip);
    free(x);
}
