/* Unit tests for the role table (secure/roles.c), data scopes (store/scope.c) and the
 * session and lockout logic (secure/auth.c), the last against a real store in /tmp. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "base/clock.h"
#include "secure/auth.h"
#include "secure/roles.h"
#include "store/db.h"

/* The permissions every branch uses (the shared contract), in one list. */
static const char *const contract[] = {
    "feedback:create",     "feedback:read",    "feedback:update", "feedback:assign",
    "feedback:transition", "feedback:comment", "feedback:merge",  "pii:reveal",
    "quality:read",        "stats:read",       "stats:staff",     "alerts:read",
    "alerts:manage",       "reports:read",     "reports:manage",  "capa:read",
    "capa:manage",         "survey:manage",    "kb:read",         "kb:manage",
    "config:read",         "config:manage",    "users:manage",    "audit:read",
    "export:run",          "system:admin",
};

static void every_contract_permission_is_known(void **state)
{
    (void)state;
    assert_int_equal(perm_count, sizeof contract / sizeof contract[0]);
    assert_true(perm_count <= 64);
    for (size_t i = 0; i < perm_count; i++) {
        int k = perm_index(contract[i], strlen(contract[i]));
        assert_true(k >= 0);
        assert_string_equal(perm_names[k], contract[i]);
    }
    assert_int_equal(perm_index("feedback:rea", 12), -1);
    assert_int_equal(perm_index("feedback:reads", 14), -1);
}

static void builtin_roles_are_valid_and_separate_duties(void **state)
{
    permset p;
    enum store_scope_kind k;
    (void)state;
    for (const struct role_def *r = builtin_roles; r->name; r++) {
        assert_true(role_name_valid(r->name));
        assert_int_equal(permset_parse(r->perms, &p, NULL, 0), 0);
        assert_true(p != 0);
        assert_int_equal(role_resolve(NULL, r->name, &p, &k), 0);
        assert_int_equal(k, r->scope);
    }
    /* who sees cases, who sees the audit log, who manages users */
    assert_int_equal(role_resolve(NULL, "auditor", &p, &k), 0);
    assert_true(permset_has(p, "audit:read"));
    assert_false(permset_has(p, "feedback:read"));
    assert_int_equal(k, STORE_SCOPE_NONE);
    assert_int_equal(role_resolve(NULL, "admin", &p, &k), 0);
    assert_true(permset_has(p, "users:manage"));
    assert_false(permset_has(p, "feedback:read"));
    assert_false(permset_has(p, "audit:read"));
    assert_int_equal(role_resolve(NULL, "analyst", &p, &k), 0);
    assert_false(permset_has(p, "pii:reveal"));
    assert_int_equal(k, STORE_SCOPE_ALL);
    assert_int_equal(role_resolve(NULL, "agent", &p, &k), 0);
    assert_int_equal(k, STORE_SCOPE_OWN);
    assert_false(permset_has(p, "feedback:assign"));
    assert_int_equal(role_resolve(NULL, "supervisor", &p, &k), 0);
    assert_int_equal(k, STORE_SCOPE_TEAMS);
    assert_int_equal(role_resolve(NULL, "nobody", &p, &k), KERR_NOTFOUND);
}

static void permset_parse_and_format(void **state)
{
    permset p;
    char bad[72];
    struct strbuf sb = STRBUF_INIT;
    (void)state;
    assert_int_equal(permset_parse("feedback:read, stats:read\tkb:read", &p, bad, sizeof bad), 0);
    permset_format(p, &sb);
    assert_string_equal(sb.buf, "feedback:read stats:read kb:read");
    strbuf_release(&sb);
    assert_int_equal(permset_parse("feedback:read root", &p, bad, sizeof bad), KERR_INVALID);
    assert_string_equal(bad, "root");
    assert_int_equal(permset_parse("", &p, bad, sizeof bad), 0);
    assert_true(p == 0);
    assert_false(permset_has(~(permset)0, "not:a-permission"));
    assert_true(scope_kind_parse("teams") == STORE_SCOPE_TEAMS);
    assert_int_equal(scope_kind_parse("world"), -1);
    assert_false(role_name_valid("Agent"));
    assert_false(role_name_valid("a b"));
    assert_false(role_name_valid(""));
    assert_true(role_name_valid("night-shift_2"));
}

static void auth_can_by_principal(void **state)
{
    struct auth_principal p;
    struct store_apikey_found k = {7, "crm", "feedback:read,feedback:create", 0};
    (void)state;
    memset(&p, 0, sizeof p);
    assert_false(auth_can(&p, NULL)); /* anonymous: nothing at all */
    assert_false(auth_can(NULL, "feedback:read"));
    assert_int_equal(auth_principal_key(NULL, &k, &p), 0);
    assert_true(auth_can(&p, "feedback:read"));
    assert_true(auth_can(&p, "feedback:create"));
    assert_false(auth_can(&p, "pii:reveal"));
    assert_true(auth_can(&p, NULL));
    snprintf(k.scopes, sizeof k.scopes, "*");
    assert_int_equal(auth_principal_key(NULL, &k, &p), 0);
    assert_true(auth_can(&p, "pii:reveal"));
    assert_true(auth_can(&p, "future:permission"));
    snprintf(k.scopes, sizeof k.scopes, "role:auditor");
    assert_int_equal(auth_principal_key(NULL, &k, &p), 0);
    assert_true(auth_can(&p, "audit:read"));
    assert_false(auth_can(&p, "feedback:read"));
    snprintf(k.scopes, sizeof k.scopes, "role:no-such-role");
    assert_int_equal(auth_principal_key(NULL, &k, &p), 0);
    assert_false(auth_can(&p, "feedback:read"));
}

/* ---- scopes: the SQL and the C check agree ------------------------------------------ */

static void scope_sql_matches_scope_allows(void **state)
{
    static const char *const assignees[] = {NULL, "agent", "agent2", "o'brien"};
    static const char *const teams[] = {NULL, "kefu", "quality", "it's"};
    struct store_scope scopes[5];
    sqlite3 *db;
    (void)state;
    memset(scopes, 0, sizeof scopes);
    scopes[0].kind = STORE_SCOPE_NONE;
    scopes[1].kind = STORE_SCOPE_ALL;
    scopes[2].kind = STORE_SCOPE_OWN;
    snprintf(scopes[2].user, sizeof scopes[2].user, "agent");
    scopes[2].nteams = 1;
    snprintf(scopes[2].teams[0], 64, "kefu");
    scopes[3].kind = STORE_SCOPE_TEAMS;
    snprintf(scopes[3].user, sizeof scopes[3].user, "o'brien");
    scopes[3].nteams = 2;
    snprintf(scopes[3].teams[0], 64, "quality");
    snprintf(scopes[3].teams[1], 64, "it's");
    scopes[4].kind = STORE_SCOPE_OWN; /* no team: own cases only */
    snprintf(scopes[4].user, sizeof scopes[4].user, "agent2");

    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "CREATE TABLE feedback(id INTEGER PRIMARY KEY, assignee, team)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    for (size_t a = 0; a < 4; a++)
        for (size_t t = 0; t < 4; t++) {
            sqlite3_stmt *st;
            sqlite3_prepare_v2(db, "INSERT INTO feedback(assignee,team) VALUES(?,?)", -1, &st,
                               NULL);
            sqlite3_bind_text(st, 1, assignees[a], -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 2, teams[t], -1, SQLITE_STATIC);
            assert_int_equal(sqlite3_step(st), SQLITE_DONE);
            sqlite3_finalize(st);
        }
    for (size_t k = 0; k < 5; k++) {
        char *cond = store_scope_sql(&scopes[k], "f");
        char sql[1024];
        sqlite3_stmt *st;
        snprintf(sql, sizeof sql, "SELECT assignee,team,(%s) FROM feedback f ORDER BY id", cond);
        assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
        int rows = 0, visible = 0;
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *as = (const char *)sqlite3_column_text(st, 0);
            const char *tm = (const char *)sqlite3_column_text(st, 1);
            bool sql_says = sqlite3_column_int(st, 2) == 1;
            if (sql_says != store_scope_allows(&scopes[k], as, tm))
                fail_msg("scope %zu (%s): SQL and C disagree on assignee=%s team=%s", k, cond,
                         as ? as : "NULL", tm ? tm : "NULL");
            rows++;
            visible += sql_says;
        }
        sqlite3_finalize(st);
        assert_int_equal(rows, 16);
        /* none 0; all 16; own: agent's 4 + kefu unassigned 1; teams: o'brien's 4 + 2 teams x 3
         * other assignees; own without teams: agent2's 4 */
        static const int expect[] = {0, 16, 5, 10, 4};
        assert_int_equal(visible, expect[k]);
        free(cond);
    }
    assert_true(store_scope_allows(NULL, NULL, NULL));
    sqlite3_close(db);
}

/* ---- lockout and session timing ----------------------------------------------------- */

static void lockout_backoff(void **state)
{
    struct auth_config c = auth_config;
    (void)state;
    c.lock_after = 5;
    c.lock_base_ms = 30000;
    c.lock_max_ms = 900000;
    auth_configure(&c);
    assert_true(auth_lock_until(4, 1000) == 0);
    assert_true(auth_lock_until(5, 1000) == 31000);
    assert_true(auth_lock_until(6, 1000) == 61000);
    assert_true(auth_lock_until(7, 1000) == 121000);
    assert_true(auth_lock_until(50, 1000) == 901000); /* capped */
}

static void session_timeouts(void **state)
{
    struct auth_config c = auth_config;
    struct store_session s = {1, 1, "x", 0, 0, 0};
    (void)state;
    c.idle_ms = 1800000;
    c.absolute_ms = 43200000;
    auth_configure(&c);
    s.created_at = 1000000;
    s.last_seen = 1000000;
    s.expires_at = s.created_at + c.absolute_ms;
    assert_int_equal(auth_session_check(&s, 1000000 + 1799999), AUTH_SESSION_OK);
    assert_int_equal(auth_session_check(&s, 1000000 + 1800000), AUTH_SESSION_IDLE);
    s.last_seen = s.created_at + c.absolute_ms - 10;
    assert_int_equal(auth_session_check(&s, s.created_at + c.absolute_ms - 1), AUTH_SESSION_OK);
    assert_int_equal(auth_session_check(&s, s.created_at + c.absolute_ms), AUTH_SESSION_EXPIRED);
    /* a shorter absolute limit configured later still ends old sessions */
    c.absolute_ms = 1000;
    auth_configure(&c);
    s.last_seen = 1000500;
    assert_int_equal(auth_session_check(&s, 1000999), AUTH_SESSION_OK);
    assert_int_equal(auth_session_check(&s, 1001000), AUTH_SESSION_EXPIRED);
}

static void passwords(void **state)
{
    char h[AUTH_HASH_MAX];
    struct kerr e;
    (void)state;
    assert_int_equal(auth_hash_password("short", h, &e), KERR_INVALID);
    assert_string_equal(e.field, "password");
    assert_int_equal(auth_hash_password("correct horse", h, &e), 0);
    assert_memory_equal(h, "$argon2id$", 10);
    assert_true(auth_check_password(h, "correct horse"));
    assert_false(auth_check_password(h, "correct horsE"));
    assert_false(auth_check_password("", "correct horse"));
}

/* ---- sign-in against a real store ------------------------------------------------------ */

static void login_lockout_session_logout(void **state)
{
    char dir[64] = "/tmp/kesu-roles-XXXXXX", cmd[128], hash[AUTH_HASH_MAX];
    struct store *s;
    struct kerr e;
    struct auth_login lg;
    struct auth_principal p;
    struct auth_config c = auth_config;
    int added;
    (void)state;
    c.idle_ms = 1800000;
    c.absolute_ms = 43200000;
    c.lock_after = 3;
    auth_configure(&c);
    assert_non_null(mkdtemp(dir));
    assert_int_equal(store_open(dir, &s, &e), 0);
    assert_int_equal(auth_hash_password("kesu-demo", hash, &e), 0);
    assert_int_equal(store_org_seed_demo(s, hash, &added, &e), 0);
    assert_int_equal(added, 11);
    assert_int_equal(store_org_seed_demo(s, hash, &added, &e), 0);
    assert_int_equal(added, 0); /* INSERT OR IGNORE */

    assert_int_equal(auth_login(s, "ghost", "kesu-demo", "t", &lg, &e), KERR_AUTH);
    for (int i = 0; i < 3; i++)
        assert_int_equal(auth_login(s, "agent", "wrong-pass", "t", &lg, &e), KERR_AUTH);
    assert_int_equal(auth_login(s, "agent", "kesu-demo", "t", &lg, &e), KERR_BUSY);
    assert_string_equal(e.code, "locked");
    assert_true(lg.retry_after_ms > 0 && lg.retry_after_ms <= c.lock_base_ms);

    assert_int_equal(auth_login(s, "supervisor", "kesu-demo", "t", &lg, &e), 0);
    assert_int_equal(strlen(lg.token), AUTH_TOKEN_HEX);
    assert_int_equal(auth_session(s, lg.token, clock_now_ms(), &p), 0);
    assert_string_equal(p.name, "supervisor");
    assert_int_equal(p.scope.kind, STORE_SCOPE_TEAMS);
    assert_int_equal(p.scope.nteams, 1);
    assert_string_equal(p.scope.teams[0], "kefu");
    assert_string_equal(p.csrf, lg.csrf);
    assert_true(auth_can(&p, "feedback:assign"));
    /* idle for the limit: gone, and gone for good */
    assert_int_equal(auth_session(s, lg.token, clock_now_ms() + c.idle_ms, &p), KERR_AUTH);
    assert_int_equal(auth_session(s, lg.token, clock_now_ms(), &p), KERR_AUTH);
    /* logout */
    assert_int_equal(auth_login(s, "supervisor", "kesu-demo", "t", &lg, &e), 0);
    assert_int_equal(auth_session(s, lg.token, clock_now_ms(), &p), 0);
    assert_int_equal(store_session_delete(s, p.session_id, NULL, &e), 0);
    assert_int_equal(auth_session(s, lg.token, clock_now_ms(), &p), KERR_AUTH);
    /* a wrong token of the right shape */
    lg.token[0] = lg.token[0] == 'a' ? 'b' : 'a';
    assert_int_equal(auth_session(s, lg.token, clock_now_ms(), &p), KERR_AUTH);
    assert_int_equal(auth_session(s, "short", clock_now_ms(), &p), KERR_AUTH);

    store_close(s);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_contract_permission_is_known),
        cmocka_unit_test(builtin_roles_are_valid_and_separate_duties),
        cmocka_unit_test(permset_parse_and_format),
        cmocka_unit_test(auth_can_by_principal),
        cmocka_unit_test(scope_sql_matches_scope_allows),
        cmocka_unit_test(lockout_backoff),
        cmocka_unit_test(session_timeouts),
        cmocka_unit_test(passwords),
        cmocka_unit_test(login_lockout_session_logout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
