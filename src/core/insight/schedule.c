/* schedule.c: the report scheduler (schedule.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "insight/report.h"
#include "insight/reportsend.h"
#include "insight/schedule.h"
#include "base/banned.h"

#define TICK_MS 15000

struct scheduler {
    struct store *s;
    char *dir;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stop;
};

struct due {
    int64_t id, due;
    char period[8], format[8], name[64];
    char *emails, *receivers; /* JSON texts, owned */
};

struct due_list {
    int64_t now;
    struct due *v;
    size_t n, cap;
};

static int collect(void *arg, const struct store_schedule *sc)
{
    struct due_list *l = arg;
    struct cron c;
    struct kerr e;
    if (!sc->enabled || cron_parse(sc->cron, &c, &e) < 0)
        return 0;
    /* the latest occurrence in (last_due, now] */
    int64_t t = sc->last_due, latest = 0, nowsec = l->now / 1000;
    while ((t = cron_next(&c, t)) > 0 && t <= nowsec)
        latest = t;
    if (!latest)
        return 0;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
    }
    struct due *d = &l->v[l->n++];
    d->id = sc->id;
    d->due = latest;
    snprintf(d->period, sizeof d->period, "%s", sc->period);
    snprintf(d->format, sizeof d->format, "%s", sc->format);
    snprintf(d->name, sizeof d->name, "%s", sc->name);
    d->emails = xstrdup(sc->emails ? sc->emails : "[]");
    d->receivers = xstrdup(sc->receivers ? sc->receivers : "[]");
    return 0;
}

int scheduler_tick(struct store *s, const char *dir, int64_t now_ms)
{
    struct due_list l = {.now = now_ms};
    struct kerr e;
    int done = 0;
    kerr_clear(&e);
    if (store_schedule_list(s, collect, &l, &e) < 0) {
        log_error("report schedules: %s", e.message);
        return -1;
    }
    for (size_t i = 0; i < l.n; i++) {
        struct due *d = &l.v[i];
        int64_t id = 0;
        char actor[96];
        struct reportsend_to to;
        if (store_schedule_claim(s, d->id, d->due, &e) != 1)
            continue; /* handled already, or the claim failed (logged by the store) */
        snprintf(actor, sizeof actor, "schedule:%s", d->name);
        /* the deliveries are queued with the report; the sender thread sends them */
        reportsend_to_parse(d->emails, d->receivers, &to);
        if (report_generate(s, dir, d->period, report_default_day(d->period, d->due * 1000),
                            d->format, actor, d->id, &to.to, &id, &e) < 0)
            log_error("report schedule %s: %s", d->name, e.message);
        else {
            log_info("report schedule %s: report %lld written, %zu deliveries queued", d->name,
                     (long long)id, to.to.nemails + to.to.nreceivers);
            done++;
        }
        reportsend_to_release(&to);
    }
    for (size_t i = 0; i < l.n; i++) {
        free(l.v[i].emails);
        free(l.v[i].receivers);
    }
    free(l.v);
    return done;
}

static void *main_loop(void *arg)
{
    struct scheduler *sc = arg;
    pthread_setname_np(pthread_self(), "kesu-reports");
    pthread_mutex_lock(&sc->lock);
    while (!sc->stop) {
        pthread_mutex_unlock(&sc->lock);
        scheduler_tick(sc->s, sc->dir, clock_now_ms());
        pthread_mutex_lock(&sc->lock);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += TICK_MS / 1000;
        if (!sc->stop)
            pthread_cond_timedwait(&sc->cond, &sc->lock, &ts);
    }
    pthread_mutex_unlock(&sc->lock);
    return NULL;
}

int scheduler_start(struct store *s, const char *dir, struct scheduler **out, struct kerr *err)
{
    struct scheduler *sc = xcalloc(1, sizeof(*sc));
    sc->s = s;
    sc->dir = xstrdup(dir);
    pthread_mutex_init(&sc->lock, NULL);
    pthread_cond_init(&sc->cond, NULL);
    if (pthread_create(&sc->thread, NULL, main_loop, sc) != 0) {
        free(sc->dir);
        free(sc);
        return kerr_set(err, KERR_IO, "thread_error", "", "cannot start the report scheduler");
    }
    *out = sc;
    return 0;
}

void scheduler_stop(struct scheduler *sc)
{
    if (!sc)
        return;
    pthread_mutex_lock(&sc->lock);
    sc->stop = true;
    pthread_cond_signal(&sc->cond);
    pthread_mutex_unlock(&sc->lock);
    pthread_join(sc->thread, NULL);
    pthread_mutex_destroy(&sc->lock);
    pthread_cond_destroy(&sc->cond);
    free(sc->dir);
    free(sc);
}
