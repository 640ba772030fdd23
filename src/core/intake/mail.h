/*
 * mail: complaints that arrive by e-mail. One RFC 5322 message (MIME, as
 * GMime parses it) becomes one record of channel "email":
 *
 *   external_id    the Message-ID without <>; when it is missing (or longer
 *                  than a record allows), "nomid:" + a BLAKE2b hash of
 *                  From, Date, Subject and the body text, so re-importing
 *                  the same message stays idempotent
 *   received_at    the Date header; when absent or implausible (before
 *                  2000, more than a day ahead), the newest Received
 *                  header, then the mbox "From " line, then the file's mtime
 *   customer_name  the display name of From (RFC 2047 decoded)
 *   email          the address of From
 *   title          Subject (RFC 2047 decoded; cut at 1,024 bytes)
 *   text           the body: the text/plain parts, else the text/html parts
 *                  as text (see html.h); converted to UTF-8 (see charset.h:
 *                  gb2312/gbk are read as GB18030, big5 as BIG5-HKSCS);
 *                  CRLF made LF; quoted replies and signatures stripped
 *                  (see below); cut at RECORD_TEXT_MAX on a character
 *                  boundary. A message with no body text uses its subject;
 *                  with neither it is rejected ("no_text").
 *   attachments    [{"name","type","size"}] per attachment (size decoded,
 *                  in bytes); contents are not kept
 *
 * Stripping (unless keep_quotes): the text is cut at the first of
 *   - an Outlook/Foxmail/QQ separator line ("-----Original Message-----",
 *     "----- 原始邮件 -----", "------------------ Original ------------------");
 *   - an attribution line ("... wrote:", "... 写道：") followed only by
 *     quoted (">") lines, or a block of quoted lines that runs to the end;
 *   - a signature separator line "-- " (or "--") with at most 12 lines after it;
 * and only when some text remains before the cut. Quotes interleaved with
 * new text are kept.
 *
 * Sources, read one message at a time (memory holds one message's headers
 * and structure; bodies are read from the file): a Maildir (new/ and cur/,
 * tmp/ is skipped, Maildir++ subfolders such as .Sent/ are not read), an mbox file (GMime's mbox
 * mode; messages are numbered from 1), or a single message file (.eml). A path that is a directory
 * is a Maildir; a file that starts with "From " is an mbox; any other file is one message. The path
 * "-" is standard input (one message, or an mbox when it starts with "From "; read whole, at most
 * MAIL_STDIN_MAX bytes), so an MTA can pipe mail in; it is named "(stdin)" in reports.
 *
 * Threads: any thread may parse; GMime is initialised once on first use.
 */
#ifndef KESU_MAIL_H
#define KESU_MAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "intake/import.h"
#include "intake/record.h"
#include "store/db.h"

/* Largest message part read for its text; the rest of a bigger part is ignored. */
#define MAIL_PART_READ_MAX (4u << 20)
/* Largest input taken from standard input (path "-"). */
#define MAIL_STDIN_MAX (64u << 20)

struct pipeline;
struct channels_conf;

struct mail_opts {
    bool keep_quotes; /* keep quoted replies and signatures */
    /* the intake stages every stored message goes through (NULL: none) */
    struct pipeline *pipeline;
    const struct channels_conf *channels;
};

/*
 * Parses the message in file path into r (record_init'ed by the caller;
 * fields are set, not validated against required-field rules: call
 * record_validate). Returns 0, or KERR_IO (cannot read) / KERR_INVALID
 * (not a usable message: err->code says why, e.g. "no_text").
 */
int mail_parse_file(const char *path, const struct mail_opts *o, struct record *r,
                    struct kerr *err);

/* As mail_parse_file, from memory; fallback_ms is the time used when the headers give none. */
int mail_parse_mem(const char *data, size_t len, int64_t fallback_ms, const struct mail_opts *o,
                   struct record *r, struct kerr *err);

/* ---- sources ------------------------------------------------------------- */

enum mail_source { MAIL_SRC_EML, MAIL_SRC_MBOX, MAIL_SRC_MAILDIR };

/* Says what path is (see above). KERR_IO when it cannot be read, KERR_INVALID for a
 * directory that is not a Maildir. */
int mail_source_detect(const char *path, enum mail_source *kind, struct kerr *err);

/* Where a message came from: its file and, in an mbox, its number (from 1; 0 otherwise). */
struct mail_where {
    const char *file; /* valid until the next mail_reader_next */
    long msgno;
};

struct mail_reader;

/* Opens path (any source). Free with mail_reader_free. */
int mail_reader_open(const char *path, const struct mail_opts *o, struct mail_reader **out,
                     struct kerr *err);

enum { MAIL_END = 0, MAIL_MESSAGE = 1, MAIL_BAD = 2 };
/*
 * Reads the next message into r (record_init'ed by the caller). Returns
 * MAIL_MESSAGE, MAIL_BAD (this message is unusable: err says why, the next
 * call goes on), MAIL_END, or < 0 when the source cannot be read further.
 * *where names the message in every case but MAIL_END.
 */
int mail_reader_next(struct mail_reader *rd, struct record *r, struct mail_where *where,
                     struct kerr *err);
void mail_reader_free(struct mail_reader *rd);

/* ---- import ---------------------------------------------------------------- */

struct mail_import_opts {
    struct mail_opts mail;
    const char *actor; /* kept on each record's timeline, e.g. "import:mail" */
    size_t batch;      /* messages per transaction (default 1000) */
};

struct mail_import_cb {
    /* a message that was not stored, and why */
    void (*reject)(void *arg, const struct mail_where *where, const struct kerr *e);
    /* called now and then with the running counts */
    void (*progress)(void *arg, const struct import_stats *st);
    void *arg;
};

/*
 * Imports every message of path (any source) with the checks every intake
 * runs (record_validate), in transactions of o->batch messages. st->rows
 * counts messages. Returns 0 when the source was read to its end (see
 * st->rejected), or < 0 with err filled when reading or storing failed;
 * what was committed before stays committed. The source is not changed.
 */
/* The collection rule and the intake pipeline, as every door runs them (after record_validate). */
int mail_clean(const struct mail_opts *o, struct record *r, struct kerr *err);

int mail_import(struct store *s, const char *path, const struct mail_import_opts *o,
                const struct mail_import_cb *cb, struct import_stats *st, struct kerr *err);

#endif
