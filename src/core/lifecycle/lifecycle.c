/* lifecycle: archive, erasure, retention and their schedule (see lifecycle.h). */
#include "lifecycle/lifecycle.h"

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "base/clock.h"
#include "base/jsonw.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "lifecycle/archive.h"
#include "base/banned.h"

#define ARCHIVE_CHUNK 2000
#define ERASED_TEXT   "[已删除]"

/* ---- configuration ---------------------------------------------------------- */

int64_t lifecycle_duration_ms(const char *s, bool allow_hours)
{
    char *end;
    long long n;
    if (!s || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    n = strtoll(s, &end, 10);
    if (errno || n <= 0 || n > 100000 || end[0] == 0 || end[1] != 0)
        return -1;
    switch (*end) {
    case 'h':
        return allow_hours ? n * 3600000LL : -1;
    case 'd':
        return n * LIFECYCLE_DAY_MS;
    case 'w':
        return n * 7 * LIFECYCLE_DAY_MS;
    case 'm':
        return n * 30 * LIFECYCLE_DAY_MS;
    case 'y':
        return n * 365 * LIFECYCLE_DAY_MS;
    }
    return -1;
}

static char *trim(char *s)
{
    char *e;
    while (*s == ' ' || *s == '\t')
        s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
        *--e = 0;
    return s;
}

int lifecycle_conf_load(const char *path, struct lifecycle_conf *out, struct kerr *err)
{
    char line[512];
    int lineno = 0;
    FILE *f;

    memset(out, 0, sizeof(*out));
    if (!(f = fopen(path, "r")))
        return errno == ENOENT ? 0
                               : kerr_set(err, KERR_IO, "config_error", "", "cannot read %s: %s",
                                          path, strerror(errno));
    while (fgets(line, sizeof line, f)) {
        char *hash = strchr(line, '#'), *eq, *name, *val;
        size_t k;
        lineno++;
        if (hash)
            *hash = 0;
        name = trim(line);
        if (!*name)
            continue;
        if (!(eq = strchr(name, '='))) {
            fclose(f);
            return kerr_set(err, KERR_INVALID, "config_error", "", "%s:%d: expected name = value",
                            path, lineno);
        }
        *eq = 0;
        name = trim(name);
        val = trim(eq + 1);
        for (k = 0; k < LIFECYCLE_NCLASSES; k++)
            if (strcmp(lifecycle_classes[k].name, name) == 0)
                break;
        if (k == LIFECYCLE_NCLASSES) {
            fclose(f);
            return kerr_set(err, KERR_INVALID, "config_error", name,
                            "%s:%d: unknown setting \"%s\" (closed_complaints, pii, audit, "
                            "archive_after, every)",
                            path, lineno, name);
        }
        int64_t ms = lifecycle_duration_ms(val, lifecycle_classes[k].hours);
        if (ms < 0) {
            fclose(f);
            return kerr_set(err, KERR_INVALID, "config_error", name,
                            "%s:%d: %s: \"%s\" is not a duration such as 30d, 6m or 3y%s", path,
                            lineno, name, val, lifecycle_classes[k].hours ? " (or 12h)" : "");
        }
        *lifecycle_conf_field(out, &lifecycle_classes[k]) = ms;
    }
    fclose(f);
    return 0;
}

/* ---- record JSON, as GET shows it ------------------------------------------------ */

static int write_event(void *arg, const struct store_event *ev)
{
    struct jsonw *w = arg;
    char ts[CLOCK_FMT_MAX];
    jsonw_obj(w);
    jsonw_kint(w, "id", ev->id);
    jsonw_kstr(w, "at", clock_format(ev->at, ts));
    jsonw_kstr(w, "actor", ev->actor);
    jsonw_kstr(w, "kind", ev->kind);
    if (ev->field)
        jsonw_kstr(w, "field", ev->field);
    if (ev->before || ev->field)
        jsonw_kstr(w, "before", ev->before);
    if (ev->after)
        jsonw_kstr(w, "after", ev->after);
    if (ev->note)
        jsonw_kstr(w, "note", ev->note);
    jsonw_end(w);
    return 0;
}

static int record_json(struct store *s, const struct record *r, int64_t now, struct strbuf *sb,
                       struct kerr *err)
{
    struct jsonw w;
    char ts[CLOCK_FMT_MAX];
    int rc;
    jsonw_init(&w, sb);
    jsonw_obj(&w);
    record_write_fields(r, &w);
    jsonw_key(&w, "timeline");
    jsonw_arr(&w);
    rc = store_feedback_events(s, r->id, write_event, &w, err);
    jsonw_end(&w);
    jsonw_key(&w, "related");
    if (rc == 0)
        rc = store_feedback_related(s, r->id, &w, err);
    else
        jsonw_null(&w);
    jsonw_kstr(&w, "archived_at", clock_format(now, ts));
    jsonw_end(&w);
    return rc;
}

/* ---- archive --------------------------------------------------------------------- */

int lifecycle_archive(struct store *s, int64_t before, const struct lifecycle_actor *who,
                      struct lifecycle_archive_result *out, struct kerr *err)
{
    int rc = 0;
    int64_t after = 0;
    memset(out, 0, sizeof(*out));
    for (;;) {
        struct store_ids ids = {0};
        struct archive_writer *aw = NULL;
        struct store_archive_entry *e;
        struct record *recs;
        size_t n = 0;
        int64_t moved = 0, now = clock_now_ms();
        char file[128];

        if ((rc = store_archive_candidates(s, before, after, ARCHIVE_CHUNK, &ids, err)) < 0 ||
            ids.n == 0) {
            store_ids_release(&ids);
            break;
        }
        if ((rc = archive_writer_open(store_data_dir(s), &aw, err)) < 0) {
            store_ids_release(&ids);
            break;
        }
        snprintf(file, sizeof file, "%s", archive_writer_name(aw));
        e = xcalloc(ids.n, sizeof(*e));
        recs = xcalloc(ids.n, sizeof(*recs));
        for (size_t i = 0; i < ids.n && rc == 0; i++) {
            struct strbuf sb = STRBUF_INIT;
            record_init(&recs[n]);
            if (store_feedback_get(s, ids.v[i], &recs[n], err) < 0) {
                record_release(&recs[n]);
                continue; /* gone meanwhile */
            }
            rc = record_json(s, &recs[n], now, &sb, err);
            if (rc == 0)
                rc = archive_writer_add(aw, sb.buf, sb.len, &e[n].offset, &e[n].length, err);
            e[n].id = ids.v[i];
            e[n].customer_id = recs[n].customer_id;
            strbuf_release(&sb);
            n++;
        }
        if (rc == 0)
            rc = archive_writer_finish(aw, err);
        else
            archive_writer_abort(aw);
        if (rc == 0) {
            struct store_audit a = {0, who->actor, who->origin, "archive.move", "archive", NULL};
            rc = store_archive_commit(s, file, e, n, &a, &moved, err);
            if (rc == 0 && moved == 0)
                archive_remove(store_data_dir(s), file, NULL);
        }
        for (size_t i = 0; i < n; i++)
            record_release(&recs[i]);
        free(recs);
        free(e);
        out->moved += moved;
        out->kept += (int64_t)n - moved;
        if (moved > 0)
            snprintf(out->file, sizeof out->file, "%s", file);
        bool short_chunk = ids.n < ARCHIVE_CHUNK;
        after = ids.v[ids.n - 1]; /* records kept (still referenced) are not taken again */
        store_ids_release(&ids);
        if (rc < 0 || short_chunk)
            break;
    }
    return rc;
}

int lifecycle_archive_get(struct store *s, int64_t id, struct strbuf *out, struct kerr *err)
{
    struct store_archive_ref ref;
    int rc = store_archive_find(s, id, &ref, err);
    if (rc < 0)
        return rc;
    return archive_read(store_data_dir(s), ref.file, ref.offset, ref.length, out, err);
}

struct export_ctx {
    struct store *s;
    lifecycle_json_cb cb;
    void *arg;
    struct kerr *err;
    int rc;
};

static int export_one(void *arg, const struct store_archive_ref *r)
{
    struct export_ctx *x = arg;
    struct strbuf sb = STRBUF_INIT;
    x->rc = archive_read(store_data_dir(x->s), r->file, r->offset, r->length, &sb, x->err);
    if (x->rc == 0 && x->cb(x->arg, r->id, sb.buf, sb.len))
        x->rc = 1;
    strbuf_release(&sb);
    return x->rc != 0;
}

int lifecycle_archive_export(struct store *s, lifecycle_json_cb cb, void *arg, struct kerr *err)
{
    struct export_ctx x = {s, cb, arg, err, 0};
    int rc = store_archive_refs(s, STORE_ARCHIVE_ALL, NULL, 0, export_one, &x, err);
    return rc < 0 ? rc : (x.rc < 0 ? x.rc : 0);
}

/* ---- rewriting archive files (erasure, retention) -------------------------------------- */

/* A set of ids per archive file that must change. */
struct change {
    char file[128];
    struct store_ids ids;
};
struct changes {
    struct change *v;
    size_t n;
};

static int add_change(void *arg, const struct store_archive_ref *r)
{
    struct changes *cs = arg;
    size_t i = 0;
    while (i < cs->n && strcmp(cs->v[i].file, r->file) != 0)
        i++;
    if (i == cs->n) {
        cs->v = xrealloc(cs->v, (cs->n + 1) * sizeof(*cs->v));
        memset(&cs->v[i], 0, sizeof(cs->v[i]));
        snprintf(cs->v[i].file, sizeof cs->v[i].file, "%s", r->file);
        cs->n++;
    }
    store_ids_add(&cs->v[i].ids, r->id);
    return 0;
}

static void changes_release(struct changes *cs)
{
    for (size_t i = 0; i < cs->n; i++)
        store_ids_release(&cs->v[i].ids);
    free(cs->v);
    memset(cs, 0, sizeof(*cs));
}

static int64_t changes_count(const struct changes *cs)
{
    int64_t n = 0;
    for (size_t i = 0; i < cs->n; i++)
        n += (int64_t)cs->v[i].ids.n;
    return n;
}

static bool in_ids(const struct store_ids *ids, int64_t id)
{
    for (size_t i = 0; i < ids->n; i++)
        if (ids->v[i] == id)
            return true;
    return false;
}

/* The record JSON with its personal data erased (the same fields as the hot erasure). */
static char *erase_json(const char *json, size_t len, int64_t now)
{
    static const char *const gone[] = {
        "customer_id", "customer_name", "phone",       "email", "order_no",  "title",
        "clean_text",  "keywords",      "attachments", "extra", "pii_vault", "idempotency_key"};
    char ts[CLOCK_FMT_MAX];
    cJSON *j = cJSON_ParseWithLength(json, len);
    char *out;
    if (!j)
        return NULL;
    for (size_t i = 0; i < sizeof gone / sizeof gone[0]; i++)
        cJSON_DeleteItemFromObjectCaseSensitive(j, gone[i]);
    {
        cJSON *rel = cJSON_GetObjectItemCaseSensitive(j, "related"), *sv, *row;
        sv = rel ? cJSON_GetObjectItemCaseSensitive(rel, "surveys") : NULL;
        cJSON_ArrayForEach(row, sv)
        {
            cJSON_DeleteItemFromObjectCaseSensitive(row, "customer_id");
            cJSON_DeleteItemFromObjectCaseSensitive(row, "comment");
            cJSON_DeleteItemFromObjectCaseSensitive(row, "answers");
        }
    }
    cJSON_DeleteItemFromObjectCaseSensitive(j, "text");
    cJSON_AddStringToObject(j, "text", ERASED_TEXT);
    cJSON_DeleteItemFromObjectCaseSensitive(j, "pii_erased_at");
    cJSON_AddStringToObject(j, "pii_erased_at", clock_format(now, ts));
    out = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return out;
}

struct file_entries {
    struct store_archive_ref *v;
    size_t n;
};

static int add_entry(void *arg, const struct store_archive_ref *r)
{
    struct file_entries *fe = arg;
    fe->v = xrealloc(fe->v, (fe->n + 1) * sizeof(*fe->v));
    fe->v[fe->n++] = *r;
    return 0;
}

/* Writes a new archive file holding the old file's records, those in `ids` erased (drop:
 * left out), points the index at it and removes the old file. */
static int rewrite_file(struct store *s, const struct change *ch, bool drop, struct kerr *err)
{
    struct file_entries fe = {0};
    struct archive_writer *aw = NULL;
    struct store_archive_move *m = NULL;
    int64_t now = clock_now_ms();
    char newname[128];
    int rc;

    if ((rc = store_archive_refs(s, STORE_ARCHIVE_FILE, ch->file, 0, add_entry, &fe, err)) < 0)
        return rc;
    if ((rc = archive_writer_open(store_data_dir(s), &aw, err)) < 0)
        goto out;
    snprintf(newname, sizeof newname, "%s", archive_writer_name(aw));
    m = xcalloc(fe.n ? fe.n : 1, sizeof(*m));
    for (size_t i = 0; i < fe.n && rc == 0; i++) {
        struct strbuf sb = STRBUF_INIT;
        bool hit = in_ids(&ch->ids, fe.v[i].id);
        m[i].id = fe.v[i].id;
        if (hit && drop) {
            m[i].dropped = true;
            continue;
        }
        rc =
            archive_read(store_data_dir(s), fe.v[i].file, fe.v[i].offset, fe.v[i].length, &sb, err);
        if (rc == 0 && hit) {
            char *e = erase_json(sb.buf, sb.len, now);
            if (!e) {
                rc = kerr_set(err, KERR_IO, "storage_error", "", "archive record %lld is damaged",
                              (long long)fe.v[i].id);
            } else {
                strbuf_reset(&sb);
                strbuf_addstr(&sb, e);
                free(e);
                m[i].erased = true;
            }
        }
        if (rc == 0)
            rc = archive_writer_add(aw, sb.buf, sb.len, &m[i].offset, &m[i].length, err);
        strbuf_release(&sb);
    }
    if (rc == 0)
        rc = archive_writer_finish(aw, err);
    else
        archive_writer_abort(aw);
    if (rc == 0)
        rc = store_archive_relocate(s, ch->file, newname, m, fe.n, err);
    if (rc == 0)
        rc = archive_remove(store_data_dir(s), ch->file, err);
out:
    free(fe.v);
    free(m);
    return rc;
}

static int rewrite_all(struct store *s, const struct changes *cs, bool drop, struct kerr *err)
{
    int rc = 0;
    for (size_t i = 0; i < cs->n && rc == 0; i++)
        rc = rewrite_file(s, &cs->v[i], drop, err);
    return rc;
}

/* ---- erasure ------------------------------------------------------------------------ */

int lifecycle_erase_customer(struct store *s, const char *customer_id, const char *reason,
                             const struct lifecycle_actor *who, struct lifecycle_erase_result *out,
                             struct kerr *err)
{
    char key[STORE_CUSTOMER_KEY_LEN], object[64];
    struct changes cs = {0};
    int rc;

    memset(out, 0, sizeof(*out));
    store_customer_key(customer_id, key);
    snprintf(object, sizeof object, "customer:%s", key);
    if ((rc = store_archive_refs(s, STORE_ARCHIVE_CUSTOMER, key, 0, add_change, &cs, err)) < 0)
        return rc;
    out->archived = changes_count(&cs);
    struct store_audit a = {0, who->actor, who->origin, "customer.erase", object, NULL};
    rc = store_erase_customer(s, customer_id, reason, out->archived, &a, &out->records, err);
    if (rc == 0)
        rc = rewrite_all(s, &cs, false, err);
    changes_release(&cs);
    return rc;
}

/* ---- retention ------------------------------------------------------------------------ */

int lifecycle_retention_run(struct store *s, const struct lifecycle_conf *conf, int64_t now_ms,
                            const struct lifecycle_actor *who,
                            struct lifecycle_retention_result *out, struct kerr *err)
{
    int rc = 0;
    memset(out, 0, sizeof(*out));
    if (conf->pii_ms) {
        struct changes cs = {0};
        int64_t cut = now_ms - conf->pii_ms;
        struct store_audit a = {0, who->actor, who->origin, "retention.pii", "feedback", NULL};
        if ((rc = store_archive_refs(s, STORE_ARCHIVE_PII_BEFORE, NULL, cut, add_change, &cs,
                                     err)) == 0 &&
            (rc = store_erase_closed_before(s, cut, &a, &out->pii_erased, err)) == 0)
            rc = rewrite_all(s, &cs, false, err);
        out->pii_erased_archived = changes_count(&cs);
        changes_release(&cs);
    }
    if (rc == 0 && conf->closed_ms) {
        struct changes cs = {0};
        int64_t cut = now_ms - conf->closed_ms;
        struct store_audit a = {0, who->actor, who->origin, "retention.delete", "feedback", NULL};
        if ((rc = store_archive_refs(s, STORE_ARCHIVE_CLOSED_BEFORE, NULL, cut, add_change, &cs,
                                     err)) == 0 &&
            (rc = store_delete_closed_before(s, cut, &a, &out->deleted, &out->kept, err)) == 0)
            rc = rewrite_all(s, &cs, true, err);
        out->deleted_archived = changes_count(&cs);
        changes_release(&cs);
    }
    if (rc == 0 && conf->archive_ms)
        rc = lifecycle_archive(s, now_ms - conf->archive_ms, who, &out->archive, err);
    if (rc == 0 && conf->audit_ms) {
        struct store_audit a = {0, who->actor, who->origin, "retention.audit", "audit_log", NULL};
        rc = store_audit_prune(s, now_ms - conf->audit_ms, &a, &out->audit_pruned, err);
    }
    return rc;
}

/* ---- the file, written back ------------------------------------------------------------- */

void lifecycle_duration_format(int64_t ms, char out[LIFECYCLE_DURATION_MAX])
{
    static const struct {
        int64_t ms;
        char unit;
    } units[] = {{365 * LIFECYCLE_DAY_MS, 'y'},
                 {30 * LIFECYCLE_DAY_MS, 'm'},
                 {7 * LIFECYCLE_DAY_MS, 'w'},
                 {LIFECYCLE_DAY_MS, 'd'},
                 {3600000LL, 'h'}};
    out[0] = 0;
    if (ms <= 0)
        return;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (ms % units[i].ms == 0) {
            snprintf(out, LIFECYCLE_DURATION_MAX, "%lld%c", (long long)(ms / units[i].ms),
                     units[i].unit);
            return;
        }
    /* not a whole number of hours (cannot come from the file or the API): round up */
    snprintf(out, LIFECYCLE_DURATION_MAX, "%lldh", (long long)((ms + 3599999) / 3600000));
}

const struct lifecycle_class lifecycle_classes[LIFECYCLE_NCLASSES] = {
    {"closed_complaints", offsetof(struct lifecycle_conf, closed_ms), false},
    {"pii", offsetof(struct lifecycle_conf, pii_ms), false},
    {"audit", offsetof(struct lifecycle_conf, audit_ms), false},
    {"archive_after", offsetof(struct lifecycle_conf, archive_ms), false},
    {"every", offsetof(struct lifecycle_conf, every_ms), true},
};

int64_t *lifecycle_conf_field(struct lifecycle_conf *conf, const struct lifecycle_class *c)
{
    return (int64_t *)((char *)conf + c->off);
}

int lifecycle_conf_write(const char *path, const struct lifecycle_conf *conf, struct kerr *err)
{
    struct strbuf sb = STRBUF_INIT, tmp = STRBUF_INIT;
    struct lifecycle_conf c = *conf;
    FILE *f;
    int rc = 0;

    strbuf_addstr(&sb, "# kesu retention, written by PUT /api/v1/retention (see kesu retention "
                       "--help)\n# a class left out is kept for ever\n");
    for (size_t i = 0; i < LIFECYCLE_NCLASSES; i++) {
        char d[LIFECYCLE_DURATION_MAX];
        lifecycle_duration_format(*lifecycle_conf_field(&c, &lifecycle_classes[i]), d);
        if (d[0])
            strbuf_addf(&sb, "%s = %s\n", lifecycle_classes[i].name, d);
    }
    /* a whole new file or the old one: written beside it, flushed, renamed over it */
    strbuf_addf(&tmp, "%s.tmp", path);
    if (!(f = fopen(tmp.buf, "w"))) {
        rc =
            kerr_set(err, KERR_IO, "io_error", "", "cannot write %s: %s", tmp.buf, strerror(errno));
        goto out;
    }
    if (fwrite(sb.buf, 1, sb.len, f) != sb.len || fflush(f) != 0 || fsync(fileno(f)) != 0) {
        rc =
            kerr_set(err, KERR_IO, "io_error", "", "cannot write %s: %s", tmp.buf, strerror(errno));
        fclose(f);
        unlink(tmp.buf);
        goto out;
    }
    fclose(f);
    if (rename(tmp.buf, path) != 0) {
        rc = kerr_set(err, KERR_IO, "io_error", "", "cannot replace %s: %s", path, strerror(errno));
        unlink(tmp.buf);
    }
out:
    strbuf_release(&sb);
    strbuf_release(&tmp);
    return rc;
}

/* ---- schedule ------------------------------------------------------------------------ */

/*
 * One thread per kesu serve. It runs the retention once at start (when something is
 * configured), then `every` after each run, and at once when asked (run now). The settings
 * live here and in the file; the API reads and changes them under the lock, and a change
 * wakes the thread so that the next run follows the new `every`.
 */
struct lifecycle_sched {
    struct store *s;
    char *path;
    struct lifecycle_conf conf;
    struct lifecycle_status st;
    char run_actor[96];
    bool run_now, stop;
    pthread_t t;
    pthread_mutex_t lock;
    pthread_cond_t cond;
};

static bool conf_has_class(const struct lifecycle_conf *c)
{
    return c->pii_ms || c->closed_ms || c->archive_ms || c->audit_ms;
}

/* When the next scheduled run is due (0: none); under the lock. */
static int64_t next_run(const struct lifecycle_sched *ls)
{
    if (!ls->conf.every_ms || !conf_has_class(&ls->conf))
        return 0;
    return ls->st.last_at ? ls->st.last_at + ls->conf.every_ms : ls->st.started_at;
}

static void run_once(struct lifecycle_sched *ls, const char *actor, const char *origin)
{
    struct lifecycle_conf conf = ls->conf;
    struct lifecycle_retention_result r;
    struct lifecycle_actor who = {actor, origin};
    struct kerr e;
    int rc;

    ls->st.running = true;
    pthread_mutex_unlock(&ls->lock);
    kerr_clear(&e);
    rc = lifecycle_retention_run(ls->s, &conf, clock_now_ms(), &who, &r, &e);
    if (rc < 0)
        log_warn("retention: %s", e.message);
    else if (r.pii_erased || r.deleted || r.archive.moved || r.audit_pruned ||
             r.pii_erased_archived || r.deleted_archived)
        log_info("retention: personal data erased from %lld records (+%lld archived), "
                 "%lld deleted (+%lld archived), %lld archived, %lld audit entries removed",
                 (long long)r.pii_erased, (long long)r.pii_erased_archived, (long long)r.deleted,
                 (long long)r.deleted_archived, (long long)r.archive.moved,
                 (long long)r.audit_pruned);
    pthread_mutex_lock(&ls->lock);
    ls->st.running = false;
    ls->st.last_at = clock_now_ms();
    ls->st.last_ok = rc == 0;
    ls->st.last = r;
    snprintf(ls->st.last_actor, sizeof ls->st.last_actor, "%s", actor);
    snprintf(ls->st.last_error, sizeof ls->st.last_error, "%s", rc < 0 ? e.message : "");
}

static void *sched_main(void *arg)
{
    struct lifecycle_sched *ls = arg;
    pthread_setname_np(pthread_self(), "kesu-lifecycle");
    pthread_mutex_lock(&ls->lock);
    while (!ls->stop) {
        int64_t next = next_run(ls), now = clock_now_ms();
        if (ls->run_now) {
            char actor[96];
            ls->run_now = false;
            snprintf(actor, sizeof actor, "%s", ls->run_actor);
            run_once(ls, actor, "api");
            continue;
        }
        if (next && next <= now) {
            run_once(ls, "system:retention", "schedule");
            continue;
        }
        if (!next) {
            pthread_cond_wait(&ls->cond, &ls->lock);
        } else {
            struct timespec ts = {(time_t)(next / 1000), (long)(next % 1000) * 1000000L};
            pthread_cond_timedwait(&ls->cond, &ls->lock, &ts);
        }
    }
    pthread_mutex_unlock(&ls->lock);
    return NULL;
}

int lifecycle_sched_start(struct store *s, const char *path, struct lifecycle_sched **out,
                          struct kerr *err)
{
    struct lifecycle_sched *ls;
    struct lifecycle_conf conf;
    *out = NULL;
    if (lifecycle_conf_load(path, &conf, err) < 0)
        return KERR_INVALID;
    ls = xcalloc(1, sizeof(*ls));
    ls->s = s;
    ls->path = xstrdup(path);
    ls->conf = conf;
    ls->st.started_at = clock_now_ms();
    pthread_mutex_init(&ls->lock, NULL);
    pthread_cond_init(&ls->cond, NULL);
    if (pthread_create(&ls->t, NULL, sched_main, ls) != 0) {
        pthread_mutex_destroy(&ls->lock);
        pthread_cond_destroy(&ls->cond);
        free(ls->path);
        free(ls);
        return kerr_set(err, KERR_INTERNAL, "internal", "", "cannot start the retention thread");
    }
    *out = ls;
    return 0;
}

void lifecycle_sched_status(struct lifecycle_sched *ls, struct lifecycle_status *out)
{
    pthread_mutex_lock(&ls->lock);
    *out = ls->st;
    out->conf = ls->conf;
    out->next_at = next_run(ls);
    out->queued = ls->run_now;
    pthread_mutex_unlock(&ls->lock);
}

int lifecycle_sched_set(struct lifecycle_sched *ls, const struct lifecycle_conf *conf,
                        struct kerr *err)
{
    int rc;
    pthread_mutex_lock(&ls->lock);
    if ((rc = lifecycle_conf_write(ls->path, conf, err)) == 0) {
        /* a schedule that never ran counts its first interval from the change */
        if (!ls->st.last_at)
            ls->st.started_at = clock_now_ms();
        ls->conf = *conf;
        pthread_cond_signal(&ls->cond);
    }
    pthread_mutex_unlock(&ls->lock);
    return rc;
}

void lifecycle_sched_run_now(struct lifecycle_sched *ls, const char *actor)
{
    pthread_mutex_lock(&ls->lock);
    ls->run_now = true;
    snprintf(ls->run_actor, sizeof ls->run_actor, "%s", actor);
    pthread_cond_signal(&ls->cond);
    pthread_mutex_unlock(&ls->lock);
}

void lifecycle_sched_stop(struct lifecycle_sched *ls)
{
    if (!ls)
        return;
    pthread_mutex_lock(&ls->lock);
    ls->stop = true;
    pthread_cond_signal(&ls->cond);
    pthread_mutex_unlock(&ls->lock);
    pthread_join(ls->t, NULL);
    pthread_mutex_destroy(&ls->lock);
    pthread_cond_destroy(&ls->cond);
    free(ls->path);
    free(ls);
}
