"""The web UI's files as the server hands them out (src/http/static.c): content types,
caching, gzip, the fallback to index.html for client routes (never for /api/), and the
list's sentiment filter the UI uses."""

import gzip
import os
import re
import unittest

from kesu_server import ServerTestCase


class WebAssetsTest(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        cls.start_class_server()
        r = cls.srv.get("/", auth=False)
        cls.index = r
        if r.status == 404 and b"without the web UI" in r.body:
            msg = "this kesu was built without the web UI (make WEB=0)"
            if os.environ.get("CI") == "true":
                raise AssertionError(msg)
            raise unittest.SkipTest(msg)

    @classmethod
    def tearDownClass(cls):
        cls.stop_class_server()

    def body(self, r):
        if r.header("Content-Encoding") == "gzip":
            return gzip.decompress(r.body)
        return r.body

    def test_index_html(self):
        r = self.index
        self.assertStatus(r, 200)
        self.assertEqual(r.header("Content-Type"), "text/html; charset=utf-8")
        self.assertEqual(r.header("Cache-Control"), "no-cache")
        self.assertRegex(r.header("ETag") or "", r'^"[0-9a-f]{20}"$')
        csp = r.header("Content-Security-Policy") or ""
        self.assertIn("script-src 'self'", csp)
        self.assertNotIn("unsafe-eval", csp)
        self.assertIn(b'<div id="app">', self.body(r))

    def test_gzip_only_when_accepted(self):
        plain = self.srv.get("/", auth=False)
        self.assertIsNone(plain.header("Content-Encoding"))
        self.assertEqual(plain.header("Vary"), "Accept-Encoding")
        z = self.srv.get("/", auth=False, headers={"Accept-Encoding": "gzip, deflate"})
        self.assertEqual(z.header("Content-Encoding"), "gzip")
        self.assertEqual(gzip.decompress(z.body), plain.body)
        self.assertLess(len(z.body), len(plain.body))
        no = self.srv.get("/", auth=False, headers={"Accept-Encoding": "gzip;q=0, identity"})
        self.assertIsNone(no.header("Content-Encoding"))
        self.assertEqual(no.body, plain.body)

    def test_client_routes_get_the_app(self):
        for path in ("/inbox", "/cases/42", "/cases/new", "/dashboard", "/login"):
            r = self.srv.get(path, auth=False)
            self.assertStatus(r, 200, path)
            self.assertEqual(r.header("Content-Type"), "text/html; charset=utf-8", path)
            self.assertEqual(r.body, self.srv.get("/", auth=False).body, path)

    def test_api_paths_never_get_the_app(self):
        for path in ("/api/v1/nope", "/api/v1/feedback/1/nothing", "/api/v2", "/api", "/no/such/thing",
                     "/inboxes", "/cases/../etc/passwd", "/cases/1.json", "/%2e%2e/etc/passwd"):
            r = self.srv.get(path, auth=False)
            self.assertError(r, 404, "not_found", msg=path)
        r = self.srv.get("/api/v1/feedback", auth=False)
        self.assertError(r, 401, "unauthorized")
        # other methods on client routes are not the app either
        r = self.srv.request("POST", "/cases/1", {"x": 1}, auth=False)
        self.assertError(r, 404, "not_found")

    def test_hashed_assets_are_immutable(self):
        html = self.body(self.index).decode()
        assets = re.findall(r'(?:src|href)="(/assets/[^"]+)"', html)
        self.assertTrue(any(a.endswith(".js") for a in assets), html)
        self.assertTrue(any(a.endswith(".css") for a in assets), html)
        for a in assets:
            r = self.srv.get(a, auth=False, headers={"Accept-Encoding": "gzip"})
            self.assertStatus(r, 200, a)
            want = "text/javascript; charset=utf-8" if a.endswith(".js") else "text/css; charset=utf-8"
            self.assertEqual(r.header("Content-Type"), want, a)
            self.assertEqual(r.header("Cache-Control"), "public, max-age=31536000, immutable", a)
            self.assertEqual(r.header("X-Content-Type-Options"), "nosniff")
            self.assertGreater(len(self.body(r)), 100, a)

    def test_missing_asset_is_404_not_the_app(self):
        for path in ("/assets/nope.js", "/assets/", "/favicon.ico.map", "/nope.png"):
            r = self.srv.get(path, auth=False)
            self.assertError(r, 404, "not_found", msg=path)

    def test_conditional_get(self):
        etag = self.index.header("ETag")
        r = self.srv.get("/", auth=False, headers={"If-None-Match": etag})
        self.assertStatus(r, 304)
        self.assertEqual(r.body, b"")
        r = self.srv.get("/", auth=False, headers={"If-None-Match": '"0000"'})
        self.assertStatus(r, 200)

    def test_other_files(self):
        r = self.srv.get("/favicon.svg", auth=False)
        self.assertStatus(r, 200)
        self.assertEqual(r.header("Content-Type"), "image/svg+xml")
        self.assertIn(b"<svg", self.body(r))

    def test_head(self):
        r = self.srv.request("HEAD", "/", auth=False)
        self.assertStatus(r, 200)
        self.assertEqual(r.body, b"")


class SentimentFilterTest(ServerTestCase):
    """GET /api/v1/feedback?sentiment=… (the UI's sentiment filter)."""

    @classmethod
    def setUpClass(cls):
        cls.start_class_server(extra_args=["--demo-if-empty", "300"])

    @classmethod
    def tearDownClass(cls):
        cls.stop_class_server()

    def test_each_value_gives_only_its_records(self):
        total = self.srv.get("/api/v1/feedback?limit=1&total=true").json["total"]
        self.assertGreater(total, 0)
        unclassified = [x for x in self.srv.list_all() if not x.get("sentiment")]
        seen = 0
        for v in ("negative", "neutral", "positive"):
            r = self.srv.get("/api/v1/feedback?limit=1000&total=true&sentiment=" + v)
            self.assertStatus(r, 200)
            for item in r.json["items"]:
                self.assertEqual(item.get("sentiment"), v, item)
            seen += r.json["total"]
        self.assertEqual(seen + len(unclassified), total)


if __name__ == "__main__":
    unittest.main()
