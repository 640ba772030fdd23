"""Hardening, and kesu tried as an attacker would: security headers on every reply, TLS served
directly (a self-signed certificate made by openssl here), the trusted-proxy setting, rate
limits with 429 and Retry-After, header and body size limits, slow clients, SQL injection in
every list filter and search, path traversal in URLs."""
import base64
import hashlib
import http.client
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import unittest

from kesu_server import ServerTestCase, UserSession, Client, run_cli, urlquote, SLOW

DEMO = "kesu-demo"
API = "/api/v1/feedback"

INJECTIONS = [
    "' OR '1'='1", "' OR 1=1 --", "x'); DROP TABLE feedback; --", "\" OR \"\"=\"",
    "1 UNION SELECT username,password_hash FROM users--", "%' OR '%'='", "'; ATTACH '/tmp/x' AS y;--",
    "\\", "')) OR ((1=1", "NEAR(a b", "*", "a\" OR \"b", "title:x", "^", "{a b}",
    "0x27 OR 1=1", "admin'--", "1;SELECT sqlite_version()", "%00", "\u202e'--",
]
LIST_FILTERS = ["channel", "status", "category", "product", "store", "region", "customer_id",
                "severity", "assignee", "team"]


def sec_headers_ok(test, r):
    csp = r.header("Content-Security-Policy") or ""
    test.assertIn("default-src 'self'", csp, r.describe())
    test.assertIn("frame-ancestors 'none'", csp, r.describe())
    test.assertEqual(r.header("X-Content-Type-Options"), "nosniff", r.describe())
    test.assertEqual(r.header("X-Frame-Options"), "DENY", r.describe())
    test.assertEqual(r.header("Referrer-Policy"), "no-referrer", r.describe())


class HeadersAndLimitsTest(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        srv = cls.start_class_server(extra_args=["--demo-if-empty", "60"])
        with open(os.path.join(srv.data, "channels.json"), "w", encoding="utf-8") as f:
            json.dump({"forms": {"default": {"title": "意见反馈"}}}, f, ensure_ascii=False)
        srv.restart()
        r = srv.post(API, {"channel": "web", "external_id": "HARD-1", "text": "注入测试 原始记录"})
        assert r.status == 201, r.describe()
        cls.fid = r.json["id"]

    @classmethod
    def tearDownClass(cls):
        cls.stop_class_server()

    def test_security_headers_on_every_reply(self):
        srv = self.srv
        for method, path, auth in (("GET", "/healthz", False), ("GET", "/metrics", False),
                                   ("GET", "/api/v1/openapi.json", False),
                                   ("GET", API + "?limit=1", True), ("GET", API, False),
                                   ("GET", "/nope", False), ("DELETE", "/healthz", False),
                                   ("POST", API, True)):
            r = srv.request(method, path, auth=auth, body={} if method == "POST" else None)
            sec_headers_ok(self, r)
        # the public form: its one inline style is allowed by hash, nothing else inline
        r = srv.get("/f/default", auth=False)
        self.assertStatus(r, 200)
        sec_headers_ok(self, r)
        csp = r.header("Content-Security-Policy")
        style = re.search(r"<style>(.*?)</style>", r.body.decode("utf-8"), re.S).group(1)
        digest = base64.b64encode(hashlib.sha256(style.encode("utf-8")).digest()).decode()
        self.assertIn("style-src 'sha256-%s'" % digest, csp)
        self.assertNotIn("unsafe-inline", csp)
        self.assertNotIn("<script", r.body.decode("utf-8"))

    def test_oversized_body_is_413(self):
        # refused on the declared length, before the body is read
        s = socket.create_connection(("127.0.0.1", self.srv.port), timeout=10 * SLOW)
        s.sendall(b"POST /api/v1/feedback HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                  b"\r\nAuthorization: Bearer " + self.srv.key.encode() +
                  b"\r\nContent-Length: %d\r\n\r\n" % (4 * 1024 * 1024 + 1))
        data = s.recv(4096)
        s.close()
        self.assertTrue(data.startswith(b"HTTP/1.1 413"), data[:200])
        self.assertIn(b"body_too_large", data)
        # without a Content-Length (chunked): the cap holds while reading
        conn = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=30 * SLOW)
        conn.putrequest("POST", API)
        conn.putheader("Authorization", "Bearer " + self.srv.key)
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Transfer-Encoding", "chunked")
        conn.endheaders()
        try:
            for _ in range(5):
                chunk = b"x" * (1024 * 1024)
                conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            conn.send(b"0\r\n\r\n")
            resp = conn.getresponse()
            self.assertEqual(resp.status, 413)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused while sending: also fine, nothing was stored
        conn.close()
        self.assertStatus(self.srv.get("/healthz", auth=False), 200)

    def test_oversized_headers_are_refused(self):
        s = socket.create_connection(("127.0.0.1", self.srv.port), timeout=10 * SLOW)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40000 + b"\r\n\r\n")
        data = b""
        try:
            while True:
                d = s.recv(65536)
                if not d:
                    break
                data += d
                if b"\r\n\r\n" in data:
                    break
        except (ConnectionResetError, socket.timeout):
            pass
        s.close()
        if data:
            status = int(data.split(b" ", 2)[1])
            self.assertIn(status, (413, 431), data[:300])
        self.assertNotIn(b"schema_version", data)
        self.assertStatus(self.srv.get("/healthz", auth=False), 200)

    def test_deep_json_is_refused(self):
        r = self.srv.request("POST", API, raw=b"[" * 100000 + b"]" * 100000)
        self.assertStatus(r, 400)

    # ---- SQL injection ----------------------------------------------------------------

    def test_sql_injection_in_every_filter_and_search(self):
        before = self.srv.get(API + "?total=true&limit=1").json["total"]
        agent = UserSession(self.srv, "agent", DEMO)
        for bad in INJECTIONS:
            for name in LIST_FILTERS + ["q", "cursor", "since", "until", "limit", "sla", "sort"]:
                url = API + "?total=true&%s=%s" % (name, urlquote(bad))
                r = self.srv.get(url)
                self.assertIn(r.status, (200, 400), "%s=%r\n%s" % (name, bad, r.describe()))
                if r.status == 400:
                    self.assertEqual(r.error()["field"], name, r.describe())
                elif name in LIST_FILTERS:
                    # an injected value is a value: nothing has it
                    self.assertEqual((r.json["count"], r.json["total"]), (0, 0),
                                     "%s=%r matched records\n%s" % (name, bad, r.describe()))
                elif name == "q":
                    self.assertLessEqual(r.json["total"], before)
                # an agent's scope is not widened by an injected filter
                ra = agent.get(url)
                self.assertIn(ra.status, (200, 400), ra.describe())
                if ra.status == 200:
                    for it in ra.json["items"]:
                        self.assertTrue(it.get("assignee") == "agent" or
                                        (it.get("team") == "kefu" and not it.get("assignee")),
                                        ra.describe())
            # PATCH values and a login name are values too
            r = self.srv.patch(API + "/%d" % self.fid, {"category_l1": bad[:60], "note": bad})
            self.assertStatus(r, 200)
            self.assertEqual(r.json["category_l1"], bad[:60].strip() or None)
            r = self.srv.post("/api/v1/auth/login", {"username": bad, "password": bad + "xxxxxxx"},
                              auth=False)
            self.assertIn(r.status, (400, 401), r.describe())
        agent.close()
        self.assertEqual(self.srv.get(API + "?total=true&limit=1").json["total"], before)
        r = self.srv.get(API + "?category=" + urlquote(INJECTIONS[-1][:60].strip()) + "&total=true")
        self.assertEqual(r.json["total"], 1)
        self.assertEqual(len(UserSession(self.srv, "admin", DEMO).get("/api/v1/users").json[
            "items"]), 11)
        p = run_cli(self.srv.data, "audit", "verify")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    # ---- path traversal ---------------------------------------------------------------

    def test_path_traversal_in_urls(self):
        paths = ["/f/../../../../etc/passwd", "/f/..%2f..%2f..%2fetc%2fpasswd",
                 "/%2e%2e/%2e%2e/etc/passwd", "/f/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
                 "/api/v1/../../etc/passwd", "/api/v1/feedback/..%2f..%2fusers",
                 "/api/v1/devices/..%2f..%2f..%2fetc%2fpasswd/events", "/f/status/..%2f..%2fkesu.db",
                 "/f/..\\..\\kesu.db", "/api/v1/feedback/1%00", "//etc/passwd",
                 "/f/default/../../../kesu.db", "/static/../../kesu.db", "/ui/../kesu.db"]
        for p in paths:
            for auth in (True, False):
                r = self.srv.request("GET", p, auth=auth)
                self.assertIn(r.status, (400, 401, 403, 404, 405), "%s\n%s" % (p, r.describe()))
                self.assertNotIn(b"root:x:0:0", r.body)
                self.assertNotIn(b"SQLite format", r.body)
                self.assertNotIn(b"password_hash", r.body)


class SlowClientTest(ServerTestCase):
    def test_slow_client_is_cut_off_and_others_are_served(self):
        srv = self.server(extra_args=["--conn-timeout", "2"])
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=20 * SLOW)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # and never the end of the headers
        t0 = time.monotonic()
        self.assertStatus(srv.get("/healthz", auth=False), 200)  # the slow one blocks nobody
        closed = False
        try:
            while time.monotonic() - t0 < 15 * SLOW:
                if s.recv(1024) == b"":
                    closed = True
                    break
        except (ConnectionResetError, socket.timeout):
            closed = True
        s.close()
        self.assertTrue(closed, "the slow connection was never closed")
        self.assertLess(time.monotonic() - t0, 10 * SLOW)
        # a slow body (headers complete, body trickled and stopped) is cut off too
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=20 * SLOW)
        s.sendall(b"POST /api/v1/feedback HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n"
                  b"Authorization: Bearer " + srv.key.encode() + b"\r\n\r\n{\"chan")
        t0 = time.monotonic()
        data = b""
        try:
            while True:
                d = s.recv(1024)
                if not d:
                    break
                data += d
        except (ConnectionResetError, socket.timeout):
            pass
        s.close()
        self.assertLess(time.monotonic() - t0, 10 * SLOW)
        self.assertNotIn(b"201", data[:20])


class RateLimitTest(ServerTestCase):
    def test_per_key_limit(self):
        srv = self.server(extra_args=["--rate-key", "5"])
        codes = [srv.get(API + "?limit=1").status for _ in range(8)]
        self.assertEqual(codes[:5], [200] * 5)
        r = srv.get(API + "?limit=1")
        self.assertError(r, 429, "rate_limited")
        self.assertGreaterEqual(int(r.header("Retry-After")), 1)
        other, _ = srv.create_key_args("other")
        self.assertStatus(srv.get(API + "?limit=1", auth=other), 200)  # its own bucket

    def test_sign_in_limit(self):
        srv = self.server(extra_args=["--rate-login", "3", "--demo-if-empty", "5"])
        body = {"username": "agent", "password": "not-the-password"}
        codes = [srv.post("/api/v1/auth/login", body, auth=False).status for _ in range(5)]
        self.assertEqual(codes, [401, 401, 401, 429, 429])
        r = srv.post("/api/v1/auth/login", body, auth=False)
        self.assertError(r, 429, "rate_limited")
        self.assertGreaterEqual(int(r.header("Retry-After")), 1)
        self.assertStatus(srv.get("/api/v1/feedback?limit=1"), 200)  # other requests go on

    def test_per_address_limit_and_default_loopback_exemption(self):
        srv = self.server(extra_args=["--rate-addr", "5"])
        # (starting the server already asked /healthz once or more)
        codes = [srv.get("/healthz", auth=False).status for _ in range(7)]
        self.assertIn(429, codes)
        first = codes.index(429)
        self.assertTrue(1 <= first <= 5, codes)
        self.assertEqual(set(codes[first:]), {429}, codes)
        r = srv.get("/healthz", auth=False)
        self.assertError(r, 429, "rate_limited")
        self.assertTrue(r.header("Retry-After"))
        srv.stop()
        srv2 = self.server()  # defaults: loopback is not limited (benchmarks)
        self.assertEqual({srv2.get("/healthz", auth=False).status for _ in range(300)}, {200})


class ProxyTest(ServerTestCase):
    def origins(self, srv):
        import sqlite3
        db = sqlite3.connect("file:%s?mode=ro" % os.path.join(srv.data, "kesu.db"), uri=True)
        try:
            return [o for (o,) in db.execute("SELECT origin FROM audit_log WHERE "
                                             "action LIKE 'auth.login%' ORDER BY id")]
        finally:
            db.close()

    def login(self, srv, xff):
        return srv.post("/api/v1/auth/login", {"username": "agent", "password": "wrong-pass"},
                        auth=False, headers={"X-Forwarded-For": xff})

    def test_forwarded_for_only_from_trusted_proxies(self):
        srv = self.server(extra_args=["--demo-if-empty", "5"])
        self.login(srv, "198.51.100.7")
        self.assertEqual(self.origins(srv)[-1], "127.0.0.1")  # not trusted: ignored
        srv.stop()
        srv = self.server(data_dir=srv.data, extra_args=["--trusted-proxies", "127.0.0.1",
                                                         "--rate-addr", "3"])
        self.login(srv, "198.51.100.7")
        self.assertEqual(self.origins(srv)[-1], "198.51.100.7")
        self.login(srv, "203.0.113.1, 198.51.100.8")  # the left one could be forged
        self.assertEqual(self.origins(srv)[-1], "198.51.100.8")
        self.login(srv, "not-an-address")
        self.assertEqual(self.origins(srv)[-1], "127.0.0.1")
        # the address limit counts the client, not the proxy
        for _ in range(3):
            srv.get("/healthz", auth=False, headers={"X-Forwarded-For": "192.0.2.50"})
        r = srv.get("/healthz", auth=False, headers={"X-Forwarded-For": "192.0.2.50"})
        self.assertEqual(r.status, 429)
        r = srv.get("/healthz", auth=False, headers={"X-Forwarded-For": "192.0.2.51"})
        self.assertEqual(r.status, 200)

    def test_metrics_are_for_this_machine_or_an_admin(self):
        srv = self.server(extra_args=["--demo-if-empty", "5", "--trusted-proxies", "127.0.0.1"])
        self.assertStatus(srv.get("/metrics", auth=False), 200)  # loopback: a local Prometheus
        remote = {"X-Forwarded-For": "198.51.100.20"}  # a client behind the proxy
        r = srv.get("/metrics", auth=False, headers=remote)
        self.assertError(r, 401, "unauthorized")
        self.assertNotIn(b"kesu_", r.body)
        sup = UserSession(srv, "supervisor", DEMO)
        r = sup.get("/metrics", headers=remote)
        self.assertError(r, 403, "forbidden")
        self.assertNotIn(b"kesu_", r.body)
        adm = UserSession(srv, "admin", DEMO)
        r = adm.get("/metrics", headers=remote)
        self.assertStatus(r, 200)
        self.assertIn(b"kesu_", r.body)
        sup.close()
        adm.close()


@unittest.skipUnless(shutil.which("openssl"), "openssl is not installed")
class TlsTest(ServerTestCase):
    def test_https_with_a_self_signed_certificate(self):
        tmp = tempfile.mkdtemp(prefix="kesu-tls-")
        cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
        p = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                            key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
                            "-addext", "subjectAltName=IP:127.0.0.1"], capture_output=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        srv = self.server(start=False, extra_args=["--tls-cert", cert, "--tls-key", key,
                                                   "--demo-if-empty", "5"])
        srv.request = None  # the helper speaks plain HTTP; talk TLS here
        port_file = os.path.join(srv.tmp, "port")
        proc = subprocess.Popen(
            [srv_bin() for srv_bin in [lambda: __import__("kesu_server").kesu_bin()]] +
            ["--data", srv.data, "serve", "--listen", "127.0.0.1:0", "--port-file", port_file,
             "--threads", "2", "--tls-cert", cert, "--tls-key", key, "--demo-if-empty", "5"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=__import__("kesu_server").child_env())
        try:
            deadline = time.monotonic() + 20 * SLOW
            port = None
            while time.monotonic() < deadline and port is None:
                try:
                    with open(port_file) as f:
                        t = f.read()
                    if t.endswith("\n"):
                        port = int(t)
                except FileNotFoundError:
                    time.sleep(0.05)
            self.assertIsNotNone(port, "no port file")
            ctx = ssl.create_default_context(cafile=cert)
            conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=20 * SLOW)
            for _ in range(100):
                try:
                    conn.request("GET", "/healthz")
                    break
                except (ConnectionRefusedError, ssl.SSLError):
                    time.sleep(0.05)
            resp = conn.getresponse()
            self.assertEqual(resp.status, 200)
            resp.read()
            self.assertIn("max-age", resp.getheader("Strict-Transport-Security") or "")
            conn.request("POST", "/api/v1/auth/login",
                         body=json.dumps({"username": "agent", "password": DEMO}),
                         headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
            resp.read()
            self.assertEqual(resp.status, 200)
            cookie = resp.getheader("Set-Cookie")
            self.assertIn("; Secure", cookie)
            self.assertIn("HttpOnly", cookie)
            conn.close()
            # plain HTTP on the TLS port gets no answer in the clear
            s = socket.create_connection(("127.0.0.1", port), timeout=5 * SLOW)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            try:
                data = s.recv(4096)
            except (ConnectionResetError, socket.timeout):
                data = b""
            s.close()
            self.assertNotIn(b"schema_version", data)
        finally:
            proc.terminate()
            out, err = proc.communicate(timeout=30 * SLOW)
            self.assertEqual(proc.returncode, 0, err.decode("utf-8", "replace")[-3000:])
            shutil.rmtree(tmp, ignore_errors=True)

    def test_tls_needs_both_files(self):
        p = run_cli(tempfile.mkdtemp(prefix="kesu-tls-"), "serve", "--listen", "127.0.0.1:0",
                    "--tls-cert", "/nonexistent.pem")
        self.assertEqual(p.returncode, 2, p.stderr)


if __name__ == "__main__":
    unittest.main()
