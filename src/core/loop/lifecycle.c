/*
 * lifecycle.c: the transition table. To add a step, add a row; the API's
 * 409 answer, the PATCH check, the OpenAPI description and the unit test's
 * walk over every pair all read this table.
 */
#include <string.h>

#include "intake/record.h"
#include "loop/lifecycle.h"
#include "base/banned.h"

const struct lifecycle_step lifecycle_table[] = {
    {"received", "acknowledged", "receipt acknowledged to the customer"},
    {"acknowledged", "assessed", "severity, impact, complexity and urgency assessed"},
    {"assessed", "assigned", "an owner takes the case"},
    {"assessed", "investigating", "the assessor investigates it"},
    {"assigned", "investigating", "the owner starts the investigation"},
    {"assigned", "assessed", "sent back for assessment"},
    {"investigating", "pending_customer", "waiting for the customer (SLA paused)"},
    {"investigating", "pending_third_party", "waiting for a third party (SLA paused)"},
    {"investigating", "responded", "the decision communicated to the customer"},
    {"investigating", "assigned", "handed to another owner"},
    {"pending_customer", "investigating", "the customer answered"},
    {"pending_customer", "responded", "decision communicated after the customer answered"},
    {"pending_third_party", "investigating", "the third party answered"},
    {"pending_third_party", "responded", "decision communicated after the third party answered"},
    {"responded", "closed", "closed with the customer's acceptance"},
    {"responded", "closed_unaccepted", "closed without acceptance, recourse offered"},
    {"responded", "investigating", "the customer disputes the decision"},
    {"responded", "pending_customer", "waiting for the customer's acceptance (SLA paused)"},
    {"closed", "reopened", "the customer comes back on the same matter"},
    {"closed_unaccepted", "reopened", "reopened after escalation or new facts"},
    {"reopened", "assessed", "assessed again"},
    {"reopened", "assigned", "back to an owner"},
    {"reopened", "investigating", "investigation resumes"},
};
const size_t lifecycle_nsteps = sizeof(lifecycle_table) / sizeof(lifecycle_table[0]);

bool lifecycle_known(const char *status)
{
    if (!status)
        return false;
    for (const char *const *s = record_statuses; *s; s++)
        if (strcmp(*s, status) == 0)
            return true;
    return false;
}

bool lifecycle_allowed(const char *from, const char *to)
{
    if (!from || !to)
        return false;
    for (size_t i = 0; i < lifecycle_nsteps; i++)
        if (strcmp(lifecycle_table[i].from, from) == 0 && strcmp(lifecycle_table[i].to, to) == 0)
            return true;
    return false;
}

size_t lifecycle_next(const char *from, const char **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < lifecycle_nsteps && from; i++)
        if (strcmp(lifecycle_table[i].from, from) == 0 && n < max)
            out[n++] = lifecycle_table[i].to;
    return n;
}

bool lifecycle_pauses(const char *status)
{
    return status &&
           (strcmp(status, "pending_customer") == 0 || strcmp(status, "pending_third_party") == 0);
}

bool lifecycle_is_closed(const char *status)
{
    return status && (strcmp(status, "closed") == 0 || strcmp(status, "closed_unaccepted") == 0);
}

bool lifecycle_needs_recourse(const char *to)
{
    return to && strcmp(to, "closed_unaccepted") == 0;
}

struct lifecycle_stamps lifecycle_stamps_of(const char *to)
{
    struct lifecycle_stamps st = {NULL, NULL, NULL};
    if (!to)
        return st;
    if (strcmp(to, "acknowledged") == 0)
        st.first = "acknowledged_at";
    else if (strcmp(to, "assigned") == 0)
        st.first = "assigned_at";
    else if (strcmp(to, "responded") == 0)
        st.first = "responded_at";
    else if (lifecycle_is_closed(to)) {
        st.again = "closed_at";
        st.again2 = "resolved_at";
    } else if (strcmp(to, "reopened") == 0)
        st.again = "reopened_at";
    return st;
}
