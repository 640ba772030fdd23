/* log: line-atomic logging to stderr and a file. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"

static int log_fd = -1;
static enum log_level min_level = LOG_INFO;
static bool quiet;

int log_open(const char *path)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0)
        return -1;
    if (log_fd >= 0)
        close(log_fd);
    log_fd = fd;
    return 0;
}

void log_close(void)
{
    if (log_fd >= 0)
        close(log_fd);
    log_fd = -1;
}

void log_set_level(enum log_level level)
{
    min_level = level;
}

void log_quiet_stderr(bool q)
{
    quiet = q;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    char line[2048], ts[CLOCK_FMT_MAX];
    va_list ap;
    int n;

    if (level < min_level)
        return;
    n = snprintf(line, sizeof(line), "%s %s ", clock_format(clock_now_ms(), ts), names[level]);
    va_start(ap, fmt);
    n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof(line) - 2)
        n = (int)sizeof(line) - 2;
    line[n++] = '\n';
    if (!quiet && write(2, line, (size_t)n) < 0) {
        /* nothing sensible to do */
    }
    if (log_fd >= 0 && write(log_fd, line, (size_t)n) < 0) {
        /* nothing sensible to do */
    }
}
