/*
 * mailbox: the sources of mail (Maildir, mbox, single message files) and
 * `kesu import --mail`. See mail.h.
 *
 * Every source is read one message at a time: a Maildir is a sorted list of
 * file names, each parsed on its own; an mbox is one GMime parser in mbox
 * mode over the file, which hands out one message per call and reads the
 * bodies from the file rather than copying them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/strbuf.h"
#include "base/xmalloc.h"
#include "intake/channels.h"
#include "intake/mail_int.h"
#include "intake/pipeline.h"
#include "base/banned.h"

struct mail_reader {
    enum mail_source kind;
    struct mail_opts opts;
    char *path;
    /* Maildir: the files left to read */
    char **files;
    size_t nfiles, next;
    char *current;
    /* standard input holding one message (taken by the first next) */
    GMimeStream *stdin_msg;
    /* mbox */
    GMimeParser *parser;
    int64_t mtime_ms;
    long msgno;
    bool done;
};

int mail_source_detect(const char *path, enum mail_source *kind, struct kerr *err)
{
    struct stat sb;
    char head[5];
    ssize_t n;
    int fd;

    if (stat(path, &sb) != 0)
        return kerr_set(err, KERR_IO, "not_found", "", "%s: %s", path, strerror(errno));
    if (S_ISDIR(sb.st_mode)) {
        struct strbuf sub = STRBUF_INIT;
        bool ok = false;
        const char *subs[] = {"new", "cur"};
        for (int i = 0; i < 2 && !ok; i++) {
            strbuf_reset(&sub);
            strbuf_addf(&sub, "%s/%s", path, subs[i]);
            ok = stat(sub.buf, &sb) == 0 && S_ISDIR(sb.st_mode);
        }
        strbuf_release(&sub);
        if (!ok)
            return kerr_set(err, KERR_INVALID, "not_maildir", "",
                            "%s is a directory without new/ or cur/, so not a Maildir", path);
        *kind = MAIL_SRC_MAILDIR;
        return 0;
    }
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return kerr_set(err, KERR_IO, "read_failed", "", "%s: %s", path, strerror(errno));
    n = read(fd, head, sizeof(head));
    close(fd);
    *kind = n == 5 && memcmp(head, "From ", 5) == 0 ? MAIL_SRC_MBOX : MAIL_SRC_EML;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds the message files of dir/sub (names not starting with '.') to rd->files. */
static int list_dir(struct mail_reader *rd, const char *sub, size_t *cap, struct kerr *err)
{
    struct strbuf p = STRBUF_INIT;
    DIR *d;
    struct dirent *de;

    strbuf_addf(&p, "%s/%s", rd->path, sub);
    if (!(d = opendir(p.buf))) {
        int e = errno;
        strbuf_release(&p);
        if (e == ENOENT)
            return 0;
        return kerr_set(err, KERR_IO, "read_failed", "", "%s/%s: %s", rd->path, sub, strerror(e));
    }
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN && de->d_type != DT_LNK)
            continue;
        if (rd->nfiles == *cap) {
            *cap = *cap ? *cap * 2 : 256;
            rd->files = xrealloc(rd->files, *cap * sizeof(char *));
        }
        size_t mark = p.len;
        strbuf_addf(&p, "/%s", de->d_name);
        rd->files[rd->nfiles++] = xstrndup(p.buf, p.len);
        strbuf_setlen(&p, mark);
    }
    closedir(d);
    strbuf_release(&p);
    return 0;
}

/* Reads all of standard input (at most MAIL_STDIN_MAX bytes) into a memory stream. */
static int read_stdin(GMimeStream **out, struct kerr *err)
{
    GByteArray *a = g_byte_array_new();
    char buf[65536];
    ssize_t n;
    while ((n = read(0, buf, sizeof(buf))) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            g_byte_array_unref(a);
            return kerr_set(err, KERR_IO, "read_failed", "", "reading standard input: %s",
                            strerror(errno));
        }
        if (a->len + (size_t)n > MAIL_STDIN_MAX) {
            g_byte_array_unref(a);
            return kerr_set(err, KERR_TOOLARGE, "too_large", "",
                            "standard input holds more than %u bytes", MAIL_STDIN_MAX);
        }
        g_byte_array_append(a, (const guint8 *)buf, (guint)n);
    }
    *out = g_mime_stream_mem_new_with_byte_array(a); /* owns a */
    return 0;
}

static int open_stdin(struct mail_reader *rd, struct kerr *err)
{
    GMimeStream *st;
    char head[5];
    int rc;
    if ((rc = read_stdin(&st, err)) < 0)
        return rc;
    rd->mtime_ms = clock_now_ms();
    if (g_mime_stream_read(st, head, 5) == 5 && memcmp(head, "From ", 5) == 0) {
        g_mime_stream_reset(st);
        rd->kind = MAIL_SRC_MBOX;
        rd->parser = g_mime_parser_new_with_stream(st);
        g_mime_parser_set_format(rd->parser, GMIME_FORMAT_MBOX);
        g_object_unref(st);
    } else {
        g_mime_stream_reset(st);
        rd->kind = MAIL_SRC_EML;
        rd->stdin_msg = st;
    }
    return 0;
}

int mail_reader_open(const char *path, const struct mail_opts *o, struct mail_reader **out,
                     struct kerr *err)
{
    struct mail_reader *rd;
    enum mail_source kind;
    int rc;

    *out = NULL;
    if (strcmp(path, "-") == 0) {
        mail_gmime_init();
        rd = xcalloc(1, sizeof(*rd));
        rd->path = xstrdup("(stdin)");
        if (o)
            rd->opts = *o;
        if ((rc = open_stdin(rd, err)) < 0) {
            mail_reader_free(rd);
            return rc;
        }
        *out = rd;
        return 0;
    }
    if ((rc = mail_source_detect(path, &kind, err)) < 0)
        return rc;
    mail_gmime_init();
    rd = xcalloc(1, sizeof(*rd));
    rd->kind = kind;
    rd->path = xstrdup(path);
    if (o)
        rd->opts = *o;
    if (kind == MAIL_SRC_MAILDIR) {
        size_t cap = 0;
        if ((rc = list_dir(rd, "new", &cap, err)) < 0 ||
            (rc = list_dir(rd, "cur", &cap, err)) < 0) {
            mail_reader_free(rd);
            return rc;
        }
        qsort(rd->files, rd->nfiles, sizeof(char *), cmp_str);
    } else if (kind == MAIL_SRC_MBOX) {
        GError *gerr = NULL;
        GMimeStream *st = g_mime_stream_fs_open(path, O_RDONLY | O_CLOEXEC, 0, &gerr);
        struct stat sb;
        if (!st) {
            rc = kerr_set(err, KERR_IO, "read_failed", "", "cannot open %s: %s", path,
                          gerr ? gerr->message : "error");
            if (gerr)
                g_error_free(gerr);
            mail_reader_free(rd);
            return rc;
        }
        if (fstat(GMIME_STREAM_FS(st)->fd, &sb) == 0)
            rd->mtime_ms = (int64_t)sb.st_mtime * 1000;
        rd->parser = g_mime_parser_new_with_stream(st);
        g_mime_parser_set_format(rd->parser, GMIME_FORMAT_MBOX);
        g_object_unref(st);
    } else {
        rd->files = xmalloc(sizeof(char *));
        rd->files[0] = xstrdup(path);
        rd->nfiles = 1;
    }
    *out = rd;
    return 0;
}

static int next_mbox(struct mail_reader *rd, struct record *r, struct mail_where *w,
                     struct kerr *err)
{
    GMimeMessage *msg;
    char *marker;
    int rc;

    if (rd->done || g_mime_parser_eos(rd->parser))
        return MAIL_END;
    msg = g_mime_parser_construct_message(rd->parser, mail_parser_options());
    w->file = rd->path;
    w->msgno = ++rd->msgno;
    if (!msg) {
        rd->done = true; /* the parser cannot find another "From " line */
        if (rd->msgno > 1)
            return MAIL_END;
        kerr_set(err, KERR_INVALID, "not_mbox", "", "no message found in the mbox");
        return MAIL_BAD;
    }
    marker = g_mime_parser_get_mbox_marker(rd->parser);
    rc = mail_from_message(msg, rd->mtime_ms, marker, &rd->opts, r, err);
    g_free(marker);
    g_object_unref(msg);
    return rc < 0 ? MAIL_BAD : MAIL_MESSAGE;
}

int mail_reader_next(struct mail_reader *rd, struct record *r, struct mail_where *w,
                     struct kerr *err)
{
    int rc;
    if (rd->kind == MAIL_SRC_MBOX)
        return next_mbox(rd, r, w, err);
    if (rd->stdin_msg) {
        GMimeStream *st = rd->stdin_msg;
        rd->stdin_msg = NULL;
        rd->done = true;
        w->file = rd->path;
        w->msgno = 0;
        return mail_parse_stream(st, rd->mtime_ms, &rd->opts, r, err) < 0 ? MAIL_BAD : MAIL_MESSAGE;
    }
    if (rd->next == rd->nfiles)
        return MAIL_END;
    free(rd->current);
    rd->current = rd->files[rd->next];
    rd->files[rd->next++] = NULL;
    w->file = rd->current;
    w->msgno = 0;
    rc = mail_parse_file(rd->current, &rd->opts, r, err);
    if (rc == KERR_IO && rd->kind == MAIL_SRC_MAILDIR && access(rd->current, F_OK) != 0 &&
        errno == ENOENT) {
        /* moved away (a mail client took it) since the listing: skip it quietly */
        record_release(r);
        return mail_reader_next(rd, r, w, err);
    }
    return rc < 0 ? MAIL_BAD : MAIL_MESSAGE;
}

void mail_reader_free(struct mail_reader *rd)
{
    if (!rd)
        return;
    for (size_t i = rd->next; i < rd->nfiles; i++)
        free(rd->files[i]);
    free(rd->files);
    free(rd->current);
    free(rd->path);
    if (rd->parser)
        g_object_unref(rd->parser);
    if (rd->stdin_msg)
        g_object_unref(rd->stdin_msg);
    free(rd);
}

/* ---- import ---------------------------------------------------------------- */

struct mail_importer {
    struct store *s;
    const struct mail_import_opts *o;
    const struct mail_import_cb *cb;
    struct import_stats *st;
    struct record *recs;
    struct store_insert_result *results;
    size_t n, cap;
    int64_t last_progress;
};

static int flush(struct mail_importer *im, struct kerr *err)
{
    struct store_job job;
    int rc;
    if (im->n == 0)
        return 0;
    memset(&job, 0, sizeof(job));
    job.kind = STORE_JOB_INSERT;
    job.actor = im->o->actor ? im->o->actor : "import:mail";
    job.recs = im->recs;
    job.results = im->results;
    job.n = im->n;
    rc = store_run(im->s, &job);
    if (rc < 0) {
        if (err)
            *err = job.err;
    } else {
        for (size_t i = 0; i < im->n; i++) {
            if (im->results[i].created)
                im->st->created++;
            else
                im->st->existing++;
        }
    }
    for (size_t i = 0; i < im->n; i++)
        record_release(&im->recs[i]);
    im->n = 0;
    return rc;
}

static void reject(struct mail_importer *im, const struct mail_where *w, struct kerr *e)
{
    im->st->rejected++;
    if (im->cb && im->cb->reject)
        im->cb->reject(im->cb->arg, w, e);
}

static void progress(struct mail_importer *im, bool force)
{
    int64_t now = clock_mono_us();
    if (!im->cb || !im->cb->progress || (!force && now - im->last_progress < 250000))
        return;
    im->last_progress = now;
    im->cb->progress(im->cb->arg, im->st);
}

int mail_import(struct store *s, const char *path, const struct mail_import_opts *o,
                const struct mail_import_cb *cb, struct import_stats *st, struct kerr *err)
{
    struct mail_importer im;
    struct mail_reader *rd;
    struct mail_where w;
    struct kerr e;
    int64_t now = clock_now_ms();
    int rc;

    memset(st, 0, sizeof(*st));
    if ((rc = mail_reader_open(path, &o->mail, &rd, err)) < 0)
        return rc;
    memset(&im, 0, sizeof(im));
    im.s = s;
    im.o = o;
    im.cb = cb;
    im.st = st;
    im.cap = o->batch ? o->batch : 1000;
    im.recs = xcalloc(im.cap, sizeof(struct record));
    im.results = xcalloc(im.cap, sizeof(struct store_insert_result));
    for (;;) {
        struct record *r = &im.recs[im.n];
        record_init(r);
        kerr_clear(&e);
        rc = mail_reader_next(rd, r, &w, &e);
        if (rc == MAIL_END)
            break;
        if (rc < 0) {
            record_release(r);
            if (err)
                *err = e;
            break;
        }
        st->rows++;
        if (rc == MAIL_BAD || record_validate(r, now, &e) < 0 || mail_clean(&o->mail, r, &e) < 0) {
            record_release(r);
            reject(&im, &w, &e);
        } else if (++im.n == im.cap && (rc = flush(&im, err)) < 0) {
            break;
        }
        progress(&im, false);
    }
    if (rc >= 0)
        rc = flush(&im, err);
    for (size_t i = 0; i < im.n; i++)
        record_release(&im.recs[i]);
    progress(&im, true);
    free(im.recs);
    free(im.results);
    mail_reader_free(rd);
    return rc < 0 ? rc : 0;
}

int mail_clean(const struct mail_opts *o, struct record *r, struct kerr *err)
{
    channels_apply_rules(o->channels, r);
    return o->pipeline ? pipeline_clean(o->pipeline, r, err) : 0;
}
