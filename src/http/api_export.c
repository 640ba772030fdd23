/*
 * api_export.c: GET /api/v1/feedback/export?format=csv|xlsx plus the filters
 * of GET /api/v1/feedback: every matching complaint, no row cap. The export
 * is audited (who, which filters) before the first byte goes out. CSV is
 * streamed page by page as the client reads; xlsx is written to a temporary
 * file with constant memory and then sent from it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/jsonw.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "http/api.h"
#include "insight/export.h"
#include "base/banned.h"

#define NSTR 14

struct export_state {
    struct store *store;
    struct store_filter f;
    char *strs[NSTR];
    bool xlsx;
    struct store_audit audit;
    struct strbuf detail;
    char cursor[64];
    struct strbuf buf;
    size_t off;
    bool started, done;
    int64_t rows;
};

static void export_free(void *arg)
{
    struct export_state *st = arg;
    for (int i = 0; i < NSTR; i++)
        free(st->strs[i]);
    strbuf_release(&st->detail);
    strbuf_release(&st->buf);
    free(st);
}

static int add_row(void *arg, const struct record *rec)
{
    struct export_state *st = arg;
    export_csv_row(&st->buf, rec);
    st->rows++;
    return 0;
}

static long fill(void *arg, char *buf, size_t max)
{
    struct export_state *st = arg;
    struct store_page page;
    struct kerr e;
    while (st->off == st->buf.len && !st->done) {
        strbuf_reset(&st->buf);
        st->off = 0;
        if (!st->started) {
            export_csv_header(&st->buf);
            st->started = true;
            continue;
        }
        st->f.cursor = st->cursor[0] ? st->cursor : NULL;
        kerr_clear(&e);
        if (store_feedback_list(st->store, &st->f, add_row, st, &page, &e) < 0) {
            log_error("export: %s", e.message);
            return -1;
        }
        memcpy(st->cursor, page.next_cursor, sizeof st->cursor);
        if (!st->cursor[0])
            st->done = true;
    }
    size_t n = st->buf.len - st->off;
    if (n > max)
        n = max;
    memcpy(buf, st->buf.buf + st->off, n);
    st->off += n;
    return (long)n;
}

static int export_resume(struct req *r)
{
    struct export_state *st = r->state;
    struct kerr e;
    if (r->job.rc < 0)
        return reply_kerr(r, r->job.rc, &r->job.err);
    if (!st->xlsx) {
        r->state = NULL; /* the stream owns it now */
        r->state_free = NULL;
        reply_stream(r, 200, "text/csv; charset=utf-8", fill, st, export_free);
        return reply_with_header(r, "Content-Disposition",
                                 "attachment; filename=\"kesu-export.csv\"");
    }
    char path[4096];
    const char *dir = r->opts->reports_dir ? r->opts->reports_dir : "/tmp";
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/.export-XXXXXX", dir);
    int fd = mkstemp(path);
    if (fd < 0)
        return reply_error(r, 500, "io_error", NULL, "cannot create a temporary file: %s",
                           strerror(errno));
    close(fd);
    kerr_clear(&e);
    st->f.cursor = NULL;
    if (export_xlsx(r->store, &st->f, path, &st->rows, &e) < 0) {
        unlink(path);
        return reply_kerr(r, KERR_IO, &e);
    }
    fd = open(path, O_RDONLY | O_CLOEXEC);
    unlink(path); /* the open descriptor keeps it until sent */
    if (fd < 0)
        return reply_error(r, 500, "io_error", NULL, "cannot read the export");
    reply_fd(r, 200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", fd);
    return reply_with_header(r, "Content-Disposition", "attachment; filename=\"kesu-export.xlsx\"");
}

int api_feedback_export(struct req *r)
{
    struct store_filter f;
    const char *format = req_query(r, "format");
    struct export_state *st;
    struct jsonw w;

    if (!format)
        format = "csv";
    if (strcmp(format, "csv") && strcmp(format, "xlsx"))
        return reply_error(r, 400, "invalid_field", "format", "format is csv or xlsx");
    if (feedback_filter_from_query(r, &f) < 0)
        return REQ_DONE;
    if (f.cursor)
        return reply_error(r, 400, "invalid_field", "cursor", "an export has no cursor");
    st = xcalloc(1, sizeof(*st));
    st->store = r->store;
    st->xlsx = strcmp(format, "xlsx") == 0;
    st->f = f;
    st->f.limit = 1000;
    st->f.want_total = false;
    /* own copies of the query strings: the stream outlives the request's parsing */
    const char **fields[NSTR] = {
        &st->f.channel, &st->f.status,      &st->f.category, &st->f.product,  &st->f.store,
        &st->f.region,  &st->f.customer_id, &st->f.severity, &st->f.assignee, &st->f.team,
        &st->f.q,       &st->f.sentiment,   &st->f.sla,      &st->f.sort};
    static const char *const names[NSTR] = {
        "channel",  "status",   "category", "product", "store",     "region", "customer_id",
        "severity", "assignee", "team",     "q",       "sentiment", "sla",    "sort"};
    jsonw_init(&w, &st->detail);
    jsonw_obj(&w);
    jsonw_kstr(&w, "format", format);
    for (int i = 0; i < NSTR && fields[i]; i++)
        if (*fields[i]) {
            st->strs[i] = xstrdup(*fields[i]);
            *fields[i] = st->strs[i];
            jsonw_kstr(&w, names[i], st->strs[i]);
        }
    if (f.since)
        jsonw_kint(&w, "since", f.since);
    if (f.until)
        jsonw_kint(&w, "until", f.until);
    jsonw_end(&w);
    st->audit =
        (struct store_audit){0, r->actor, NULL, "feedback.export", "feedback", st->detail.buf};
    r->state = st;
    r->state_free = export_free;
    memset(&r->job, 0, sizeof r->job);
    r->job.kind = STORE_JOB_AUDIT;
    r->job.actor = r->actor;
    r->job.audit = &st->audit;
    return req_submit(r, export_resume);
}
