/*
 * sla: service-level policies and the arithmetic of one case's clock. A
 * policy has targets for acknowledgement, first response and resolution in
 * working seconds of a business calendar (loop/calendar.h), and the share
 * of a target after which a warning goes out. The clock starts when the
 * case is received, stops while the case waits for the customer or a third
 * party (the paused working time pushes every due time back), and a target
 * is met when the case is acknowledged, first responded to, or closed.
 * Pure: the store keeps the state (case_sla) and runs the scheduler.
 *
 * Policy JSON: {"name":"vip","position":10,"priority":"p1","category":"","segment":"vip",
 *   "calendar":"cn-2026","ack":"2h","response":"8h","resolve":"3d","warn_share":0.8}
 * Durations: seconds as a number, or "90s", "30m", "8h", "3d" (a "d" is 8 working hours, one
 * working day of the shipped calendar; write hours when a calendar's days are longer).
 */
#ifndef KESU_SLA_H
#define KESU_SLA_H

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "base/jsonw.h"
#include "intake/record.h"
#include "loop/calendar.h"

enum { SLA_ACK = 1, SLA_RESPONSE = 2, SLA_RESOLVE = 4 };
#define SLA_TARGETS 3
extern const char *const sla_target_names[SLA_TARGETS]; /* acknowledgement, response, resolution */

struct sla_policy {
    char name[64];
    int position;
    char priority[8], category[64], segment[64]; /* "" = any */
    char calendar[64];                           /* "" = 24x7 */
    int64_t target[SLA_TARGETS];                 /* working seconds; 0 = no target */
    double warn_share;                           /* 0 < share < 1; default 0.8 */
};

/* Parses a policy; errors name the field. */
int sla_policy_parse(const char *json, size_t len, struct sla_policy *out, struct kerr *err);
void sla_policy_write(const struct sla_policy *p, struct jsonw *w);
/* "90s", "30m", "8h", "2d" (a d is 8 working hours) or digits (seconds); -1 when malformed. */
int64_t sla_parse_duration(const char *s);
/* The first policy (in the given order) whose priority, category (any level) and segment fit. */
const struct sla_policy *sla_policy_pick(const struct sla_policy *v, size_t n,
                                         const struct record *rec);

/* One case's clock (a case_sla row). Times in unix seconds; 0 = none. */
struct sla_clock {
    int64_t start;
    int64_t due[SLA_TARGETS];
    int64_t paused_since, paused_secs; /* paused_secs: working seconds spent paused */
    int warned, breached, escalated, met;
    int64_t next_check; /* 0: nothing left to watch (or paused) */
};

/* Sets due[] from start, the policy's targets and the paused time. */
void sla_compute_due(const struct sla_policy *p, const struct calendar *cal, struct sla_clock *c);
/* The instant the warning for target k is due (start + share of the target, in working time). */
int64_t sla_warn_at(const struct sla_policy *p, const struct calendar *cal,
                    const struct sla_clock *c, int k);
/* Stops the clock at now (no effect when stopped). */
void sla_pause(struct sla_clock *c, int64_t now);
/* Restarts it: the working time paused is added and the due times move back. */
void sla_resume(const struct sla_policy *p, const struct calendar *cal, struct sla_clock *c,
                int64_t now);

/* What one look at a case found: bits (SLA_*) of new warnings and new breaches. */
struct sla_eval {
    int warn, breach;
    int breach_met_late; /* of breach: targets met, but after their due time (no escalation) */
};
/*
 * Looks at the clock at now, with met_at[k] the time target k was met (0 =
 * not yet): marks new warnings and breaches in c (each target warns and
 * breaches at most once), marks met targets, and sets c->next_check.
 */
void sla_evaluate(const struct sla_policy *p, const struct calendar *cal, struct sla_clock *c,
                  const int64_t met_at[SLA_TARGETS], int64_t now, struct sla_eval *out);

/* One step up: p4 → p3 → p2 → p1 (p1 stays; NULL or unknown → p2). Static strings. */
const char *sla_raise_priority(const char *priority);

#endif
