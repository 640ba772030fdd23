/*
 * capa_sched.c: the improvement side of the serve scheduler. Every
 * interval it runs one pass: action reminders before the due date and the
 * overdue escalation (their state is in the actions table, written in the
 * same transaction as the outbox message, so a restart never reminds
 * twice), then the recurrence check of effective actions, once a day each.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "loop/capa.h"
#include "base/banned.h"

#define DAY_MS        (24 * 3600 * 1000LL)
#define RECHECK_BATCH 64

int capa_pass(struct store *s, int64_t remind_before_ms, struct capa_pass_result *res,
              struct kerr *err)
{
    struct capa_op op = {0};
    int64_t ids[RECHECK_BATCH], now = clock_now_ms();
    int n = 0, rc;

    *res = (struct capa_pass_result){0};
    op.kind = CAPA_TICK;
    op.remind_before_ms = remind_before_ms;
    if ((rc = store_capa(s, &op, "system:scheduler", err)) < 0)
        return rc;
    res->reminders = op.tick.reminders;
    res->escalations = op.tick.escalations;
    if ((rc = store_actions_to_recheck(s, now - DAY_MS, ids, RECHECK_BATCH, &n, err)) < 0)
        return rc;
    for (int i = 0; i < n; i++) {
        struct capa_eval_opts o = {.now = now, .recheck = true};
        struct strbuf out = STRBUF_INIT;
        struct kerr e;
        kerr_clear(&e);
        if (capa_evaluate(s, ids[i], &o, "system:scheduler", &out, &e) == 0) {
            res->rechecked++;
            if (out.buf && strstr(out.buf, "\"recurrence\":true"))
                res->recurrences++;
        } else {
            log_warn("recurrence check of action %lld: %s", (long long)ids[i], e.message);
        }
        strbuf_release(&out);
    }
    return 0;
}

struct capa_sched {
    struct store *s;
    int64_t interval_ms, remind_before_ms;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stop;
};

static void *sched_main(void *arg)
{
    struct capa_sched *cs = arg;
    pthread_mutex_lock(&cs->lock);
    while (!cs->stop) {
        struct capa_pass_result r;
        struct kerr e;
        struct timespec ts;
        pthread_mutex_unlock(&cs->lock);
        kerr_clear(&e);
        if (capa_pass(cs->s, cs->remind_before_ms, &r, &e) < 0)
            log_warn("CAPA pass: %s", e.message);
        else if (r.reminders || r.escalations || r.recurrences)
            log_info("CAPA pass: %d reminders, %d escalations, %d recurrences", r.reminders,
                     r.escalations, r.recurrences);
        pthread_mutex_lock(&cs->lock);
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += (time_t)(cs->interval_ms / 1000);
        ts.tv_nsec += (long)(cs->interval_ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        while (!cs->stop && pthread_cond_timedwait(&cs->cond, &cs->lock, &ts) != ETIMEDOUT)
            ;
    }
    pthread_mutex_unlock(&cs->lock);
    return NULL;
}

int capa_sched_start(struct store *s, int64_t interval_ms, int64_t remind_before_ms,
                     struct capa_sched **out, struct kerr *err)
{
    struct capa_sched *cs = xcalloc(1, sizeof *cs);
    cs->s = s;
    cs->interval_ms = interval_ms > 100 ? interval_ms : 100;
    cs->remind_before_ms = remind_before_ms;
    pthread_mutex_init(&cs->lock, NULL);
    pthread_cond_init(&cs->cond, NULL);
    if (pthread_create(&cs->thread, NULL, sched_main, cs) != 0) {
        free(cs);
        return kerr_set(err, KERR_IO, "thread", "", "cannot start the CAPA scheduler");
    }
    *out = cs;
    return 0;
}

void capa_sched_stop(struct capa_sched *cs)
{
    if (!cs)
        return;
    pthread_mutex_lock(&cs->lock);
    cs->stop = true;
    pthread_cond_signal(&cs->cond);
    pthread_mutex_unlock(&cs->lock);
    pthread_join(cs->thread, NULL);
    pthread_mutex_destroy(&cs->lock);
    pthread_cond_destroy(&cs->cond);
    free(cs);
}
