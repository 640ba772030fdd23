/* export.c: complaints as CSV rows or an xlsx workbook (export.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xlsxwriter.h>

#include "base/clock.h"
#include "insight/export.h"
#include "intake/csv.h"
#include "base/banned.h"

#define XLSX_ROWS_PER_SHEET 1048575 /* Excel's limit, less the header row */

static bool exported(const struct record_field *f)
{
    return strcmp(f->name, "idempotency_key") != 0 && !(f->flags & RF_HIDDEN);
}

void export_csv_header(struct strbuf *sb)
{
    strbuf_addstr(sb, "\xEF\xBB\xBFid");
    for (size_t i = 0; i < record_nfields; i++)
        if (exported(&record_fields[i]))
            strbuf_addf(sb, ",%s", record_fields[i].name);
    strbuf_addstr(sb, "\r\n");
}

void export_csv_row(struct strbuf *sb, const struct record *r)
{
    char ts[CLOCK_FMT_MAX], num[64];
    strbuf_addf(sb, "%lld", (long long)r->id);
    for (size_t i = 0; i < record_nfields; i++) {
        const struct record_field *f = &record_fields[i];
        const char *p = (const char *)r + f->offset;
        const char *v = NULL;
        if (!exported(f))
            continue;
        strbuf_addch(sb, ',');
        if (!record_has(r, f))
            continue;
        switch (f->kind) {
        case RF_TIME:
            v = clock_format(*(const int64_t *)p, ts);
            break;
        case RF_INT:
            snprintf(num, sizeof(num), "%lld", (long long)*(const int64_t *)p);
            v = num;
            break;
        case RF_NUM:
            snprintf(num, sizeof(num), "%g", *(const double *)p);
            v = num;
            break;
        default:
            v = *(char *const *)p;
        }
        csv_write_field(sb, v, strlen(v), ',', true);
    }
    strbuf_addstr(sb, "\r\n");
}

struct xw {
    lxw_workbook *wb;
    lxw_worksheet *ws;
    lxw_format *bold, *dt;
    int64_t rows, in_sheet;
    int sheets;
};

static void new_sheet(struct xw *x)
{
    char name[32];
    snprintf(name, sizeof name, x->sheets ? "complaints %d" : "complaints", x->sheets + 1);
    x->ws = workbook_add_worksheet(x->wb, name);
    x->sheets++;
    x->in_sheet = 0;
    worksheet_write_string(x->ws, 0, 0, "id", x->bold);
    lxw_col_t c = 1;
    for (size_t i = 0; i < record_nfields; i++)
        if (exported(&record_fields[i]))
            worksheet_write_string(x->ws, 0, c++, record_fields[i].name, x->bold);
}

static int xlsx_row(void *arg, const struct record *r)
{
    struct xw *x = arg;
    if (x->in_sheet == XLSX_ROWS_PER_SHEET)
        new_sheet(x);
    lxw_row_t row = (lxw_row_t)(++x->in_sheet);
    lxw_col_t c = 1;
    worksheet_write_number(x->ws, row, 0, (double)r->id, NULL);
    for (size_t i = 0; i < record_nfields; i++) {
        const struct record_field *f = &record_fields[i];
        const char *p = (const char *)r + f->offset;
        if (!exported(f))
            continue;
        if (record_has(r, f)) {
            switch (f->kind) {
            case RF_TIME: {
                int64_t ms = *(const int64_t *)p, day = clock_local_day(ms, NULL);
                int64_t secs = (ms - clock_day_start(day)) / 1000;
                int y, m, d;
                clock_day_ymd(day, &y, &m, &d);
                lxw_datetime t = {y,
                                  m,
                                  d,
                                  (int)(secs / 3600),
                                  (int)(secs / 60 % 60),
                                  (double)(secs % 60) + (double)(ms % 1000) / 1000.0};
                worksheet_write_datetime(x->ws, row, c, &t, x->dt);
                break;
            }
            case RF_INT:
                worksheet_write_number(x->ws, row, c, (double)*(const int64_t *)p, NULL);
                break;
            case RF_NUM:
                worksheet_write_number(x->ws, row, c, *(const double *)p, NULL);
                break;
            default:
                /* a string cell: never a formula, whatever it starts with */
                worksheet_write_string(x->ws, row, c, *(char *const *)p, NULL);
            }
        }
        c++;
    }
    x->rows++;
    return 0;
}

int export_xlsx(struct store *s, const struct store_filter *filter, const char *path, int64_t *rows,
                struct kerr *err)
{
    lxw_workbook_options o = {.constant_memory = LXW_TRUE, .tmpdir = NULL, .use_zip64 = LXW_TRUE};
    struct xw x = {0};
    struct store_filter f = *filter;
    struct store_page page;
    char cursor[64] = "";
    int rc = 0;

    if (!(x.wb = workbook_new_opt(path, &o)))
        return kerr_set(err, KERR_IO, "io_error", "output", "cannot create %s", path);
    x.bold = workbook_add_format(x.wb);
    format_set_bold(x.bold);
    x.dt = workbook_add_format(x.wb);
    format_set_num_format(x.dt, "yyyy-mm-dd hh:mm:ss");
    new_sheet(&x);
    f.limit = 1000;
    f.want_total = false;
    do {
        f.cursor = cursor[0] ? cursor : NULL;
        if ((rc = store_feedback_list(s, &f, xlsx_row, &x, &page, err)) < 0)
            break;
        memcpy(cursor, page.next_cursor, sizeof cursor);
    } while (cursor[0]);
    lxw_error e = workbook_close(x.wb);
    if (rc == 0 && e != LXW_NO_ERROR)
        rc = kerr_set(err, KERR_IO, "io_error", "output", "cannot write %s: %s", path,
                      lxw_strerror(e));
    *rows = x.rows;
    return rc;
}
