/* error: filling struct kerr. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/error.h"

void kerr_clear(struct kerr *e)
{
    if (!e)
        return;
    memset(e, 0, sizeof(*e));
    e->line = -1;
    e->index = -1;
}

int kerr_set(struct kerr *e, int rc, const char *code, const char *field, const char *fmt, ...)
{
    va_list ap;
    if (!e)
        return rc;
    snprintf(e->code, sizeof(e->code), "%s", code ? code : "error");
    snprintf(e->field, sizeof(e->field), "%s", field ? field : "");
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof(e->message), fmt, ap);
    va_end(ap);
    return rc;
}
