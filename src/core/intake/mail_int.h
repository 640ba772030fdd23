/*
 * mail_int.h: what mail.c shares with mailbox.c and mailwatch.c (the GMime
 * side of the mail reader). Not for use outside core/intake: it brings in
 * GMime's and GLib's headers, which the public mail.h keeps out.
 */
#ifndef KESU_MAIL_INT_H
#define KESU_MAIL_INT_H

#include <gmime/gmime.h>

#include "intake/mail.h"

/* Initialises GMime once (any thread may call it, any number of times). */
void mail_gmime_init(void);
/* The parser options every reader uses (lenient, UTF-8 then GB18030 for raw 8-bit text). */
GMimeParserOptions *mail_parser_options(void);

/*
 * Turns a parsed message into r. fallback_ms: the time when no header gives
 * one; mbox_marker: the mbox "From " line or NULL. Errors as mail_parse_file.
 */
int mail_from_message(GMimeMessage *msg, int64_t fallback_ms, const char *mbox_marker,
                      const struct mail_opts *o, struct record *r, struct kerr *err);

/* Parses the one message in stream st (taken over: unref'd here) into r. */
int mail_parse_stream(GMimeStream *st, int64_t fallback_ms, const struct mail_opts *o,
                      struct record *r, struct kerr *err);

#endif
