/*
 * error: how kesu reports failure. Functions return 0 or a negative KERR_*
 * code; the detail (machine code, message, offending field, input line or
 * item index) travels in an optional struct kerr the caller passes in.
 */
#ifndef KESU_ERROR_H
#define KESU_ERROR_H

enum {
    KERR_OK = 0,
    KERR_INVALID = -1,  /* bad input: field/message say what */
    KERR_NOTFOUND = -2, /* no such object */
    KERR_CONFLICT = -3, /* state does not allow it */
    KERR_TOOLARGE = -4, /* a size cap was passed */
    KERR_IO = -5,       /* file, database or network failure */
    KERR_AUTH = -6,     /* not authenticated */
    KERR_BUSY = -7,     /* overloaded or shutting down; retry */
    KERR_INTERNAL = -8, /* a bug */
};

struct kerr {
    char code[32];     /* machine-readable, e.g. "invalid_field" */
    char field[64];    /* offending field, or "" */
    char message[256]; /* one sentence for a human */
    long line;         /* input line (1-based) or -1 */
    long index;        /* batch item index (0-based) or -1 */
};

void kerr_clear(struct kerr *e);
/* Fills e (when non-NULL) and returns rc, so callers can `return kerr_set(...)`. */
int kerr_set(struct kerr *e, int rc, const char *code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#endif
