/*
 * mailwatch: the Maildir watcher thread of `kesu serve`. See mailwatch.h.
 *
 * DESIGN. One thread, one loop: scan new/, then sleep in poll() on the
 * inotify descriptor and a stop pipe, at most scan_interval_ms. Events only
 * wake the loop; what to do is always decided by listing new/, so a missed
 * or coalesced event costs at most one interval and never a message.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "base/xmalloc.h"
#include "intake/mailwatch.h"
#include "base/banned.h"

struct mail_watch {
    struct store *s;
    struct mail_watch_opts o;
    char *dir;
    char actor[96];
    int ifd;     /* inotify, or -1 */
    int stop[2]; /* pipe: a byte in it asks the thread to stop */
    atomic_bool stopping;
    pthread_t thread;
    pthread_mutex_t lock;
    struct mail_watch_stats st;
    /* the batch */
    struct record *recs;
    struct store_insert_result *results;
    char **names;
    size_t n, cap;
};

static void count(struct mail_watch *w, uint64_t *field, uint64_t n)
{
    pthread_mutex_lock(&w->lock);
    *field += n;
    pthread_mutex_unlock(&w->lock);
}

/* Moves new/name to cur/name:2,FLAG. Returns 0 or -1 (logged). */
static int move_to_cur(struct mail_watch *w, const char *name, char flag)
{
    struct strbuf from = STRBUF_INIT, to = STRBUF_INIT;
    int rc = 0;
    strbuf_addf(&from, "%s/new/%s", w->dir, name);
    if (strstr(name, ":2,"))
        strbuf_addf(&to, "%s/cur/%s", w->dir, name);
    else
        strbuf_addf(&to, "%s/cur/%s:2,%c", w->dir, name, flag);
    if (rename(from.buf, to.buf) != 0 && errno != ENOENT) {
        log_error("mail: cannot move %s to cur/: %s", from.buf, strerror(errno));
        count(w, &w->st.failures, 1);
        rc = -1;
    }
    strbuf_release(&from);
    strbuf_release(&to);
    return rc;
}

/* Stores the batch durably, then moves its files. Returns 0, or < 0 when the store failed. */
static int flush(struct mail_watch *w)
{
    struct store_job job;
    uint64_t created = 0;
    int rc;

    if (w->n == 0)
        return 0;
    memset(&job, 0, sizeof(job));
    job.kind = STORE_JOB_INSERT;
    job.actor = w->actor;
    job.recs = w->recs;
    job.results = w->results;
    job.n = w->n;
    rc = store_run(w->s, &job);
    if (rc < 0) {
        log_error("mail: storing %zu messages from %s/new failed (kept there, retried at the "
                  "next scan): %s",
                  w->n, w->dir, job.err.message);
        count(w, &w->st.failures, 1);
    } else {
        for (size_t i = 0; i < w->n; i++) {
            created += w->results[i].created;
            move_to_cur(w, w->names[i], 'S');
        }
        count(w, &w->st.stored, created);
        count(w, &w->st.existing, w->n - created);
        log_info("mail: %zu messages from %s/new: %llu stored, %llu already present", w->n, w->dir,
                 (unsigned long long)created, (unsigned long long)(w->n - created));
    }
    for (size_t i = 0; i < w->n; i++) {
        record_release(&w->recs[i]);
        free(w->names[i]);
    }
    w->n = 0;
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in new/ (sorted: Maildir names start with the delivery time). */
static char **list_new(struct mail_watch *w, size_t *n)
{
    struct strbuf p = STRBUF_INIT;
    char **names = NULL;
    size_t cap = 0;
    DIR *d;
    struct dirent *de;

    *n = 0;
    strbuf_addf(&p, "%s/new", w->dir);
    d = opendir(p.buf);
    if (!d) {
        log_error("mail: cannot read %s: %s", p.buf, strerror(errno));
        strbuf_release(&p);
        return NULL;
    }
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            names = xrealloc(names, cap * sizeof(char *));
        }
        names[(*n)++] = xstrdup(de->d_name);
    }
    closedir(d);
    strbuf_release(&p);
    if (*n)
        qsort(names, *n, sizeof(char *), cmp_str);
    return names;
}

/* Takes one file of new/ into the batch, or rejects it. */
static void take(struct mail_watch *w, const char *name)
{
    struct strbuf p = STRBUF_INIT;
    struct record *r = &w->recs[w->n];
    struct kerr e;
    struct stat sb;
    int rc;

    strbuf_addf(&p, "%s/new/%s", w->dir, name);
    if (stat(p.buf, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        strbuf_release(&p);
        return; /* gone, or not a file */
    }
    record_init(r);
    kerr_clear(&e);
    rc = mail_parse_file(p.buf, &w->o.mail, r, &e);
    if (rc == 0)
        rc = record_validate(r, clock_now_ms(), &e);
    if (rc == 0)
        rc = mail_clean(&w->o.mail, r, &e);
    if (rc == KERR_IO) {
        log_warn("mail: %s: %s (retried at the next scan)", p.buf, e.message);
        record_release(r);
    } else if (rc < 0) {
        log_warn("mail: %s: %s%s%s; moved to cur/ flagged", p.buf, e.field[0] ? e.field : "",
                 e.field[0] ? ": " : "", e.message);
        record_release(r);
        count(w, &w->st.rejected, 1);
        move_to_cur(w, name, 'F');
    } else {
        w->names[w->n++] = xstrdup(name);
    }
    strbuf_release(&p);
}

static void scan(struct mail_watch *w)
{
    size_t n;
    char **names = list_new(w, &n);
    size_t i = 0;

    count(w, &w->st.scans, 1);
    for (; i < n && !atomic_load(&w->stopping); i++) {
        take(w, names[i]);
        if (w->n == w->cap && flush(w) < 0)
            break;
    }
    flush(w);
    for (size_t k = 0; k < n; k++)
        free(names[k]);
    free(names);
}

static void drain(int fd)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    while (read(fd, buf, sizeof(buf)) > 0)
        ;
}

static void *watch_main(void *arg)
{
    struct mail_watch *w = arg;
    int64_t next_scan = 0;

    while (!atomic_load(&w->stopping)) {
        struct pollfd fds[2] = {{w->stop[0], POLLIN, 0}, {w->ifd, POLLIN, 0}};
        int64_t now = clock_mono_us() / 1000;
        int timeout;
        if (now >= next_scan) {
            scan(w);
            next_scan = clock_mono_us() / 1000 + w->o.scan_interval_ms;
            continue;
        }
        timeout = (int)(next_scan - now);
        if (poll(fds, w->ifd >= 0 ? 2 : 1, timeout) < 0 && errno != EINTR) {
            log_error("mail: poll: %s", strerror(errno));
            usleep(100000);
            continue;
        }
        if (fds[0].revents)
            break;
        if (w->ifd >= 0 && fds[1].revents) {
            drain(w->ifd);
            next_scan = 0; /* scan now */
        }
    }
    return NULL;
}

/* Makes dir/sub when missing. */
static int ensure_sub(const char *dir, const char *sub, struct kerr *err)
{
    struct strbuf p = STRBUF_INIT;
    struct stat sb;
    int rc = 0;
    strbuf_addf(&p, "%s/%s", dir, sub);
    if (stat(p.buf, &sb) != 0 && mkdir(p.buf, 0700) != 0 && errno != EEXIST)
        rc = kerr_set(err, KERR_IO, "maildir", "", "cannot make %s: %s", p.buf, strerror(errno));
    else if (stat(p.buf, &sb) != 0 || !S_ISDIR(sb.st_mode))
        rc = kerr_set(err, KERR_INVALID, "maildir", "", "%s is not a directory", p.buf);
    strbuf_release(&p);
    return rc;
}

static void watch_free(struct mail_watch *w)
{
    if (w->ifd >= 0)
        close(w->ifd);
    if (w->stop[0] >= 0)
        close(w->stop[0]);
    if (w->stop[1] >= 0)
        close(w->stop[1]);
    pthread_mutex_destroy(&w->lock);
    free(w->recs);
    free(w->results);
    free(w->names);
    free(w->dir);
    free(w);
}

int mail_watch_start(struct store *s, const struct mail_watch_opts *o, struct mail_watch **out,
                     struct kerr *err)
{
    struct mail_watch *w;
    struct stat sb;
    struct strbuf p = STRBUF_INIT;
    int rc;

    *out = NULL;
    if (!o->dir || stat(o->dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return kerr_set(err, KERR_INVALID, "maildir", "", "%s is not a directory",
                        o->dir ? o->dir : "(none)");
    if ((rc = ensure_sub(o->dir, "tmp", err)) < 0 || (rc = ensure_sub(o->dir, "new", err)) < 0 ||
        (rc = ensure_sub(o->dir, "cur", err)) < 0)
        return rc;
    w = xcalloc(1, sizeof(*w));
    w->s = s;
    w->o = *o;
    w->dir = xstrdup(o->dir);
    w->o.dir = w->dir;
    if (w->o.scan_interval_ms <= 0)
        w->o.scan_interval_ms = 10000;
    w->cap = w->o.batch ? w->o.batch : 500;
    w->recs = xcalloc(w->cap, sizeof(struct record));
    w->results = xcalloc(w->cap, sizeof(struct store_insert_result));
    w->names = xcalloc(w->cap, sizeof(char *));
    snprintf(w->actor, sizeof(w->actor), "mail:%.80s",
             strrchr(w->dir, '/') && strrchr(w->dir, '/')[1] ? strrchr(w->dir, '/') + 1 : w->dir);
    w->stop[0] = w->stop[1] = -1;
    pthread_mutex_init(&w->lock, NULL);
    atomic_init(&w->stopping, false);
    if (pipe2(w->stop, O_CLOEXEC | O_NONBLOCK) != 0) {
        rc = kerr_set(err, KERR_IO, "pipe", "", "pipe: %s", strerror(errno));
        goto fail;
    }
    strbuf_addf(&p, "%s/new", w->dir);
    w->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (w->ifd >= 0 && inotify_add_watch(w->ifd, p.buf, IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
        close(w->ifd);
        w->ifd = -1;
    }
    if (w->ifd < 0)
        log_warn("mail: no inotify on %s (%s): scanning every %d ms only", p.buf, strerror(errno),
                 w->o.scan_interval_ms);
    strbuf_release(&p);
    if (pthread_create(&w->thread, NULL, watch_main, w) != 0) {
        rc = kerr_set(err, KERR_IO, "thread", "", "cannot start the mail watcher thread");
        goto fail;
    }
    log_info("mail: watching %s/new (scan every %d ms)", w->dir, w->o.scan_interval_ms);
    *out = w;
    return 0;
fail:
    strbuf_release(&p);
    watch_free(w);
    return rc;
}

void mail_watch_stats(struct mail_watch *w, struct mail_watch_stats *st)
{
    pthread_mutex_lock(&w->lock);
    *st = w->st;
    pthread_mutex_unlock(&w->lock);
}

void mail_watch_stop(struct mail_watch *w)
{
    if (!w)
        return;
    atomic_store(&w->stopping, true);
    if (write(w->stop[1], "x", 1) < 0)
        log_warn("mail: cannot wake the watcher: %s", strerror(errno));
    pthread_join(w->thread, NULL);
    log_info("mail: stopped watching %s", w->dir);
    watch_free(w);
}
