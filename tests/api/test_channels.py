"""Intake doors other than the plain API, against the real server: signed webhooks mapped by
configuration, device fault events folded into complaints, the public form with receipts and
its bot checks, and QR codes (decoded with zbarimg)."""
import hashlib
import hmac
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.parse

from kesu_server import ServerTestCase, kesu_bin

SECRET = "tmall-test-secret-0123456789"
CHANNELS = {
    "hooks": {
        "tmall": {
            "secret": SECRET,
            "signature_header": "X-Tmall-Signature",
            "channel": "ecommerce",
            "items": "/data/reviews",
            "fields": {"external_id": "/rid", "text": "/content", "rating": "/score",
                       "received_at": "/time", "product": "/item/title",
                       "customer_id": "/buyer/nick", "order_no": "/tid"},
            "defaults": {"rating_scale": "5", "region": "华东"},
        },
        "crm": {
            "secret": "crm-secret-abcdefghijklmnop",
            "timestamp_header": "X-Timestamp",
            "channel": "partner",
            "fields": {"external_id": "/ticket/id", "text": "/ticket/body",
                       "title": "/ticket/subject"},
        },
    },
    "devices": {"threshold": 3, "window_minutes": 30},
    "forms": {
        "hotel": {"title": "住客意见", "channel": "qr", "context": ["store", "room"]},
        "default": {"title": "意见反馈"},
    },
    "rate_limit": {"form_per_minute": 100},
}


def sign(secret, body, ts=None):
    msg = (ts.encode() + b"." + body) if ts else body
    return hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest()


class ChannelCase(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="kesu-channels-")
        data = os.path.join(cls.tmp, "data")
        os.makedirs(data)
        with open(os.path.join(data, "channels.json"), "w", encoding="utf-8") as f:
            json.dump(CHANNELS, f, ensure_ascii=False)
        cls.start_class_server(data_dir=data)

    @classmethod
    def tearDownClass(cls):
        cls.stop_class_server()
        shutil.rmtree(cls.tmp, ignore_errors=True)


class WebhookTest(ChannelCase):
    def payload(self, rid="R1", **kw):
        item = {"rid": rid, "content": "收到的扫地机器人不能充电", "score": 1,
                "time": 1763780000, "item": {"title": "扫地机器人"}, "buyer": {"nick": "tb_88"},
                "tid": "T2025001"}
        item.update(kw)
        return json.dumps({"data": {"reviews": [item]}}, ensure_ascii=False).encode()

    def hook(self, body, sig=None, source="tmall", headers=None):
        h = {"X-Tmall-Signature": sig if sig is not None else sign(SECRET, body)}
        h.update(headers or {})
        return self.srv.post("/api/v1/hooks/" + source, raw=body, auth=False, headers=h)

    def test_signed_call_is_mapped_and_stored(self):
        body = self.payload(rid="map-1")
        r = self.hook(body)
        self.assertStatus(r, 201)
        item = r.json["items"][0]
        self.assertTrue(item["created"])
        rec = self.srv.get("/api/v1/feedback/%d" % item["id"]).json
        self.assertEqual(rec["channel"], "ecommerce")
        self.assertEqual(rec["external_id"], "map-1")
        self.assertEqual(rec["product"], "扫地机器人")
        self.assertEqual(rec["customer_id"], "tb_88")
        self.assertEqual(rec["rating"], 1)
        self.assertEqual(rec["rating_scale"], 5)
        self.assertEqual(rec["region"], "华东")
        self.assertTrue(rec["received_at"].startswith("2025-11-22T"), rec["received_at"])
        self.assertTrue(rec["timeline"][0]["actor"].startswith("hook:tmall"), rec["timeline"])

    def test_redelivery_is_idempotent(self):
        body = self.payload(rid="dup-1")
        first = self.hook(body)
        self.assertStatus(first, 201)
        again = self.hook(body)
        self.assertStatus(again, 200)
        self.assertEqual(again.json["items"][0]["id"], first.json["items"][0]["id"])
        self.assertFalse(again.json["items"][0]["created"])

    def test_signature_formats(self):
        import base64
        for i, fmt in enumerate(["sha256=%s", "%s", "b64"]):
            body = self.payload(rid="fmt-%d" % i)
            mac = hmac.new(SECRET.encode(), body, hashlib.sha256)
            sig = base64.b64encode(mac.digest()).decode() if fmt == "b64" else fmt % mac.hexdigest()
            self.assertStatus(self.hook(body, sig=sig), 201, fmt)

    def test_bad_signatures_store_nothing(self):
        before = self.srv.metric('kesu_feedback_records{channel="ecommerce"}') or 0
        body = self.payload(rid="bad-1")
        for sig in ["", "deadbeef", sign("wrong-secret-wrong-secret", body),
                    sign(SECRET, body + b" ")]:
            r = self.hook(body, sig=sig)
            self.assertError(r, 401, "bad_signature" if sig else "missing_signature",
                             "X-Tmall-Signature")
        tampered = body.replace(b"R1", b"R2").replace("不能充电".encode(), "很好".encode())
        self.assertError(self.hook(tampered, sig=sign(SECRET, body)), 401, "bad_signature")
        after = self.srv.metric('kesu_feedback_records{channel="ecommerce"}') or 0
        self.assertEqual(before, after)

    def test_unknown_source(self):
        self.assertError(self.hook(b"{}", source="nobody"), 404, "unknown_source", "source")

    def test_mapping_errors_name_item_and_field(self):
        body = json.dumps({"data": {"reviews": [
            {"rid": "ok-1", "content": "好"},
            {"rid": "bad-2", "content": "差", "score": 9}]}}).encode()
        r = self.hook(body)
        self.assertError(r, 400, "invalid_field", "items[1].rating")
        body = json.dumps({"data": {"reviews": [{"rid": "no-text"}]}}).encode()
        self.assertError(self.hook(body), 400, "missing_field", "items[0].text")
        body = json.dumps({"data": {"reviews": "not a list"}}).encode()
        self.assertError(self.hook(body), 400, "invalid_type", "/data/reviews")
        # nothing of the bad calls was stored
        self.assertEqual(self.srv.list_all("q=" + urllib.parse.quote("ok-1")), [])

    def test_timestamped_source(self):
        body = json.dumps({"ticket": {"id": "CRM-7", "body": "客户反映账单有误",
                                      "subject": "账单"}}, ensure_ascii=False).encode()
        secret = CHANNELS["hooks"]["crm"]["secret"]
        now = str(int(time.time()))
        h = {"X-Kesu-Signature": sign(secret, body, now), "X-Timestamp": now}
        r = self.srv.post("/api/v1/hooks/crm", raw=body, auth=False, headers=h)
        self.assertStatus(r, 201)
        old = str(int(time.time()) - 3600)
        h = {"X-Kesu-Signature": sign(secret, body, old), "X-Timestamp": old}
        r = self.srv.post("/api/v1/hooks/crm", raw=body, auth=False, headers=h)
        self.assertError(r, 401, "stale_timestamp", "X-Timestamp")
        h = {"X-Kesu-Signature": sign(secret, body)}
        r = self.srv.post("/api/v1/hooks/crm", raw=body, auth=False, headers=h)
        self.assertError(r, 401, "missing_timestamp", "X-Timestamp")


class DeviceTest(ChannelCase):
    def post(self, events):
        return self.srv.post("/api/v1/devices/events", events)

    def test_repeated_faults_make_one_complaint(self):
        t0 = int(time.time()) - 600
        r = self.post({"device_id": "SN-A1", "model": "X5", "fault_code": "E21", "at": t0})
        self.assertStatus(r, 201)
        self.assertIsNone(r.json["items"][0]["feedback_id"])
        r = self.post({"device_id": "SN-A1", "model": "X5", "fault_code": "E21", "at": t0 + 60})
        self.assertIsNone(r.json["items"][0]["feedback_id"])
        self.assertEqual(r.json["items"][0]["faults_in_window"], 2)
        r = self.post({"device_id": "SN-A1", "model": "X5", "fault_code": "E07", "at": t0 + 120,
                       "message": "电池温度过高"})
        item = r.json["items"][0]
        self.assertTrue(item["opened"], r.describe())
        fid = item["feedback_id"]
        rec = self.srv.get("/api/v1/feedback/%d" % fid).json
        self.assertEqual(rec["channel"], "iot")
        self.assertEqual(rec["product"], "X5")
        self.assertIn("SN-A1", rec["text"])
        self.assertIn("E07", rec["text"])
        # later faults are appended to the open complaint, not a new one
        r = self.post([{"device_id": "SN-A1", "fault_code": "E21", "at": t0 + 300},
                       {"device_id": "SN-A1", "fault_code": "E33", "at": t0 + 400}])
        self.assertEqual([i["feedback_id"] for i in r.json["items"]], [fid, fid])
        self.assertFalse(any(i["opened"] for i in r.json["items"]))
        rec = self.srv.get("/api/v1/feedback/%d" % fid).json
        self.assertEqual(sum(1 for e in rec["timeline"] if e["kind"] == "device_event"), 2)
        ev = self.srv.get("/api/v1/devices/SN-A1/events").json["items"]
        self.assertEqual(len(ev), 5)
        self.assertTrue(all(e["feedback_id"] == fid for e in ev), ev)
        # once closed, new faults count afresh
        for st in ("acknowledged", "assessed", "assigned", "investigating", "responded",
                   "closed"):  # the lifecycle's shortest walk to closed
            self.assertStatus(self.srv.patch("/api/v1/feedback/%d" % fid, {"status": st}), 200)
        r = self.post({"device_id": "SN-A1", "fault_code": "E21", "at": t0 + 500})
        self.assertIsNone(r.json["items"][0]["feedback_id"])

    def test_faults_outside_the_window_do_not_add_up(self):
        t0 = int(time.time()) - 3 * 3600
        for k in range(3):  # one every 40 minutes, window 30
            r = self.post({"device_id": "SN-B2", "fault_code": "E01", "at": t0 + k * 2400})
            self.assertStatus(r, 201)
            self.assertIsNone(r.json["items"][0]["feedback_id"], r.describe())
            self.assertEqual(r.json["items"][0]["faults_in_window"], 1)

    def test_redelivered_event_is_not_counted_twice(self):
        ev = {"device_id": "SN-C3", "fault_code": "E12", "event_id": "evt-1"}
        self.assertStatus(self.post(ev), 201)
        r = self.post(ev)
        self.assertStatus(r, 200)
        self.assertTrue(r.json["items"][0]["duplicate"])
        self.assertEqual(len(self.srv.get("/api/v1/devices/SN-C3/events").json["items"]), 1)

    def test_bad_events(self):
        self.assertError(self.post({"fault_code": "E1"}), 400, "missing_field", "device_id")
        self.assertError(self.post({"device_id": "x"}), 400, "missing_field", "fault_code")
        self.assertError(self.post({"device_id": "x", "fault_code": "E", "at": "yesterday"}),
                         400, "invalid_time", "at")
        self.assertError(self.post([{"device_id": "x", "fault_code": "E"}, {"device_id": "y"}]),
                         400, "missing_field", "items[1].fault_code")
        self.assertError(self.post([]), 400, "empty_batch")
        self.assertError(self.post([{"device_id": "x", "fault_code": "E"}] * 101), 413,
                         "too_many_items")
        self.assertEqual(self.srv.get("/api/v1/devices/x/events").json["items"], [])
        r = self.srv.post("/api/v1/devices/events", {"device_id": "x", "fault_code": "E"},
                          auth=False)
        self.assertEqual(r.status, 401)


class FormTest(ChannelCase):
    def open_form(self, form="hotel", query="store=%E4%B8%8A%E6%B5%B7%E5%BA%97&room=1208"):
        r = self.srv.get("/f/%s?%s" % (form, query), auth=False)
        self.assertStatus(r, 200)
        html = r.body.decode("utf-8")
        token = re.search(r'name="t" value="([^"]+)"', html).group(1)
        return html, token

    def send(self, fields, json_reply=True):
        body = urllib.parse.urlencode(fields).encode()
        h = {"Content-Type": "application/x-www-form-urlencoded"}
        if json_reply:
            h["Accept"] = "application/json"
        return self.srv.request("POST", "/f/hotel", raw=body, headers=h, auth=False)

    def test_form_carries_context_and_gives_a_receipt(self):
        html, token = self.open_form()
        self.assertIn("住客意见", html)
        self.assertIn('name="ctx_room" value="1208"', html)
        self.assertIn("上海店", html)
        self.assertIn('name="website"', html)  # the honeypot is there
        time.sleep(2.1)
        r = self.send({"t": token, "text": "空调不制冷，半夜很热", "rating": "2",
                       "ctx_store": "上海店", "ctx_room": "1208", "website": ""})
        self.assertStatus(r, 201)
        receipt = r.json["receipt"]
        self.assertRegex(receipt, r"^R[2-9A-HJKMNP-Z]{10}$")
        rec = self.srv.get("/api/v1/feedback/%d" % r.json["id"]).json
        self.assertEqual(rec["channel"], "qr")
        self.assertEqual(rec["store"], "上海店")
        self.assertEqual(rec["extra"]["room"], "1208")
        self.assertEqual(rec["rating"], 2)
        # the status page shows the status, no personal data
        s = self.srv.get("/f/status/" + receipt, auth=False)
        self.assertStatus(s, 200)
        self.assertIn("已受理", s.body.decode())
        for st in ("acknowledged", "assessed", "investigating"):
            self.assertStatus(self.srv.patch("/api/v1/feedback/%d" % r.json["id"],
                                              {"status": st}), 200)
        s = self.srv.get("/f/status/" + receipt, auth=False, headers={"Accept": "application/json"})
        self.assertEqual(s.json["status"], "investigating")
        self.assertNotIn("空调", s.body.decode())
        # a resubmitted form gives the same receipt, no second record
        again = self.send({"t": token, "text": "空调不制冷，半夜很热", "rating": "2",
                           "ctx_store": "上海店", "ctx_room": "1208"})
        self.assertStatus(again, 200)
        self.assertEqual(again.json["receipt"], receipt)
        self.assertEqual(again.json["id"], r.json["id"])

    def test_html_reply_for_browsers(self):
        _, token = self.open_form(form="hotel", query="room=9")
        time.sleep(2.1)
        r = self.send({"t": token, "text": "热水不热"}, json_reply=False)
        self.assertStatus(r, 201)
        self.assertIn("回执号", r.body.decode())
        self.assertIn("text/html", r.header("Content-Type"))

    def test_bot_checks(self):
        _, token = self.open_form()
        r = self.send({"t": token, "text": "too quick"})
        self.assertError(r, 400, "too_fast", "t")
        time.sleep(2.1)
        self.assertError(self.send({"t": token, "text": "spam", "website": "http://x"}),
                         400, "rejected", "website")
        self.assertError(self.send({"t": "123.abc", "text": "forged"}), 400, "form_expired")
        self.assertError(self.send({"text": "no token"}), 400, "form_expired")
        forged = str(int(time.time() * 1000) - 10000) + token[token.index("."):]
        self.assertError(self.send({"t": forged, "text": "re-dated"}), 400, "form_expired")
        self.assertError(self.send({"t": token}), 400, "missing_field", "text")
        self.assertError(self.send({"t": token, "text": "x", "rating": "9"}), 400,
                         "invalid_field", "rating")

    def test_unknown_form_and_receipt(self):
        self.assertError(self.srv.get("/f/nope", auth=False), 404, "unknown_form")
        r = self.srv.get("/f/status/RXXXXXXXXXX", auth=False,
                         headers={"Accept": "application/json"})
        self.assertError(r, 404, "not_found", "receipt")


class RateLimitTest(ServerTestCase):
    def test_posts_per_address_are_limited(self):
        tmp = tempfile.mkdtemp(prefix="kesu-rl-")
        try:
            data = os.path.join(tmp, "data")
            os.makedirs(data)
            with open(os.path.join(data, "channels.json"), "w") as f:
                json.dump({"rate_limit": {"form_per_minute": 3}}, f)
            srv = self.server(data_dir=data)
            h = {"Content-Type": "application/x-www-form-urlencoded",
                 "Accept": "application/json"}
            codes = [srv.request("POST", "/f/default", raw=b"text=x", headers=h,
                                 auth=False).status for _ in range(6)]
            self.assertEqual(codes[:3], [400, 400, 400], codes)  # let through (then refused)
            self.assertEqual(codes[3:], [429, 429, 429], codes)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


class QrTest(ChannelCase):
    def decode(self, png):
        if not shutil.which("zbarimg"):
            self.fail("zbarimg (Debian zbar-tools) is needed to decode QR codes: make deps")
        with tempfile.NamedTemporaryFile(suffix=".png") as f:
            f.write(png)
            f.flush()
            p = subprocess.run(["zbarimg", "--raw", "-q", f.name], capture_output=True)
        return p.stdout.decode().strip()

    def test_api_png_and_svg(self):
        link = "http://127.0.0.1:8080/f/hotel?store=%E4%B8%8A%E6%B5%B7%E5%BA%97&room=1208"
        r = self.srv.get("/api/v1/qr?format=png&url=" + urllib.parse.quote(link, safe=""))
        self.assertStatus(r, 200)
        self.assertEqual(r.header("Content-Type"), "image/png")
        self.assertEqual(self.decode(r.body), link)
        r = self.srv.get("/api/v1/qr?url=" + urllib.parse.quote(link, safe=""))
        self.assertEqual(r.header("Content-Type"), "image/svg+xml")
        self.assertTrue(r.body.startswith(b"<?xml") and b"<svg" in r.body)
        self.assertError(self.srv.get("/api/v1/qr"), 400, "missing_field", "url")
        self.assertError(self.srv.get("/api/v1/qr?url=x&format=gif"), 400, "invalid_field",
                         "format")
        self.assertEqual(self.srv.get("/api/v1/qr?url=x", auth=False).status, 401)

    def test_cli_builds_the_form_link(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "table12.png")
            p = subprocess.run([kesu_bin(), "qr", "--base", "http://kesu.example.cn/",
                                "--form", "hotel", "--store", "上海店", "--room", "12",
                                "--out", out], capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stderr)
            with open(out, "rb") as f:
                got = self.decode(f.read())
            self.assertEqual(got, "http://kesu.example.cn/f/hotel?store=%E4%B8%8A%E6%B5%B7"
                                  "%E5%BA%97&room=12")


class ConfigErrorTest(ServerTestCase):
    def test_bad_channels_file_is_refused_at_start(self):
        tmp = tempfile.mkdtemp(prefix="kesu-cfg-")
        try:
            data = os.path.join(tmp, "data")
            os.makedirs(data)
            for bad, word in [({"hooks": {"x": {"secret": "short", "fields": {}}}}, "secret"),
                              ({"hooks": {"x": {"secret": "s" * 20, "fields": {"colour": "/c"}}}},
                               "fields"),
                              ({"devices": {"threshold": 0}}, "devices.threshold")]:
                with open(os.path.join(data, "channels.json"), "w") as f:
                    json.dump(bad, f)
                p = subprocess.run([kesu_bin(), "--data", data, "serve", "--listen",
                                    "127.0.0.1:0"], capture_output=True, text=True, timeout=30)
                self.assertEqual(p.returncode, 1, p.stderr)
                self.assertIn(word, p.stderr)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
