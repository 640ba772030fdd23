/*
 * log: one line per event, to standard error and (once log_open() is called)
 * appended to a file. Lines from different threads never interleave. By
 * default each line is written at once; after log_start_buffering() (the
 * server) info lines are written in chunks at least every 200 ms, warnings
 * and errors at once. Never log personal data: request lines carry method,
 * path, status and time only.
 */
#ifndef KESU_LOG_H
#define KESU_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Opens (appends to) path; returns 0 or -1. */
int log_open(const char *path);
/* Flushes and closes the file, stops buffering. */
void log_close(void);
/* Buffers info lines, flushed by a background thread (see above). */
void log_start_buffering(void);
void log_set_level(enum log_level level);
/* Silences standard error (files still get every line); for CLI commands. */
void log_quiet_stderr(bool quiet);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
