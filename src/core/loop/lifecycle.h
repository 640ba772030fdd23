/*
 * lifecycle: the complaint-handling steps of ISO 10002 / GB/T 19012 as one
 * transition table. Every change of a case's status, from the transitions
 * endpoint, the PATCH of status, a merge or the CLI, is checked here, and
 * nowhere else. Pure: no I/O.
 *
 *   received → acknowledged → assessed → assigned → investigating → responded
 *   → closed | closed_unaccepted (with the recourse offered) → reopened → ...
 *   investigating ⇄ pending_customer / pending_third_party (the SLA clock stops)
 */
#ifndef KESU_LIFECYCLE_H
#define KESU_LIFECYCLE_H

#include <stdbool.h>
#include <stddef.h>

/* One legal step. */
struct lifecycle_step {
    const char *from, *to;
    const char *meaning; /* what the step is, one line (documentation, the API's 409) */
};

extern const struct lifecycle_step lifecycle_table[];
extern const size_t lifecycle_nsteps;

/* True when status is one of record_statuses. */
bool lifecycle_known(const char *status);
/* True when from → to is in the table. */
bool lifecycle_allowed(const char *from, const char *to);
/* The statuses reachable from `from`, in table order; returns how many (at most max). */
size_t lifecycle_next(const char *from, const char **out, size_t max);
/* Statuses that stop the SLA clock (pending_customer, pending_third_party). */
bool lifecycle_pauses(const char *status);
/* closed and closed_unaccepted. */
bool lifecycle_is_closed(const char *status);
/* Transitions to this status need a note saying the recourse offered (closed_unaccepted). */
bool lifecycle_needs_recourse(const char *to);

/*
 * The life-event timestamp columns a transition to `to` sets. first: set only
 * when still empty (the first acknowledgement, the first response); again:
 * set every time (closed_at, reopened_at). NULL when none.
 */
struct lifecycle_stamps {
    const char *first;
    const char *again;
    const char *again2;
};
struct lifecycle_stamps lifecycle_stamps_of(const char *to);

#endif
