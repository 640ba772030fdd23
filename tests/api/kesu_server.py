"""kesu_server: run the real kesu binary for the API, crash and CLI tests.

    srv = KesuServer()          # fresh temp data dir
    srv.start()                 # serve on 127.0.0.1:0, wait for /healthz, make an API key
    r = srv.request("POST", "/api/v1/feedback", {"channel": "web", "text": "hi"})
    r.status, r.headers, r.json, r.body
    srv.stop()                  # SIGTERM; fails unless the server exits 0 in time
    srv.kill()                  # SIGKILL (crash)
    srv.restart()               # start again on the same data dir (same API key)
    srv.cleanup()               # remove the temp dir

Environment:
    KESU_BIN   the binary (default build/kesu, relative to the repository root)
    KESU_SLOW  timeout multiplier (default 3 for a binary under build/asan, else 1)

Only the Python standard library is used.
"""

import http.client
import json
import re
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def kesu_bin():
    b = os.environ.get("KESU_BIN") or "build/kesu"
    if not os.path.isabs(b):
        b = os.path.join(ROOT, b)
    return b


def slow_factor():
    v = os.environ.get("KESU_SLOW")
    if v:
        try:
            return max(1.0, float(v))
        except ValueError:
            pass
    return 3.0 if "asan" in kesu_bin() else 1.0


SLOW = slow_factor()


def child_env(extra=None):
    """The environment for kesu: no KESU_* settings leak in from the caller
    (they would override the options the tests pass), sanitizers report
    through the exit status."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KESU_")}
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:exitcode=86")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1:exitcode=87")
    env["LC_ALL"] = "C.UTF-8"
    if extra:
        env.update(extra)
    return env


def run_cli(data_dir, *args, input=None, timeout=None, env=None):
    """Runs `kesu --data DIR args...` (data_dir None: no --data). Returns CompletedProcess
    with text stdout/stderr (UTF-8)."""
    cmd = [kesu_bin()]
    if data_dir is not None:
        cmd += ["--data", data_dir]
    cmd += [str(a) for a in args]
    return subprocess.run(cmd, input=input, capture_output=True, timeout=timeout or 60 * SLOW,
                          env=child_env(env), encoding="utf-8", errors="replace")


def describe_proc(p):
    return "command: %s\nexit status: %s\n--- stdout ---\n%s\n--- stderr ---\n%s" % (
        " ".join(p.args), p.returncode, p.stdout, p.stderr)


class Response:
    """One HTTP answer: status, headers (case-insensitive get), body bytes, parsed json."""

    def __init__(self, method, path, status, headers, body):
        self.method = method
        self.path = path
        self.status = status
        self.headers = headers
        self.body = body
        self.json = None
        ctype = headers.get("Content-Type", "") or ""
        if "json" in ctype and body:
            try:
                self.json = json.loads(body.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                self.json = None

    def header(self, name):
        return self.headers.get(name)

    def error(self):
        """The error object of an error reply, or {}."""
        if isinstance(self.json, dict) and isinstance(self.json.get("error"), dict):
            return self.json["error"]
        return {}

    def __repr__(self):
        body = self.body[:2000].decode("utf-8", "replace")
        return "<%s %s -> %d %s>" % (self.method, self.path, self.status, body)

    def describe(self):
        return "%s %s -> HTTP %d\nheaders: %s\nbody: %s" % (
            self.method, self.path, self.status, dict(self.headers.items()),
            self.body[:3000].decode("utf-8", "replace"))


class Client:
    """A keep-alive HTTP connection to the server (one per thread)."""

    def __init__(self, port, key=None, timeout=None, retry=True):
        self.port = port
        self.key = key
        self.timeout = timeout or 30 * SLOW
        self.retry = retry
        self.conn = None

    def close(self):
        if self.conn:
            self.conn.close()
            self.conn = None

    def request(self, method, path, body=None, headers=None, auth=True, raw=None):
        """body: a JSON value (serialised), raw: bytes sent as is. auth: True sends the
        server's key, a string sends that key, False sends none."""
        hdrs = {}
        data = None
        if raw is not None:
            data = raw
            hdrs["Content-Type"] = "application/json"
        elif body is not None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            hdrs["Content-Type"] = "application/json"
        if auth is True and self.key:
            hdrs["Authorization"] = "Bearer " + self.key
        elif isinstance(auth, str):
            hdrs["Authorization"] = "Bearer " + auth
        if headers:
            hdrs.update(headers)
        reused = self.conn is not None
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                                       timeout=self.timeout)
            try:
                self.conn.request(method, path, body=data, headers=hdrs)
                resp = self.conn.getresponse()
                payload = resp.read()
                if resp.will_close:
                    self.close()
                return Response(method, path, resp.status, resp.headers, payload)
            except (http.client.RemoteDisconnected, BrokenPipeError,
                    ConnectionResetError) as e:
                # a stale keep-alive connection: retry once on a fresh one (only when
                # the caller allows it: the crash test must not re-send)
                self.close()
                if attempt == 0 and reused and self.retry:
                    continue
                raise
            except Exception:
                self.close()
                raise


class ServerError(AssertionError):
    pass


class KesuServer:
    def __init__(self, data_dir=None, extra_args=(), threads=2, keep=False):
        self.own_dir = data_dir is None
        self.tmp = tempfile.mkdtemp(prefix="kesu-api-") if data_dir is None else data_dir
        self.data = os.path.join(self.tmp, "data") if data_dir is None else data_dir
        os.makedirs(self.data, exist_ok=True)
        self.extra_args = list(extra_args)
        self.threads = threads
        self.proc = None
        self.port = None
        self.key = None
        self.key_id = None
        self.starts = 0
        self.stderr_path = None
        self._stderr_file = None
        self._local = threading.local()
        self.keep = keep

    # ---- life cycle -----------------------------------------------------------

    def start(self, make_key=True):
        self.starts += 1
        port_file = os.path.join(self.tmp, "port")
        if os.path.exists(port_file):
            os.unlink(port_file)
        self.stderr_path = os.path.join(self.tmp, "server-%d.stderr" % self.starts)
        self._stderr_file = open(self.stderr_path, "wb")
        self._stdout_path = os.path.join(self.tmp, "server-%d.stdout" % self.starts)
        self._stdout_file = open(self._stdout_path, "wb")
        cmd = [kesu_bin(), "--data", self.data, "serve", "--listen", "127.0.0.1:0",
               "--port-file", port_file, "--threads", str(self.threads)] + self.extra_args
        self.proc = subprocess.Popen(cmd, stdout=self._stdout_file, stderr=self._stderr_file,
                                     stdin=subprocess.DEVNULL, env=child_env())
        deadline = time.monotonic() + 20 * SLOW
        self.port = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerError("kesu serve exited with status %s while starting\n%s" %
                                  (self.proc.returncode, self.stderr_text()))
            try:
                with open(port_file) as f:
                    txt = f.read()
                if txt.endswith("\n") and txt.strip().isdigit():
                    self.port = int(txt.strip())
                    break
            except FileNotFoundError:
                pass
            time.sleep(0.02)
        if not self.port:
            self.kill()
            raise ServerError("kesu serve wrote no port file within %.0f s\n%s" %
                              (20 * SLOW, self.stderr_text()))
        self._local = threading.local()
        while True:
            try:
                r = self.request("GET", "/healthz", auth=False)
                if r.status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.kill()
                raise ServerError("GET /healthz did not answer 200 within %.0f s\n%s" %
                                  (20 * SLOW, self.stderr_text()))
            time.sleep(0.05)
        if make_key and self.key is None:
            self.key, self.key_id = self.create_key("test")
        return self

    def create_key(self, name):
        p = run_cli(self.data, "apikey", "create", name)
        if p.returncode != 0:
            raise ServerError("apikey create failed\n" + describe_proc(p))
        lines = p.stdout.strip().splitlines()
        key = lines[-1].strip()
        key_id = None
        for word in p.stdout.split():
            if word.isdigit():
                key_id = int(word)
                break
        return key, key_id

    def create_key_args(self, name, *args):
        """kesu apikey create NAME ARGS... (e.g. --scope feedback:read); returns (key, id)."""
        p = run_cli(self.data, "apikey", "create", name, *args)
        if p.returncode != 0:
            raise ServerError("apikey create failed\n" + describe_proc(p))
        key = p.stdout.strip().splitlines()[-1].strip()
        m = re.search(r"API key (\d+)", p.stdout)
        return key, int(m.group(1)) if m else None

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=None):
        """SIGTERM and wait; raises ServerError unless the exit status is 0."""
        if self.proc is None:
            return
        self._close_clients()
        proc = self.proc
        timeout = timeout or 20 * SLOW
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            self._finish_proc()
            raise ServerError("kesu serve did not exit within %.0f s of SIGTERM\n%s" %
                              (timeout, self.stderr_text()))
        self._finish_proc()
        if rc != 0:
            raise ServerError("kesu serve exited with status %d after SIGTERM (expected 0; "
                              "under ASan a leak or error gives a nonzero status)\n%s" %
                              (rc, self.stderr_text()))

    def kill(self):
        """SIGKILL, as a crash or power cut of the process would."""
        if self.proc is None:
            return
        self._close_clients()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self._finish_proc()

    def restart(self):
        """Starts again on the same data dir (the API key stays valid)."""
        if self.running():
            self.stop()
        return self.start()

    def cleanup(self):
        if self.proc is not None:
            try:
                self.kill()
            except Exception:
                pass
        if self.own_dir and not self.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def _finish_proc(self):
        self.proc = None
        for f in (self._stderr_file, self._stdout_file):
            if f:
                f.close()
        self._stderr_file = self._stdout_file = None

    def _close_clients(self):
        c = getattr(self._local, "client", None)
        if c:
            c.close()
            self._local.client = None

    # ---- output ---------------------------------------------------------------

    def stderr_text(self, since=0, limit=20000):
        """The server's stderr (all starts), the tail when long."""
        out = []
        for i in range(1, self.starts + 1):
            path = os.path.join(self.tmp, "server-%d.stderr" % i)
            try:
                with open(path, "rb") as f:
                    data = f.read()
            except OSError:
                continue
            if i == self.starts and since:
                data = data[since:]
            txt = data.decode("utf-8", "replace")
            if len(txt) > limit:
                # long logs: every line that is not a routine request/info line (warnings,
                # errors, sanitizer reports, aborts), then the tail
                notable = [ln for ln in txt.splitlines()
                           if ln.strip() and not re.match(r"^\S+ info ", ln)]
                head = "\n".join(notable)[:limit]
                txt = ("[%d lines other than 'info' lines:]\n%s\n[...last %d bytes:]\n%s" %
                       (len(notable), head, limit // 2, txt[-(limit // 2):]))
            out.append("--- kesu serve stderr (start %d) ---\n%s" % (i, txt))
        return "\n".join(out)

    def stderr_offset(self):
        try:
            return os.path.getsize(self.stderr_path)
        except (OSError, TypeError):
            return 0

    # ---- requests -------------------------------------------------------------

    def client(self, key=None, retry=True):
        """A new keep-alive client (give one to each thread)."""
        return Client(self.port, key or self.key, retry=retry)

    def request(self, method, path, body=None, headers=None, auth=True, raw=None):
        c = getattr(self._local, "client", None)
        if c is None or c.port != self.port:
            c = self._local.client = Client(self.port, self.key)
        c.key = self.key
        return c.request(method, path, body=body, headers=headers, auth=auth, raw=raw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body, **kw)

    def metrics(self):
        r = self.request("GET", "/metrics", auth=False)
        if r.status != 200:
            raise ServerError("GET /metrics: " + r.describe())
        return r.body.decode("utf-8")

    def metric(self, name):
        """The value of an unlabelled or exactly-labelled sample, e.g.
        'kesu_search_lag_records' or 'kesu_feedback_records{channel="web"}'; None if absent."""
        for line in self.metrics().splitlines():
            if line.startswith("#"):
                continue
            parts = line.rsplit(" ", 1)
            if len(parts) == 2 and parts[0] == name:
                return float(parts[1])
        return None

    def list_all(self, query="", limit=1000):
        """Pages through GET /api/v1/feedback?query with next_cursor; returns all items."""
        items = []
        cursor = None
        pages = 0
        while True:
            q = "limit=%d" % limit
            if query:
                q += "&" + query
            if cursor:
                q += "&cursor=" + urlquote(cursor)
            r = self.get("/api/v1/feedback?" + q)
            if r.status != 200:
                raise ServerError("listing failed: " + r.describe())
            items.extend(r.json["items"])
            cursor = r.json["next_cursor"]
            pages += 1
            if not cursor:
                return items
            if pages > 100000:
                raise ServerError("listing does not end (cursor %r)" % cursor)


def urlquote(s):
    from urllib.parse import quote
    return quote(s, safe="")


class ServerTestCase(unittest.TestCase):
    """Base class: servers made with self.server() are stopped cleanly (exit 0 checked) in
    tearDown; when a test fails, the server's stderr is printed. A class-wide server can be
    kept in cls.srv (made in setUpClass with start_class_server)."""

    srv = None  # the class server, if any

    @classmethod
    def start_class_server(cls, **kw):
        cls.srv = KesuServer(**kw)
        try:
            cls.srv.start()
        except Exception:
            cls.srv.cleanup()
            raise
        return cls.srv

    @classmethod
    def stop_class_server(cls):
        srv, cls.srv = cls.srv, None
        if srv is None:
            return
        try:
            srv.stop()
        except Exception:
            sys.stderr.write("\n" + srv.stderr_text() + "\n")
            raise
        finally:
            srv.cleanup()

    @classmethod
    def tearDownClass(cls):
        # a class server started in setUpClass stops here unless the class stops it itself
        cls.stop_class_server()
        super().tearDownClass()

    def setUp(self):
        self._servers = []
        self._class_offset = self.srv.stderr_offset() if self.srv else 0

    def server(self, start=True, **kw):
        s = KesuServer(**kw)
        self._servers.append(s)
        if start:
            s.start()
        return s

    def tearDown(self):
        # stop every per-test server; a dirty exit fails the test
        problems = []
        for s in self._servers:
            if s.running():
                try:
                    s.stop()
                except ServerError as e:
                    problems.append(str(e))
        if problems:
            self.fail("\n".join(problems))

    def run(self, result=None):
        if result is None:
            result = self.defaultTestResult()
        before = len(result.failures) + len(result.errors)
        try:
            return super().run(result)
        finally:
            if len(result.failures) + len(result.errors) > before:
                out = []
                for s in getattr(self, "_servers", []):
                    out.append(s.stderr_text())
                if self.srv is not None:
                    out.append("(class server, output during this test)\n" +
                               self.srv.stderr_text(since=getattr(self, "_class_offset", 0)))
                if out:
                    sys.stderr.write("\n==== server output for failed test %s ====\n%s\n"
                                     "==== end of server output ====\n" %
                                     (self.id(), "\n".join(out)))
            for s in getattr(self, "_servers", []):
                s.cleanup()

    # ---- assertions -----------------------------------------------------------

    def assertStatus(self, r, status, msg=""):
        if r.status != status:
            self.fail("expected HTTP %d, got %d%s\n%s" %
                      (status, r.status, (" (" + msg + ")") if msg else "", r.describe()))

    def assertError(self, r, status, code, field="__any__", msg=""):
        """An error reply: status, JSON {"error":{"code","message","field"}}, code, field."""
        self.assertStatus(r, status, msg)
        ctype = r.header("Content-Type") or ""
        if not ctype.startswith("application/json"):
            self.fail("error reply without Content-Type application/json (got %r)\n%s" %
                      (ctype, r.describe()))
        err = r.error()
        if not err or set(err.keys()) < {"code", "message", "field"}:
            self.fail("error reply is not {\"error\":{\"code\",\"message\",\"field\"}}\n" +
                      r.describe())
        if not isinstance(err["message"], str) or not err["message"]:
            self.fail("error message is empty\n" + r.describe())
        if err["code"] != code:
            self.fail("expected error code %r, got %r%s\n%s" %
                      (code, err["code"], (" (" + msg + ")") if msg else "", r.describe()))
        if field != "__any__" and err["field"] != field:
            self.fail("expected error field %r, got %r%s\n%s" %
                      (field, err["field"], (" (" + msg + ")") if msg else "", r.describe()))
        return err


class UserSession:
    """A signed-in user (security): keeps the kesu_session cookie and sends X-CSRF-Token
    on every request other than GET, as the browser UI does.

        s = UserSession(srv, "agent", "kesu-demo")   # POST /api/v1/auth/login
        s.get("/api/v1/feedback").json
        s.request("PATCH", "/api/v1/feedback/1", {"status": "assigned"})
    """

    def __init__(self, srv, username, password, expect=200):
        self.srv = srv
        self.client = Client(srv.port)
        self.cookie = None
        self.csrf = None
        r = self.client.request("POST", "/api/v1/auth/login",
                                {"username": username, "password": password}, auth=False)
        self.login_response = r
        if r.status != expect:
            raise ServerError("login as %s: expected %d\n%s" % (username, expect, r.describe()))
        if r.status == 200:
            m = re.search(r"kesu_session=([0-9a-f]+)", r.header("Set-Cookie") or "")
            if not m:
                raise ServerError("login set no kesu_session cookie\n" + r.describe())
            self.cookie = m.group(1)
            self.csrf = r.json["csrf_token"]
            self.user = r.json["user"]

    def request(self, method, path, body=None, headers=None, csrf=True, raw=None):
        h = {}
        if self.cookie:
            h["Cookie"] = "kesu_session=" + self.cookie
        if csrf and method not in ("GET", "HEAD") and self.csrf:
            h["X-CSRF-Token"] = self.csrf
        if headers:
            h.update(headers)
        return self.client.request(method, path, body=body, headers=h, auth=False, raw=raw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body, **kw)

    def close(self):
        self.client.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass
