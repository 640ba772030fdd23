/* nap.c: see nap.h. */
#include <errno.h>
#include <time.h>

#include "base/nap.h"
#include "base/banned.h"

bool nap_or_stop(pthread_mutex_t *lock, pthread_cond_t *cond, const atomic_bool *stop, int64_t ms)
{
    struct timespec ts;
    bool stopping;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += (time_t)(ms / 1000);
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(lock);
    while (!*stop && pthread_cond_timedwait(cond, lock, &ts) != ETIMEDOUT)
        ;
    stopping = *stop;
    pthread_mutex_unlock(lock);
    return stopping;
}
