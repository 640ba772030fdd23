/* bundle: a data directory as one zip file with a checked manifest (see bundle.h). */
#include "lifecycle/bundle.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <sodium.h>
#include <zip.h>

#include "base/clock.h"
#include "base/jsonw.h"
#include "base/strbuf.h"
#include "base/xmalloc.h"
#include "lifecycle/archive.h"
#include "base/banned.h"

#define FORMAT "kesu-backup-1"

bool bundle_name_ok(const char *name)
{
    if (strcmp(name, "kesu.db") == 0 || strcmp(name, "search.db") == 0)
        return true;
    if (strncmp(name, "archive/", 8) == 0)
        return archive_name_ok(name + 8);
    if (strncmp(name, "keys/", 5) == 0) {
        const char *k = name + 5;
        size_t n = strlen(k);
        if (n == 0 || n > 64 || k[0] == '.')
            return false;
        for (size_t i = 0; i < n; i++)
            if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= '0' && k[i] <= '9') || k[i] == '_' ||
                  k[i] == '-' || k[i] == '.'))
                return false;
        return strstr(k, "..") == NULL;
    }
    return false;
}

static int sha256_file(const char *path, char hex[65], int64_t *size)
{
    crypto_hash_sha256_state st;
    unsigned char buf[65536], h[32];
    ssize_t k;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    crypto_hash_sha256_init(&st);
    *size = 0;
    while ((k = read(fd, buf, sizeof buf)) > 0) {
        crypto_hash_sha256_update(&st, buf, (unsigned long long)k);
        *size += k;
    }
    close(fd);
    if (k < 0)
        return -1;
    crypto_hash_sha256_final(&st, h);
    sodium_bin2hex(hex, 65, h, sizeof h);
    return 0;
}

struct member {
    char name[300];
    char path[4400];
};

struct members {
    struct member *v;
    size_t n;
};

static bool has_member(const struct members *m, const char *name)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->v[i].name, name) == 0)
            return true;
    return false;
}

static void add_member(struct members *m, const char *name, const char *path)
{
    m->v = xrealloc(m->v, (m->n + 1) * sizeof(*m->v));
    snprintf(m->v[m->n].name, sizeof m->v[m->n].name, "%s", name);
    snprintf(m->v[m->n].path, sizeof m->v[m->n].path, "%s", path);
    m->n++;
}

/* Hard-links the regular files of DATA/<sub> admitted by bundle_name_ok into tmp/<sub>. */
static int link_dir(const char *data, const char *tmp, const char *sub, struct members *m,
                    struct kerr *err)
{
    char src[4400], dst[4400], name[300];
    struct dirent *de;
    DIR *d;
    snprintf(src, sizeof src, "%s/%s", data, sub);
    if (!(d = opendir(src)))
        return errno == ENOENT ? 0
                               : kerr_set(err, KERR_IO, "storage_error", "", "cannot read %s: %s",
                                          src, strerror(errno));
    snprintf(dst, sizeof dst, "%s/%s", tmp, sub);
    mkdir(dst, 0700);
    while ((de = readdir(d))) {
        struct stat st;
        snprintf(name, sizeof name, "%s/%s", sub, de->d_name);
        if (!bundle_name_ok(name) || has_member(m, name))
            continue;
        snprintf(src, sizeof src, "%s/%s", data, name);
        snprintf(dst, sizeof dst, "%s/%s", tmp, name);
        if (lstat(src, &st) < 0 || !S_ISREG(st.st_mode))
            continue;
        if (link(src, dst) < 0) {
            if (errno == ENOENT)
                continue; /* removed meanwhile (an archive file rewritten) */
            closedir(d);
            return kerr_set(err, KERR_IO, "storage_error", "", "cannot link %s: %s", src,
                            strerror(errno));
        }
        add_member(m, name, dst);
    }
    closedir(d);
    return 0;
}

static void remove_tree(const char *dir)
{
    char p[4400];
    struct dirent *de;
    DIR *d = opendir(dir);
    if (d) {
        while ((de = readdir(d))) {
            struct stat st;
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
            if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
                remove_tree(p);
            else
                unlink(p);
        }
        closedir(d);
    }
    rmdir(dir);
}

static int fsync_path(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc;
    if (fd < 0)
        return -1;
    rc = fsync(fd);
    close(fd);
    return rc;
}

int bundle_backup(struct store *s, const char *out_path, struct bundle_info *info, struct kerr *err)
{
    const char *data = store_data_dir(s);
    char tmp[4200], p1[4400], p2[4400], part[4400];
    struct members m = {0};
    struct strbuf man = STRBUF_INIT;
    struct jsonw w;
    zip_t *z = NULL;
    int zerr, rc = 0, applied = 0, known = 0;

    memset(info, 0, sizeof(*info));
    snprintf(tmp, sizeof tmp, "%s/.backup-XXXXXX", data);
    if (!mkdtemp(tmp))
        return kerr_set(err, KERR_IO, "storage_error", "", "cannot create %s: %s", tmp,
                        strerror(errno));
    /* archive files before and after the database copy: whatever file the copy's index names
     * existed at one of the two moments (a file rewritten meanwhile stays linked) */
    if ((rc = link_dir(data, tmp, "archive", &m, err)) < 0)
        goto out;
    snprintf(p1, sizeof p1, "%s/kesu.db", tmp);
    snprintf(p2, sizeof p2, "%s/search.db", tmp);
    if ((rc = store_backup_db(s, p1, p2, err)) < 0)
        goto out;
    add_member(&m, "kesu.db", p1);
    add_member(&m, "search.db", p2);
    if ((rc = link_dir(data, tmp, "archive", &m, err)) < 0 ||
        (rc = link_dir(data, tmp, "keys", &m, err)) < 0)
        goto out;

    store_schema_version(s, &applied, &known);
    jsonw_init(&w, &man);
    jsonw_obj(&w);
    jsonw_kstr(&w, "format", FORMAT);
    {
        char ts[CLOCK_FMT_MAX];
        jsonw_kstr(&w, "created_at", clock_format(clock_now_ms(), ts));
    }
    jsonw_kint(&w, "schema_version", applied);
    jsonw_key(&w, "files");
    jsonw_arr(&w);
    for (size_t i = 0; i < m.n; i++) {
        char hex[65];
        int64_t size;
        if (sha256_file(m.v[i].path, hex, &size) < 0) {
            rc = kerr_set(err, KERR_IO, "storage_error", "", "cannot read %s", m.v[i].path);
            goto out;
        }
        jsonw_obj(&w);
        jsonw_kstr(&w, "name", m.v[i].name);
        jsonw_kint(&w, "size", size);
        jsonw_kstr(&w, "sha256", hex);
        jsonw_end(&w);
        info->bytes += size;
        info->files++;
    }
    jsonw_end(&w);
    jsonw_end(&w);

    snprintf(part, sizeof part, "%s.part", out_path);
    if (!(z = zip_open(part, ZIP_CREATE | ZIP_TRUNCATE, &zerr))) {
        rc = kerr_set(err, KERR_IO, "storage_error", "", "cannot create %s", part);
        goto out;
    }
    {
        zip_source_t *src = zip_source_buffer(z, man.buf, man.len, 0);
        if (!src || zip_file_add(z, "manifest.json", src, ZIP_FL_ENC_UTF_8) < 0) {
            zip_source_free(src);
            rc = kerr_set(err, KERR_IO, "storage_error", "", "zip: %s", zip_strerror(z));
            goto out;
        }
    }
    for (size_t i = 0; i < m.n; i++) {
        zip_source_t *src = zip_source_file(z, m.v[i].path, 0, -1);
        zip_int64_t idx;
        if (!src || (idx = zip_file_add(z, m.v[i].name, src, ZIP_FL_ENC_UTF_8)) < 0) {
            zip_source_free(src);
            rc = kerr_set(err, KERR_IO, "storage_error", "", "zip: %s", zip_strerror(z));
            goto out;
        }
        /* archive files are zstd already; databases compress well but slowly: fast level */
        if (strncmp(m.v[i].name, "archive/", 8) == 0)
            zip_set_file_compression(z, (zip_uint64_t)idx, ZIP_CM_STORE, 0);
        else
            zip_set_file_compression(z, (zip_uint64_t)idx, ZIP_CM_DEFLATE, 1);
    }
    if (zip_close(z) < 0) {
        rc = kerr_set(err, KERR_IO, "storage_error", "", "cannot write %s: %s", part,
                      zip_strerror(z));
        zip_discard(z);
        z = NULL;
        unlink(part);
        goto out;
    }
    z = NULL;
    if (fsync_path(part) < 0 || rename(part, out_path) < 0) {
        rc = kerr_set(err, KERR_IO, "storage_error", "", "cannot write %s: %s", out_path,
                      strerror(errno));
        unlink(part);
        goto out;
    }
out:
    if (z)
        zip_discard(z);
    remove_tree(tmp);
    strbuf_release(&man);
    free(m.v);
    return rc;
}

/* ---- restore --------------------------------------------------------------------------- */

static bool dir_empty(const char *dir)
{
    struct dirent *de;
    bool empty = true;
    DIR *d = opendir(dir);
    if (!d)
        return true;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
            empty = false;
            break;
        }
    closedir(d);
    return empty;
}

/* Extracts member name to path, hashing it; 0 when size and hash match the manifest. */
static int extract(zip_t *z, const char *name, const char *path, int64_t want_size,
                   const char *want_hex, struct kerr *err)
{
    crypto_hash_sha256_state st;
    unsigned char buf[65536], h[32];
    char hex[65];
    int64_t size = 0;
    zip_int64_t k;
    bool key = strncmp(name, "keys/", 5) == 0;
    zip_file_t *zf = zip_fopen(z, name, 0);
    int fd;
    if (!zf)
        return kerr_set(err, KERR_INVALID, "bad_backup", name, "the backup lacks %s", name);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, key ? 0600 : 0644);
    if (fd < 0) {
        zip_fclose(zf);
        return kerr_set(err, KERR_IO, "storage_error", "", "cannot create %s: %s", path,
                        strerror(errno));
    }
    crypto_hash_sha256_init(&st);
    while ((k = zip_fread(zf, buf, sizeof buf)) > 0) {
        crypto_hash_sha256_update(&st, buf, (unsigned long long)k);
        size += k;
        if (write(fd, buf, (size_t)k) != (ssize_t)k) {
            k = -1;
            break;
        }
    }
    zip_fclose(zf);
    if (k < 0 || fsync(fd) < 0) {
        close(fd);
        return kerr_set(err, KERR_IO, "storage_error", "", "cannot extract %s", name);
    }
    close(fd);
    crypto_hash_sha256_final(&st, h);
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    if (size != want_size || strcmp(hex, want_hex) != 0)
        return kerr_set(err, KERR_INVALID, "bad_backup", name,
                        "%s does not match the backup's manifest (damaged or altered)", name);
    return 0;
}

int bundle_restore(const char *data_dir, const char *in_path, bool force, struct bundle_info *info,
                   struct kerr *err)
{
    char tmp[4200], path[4400], dst[4400];
    zip_t *z;
    zip_file_t *zf;
    struct strbuf man = STRBUF_INIT;
    cJSON *j = NULL, *files, *f;
    int zerr, rc = 0;
    bool have_main = false;

    memset(info, 0, sizeof(*info));
    if (!(z = zip_open(in_path, ZIP_RDONLY | ZIP_CHECKCONS, &zerr)))
        return kerr_set(err, KERR_INVALID, "bad_backup", "from", "%s is not a kesu backup",
                        in_path);
    if (!(zf = zip_fopen(z, "manifest.json", 0))) {
        zip_discard(z);
        return kerr_set(err, KERR_INVALID, "bad_backup", "from",
                        "%s has no manifest.json: not a kesu backup", in_path);
    }
    {
        char buf[8192];
        zip_int64_t k;
        while ((k = zip_fread(zf, buf, sizeof buf)) > 0 && man.len < (16u << 20))
            strbuf_add(&man, buf, (size_t)k);
        zip_fclose(zf);
    }
    j = cJSON_ParseWithLength(man.buf, man.len);
    files = j ? cJSON_GetObjectItemCaseSensitive(j, "files") : NULL;
    if (!j || !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "format")) ||
        strcmp(cJSON_GetObjectItemCaseSensitive(j, "format")->valuestring, FORMAT) != 0 ||
        !cJSON_IsArray(files)) {
        rc =
            kerr_set(err, KERR_INVALID, "bad_backup", "from", "%s: unknown backup format", in_path);
        goto out;
    }
    /* every member is in the manifest, every manifest name is admissible */
    for (zip_int64_t i = 0, n = zip_get_num_entries(z, 0); i < n; i++) {
        const char *name = zip_get_name(z, (zip_uint64_t)i, 0);
        bool listed = name && strcmp(name, "manifest.json") == 0;
        cJSON_ArrayForEach(f, files)
        {
            cJSON *fn = cJSON_GetObjectItemCaseSensitive(f, "name");
            if (name && cJSON_IsString(fn) && strcmp(fn->valuestring, name) == 0)
                listed = true;
        }
        if (!listed) {
            rc = kerr_set(err, KERR_INVALID, "bad_backup", "from",
                          "%s holds %s, which its manifest does not list", in_path,
                          name ? name : "?");
            goto out;
        }
    }
    cJSON_ArrayForEach(f, files)
    {
        cJSON *fn = cJSON_GetObjectItemCaseSensitive(f, "name");
        cJSON *fs = cJSON_GetObjectItemCaseSensitive(f, "size");
        cJSON *fh = cJSON_GetObjectItemCaseSensitive(f, "sha256");
        if (!cJSON_IsString(fn) || !cJSON_IsNumber(fs) || !cJSON_IsString(fh) ||
            !bundle_name_ok(fn->valuestring)) {
            rc = kerr_set(err, KERR_INVALID, "bad_backup", "from",
                          "%s: manifest entry %s is not allowed", in_path,
                          cJSON_IsString(fn) ? fn->valuestring : "?");
            goto out;
        }
        if (strcmp(fn->valuestring, "kesu.db") == 0)
            have_main = true;
    }
    if (!have_main) {
        rc = kerr_set(err, KERR_INVALID, "bad_backup", "from", "%s holds no kesu.db", in_path);
        goto out;
    }
    if (mkdir(data_dir, 0700) < 0 && errno != EEXIST) {
        rc = kerr_set(err, KERR_IO, "storage_error", "", "cannot create %s: %s", data_dir,
                      strerror(errno));
        goto out;
    }
    if (!force && !dir_empty(data_dir)) {
        rc = kerr_set(err, KERR_CONFLICT, "not_empty", "data",
                      "%s is not empty: restore into an empty directory, or add --force to "
                      "replace its database, search index, keys and archive",
                      data_dir);
        goto out;
    }
    snprintf(tmp, sizeof tmp, "%s/.restore-XXXXXX", data_dir);
    if (!mkdtemp(tmp)) {
        rc = kerr_set(err, KERR_IO, "storage_error", "", "cannot create %s: %s", tmp,
                      strerror(errno));
        goto out;
    }
    snprintf(path, sizeof path, "%s/keys", tmp);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/archive", tmp);
    mkdir(path, 0700);
    cJSON_ArrayForEach(f, files)
    {
        const char *name = cJSON_GetObjectItemCaseSensitive(f, "name")->valuestring;
        snprintf(path, sizeof path, "%s/%s", tmp, name);
        if ((rc = extract(z, name, path,
                          (int64_t)cJSON_GetObjectItemCaseSensitive(f, "size")->valuedouble,
                          cJSON_GetObjectItemCaseSensitive(f, "sha256")->valuestring, err)) < 0)
            break;
        info->files++;
        info->bytes += (int64_t)cJSON_GetObjectItemCaseSensitive(f, "size")->valuedouble;
    }
    if (rc == 0) {
        /* everything checked: replace what the data directory had */
        static const char *const old[] = {"kesu.db",   "kesu.db-wal",   "kesu.db-shm",
                                          "search.db", "search.db-wal", "search.db-shm"};
        for (size_t i = 0; i < sizeof old / sizeof old[0]; i++) {
            snprintf(dst, sizeof dst, "%s/%s", data_dir, old[i]);
            unlink(dst);
        }
        snprintf(dst, sizeof dst, "%s/archive", data_dir);
        remove_tree(dst);
        snprintf(dst, sizeof dst, "%s/keys", data_dir);
        mkdir(dst, 0700);
        snprintf(dst, sizeof dst, "%s/archive", data_dir);
        mkdir(dst, 0700);
        cJSON_ArrayForEach(f, files)
        {
            const char *name = cJSON_GetObjectItemCaseSensitive(f, "name")->valuestring;
            snprintf(path, sizeof path, "%s/%s", tmp, name);
            snprintf(dst, sizeof dst, "%s/%s", data_dir, name);
            if (rename(path, dst) < 0) {
                rc = kerr_set(err, KERR_IO, "storage_error", "", "cannot move %s into place: %s",
                              name, strerror(errno));
                break;
            }
        }
        fsync_path(data_dir);
        snprintf(dst, sizeof dst, "%s/keys", data_dir);
        fsync_path(dst);
        snprintf(dst, sizeof dst, "%s/archive", data_dir);
        fsync_path(dst);
    }
    remove_tree(tmp);
out:
    cJSON_Delete(j);
    strbuf_release(&man);
    zip_discard(z);
    return rc;
}
