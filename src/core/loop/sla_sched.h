/*
 * sla_sched: the SLA scheduler thread of `kesu serve`. Every interval it
 * runs one store_sla_pass (store/loop.h): warnings, breaches and
 * escalations for the cases whose next check has come. All its state is in
 * the database, so stopping and starting it (or the server) loses nothing
 * and repeats nothing.
 */
#ifndef KESU_SLA_SCHED_H
#define KESU_SLA_SCHED_H

#include "base/error.h"
#include "store/db.h"

struct sla_sched;

/* Starts the thread (first pass at once). interval_ms >= 100. */
int sla_sched_start(struct store *s, int interval_ms, struct sla_sched **out, struct kerr *err);
/* Stops it after the pass under way (NULL is fine). */
void sla_sched_stop(struct sla_sched *sc);

#endif
