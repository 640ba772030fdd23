"""Users, sign-in and sessions: Argon2id passwords, the session cookie (HttpOnly,
SameSite=Strict), CSRF on cookie-authenticated writes, idle and absolute timeouts, lockout
with backoff, users and roles by API and CLI, API key scopes and expiry; each audited."""
import json
import os
import re
import sqlite3
import time

from kesu_server import ServerTestCase, UserSession, run_cli, describe_proc, SLOW

DEMO = "kesu-demo"


def audit_entries(srv, action=None):
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(srv.data, "kesu.db"), uri=True)
    try:
        rows = db.execute("SELECT actor,origin,action,object,detail FROM audit_log"
                          " ORDER BY id").fetchall()
    finally:
        db.close()
    out = [dict(zip(("actor", "origin", "action", "object", "detail"), r)) for r in rows]
    return [e for e in out if action is None or e["action"] == action]


def db_rows(srv, sql, *args):
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(srv.data, "kesu.db"), uri=True)
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


class AuthTest(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        cls.start_class_server(extra_args=["--demo-if-empty", "20"])

    @classmethod
    def tearDownClass(cls):
        cls.stop_class_server()

    def add_user(self, name, role, password="correct-horse-1"):
        p = run_cli(self.srv.data, "user", "add", name, "--role", role, input=password + "\n")
        self.assertEqual(p.returncode, 0, describe_proc(p))
        return password

    # ---- sign-in ------------------------------------------------------------------------

    def test_login_sets_a_hardened_cookie_and_returns_the_user(self):
        s = UserSession(self.srv, "agent", DEMO)
        r = s.login_response
        cookie = r.header("Set-Cookie")
        for attr in ("HttpOnly", "SameSite=Strict", "Path=/"):
            self.assertIn(attr, cookie)
        self.assertNotIn("Secure", cookie)  # plain HTTP here; TLS adds it (test_security)
        u = r.json["user"]
        self.assertEqual(u["username"], "agent")
        self.assertEqual(u["role"], "agent")
        self.assertEqual(u["teams"], ["kefu"])
        self.assertIn("feedback:read", u["permissions"])
        self.assertNotIn("users:manage", u["permissions"])
        self.assertTrue(re.fullmatch(r"[0-9a-f]{64}", r.json["csrf_token"]))
        me = s.get("/api/v1/auth/me")
        self.assertStatus(me, 200)
        self.assertEqual(me.json, r.json)
        # stored: an Argon2id hash, and only a hash of the session token
        h = db_rows(self.srv, "SELECT password_hash FROM users WHERE username='agent'")[0][0]
        self.assertTrue(h.startswith("$argon2id$"), h)
        tokens = [bytes(t).hex() for (t,) in db_rows(self.srv, "SELECT token_hash FROM sessions")]
        self.assertNotIn(s.cookie, tokens)
        self.assertTrue(any(e["actor"] == "user:agent" and e["origin"] == "127.0.0.1"
                            for e in audit_entries(self.srv, "auth.login")))

    def test_wrong_password_and_unknown_user_answer_alike(self):
        a = self.srv.post("/api/v1/auth/login", {"username": "agent2", "password": "nope-nope"},
                          auth=False)
        b = self.srv.post("/api/v1/auth/login", {"username": "ghost", "password": "nope-nope"},
                          auth=False)
        self.assertError(a, 401, "invalid_credentials")
        self.assertError(b, 401, "invalid_credentials")
        self.assertEqual(a.json, b.json)
        self.assertIsNone(a.header("Set-Cookie"))
        fails = audit_entries(self.srv, "auth.login_failed")
        self.assertTrue(any(json.loads(e["detail"])["username"] == "ghost" for e in fails))

    def test_bad_login_bodies(self):
        for body, field in (({"password": "x" * 9}, "username"), ({"username": "agent"}, "password"),
                            ({"username": 3, "password": "x" * 9}, "username")):
            r = self.srv.post("/api/v1/auth/login", body, auth=False)
            self.assertStatus(r, 400)
            self.assertEqual(r.error()["field"], field, r.describe())
        self.assertError(self.srv.post("/api/v1/auth/login", raw=b"{", auth=False), 400,
                         "malformed_json")

    def test_no_credentials_is_401(self):
        r = self.srv.get("/api/v1/feedback", auth=False)
        self.assertError(r, 401, "unauthorized")
        r = self.srv.get("/api/v1/feedback", auth=False,
                         headers={"Cookie": "kesu_session=" + "0" * 64})
        self.assertError(r, 401, "unauthorized")

    # ---- CSRF ---------------------------------------------------------------------------

    def test_cookie_writes_need_the_csrf_token(self):
        s = UserSession(self.srv, "supervisor", DEMO)
        body = {"channel": "web", "text": "csrf test 包裹破损"}
        r = s.post("/api/v1/feedback", body, csrf=False)
        self.assertError(r, 403, "csrf_failed", "X-CSRF-Token")
        r = s.post("/api/v1/feedback", body, csrf=False, headers={"X-CSRF-Token": "0" * 64})
        self.assertError(r, 403, "csrf_failed", "X-CSRF-Token")
        self.assertStatus(s.post("/api/v1/feedback", body), 201)
        # reads need no token; API keys need none either
        self.assertStatus(s.get("/api/v1/feedback?limit=1"), 200)
        self.assertStatus(self.srv.post("/api/v1/feedback", {"channel": "web", "text": "key"}),
                          201)

    # ---- logout and timeouts ------------------------------------------------------------

    def test_logout_ends_the_session(self):
        s = UserSession(self.srv, "analyst", DEMO)
        self.assertError(s.post("/api/v1/auth/logout", csrf=False), 403, "csrf_failed")
        r = s.post("/api/v1/auth/logout")
        self.assertStatus(r, 200)
        self.assertIn("Max-Age=0", r.header("Set-Cookie"))
        self.assertError(s.get("/api/v1/auth/me"), 401, "unauthorized")
        self.assertTrue(audit_entries(self.srv, "auth.logout"))

    def test_lockout_with_backoff_and_unlock(self):
        pw = self.add_user("lock.me", "agent")
        for i in range(5):
            r = self.srv.post("/api/v1/auth/login", {"username": "lock.me", "password": "bad-%d" % i},
                              auth=False)
            self.assertError(r, 401, "invalid_credentials")
        r = self.srv.post("/api/v1/auth/login", {"username": "lock.me", "password": pw}, auth=False)
        self.assertError(r, 429, "locked", "username")
        first = int(r.header("Retry-After"))
        self.assertTrue(20 <= first <= 30, first)
        # a further failure while locked doubles the next lock
        r = self.srv.post("/api/v1/auth/login", {"username": "lock.me", "password": pw}, auth=False)
        self.assertEqual(r.status, 429)
        locked = [json.loads(e["detail"]) for e in audit_entries(self.srv, "auth.login_failed")
                  if "lock.me" in e["detail"]]
        self.assertEqual(len(locked), 7)
        self.assertTrue(any(d["reason"] == "locked" for d in locked))
        # an admin unlocks (audited); the password works again
        admin = UserSession(self.srv, "admin", DEMO)
        uid = [u for u in admin.get("/api/v1/users").json["items"] if u["username"] == "lock.me"][0]
        self.assertIsNotNone(uid["locked_until"])
        self.assertStatus(admin.patch("/api/v1/users/%d" % uid["id"], {"unlock": True}), 200)
        UserSession(self.srv, "lock.me", pw)

    def test_idle_and_absolute_timeouts(self):
        srv = self.server(start=False, extra_args=["--demo-if-empty", "5"])
        idle, absolute = 2.4 * SLOW, 7.2 * SLOW
        with open(os.path.join(srv.data, "kesu.conf"), "w") as f:
            f.write("session_idle_minutes = %g\nsession_max_hours = %g\n" %
                    (idle / 60, absolute / 3600))
        srv.start()
        s = UserSession(srv, "agent", DEMO)
        t0 = time.monotonic()
        while time.monotonic() - t0 < idle * 1.5:  # kept alive by use past the idle limit
            time.sleep(idle / 4)
            self.assertStatus(s.get("/api/v1/auth/me"), 200)
        time.sleep(idle + 0.5)
        self.assertError(s.get("/api/v1/auth/me"), 401, "unauthorized")  # idle
        s = UserSession(srv, "agent", DEMO)
        t0 = time.monotonic()
        while time.monotonic() - t0 < absolute + 3 and s.get("/api/v1/auth/me").status == 200:
            time.sleep(idle / 4)
        self.assertError(s.get("/api/v1/auth/me"), 401, "unauthorized")  # absolute
        self.assertGreater(time.monotonic() - t0, absolute - 1)
        self.assertLess(time.monotonic() - t0, absolute + 3)

    # ---- users and roles ----------------------------------------------------------------

    def test_users_api_create_change_reset_disable(self):
        admin = UserSession(self.srv, "admin", DEMO)
        r = admin.post("/api/v1/users", {"username": "wang.fang", "display_name": "王芳",
                                         "role": "agent", "password": "first-pass-1"})
        self.assertStatus(r, 201)
        uid = r.json["id"]
        self.assertEqual(r.json["display_name"], "王芳")
        self.assertError(admin.post("/api/v1/users", {"username": "wang.fang", "role": "agent",
                                                      "password": "first-pass-1"}), 409, "exists")
        for body, field in (({"username": "x y", "role": "agent", "password": "12345678"},
                             "username"),
                            ({"username": "xy", "role": "king", "password": "12345678"}, "role"),
                            ({"username": "xy", "role": "agent", "password": "short"},
                             "password"),
                            ({"username": "xy", "role": "agent"}, "password")):
            r = admin.post("/api/v1/users", body)
            self.assertStatus(r, 400)
            self.assertEqual(r.error()["field"], field, r.describe())
        u = UserSession(self.srv, "wang.fang", "first-pass-1")
        # a role change ends the user's sessions
        self.assertStatus(admin.patch("/api/v1/users/%d" % uid, {"role": "analyst"}), 200)
        self.assertError(u.get("/api/v1/auth/me"), 401, "unauthorized")
        u = UserSession(self.srv, "wang.fang", "first-pass-1")
        self.assertEqual(u.user["role"], "analyst")
        # an admin reset ends them too, and the old password stops working
        self.assertStatus(admin.post("/api/v1/users/%d/password" % uid,
                                     {"password": "second-pass-2"}), 200)
        self.assertEqual(u.get("/api/v1/auth/me").status, 401)
        UserSession(self.srv, "wang.fang", "first-pass-1", expect=401)
        u = UserSession(self.srv, "wang.fang", "second-pass-2")
        # own password change
        self.assertError(u.post("/api/v1/auth/password", {"current_password": "wrong-wrong",
                                                         "new_password": "third-pass-3"}),
                         403, "wrong_password", "current_password")
        self.assertStatus(u.post("/api/v1/auth/password", {"current_password": "second-pass-2",
                                                          "new_password": "third-pass-3"}), 200)
        u = UserSession(self.srv, "wang.fang", "third-pass-3")
        # disabled: sessions end, sign-in fails like a wrong password
        self.assertStatus(admin.patch("/api/v1/users/%d" % uid, {"disabled": True}), 200)
        self.assertEqual(u.get("/api/v1/auth/me").status, 401)
        UserSession(self.srv, "wang.fang", "third-pass-3", expect=401)
        self.assertError(admin.patch("/api/v1/users/%d" % uid, {"password": "x"}), 400,
                         "not_patchable", "password")
        self.assertError(admin.patch("/api/v1/users/%d" % uid, {"disabled": "yes"}), 400,
                         "invalid_type", "disabled")
        self.assertError(admin.get("/api/v1/users/999999"), 404, "not_found")
        actions = [e["action"] for e in audit_entries(self.srv)
                   if e["object"] == "user:%d" % uid and e["action"].startswith("user.")]
        self.assertEqual(actions, ["user.create", "user.update", "user.password",
                                   "user.password", "user.update"])
        upd = [json.loads(e["detail"]) for e in audit_entries(self.srv, "user.update")
               if e["object"] == "user:%d" % uid][0]
        self.assertEqual((upd["before"]["role"], upd["after"]["role"]), ("agent", "analyst"))
        # not for everyone
        sup = UserSession(self.srv, "supervisor", DEMO)
        self.assertError(sup.get("/api/v1/users"), 403, "forbidden")
        self.assertError(sup.post("/api/v1/users", {"username": "evil", "role": "admin",
                                                    "password": "12345678"}), 403, "forbidden")

    def test_custom_role(self):
        admin = UserSession(self.srv, "admin", DEMO)
        r = admin.post("/api/v1/roles", {"name": "viewer", "permissions": ["feedback:read",
                                                                        "stats:read"],
                                         "scope": "all", "description": "read only"})
        self.assertStatus(r, 200)
        self.assertEqual(r.json["permissions"], ["feedback:read", "stats:read"])
        self.assertError(admin.post("/api/v1/roles", {"name": "viewer", "permissions": ["fly"],
                                                      "scope": "all"}), 400,
                         "unknown_permission", "permissions")
        self.assertError(admin.post("/api/v1/roles", {"name": "agent", "permissions": [],
                                                      "scope": "all"}), 409, "builtin_role")
        self.assertError(admin.post("/api/v1/roles", {"name": "v2", "permissions": [],
                                                      "scope": "world"}), 400, "invalid_field",
                         "scope")
        names = [x["name"] for x in admin.get("/api/v1/roles").json["items"]]
        for n in ("agent", "supervisor", "analyst", "manager", "auditor", "admin", "viewer"):
            self.assertIn(n, names)
        pw = self.add_user("view.only", "viewer")
        v = UserSession(self.srv, "view.only", pw)
        self.assertEqual(v.user["permissions"], ["feedback:read", "stats:read"])
        self.assertStatus(v.get("/api/v1/feedback?limit=1"), 200)
        self.assertError(v.post("/api/v1/feedback", {"channel": "web", "text": "x"}), 403,
                         "forbidden")
        self.assertTrue(audit_entries(self.srv, "role.create"))

    # ---- API keys -----------------------------------------------------------------------

    def test_api_key_scopes_and_expiry(self):
        key, _ = self.srv.create_key_args("reader", "--scope", "feedback:read")
        self.assertStatus(self.srv.get("/api/v1/feedback?limit=1", auth=key), 200)
        self.assertError(self.srv.post("/api/v1/feedback", {"channel": "web", "text": "x"},
                                       auth=key), 403, "forbidden")
        me = self.srv.get("/api/v1/auth/me", auth=key).json
        self.assertEqual(me["apikey"]["permissions"], ["feedback:read"])
        key, _ = self.srv.create_key_args("audit-bot", "--scope", "role:auditor")
        self.assertError(self.srv.get("/api/v1/feedback", auth=key), 403, "forbidden")
        # 0.00006 days = 5.2 s: room for the CLI and the first request on a loaded machine
        # (sanitizer builds), then wait until the key is past its expiry
        key, _ = self.srv.create_key_args("short", "--expires", "0.00006")
        t0 = time.monotonic()  # the key was made before this
        self.assertStatus(self.srv.get("/api/v1/feedback?limit=1", auth=key), 200)
        time.sleep(max(0.0, t0 + 5.4 - time.monotonic()))
        self.assertError(self.srv.get("/api/v1/feedback?limit=1", auth=key), 401,
                         "unauthorized")
        p = run_cli(self.srv.data, "apikey", "create", "typo", "--scope", "feedback:reed")
        self.assertEqual(p.returncode, 1, describe_proc(p))
        self.assertIn("feedback:reed", p.stderr)
        created = [json.loads(e["detail"]) for e in audit_entries(self.srv, "apikey.create")]
        self.assertIn({"name": "reader", "scopes": "feedback:read"}, created)
        p = run_cli(self.srv.data, "apikey", "list")
        self.assertIn("feedback:read", p.stdout)
        self.assertIn("role:auditor", p.stdout)

    def test_api_keys_by_api(self):
        admin = UserSession(self.srv, "admin", DEMO)
        r = admin.post("/api/v1/apikeys", {"name": "shop-hook", "scopes": ["feedback:create"],
                                           "expires_days": 30})
        self.assertStatus(r, 201)
        key, kid = r.json["key"], r.json["id"]
        self.assertTrue(key.startswith("ksk_"))
        self.assertIsNotNone(r.json["expires_at"])
        self.assertStatus(self.srv.post("/api/v1/feedback", {"channel": "web", "text": "钩子"},
                                        auth=key), 201)
        self.assertError(self.srv.get("/api/v1/feedback", auth=key), 403, "forbidden")
        listed = admin.get("/api/v1/apikeys").json["items"]
        mine = [k for k in listed if k["id"] == kid][0]
        self.assertEqual(mine["scopes"], "feedback:create")
        self.assertNotIn(key, json.dumps(listed))  # shown once, never listed
        for body, code, field in (({"name": "x", "scopes": "*"}, 403, "scopes"),
                                  ({"name": "x", "scopes": "feedback:fly"}, 400, "scopes"),
                                  ({"name": "x", "scopes": "role:king"}, 400, "scopes"),
                                  ({"name": "x"}, 400, "scopes"),
                                  ({"scopes": "feedback:read"}, 400, "name"),
                                  ({"name": "x", "scopes": "kb:read", "expires_days": -1}, 400,
                                   "expires_days")):
            r = admin.post("/api/v1/apikeys", body)
            self.assertStatus(r, code, json.dumps(body))
            self.assertEqual(r.error()["field"], field, r.describe())
        self.assertStatus(admin.request("DELETE", "/api/v1/apikeys/%d" % kid), 200)
        self.assertError(admin.request("DELETE", "/api/v1/apikeys/%d" % kid), 404, "not_found")
        deadline = time.monotonic() + 10
        while self.srv.post("/api/v1/feedback", {"channel": "web", "text": "x"},
                            auth=key).status != 401:
            self.assertLess(time.monotonic(), deadline, "a revoked key still works")
            time.sleep(0.5)
        ent = [e for e in audit_entries(self.srv) if e["object"] == "apikey:%d" % kid]
        self.assertEqual([e["action"] for e in ent], ["apikey.create", "apikey.revoke"])
        self.assertEqual({e["actor"] for e in ent}, {"user:admin"})
        # a "*" key may hand out "*"; a supervisor may not manage keys at all
        self.assertStatus(self.srv.post("/api/v1/apikeys", {"name": "ops", "scopes": "*"}), 201)
        self.assertError(UserSession(self.srv, "supervisor", DEMO).get("/api/v1/apikeys"), 403,
                         "forbidden")

    # ---- CLI ----------------------------------------------------------------------------

    def test_cli_user_commands(self):
        d = self.srv.data
        self.add_user("cli.user", "agent", "cli-pass-11")
        p = run_cli(d, "user", "list")
        self.assertRegex(p.stdout, r"cli\.user\s+agent\s+active")
        p = run_cli(d, "user", "passwd", "cli.user", input="cli-pass-22\n")
        self.assertEqual(p.returncode, 0, describe_proc(p))
        UserSession(self.srv, "cli.user", "cli-pass-22")
        p = run_cli(d, "user", "role", "cli.user", "supervisor")
        self.assertEqual(p.returncode, 0, describe_proc(p))
        self.assertEqual(UserSession(self.srv, "cli.user", "cli-pass-22").user["role"],
                         "supervisor")
        p = run_cli(d, "user", "disable", "cli.user")
        self.assertEqual(p.returncode, 0, describe_proc(p))
        UserSession(self.srv, "cli.user", "cli-pass-22", expect=401)
        for args, inp in ((("user", "role", "cli.user", "pope"), None),
                          (("user", "add", "x2", "--role", "agent"), "short\n"),
                          (("user", "add", "x3"), "long-enough-1\n"),
                          (("user", "frobnicate"), None)):
            p = run_cli(d, *args, input=inp)
            self.assertEqual(p.returncode, 2, describe_proc(p))
        p = run_cli(d, "user", "passwd", "nobody", input="long-enough-1\n")
        self.assertEqual(p.returncode, 1, describe_proc(p))
        self.assertTrue(any(e["actor"].startswith("operator:") and e["origin"] == "cli"
                            for e in audit_entries(self.srv, "user.create")))
