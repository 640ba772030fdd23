/*
 * archive.h: cold-archive files. An archive file (DATA/archive/<name>.kza)
 * is a sequence of independent zstd frames, one per archived record, each
 * holding the record's JSON (its fields and timeline, as GET shows them).
 * The index (id -> file, offset, length) lives in the store (archive_index),
 * so one record is read with one pread and one frame decompression.
 *
 * Names are never paths: archive_name_ok() admits only a bare file name of
 * letters, digits, '-', '_' and '.', not starting with '.', ending in .kza,
 * so an index row altered to "../../etc/passwd" or "/etc/passwd" is refused
 * before any file is opened; files are opened with O_NOFOLLOW and must be
 * regular files.
 */
#ifndef KESU_ARCHIVE_H
#define KESU_ARCHIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/strbuf.h"

/* Largest record JSON an archive frame may hold when read back. */
#define ARCHIVE_FRAME_MAX (16u << 20)

bool archive_name_ok(const char *name);

/* DATA/archive/name into out; KERR_INVALID (archive_path) when the name is not admissible. */
int archive_path(const char *data_dir, const char *name, char *out, size_t n, struct kerr *err);

struct archive_writer;
/* Creates a new archive file in DATA/archive (made 0700 when missing), named after the time. */
int archive_writer_open(const char *data_dir, struct archive_writer **out, struct kerr *err);
/* The new file's name (bare). */
const char *archive_writer_name(const struct archive_writer *w);
/* Appends one record's JSON as a zstd frame; *offset, *length say where it is. */
int archive_writer_add(struct archive_writer *w, const char *json, size_t len, int64_t *offset,
                       int64_t *length, struct kerr *err);
/* fsyncs the file and its directory and closes it (0), or removes it on error. */
int archive_writer_finish(struct archive_writer *w, struct kerr *err);
/* Closes and removes the file (nothing of it is indexed). */
void archive_writer_abort(struct archive_writer *w);

/* Appends the JSON of the frame at [offset, offset+length) of file name to out. */
int archive_read(const char *data_dir, const char *name, int64_t offset, int64_t length,
                 struct strbuf *out, struct kerr *err);

/* Removes an archive file (after its records moved elsewhere); name checked as above. */
int archive_remove(const char *data_dir, const char *name, struct kerr *err);

#endif
