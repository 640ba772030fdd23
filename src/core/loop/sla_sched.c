/* sla_sched.c: a thread that runs the SLA pass every interval (see sla_sched.h). */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "base/log.h"
#include "base/xmalloc.h"
#include "loop/sla_sched.h"
#include "store/loop.h"
#include "base/banned.h"

struct sla_sched {
    struct store *s;
    int interval_ms;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stop;
};

static void *sched_main(void *arg)
{
    struct sla_sched *sc = arg;
    pthread_setname_np(pthread_self(), "kesu-sla");
    pthread_mutex_lock(&sc->lock);
    while (!sc->stop) {
        struct store_sla_report rep;
        struct kerr e;
        struct timespec ts;
        pthread_mutex_unlock(&sc->lock);
        if (store_sla_pass(sc->s, 0, 2000, &rep, &e) < 0)
            log_warn("SLA pass failed: %s", e.message);
        else if (rep.warnings || rep.breaches || rep.escalations)
            log_info("SLA pass: %lld cases looked at, %lld warnings, %lld breaches, %lld "
                     "escalations",
                     (long long)rep.examined, (long long)rep.warnings, (long long)rep.breaches,
                     (long long)rep.escalations);
        store_sla_report_release(&rep);
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += sc->interval_ms / 1000;
        ts.tv_nsec += (long)(sc->interval_ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&sc->lock);
        while (!sc->stop && pthread_cond_timedwait(&sc->cond, &sc->lock, &ts) != ETIMEDOUT)
            ;
    }
    pthread_mutex_unlock(&sc->lock);
    return NULL;
}

int sla_sched_start(struct store *s, int interval_ms, struct sla_sched **out, struct kerr *err)
{
    struct sla_sched *sc = xcalloc(1, sizeof *sc);
    sc->s = s;
    sc->interval_ms = interval_ms < 100 ? 100 : interval_ms;
    pthread_mutex_init(&sc->lock, NULL);
    pthread_cond_init(&sc->cond, NULL);
    if (pthread_create(&sc->thread, NULL, sched_main, sc) != 0) {
        free(sc);
        return kerr_set(err, KERR_INTERNAL, "internal", NULL, "cannot start the SLA scheduler");
    }
    *out = sc;
    return 0;
}

void sla_sched_stop(struct sla_sched *sc)
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
    free(sc);
}
