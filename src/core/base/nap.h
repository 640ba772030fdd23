/*
 * nap.h: a background thread's sleep that its stop cuts short. The thread
 * owns lock, cond and stop; whoever stops it sets stop under lock and
 * signals cond.
 */
#ifndef KESU_BASE_NAP_H
#define KESU_BASE_NAP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* Waits ms milliseconds or until *stop; returns *stop. */
bool nap_or_stop(pthread_mutex_t *lock, pthread_cond_t *cond, const atomic_bool *stop, int64_t ms);

#endif
