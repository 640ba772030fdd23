/*
 * Unit tests for the data lifecycle: archive file names (no path traversal),
 * archive frames written and read back, durations and the retention file,
 * the names a backup may hold, and archive + erasure on a real store.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "lifecycle/archive.h"
#include "lifecycle/bundle.h"
#include "lifecycle/lifecycle.h"
#include "store/db.h"

static void archive_names_admit_bare_names_only(void **state)
{
    static const char *const bad[] = {
        "../../etc/passwd", "/etc/passwd", "a/../b.kza", "..kza", ".hidden.kza", "a.kza/",
        "a b.kza",          "a.zip",       "a..b.kza",   "",      "x/y.kza",     "a\\b.kza"};
    char path[512];
    struct kerr e;
    (void)state;
    assert_true(archive_name_ok("a-20261204T120000-0a1b2c3d.kza"));
    assert_true(archive_name_ok("old_1.kza"));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (archive_name_ok(bad[i]))
            fail_msg("archive name \"%s\" was admitted", bad[i]);
        kerr_clear(&e);
        assert_int_equal(archive_path("/data", bad[i], path, sizeof path, &e), KERR_INVALID);
    }
    assert_true(bundle_name_ok("kesu.db"));
    assert_true(bundle_name_ok("keys/field.key"));
    assert_true(bundle_name_ok("archive/a-1.kza"));
    assert_false(bundle_name_ok("../kesu.db"));
    assert_false(bundle_name_ok("keys/../../etc/passwd"));
    assert_false(bundle_name_ok("archive/../kesu.db"));
    assert_false(bundle_name_ok("/etc/passwd"));
    assert_false(bundle_name_ok("kesu.conf"));
}

static void archive_frames_round_trip(void **state)
{
    char dir[] = "/tmp/kesu-arch-XXXXXX", sub[128], path[512];
    struct archive_writer *w;
    struct strbuf sb = STRBUF_INIT;
    struct kerr e;
    int64_t off[3], len[3];
    const char *json[3] = {"{\"id\":1,\"text\":\"快递丢了\"}", "{\"id\":2}",
                           "{\"id\":3,\"text\":\"屏幕碎了，屏幕碎了，屏幕碎了\"}"};
    char name[128];
    (void)state;
    assert_non_null(mkdtemp(dir));
    kerr_clear(&e);
    assert_int_equal(archive_writer_open(dir, &w, &e), 0);
    snprintf(name, sizeof name, "%s", archive_writer_name(w));
    assert_true(archive_name_ok(name));
    for (int i = 0; i < 3; i++)
        assert_int_equal(archive_writer_add(w, json[i], strlen(json[i]), &off[i], &len[i], &e), 0);
    assert_int_equal(archive_writer_finish(w, &e), 0);
    for (int i = 2; i >= 0; i--) {
        strbuf_reset(&sb);
        assert_int_equal(archive_read(dir, name, off[i], len[i], &sb, &e), 0);
        assert_string_equal(sb.buf, json[i]);
    }
    /* a wrong offset is a damaged entry, not a crash */
    assert_true(archive_read(dir, name, off[1] + 1, len[1], &sb, &e) < 0);
    assert_true(archive_read(dir, name, 0, 1 << 30, &sb, &e) < 0);
    /* a symbolic link planted in the archive directory is not followed */
    snprintf(sub, sizeof sub, "%s/archive/link.kza", dir);
    assert_int_equal(symlink("/etc/passwd", sub), 0);
    assert_true(archive_read(dir, "link.kza", 0, 10, &sb, &e) < 0);
    unlink(sub);
    assert_int_equal(archive_remove(dir, name, &e), 0);
    snprintf(path, sizeof path, "%s/archive", dir);
    rmdir(path);
    rmdir(dir);
    strbuf_release(&sb);
}

static void durations_and_the_retention_file(void **state)
{
    char path[] = "/tmp/kesu-ret-XXXXXX";
    struct lifecycle_conf c;
    struct kerr e;
    FILE *f;
    int fd;
    (void)state;
    assert_true(lifecycle_duration_ms("3y", false) == 3 * 365 * LIFECYCLE_DAY_MS);
    assert_true(lifecycle_duration_ms("6m", false) == 180 * LIFECYCLE_DAY_MS);
    assert_true(lifecycle_duration_ms("2w", false) == 14 * LIFECYCLE_DAY_MS);
    assert_true(lifecycle_duration_ms("12h", true) == 12 * 3600000LL);
    assert_true(lifecycle_duration_ms("12h", false) < 0);
    assert_true(lifecycle_duration_ms("0d", false) < 0);
    assert_true(lifecycle_duration_ms("-1y", false) < 0);
    assert_true(lifecycle_duration_ms("3 y", false) < 0);
    assert_true(lifecycle_duration_ms("y", false) < 0);

    assert_true((fd = mkstemp(path)) >= 0);
    f = fdopen(fd, "w");
    fputs("# retention\nclosed_complaints = 3y\npii=1y   # after closure\n\naudit = 7y\n"
          "archive_after = 6m\nevery = 24h\n",
          f);
    fclose(f);
    kerr_clear(&e);
    assert_int_equal(lifecycle_conf_load(path, &c, &e), 0);
    assert_true(c.closed_ms == 3 * 365 * LIFECYCLE_DAY_MS);
    assert_true(c.pii_ms == 365 * LIFECYCLE_DAY_MS);
    assert_true(c.audit_ms == 7 * 365 * LIFECYCLE_DAY_MS);
    assert_true(c.archive_ms == 180 * LIFECYCLE_DAY_MS);
    assert_true(c.every_ms == 24 * 3600000LL);

    f = fopen(path, "w");
    fputs("pii = 1y\nclosed = 3y\n", f);
    fclose(f);
    assert_int_equal(lifecycle_conf_load(path, &c, &e), KERR_INVALID);
    assert_non_null(strstr(e.message, ":2: unknown setting"));
    f = fopen(path, "w");
    fputs("pii = 1y\n\naudit = soon\n", f);
    fclose(f);
    assert_int_equal(lifecycle_conf_load(path, &c, &e), KERR_INVALID);
    assert_non_null(strstr(e.message, ":3: audit"));
    unlink(path);
    /* no file: nothing configured */
    assert_int_equal(lifecycle_conf_load(path, &c, &e), 0);
    assert_true(c.closed_ms == 0 && c.pii_ms == 0 && c.every_ms == 0);
}

static int count_json(void *arg, int64_t id, const char *json, size_t len)
{
    (void)id;
    (void)len;
    assert_non_null(strstr(json, "\"archived_at\""));
    (*(int *)arg)++;
    return 0;
}

/* Archive and erasure on a store: closed old records move, stay readable, and a customer's
 * erasure reaches them in the archive file. */
static void archive_and_erase_on_a_store(void **state)
{
    char dir[] = "/tmp/kesu-life-XXXXXX";
    struct store *s;
    struct kerr e;
    struct record r[3];
    struct store_insert_result res[3];
    struct store_job job = {0};
    struct strbuf sb = STRBUF_INIT;
    struct lifecycle_actor who = {"test", "unit"};
    struct lifecycle_archive_result ar;
    struct lifecycle_erase_result er;
    struct store_patch p = {0};
    int n = 0;
    (void)state;
    assert_non_null(mkdtemp(dir));
    kerr_clear(&e);
    assert_int_equal(store_open(dir, &s, &e), 0);
    for (int i = 0; i < 3; i++) {
        record_init(&r[i]);
        r[i].channel = strdup("web");
        r[i].text = strdup(i == 0 ? "王小明的投诉" : "别人的投诉");
        r[i].customer_id = strdup(i == 0 ? "C-ERASE" : "C-KEEP");
        r[i].phone = strdup("13912345678");
        r[i].status = strdup("received");
        r[i].received_at = r[i].recorded_at = r[i].updated_at = clock_now_ms();
    }
    job.kind = STORE_JOB_INSERT;
    job.recs = r;
    job.n = 3;
    job.results = res;
    job.actor = "test";
    assert_int_equal(store_run(s, &job), 0);
    /* close records 1 and 2, through the lifecycle's legal steps */
    static const char *const walk[] = {"acknowledged", "assessed", "investigating", "responded",
                                       "closed"};
    for (int i = 0; i < 2; i++)
        for (size_t k = 0; k < sizeof walk / sizeof walk[0]; k++) {
            struct store_job pj = {0};
            p.n = 1;
            p.fields[0] = record_field_by_name("status");
            record_init(&p.values);
            p.values.status = strdup(walk[k]);
            pj.kind = STORE_JOB_PATCH;
            pj.id = res[i].id;
            pj.patch = &p;
            pj.actor = "test";
            assert_int_equal(store_run(s, &pj), 0);
            record_release(&p.values);
        }
    /* closed "now": archive everything closed before a minute from now */
    assert_int_equal(lifecycle_archive(s, clock_now_ms() + 60000, &who, &ar, &e), 0);
    assert_int_equal(ar.moved, 2);
    assert_int_equal(lifecycle_archive_get(s, res[0].id, &sb, &e), 0);
    assert_non_null(strstr(sb.buf, "王小明"));
    assert_non_null(strstr(sb.buf, "\"archived_at\""));
    strbuf_reset(&sb);
    {
        struct record g;
        record_init(&g);
        assert_int_equal(store_feedback_get(s, res[0].id, &g, &e), KERR_NOTFOUND);
        assert_int_equal(store_feedback_get(s, res[2].id, &g, &e), 0);
        record_release(&g);
    }
    assert_int_equal(lifecycle_archive_export(s, count_json, &n, &e), 0);
    assert_int_equal(n, 2);
    assert_int_equal(lifecycle_erase_customer(s, "C-ERASE", "request", &who, &er, &e), 0);
    assert_int_equal(er.archived, 1);
    assert_int_equal(er.records, 0);
    assert_int_equal(lifecycle_archive_get(s, res[0].id, &sb, &e), 0);
    assert_null(strstr(sb.buf, "王小明"));
    assert_null(strstr(sb.buf, "13912345678"));
    assert_null(strstr(sb.buf, "C-ERASE"));
    assert_non_null(strstr(sb.buf, "已删除"));
    strbuf_reset(&sb);
    assert_int_equal(lifecycle_archive_get(s, res[1].id, &sb, &e), 0);
    assert_non_null(strstr(sb.buf, "C-KEEP")); /* the other customer's record is untouched */
    {
        struct store_audit_check chk;
        assert_int_equal(store_audit_verify(s, &chk, &e), 0);
        assert_int_equal(chk.bad_id, 0);
        assert_true(chk.entries >= 2);
    }
    strbuf_release(&sb);
    for (int i = 0; i < 3; i++)
        record_release(&r[i]);
    store_close(s);
    {
        char cmd[256];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        assert_int_equal(system(cmd), 0);
    }
}

/* Audit retention: the oldest entries go, the chain still verifies from its anchor, and an
 * entry deleted afterwards is still found. */
static void audit_prune_keeps_a_verifiable_chain(void **state)
{
    char dir[] = "/tmp/kesu-auditp-XXXXXX", cmd[256];
    struct store *s;
    struct store_audit_check chk;
    struct kerr e;
    int64_t now = clock_now_ms(), pruned = -1;
    (void)state;
    assert_non_null(mkdtemp(dir));
    kerr_clear(&e);
    assert_int_equal(store_open(dir, &s, &e), 0);
    for (int i = 0; i < 5; i++) {
        struct store_audit a = {i < 3 ? now - (10 - i) * LIFECYCLE_DAY_MS : now,
                                "test",
                                "unit",
                                "test.entry",
                                "x",
                                NULL};
        assert_int_equal(store_audit(s, &a, &e), 0);
    }
    struct store_audit pa = {0, "test", "unit", "retention.audit", "audit_log", NULL};
    assert_int_equal(store_audit_prune(s, now - LIFECYCLE_DAY_MS, &pa, &pruned, &e), 0);
    assert_int_equal(pruned, 3);
    assert_int_equal(store_audit_verify(s, &chk, &e), 0);
    assert_int_equal(chk.bad_id, 0);
    assert_int_equal(chk.entries, 3); /* two kept and the prune's own entry */
    /* nothing older left: a second run removes nothing */
    assert_int_equal(store_audit_prune(s, now - LIFECYCLE_DAY_MS, &pa, &pruned, &e), 0);
    assert_int_equal(pruned, 0);
    store_close(s);
    /* deleting a kept entry is still detected */
    snprintf(cmd, sizeof cmd, "sqlite3 '%s/kesu.db' 'DELETE FROM audit_log WHERE id=5'", dir);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(store_open(dir, &s, &e), 0);
    assert_int_equal(store_audit_verify(s, &chk, &e), 0);
    assert_int_equal(chk.bad_id, 6);
    store_close(s);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(archive_names_admit_bare_names_only),
        cmocka_unit_test(archive_frames_round_trip),
        cmocka_unit_test(durations_and_the_retention_file),
        cmocka_unit_test(archive_and_erase_on_a_store),
        cmocka_unit_test(audit_prune_keeps_a_verifiable_chain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
