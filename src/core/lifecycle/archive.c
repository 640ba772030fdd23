/* archive: cold-archive files of zstd frames (see archive.h). */
#include "lifecycle/archive.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <zstd.h>

#include "base/xmalloc.h"
#include "base/banned.h"

#define ZSTD_LEVEL 9

bool archive_name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n < 5 || n > 100 || name[0] == '.' || strcmp(name + n - 4, ".kza") != 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return false;
    }
    return strstr(name, "..") == NULL;
}

int archive_path(const char *data_dir, const char *name, char *out, size_t n, struct kerr *err)
{
    if (!archive_name_ok(name))
        return kerr_set(err, KERR_INVALID, "archive_path", "file",
                        "archive index names a file outside the archive directory");
    if ((size_t)snprintf(out, n, "%s/archive/%s", data_dir, name) >= n)
        return kerr_set(err, KERR_INVALID, "archive_path", "file", "archive path too long");
    return 0;
}

struct archive_writer {
    int fd;
    int64_t off;
    char dir[4096];
    char path[4200];
    char name[64];
    ZSTD_CCtx *cctx;
};

int archive_writer_open(const char *data_dir, struct archive_writer **out, struct kerr *err)
{
    struct archive_writer *w = xcalloc(1, sizeof(*w));
    char stamp[32];
    unsigned char rnd[4];
    time_t now = time(NULL);
    struct tm tm;

    snprintf(w->dir, sizeof w->dir, "%s/archive", data_dir);
    if (mkdir(w->dir, 0700) < 0 && errno != EEXIST) {
        kerr_set(err, KERR_IO, "storage_error", "", "cannot create %s: %s", w->dir,
                 strerror(errno));
        free(w);
        return KERR_IO;
    }
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%S", &tm);
    randombytes_buf(rnd, sizeof rnd);
    snprintf(w->name, sizeof w->name, "a-%s-%02x%02x%02x%02x.kza", stamp, rnd[0], rnd[1], rnd[2],
             rnd[3]);
    snprintf(w->path, sizeof w->path, "%s/%s", w->dir, w->name);
    w->fd = open(w->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (w->fd < 0) {
        kerr_set(err, KERR_IO, "storage_error", "", "cannot create %s: %s", w->path,
                 strerror(errno));
        free(w);
        return KERR_IO;
    }
    w->cctx = ZSTD_createCCtx();
    *out = w;
    return 0;
}

const char *archive_writer_name(const struct archive_writer *w)
{
    return w->name;
}

static int write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

int archive_writer_add(struct archive_writer *w, const char *json, size_t len, int64_t *offset,
                       int64_t *length, struct kerr *err)
{
    size_t cap = ZSTD_compressBound(len), n;
    void *buf = xmalloc(cap);
    n = ZSTD_compressCCtx(w->cctx, buf, cap, json, len, ZSTD_LEVEL);
    if (ZSTD_isError(n)) {
        free(buf);
        return kerr_set(err, KERR_INTERNAL, "internal", "", "zstd: %s", ZSTD_getErrorName(n));
    }
    if (write_all(w->fd, buf, n) < 0) {
        free(buf);
        return kerr_set(err, KERR_IO, "storage_error", "", "cannot write %s: %s", w->path,
                        strerror(errno));
    }
    free(buf);
    *offset = w->off;
    *length = (int64_t)n;
    w->off += (int64_t)n;
    return 0;
}

static void writer_free(struct archive_writer *w)
{
    if (w->fd >= 0)
        close(w->fd);
    ZSTD_freeCCtx(w->cctx);
    free(w);
}

int archive_writer_finish(struct archive_writer *w, struct kerr *err)
{
    int dfd, rc = 0;
    if (fsync(w->fd) < 0)
        rc = kerr_set(err, KERR_IO, "storage_error", "", "fsync of %s failed: %s", w->path,
                      strerror(errno));
    if (rc == 0 && (dfd = open(w->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
        if (fsync(dfd) < 0)
            rc = kerr_set(err, KERR_IO, "storage_error", "", "fsync of %s failed: %s", w->dir,
                          strerror(errno));
        close(dfd);
    }
    if (rc < 0)
        unlink(w->path);
    writer_free(w);
    return rc;
}

void archive_writer_abort(struct archive_writer *w)
{
    if (!w)
        return;
    unlink(w->path);
    writer_free(w);
}

int archive_read(const char *data_dir, const char *name, int64_t offset, int64_t length,
                 struct strbuf *out, struct kerr *err)
{
    char path[4200];
    struct stat st;
    void *buf;
    int fd, rc;
    ssize_t k;

    if ((rc = archive_path(data_dir, name, path, sizeof path, err)) < 0)
        return rc;
    if (offset < 0 || length <= 0 || length > (int64_t)ARCHIVE_FRAME_MAX)
        return kerr_set(err, KERR_INVALID, "archive_index", "offset", "bad archive index entry");
    if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
        return kerr_set(err, KERR_IO, "storage_error", "", "cannot open archive file %s: %s", name,
                        strerror(errno));
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || offset + length > st.st_size) {
        close(fd);
        return kerr_set(err, KERR_IO, "storage_error", "", "archive file %s is damaged", name);
    }
    buf = xmalloc((size_t)length);
    k = pread(fd, buf, (size_t)length, (off_t)offset);
    close(fd);
    if (k != (ssize_t)length) {
        free(buf);
        return kerr_set(err, KERR_IO, "storage_error", "", "cannot read archive file %s", name);
    }
    unsigned long long size = ZSTD_getFrameContentSize(buf, (size_t)length);
    if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN ||
        size > ARCHIVE_FRAME_MAX) {
        free(buf);
        return kerr_set(err, KERR_IO, "storage_error", "", "archive frame in %s is damaged", name);
    }
    strbuf_grow(out, (size_t)size + 1);
    size_t n = ZSTD_decompress(out->buf + out->len, (size_t)size + 1, buf, (size_t)length);
    free(buf);
    if (ZSTD_isError(n) || n != size)
        return kerr_set(err, KERR_IO, "storage_error", "", "archive frame in %s is damaged", name);
    strbuf_setlen(out, out->len + n);
    return 0;
}

int archive_remove(const char *data_dir, const char *name, struct kerr *err)
{
    char path[4200];
    int rc = archive_path(data_dir, name, path, sizeof path, err);
    if (rc < 0)
        return rc;
    if (unlink(path) < 0 && errno != ENOENT)
        return kerr_set(err, KERR_IO, "storage_error", "", "cannot remove %s: %s", path,
                        strerror(errno));
    return 0;
}
