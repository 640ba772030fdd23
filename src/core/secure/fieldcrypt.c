/*
 * fieldcrypt: the keyring file (create, check, parse, rotate) and AEAD
 * sealing of field values in a text form. See fieldcrypt.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "base/xmalloc.h"
#include "secure/fieldcrypt.h"
#include "base/banned.h"

#define KEYLEN   crypto_aead_xchacha20poly1305_ietf_KEYBYTES
#define NONCELEN crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAGLEN   crypto_aead_xchacha20poly1305_ietf_ABYTES
#define B64      sodium_base64_VARIANT_URLSAFE_NO_PADDING
#define MAXKEYS  256
#define FILE_MAX (64 * 1024)

struct key {
    unsigned id;
    unsigned char k[KEYLEN];
};

struct fieldcrypt {
    struct key *keys; /* sodium_malloc'ed, read-only once loaded; newest last */
    size_t n;
    char current[16];
};

/* ---- the keyring file ---- */

/* Creates the missing parent directories of path, mode 0700. */
static int make_parents(const char *path, struct kerr *err)
{
    char *dir = xstrdup(path);
    int rc = 0;
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
            rc = kerr_set(err, KERR_IO, "key_file_io", NULL, "cannot create %s: %s", dir,
                          strerror(errno));
        *p = '/';
        if (rc)
            break;
    }
    free(dir);
    return rc;
}

static void key_line(struct strbuf *sb, unsigned id, const unsigned char *k)
{
    char b64[sodium_base64_ENCODED_LEN(KEYLEN, B64)];
    sodium_bin2base64(b64, sizeof b64, k, KEYLEN, B64);
    strbuf_addf(sb, "k%u %s\n", id, b64);
    sodium_memzero(b64, sizeof b64);
}

/* Writes text to a new private file next to path; returns its name (free()) or NULL. */
static char *write_temp(const char *path, const struct strbuf *text, struct kerr *err)
{
    struct strbuf tmp = STRBUF_INIT;
    int fd;
    strbuf_addf(&tmp, "%s.tmp.%ld.%08x", path, (long)getpid(), (unsigned)randombytes_random());
    fd = open(tmp.buf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, text->buf, text->len) != (ssize_t)text->len || fsync(fd) < 0) {
        kerr_set(err, KERR_IO, "key_file_io", NULL, "cannot write %s: %s", tmp.buf,
                 strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(tmp.buf);
        }
        strbuf_release(&tmp);
        return NULL;
    }
    close(fd);
    return strbuf_detach(&tmp, NULL);
}

/* Creates the keyring with one key unless it exists (then leaves it alone). */
static int create_if_missing(const char *path, struct kerr *err)
{
    struct strbuf text = STRBUF_INIT;
    unsigned char k[KEYLEN];
    char *tmp;
    int rc = 0;

    if (access(path, F_OK) == 0)
        return 0;
    if ((rc = make_parents(path, err)) < 0)
        return rc;
    randombytes_buf(k, sizeof k);
    strbuf_addstr(&text, "# kesu field encryption keys: one per line, newest last. Keep secret;\n"
                         "# losing this file loses every value encrypted with it.\n");
    key_line(&text, 1, k);
    sodium_memzero(k, sizeof k);
    tmp = write_temp(path, &text, err);
    sodium_memzero(text.buf, text.len);
    strbuf_release(&text);
    if (!tmp)
        return KERR_IO;
    /* link() fails when another process created the file meanwhile: theirs wins */
    if (link(tmp, path) < 0 && errno != EEXIST)
        rc = kerr_set(err, KERR_IO, "key_file_io", NULL, "cannot create %s: %s", path,
                      strerror(errno));
    unlink(tmp);
    free(tmp);
    return rc;
}

/* Reads the keyring file into text after checking that it is private. */
static int read_private(const char *path, struct strbuf *text, struct kerr *err)
{
    struct stat st;
    char buf[4096];
    ssize_t n;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

    if (fd < 0)
        return kerr_set(err, KERR_IO, "key_file_io", NULL, "cannot open %s: %s", path,
                        strerror(errno));
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
        (st.st_mode & 077)) {
        close(fd);
        return kerr_set(err, KERR_INVALID, "key_file_mode", NULL,
                        "%s must be a regular file of this user with mode 0600", path);
    }
    while ((n = read(fd, buf, sizeof buf)) > 0 && text->len + (size_t)n <= FILE_MAX)
        strbuf_add(text, buf, (size_t)n);
    sodium_memzero(buf, sizeof buf);
    close(fd);
    if (n != 0)
        return kerr_set(err, KERR_IO, "key_file_io", NULL, "cannot read %s (or larger than %d)",
                        path, FILE_MAX);
    return 0;
}

/* Parses "k<N> <base64>" lines into keys (room for MAXKEYS). */
static int parse(const char *path, char *text, struct key *keys, size_t *nkeys, struct kerr *err)
{
    size_t n = 0;
    long line = 0;
    for (char *p = text, *e; *p; p = e) {
        char *nl = strchr(p, '\n'), *sp, *end;
        unsigned long id;
        size_t klen;
        e = nl ? nl + 1 : p + strlen(p);
        line++;
        if (nl)
            *nl = 0;
        if (*p == '#' || *p == 0)
            continue;
        if (p[0] != 'k' || !(sp = strchr(p, ' ')) || n == MAXKEYS)
            goto bad;
        id = strtoul(p + 1, &end, 10);
        if (end != sp || id == 0 || id > 1000000 ||
            sodium_base642bin(keys[n].k, KEYLEN, sp + 1, strlen(sp + 1), NULL, &klen, NULL, B64) !=
                0 ||
            klen != KEYLEN)
            goto bad;
        for (size_t q = 0; q < n; q++)
            if (keys[q].id == id)
                goto bad;
        keys[n++].id = (unsigned)id;
        continue;
    bad:
        return kerr_set(err, KERR_INVALID, "key_file_format", NULL,
                        "%s line %ld is not \"k<N> <key>\" (or repeats an id)", path, line);
    }
    if (n == 0)
        return kerr_set(err, KERR_INVALID, "key_file_format", NULL, "%s holds no key", path);
    *nkeys = n;
    return 0;
}

/* Loads path into guarded memory; on success *keys (sodium_free) and *n. */
static int load(const char *path, struct key **keys, size_t *n, struct kerr *err)
{
    struct strbuf text = STRBUF_INIT;
    struct key *k = sodium_malloc(MAXKEYS * sizeof(*k));
    int rc;
    if (!k)
        return kerr_set(err, KERR_INTERNAL, "no_memory", NULL, "sodium_malloc failed");
    if ((rc = read_private(path, &text, err)) == 0)
        rc = parse(path, text.buf, k, n, err);
    sodium_memzero(text.buf, text.len);
    strbuf_release(&text);
    if (rc < 0) {
        sodium_free(k);
        return rc;
    }
    *keys = k;
    return 0;
}

int fieldcrypt_open(const char *path, struct fieldcrypt **out, struct kerr *err)
{
    struct fieldcrypt *fc;
    struct key *keys;
    size_t n, newest = 0;
    int rc;

    *out = NULL;
    if (sodium_init() < 0)
        return kerr_set(err, KERR_INTERNAL, "sodium_init", NULL, "libsodium failed to start");
    if ((rc = create_if_missing(path, err)) < 0 || (rc = load(path, &keys, &n, err)) < 0)
        return rc;
    for (size_t k = 1; k < n; k++)
        if (keys[k].id > keys[newest].id)
            newest = k;
    if (newest != n - 1) { /* keep the newest last */
        struct key t = keys[newest];
        keys[newest] = keys[n - 1];
        keys[n - 1] = t;
        sodium_memzero(&t, sizeof t);
    }
    sodium_mprotect_readonly(keys);
    fc = xcalloc(1, sizeof(*fc));
    fc->keys = keys;
    fc->n = n;
    snprintf(fc->current, sizeof fc->current, "k%u", keys[n - 1].id);
    *out = fc;
    return 0;
}

void fieldcrypt_free(struct fieldcrypt *fc)
{
    if (!fc)
        return;
    sodium_free(fc->keys); /* wipes */
    free(fc);
}

const char *fieldcrypt_key_id(const struct fieldcrypt *fc)
{
    return fc->current;
}

int fieldcrypt_rotate(const char *path, char *id_out, struct kerr *err)
{
    struct strbuf text = STRBUF_INIT;
    struct key *keys;
    unsigned char k[KEYLEN];
    unsigned top = 0;
    size_t n;
    char *tmp;
    int rc;

    if (sodium_init() < 0)
        return kerr_set(err, KERR_INTERNAL, "sodium_init", NULL, "libsodium failed to start");
    if ((rc = create_if_missing(path, err)) < 0 || (rc = load(path, &keys, &n, err)) < 0)
        return rc;
    strbuf_addstr(&text, "# kesu field encryption keys: one per line, newest last. Keep secret;\n"
                         "# losing this file loses every value encrypted with it.\n");
    for (size_t q = 0; q < n; q++) {
        key_line(&text, keys[q].id, keys[q].k);
        top = keys[q].id > top ? keys[q].id : top;
    }
    sodium_free(keys);
    randombytes_buf(k, sizeof k);
    key_line(&text, top + 1, k);
    sodium_memzero(k, sizeof k);
    tmp = write_temp(path, &text, err);
    sodium_memzero(text.buf, text.len);
    strbuf_release(&text);
    if (!tmp)
        return KERR_IO;
    if (rename(tmp, path) < 0) {
        rc = kerr_set(err, KERR_IO, "key_file_io", NULL, "cannot replace %s: %s", path,
                      strerror(errno));
        unlink(tmp);
    }
    free(tmp);
    if (rc == 0 && id_out)
        snprintf(id_out, 16, "k%u", top + 1);
    return rc;
}

/* ---- sealing ---- */

int fieldcrypt_encrypt(const struct fieldcrypt *fc, const char *plain, size_t len, const char *ad,
                       size_t adlen, struct strbuf *out)
{
    const struct key *key = &fc->keys[fc->n - 1];
    size_t blen = NONCELEN + len + TAGLEN, b64len = sodium_base64_ENCODED_LEN(blen, B64);
    unsigned char *bin = xmalloc(blen);
    unsigned long long clen;
    size_t at;

    randombytes_buf(bin, NONCELEN);
    crypto_aead_xchacha20poly1305_ietf_encrypt(bin + NONCELEN, &clen, (const unsigned char *)plain,
                                               len, (const unsigned char *)ad, adlen, NULL, bin,
                                               key->k);
    at = out->len;
    if (!strbuf_addf(out, "%s:", fc->current)) {
        free(bin);
        return KERR_TOOLARGE;
    }
    strbuf_grow(out, b64len);
    if (out->cap && out->len + b64len - 1 > out->cap) {
        strbuf_setlen(out, at);
        out->overflow = true;
        free(bin);
        return KERR_TOOLARGE;
    }
    sodium_bin2base64(out->buf + out->len, b64len, bin, blen, B64);
    strbuf_setlen(out, out->len + b64len - 1);
    free(bin);
    return 0;
}

int fieldcrypt_decrypt(const struct fieldcrypt *fc, const char *text, size_t len, const char *ad,
                       size_t adlen, struct strbuf *out, struct kerr *err)
{
    const char *colon = len ? memchr(text, ':', len < 12 ? len : 12) : NULL;
    const struct key *key = NULL;
    unsigned char *bin;
    unsigned long id = 0;
    unsigned long long plen;
    size_t blen;
    int rc = 0;

    if (!colon || text[0] != 'k' || colon == text + 1)
        return kerr_set(err, KERR_INVALID, "bad_ciphertext", NULL, "not a kesu ciphertext");
    for (const char *p = text + 1; p < colon; p++) {
        if (*p < '0' || *p > '9')
            return kerr_set(err, KERR_INVALID, "bad_ciphertext", NULL, "not a kesu ciphertext");
        id = id * 10 + (unsigned long)(*p - '0');
    }
    for (size_t k = 0; k < fc->n; k++)
        if (fc->keys[k].id == id)
            key = &fc->keys[k];
    if (!key)
        return kerr_set(err, KERR_NOTFOUND, "unknown_key", NULL, "key k%lu is not in the ring", id);
    blen = (len - (size_t)(colon + 1 - text)) * 3 / 4 + 1;
    bin = xmalloc(blen);
    if (sodium_base642bin(bin, blen, colon + 1, len - (size_t)(colon + 1 - text), NULL, &blen, NULL,
                          B64) != 0 ||
        blen < NONCELEN + TAGLEN) {
        free(bin);
        return kerr_set(err, KERR_INVALID, "bad_ciphertext", NULL, "not a kesu ciphertext");
    }
    size_t at = out->len;
    if (out->cap && at + blen - NONCELEN - TAGLEN > out->cap) {
        free(bin);
        out->overflow = true;
        return kerr_set(err, KERR_TOOLARGE, "too_large", NULL, "value larger than the buffer");
    }
    strbuf_grow(out, blen - NONCELEN - TAGLEN);
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(
            (unsigned char *)out->buf + at, &plen, NULL, bin + NONCELEN, blen - NONCELEN,
            (const unsigned char *)ad, adlen, bin, key->k) != 0)
        rc = kerr_set(err, KERR_AUTH, "decrypt_failed", NULL,
                      "the value was altered or sealed with another key or context");
    else
        strbuf_setlen(out, at + (size_t)plen);
    free(bin);
    return rc;
}
