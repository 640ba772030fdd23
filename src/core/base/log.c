/*
 * log: line-oriented logging to stderr and a file.
 *
 * Lines are formatted by the caller's thread into a shared buffer and
 * written out in large chunks (at 64 KiB, every LOG_FLUSH_MS by a flusher
 * thread, on warnings and errors at once, and at log_close), so a server
 * answering tens of thousands of requests a second does not pay two write
 * system calls per request. A crash can lose the last fraction of a second
 * of request lines, never a warning or an error.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/banned.h"

#define LOG_BUF      65536
#define LOG_FLUSH_MS 200

static int log_fd = -1;
static enum log_level min_level = LOG_INFO;
static bool quiet;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static char buf[LOG_BUF];
static size_t used;
static pthread_t flusher;
static bool flusher_running, flusher_stop;

static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

/* Writes the buffer out; lock held. */
static void flush_locked(void)
{
    if (!used)
        return;
    if (!quiet)
        write_all(2, buf, used);
    if (log_fd >= 0)
        write_all(log_fd, buf, used);
    used = 0;
}

static void *flusher_main(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "kesu-log");
    pthread_mutex_lock(&lock);
    while (!flusher_stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += LOG_FLUSH_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&cond, &lock, &ts);
        flush_locked();
    }
    pthread_mutex_unlock(&lock);
    return NULL;
}

int log_open(const char *path)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0)
        return -1;
    pthread_mutex_lock(&lock);
    flush_locked();
    if (log_fd >= 0)
        close(log_fd);
    log_fd = fd;
    pthread_mutex_unlock(&lock);
    return 0;
}

void log_start_buffering(void)
{
    pthread_mutex_lock(&lock);
    if (!flusher_running && pthread_create(&flusher, NULL, flusher_main, NULL) == 0)
        flusher_running = true;
    pthread_mutex_unlock(&lock);
}

void log_close(void)
{
    pthread_mutex_lock(&lock);
    flusher_stop = true;
    pthread_cond_signal(&cond);
    pthread_mutex_unlock(&lock);
    if (flusher_running)
        pthread_join(flusher, NULL);
    pthread_mutex_lock(&lock);
    flusher_running = false;
    flusher_stop = false;
    flush_locked();
    if (log_fd >= 0)
        close(log_fd);
    log_fd = -1;
    pthread_mutex_unlock(&lock);
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
    pthread_mutex_lock(&lock);
    if (used + (size_t)n > sizeof(buf))
        flush_locked();
    memcpy(buf + used, line, (size_t)n);
    used += (size_t)n;
    if (!flusher_running || level >= LOG_WARN)
        flush_locked();
    pthread_mutex_unlock(&lock);
}
