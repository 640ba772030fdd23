"""The intake pipeline through the real server: personal data masked everywhere a client or an
operator can look (replies, lists, full-text search, exports, logs) with the originals sealed,
cleaned text for analysis (HTML, widths, traditional Chinese), duplicates linked with a repeat
count, quality bits."""
import glob
import json
import os
import subprocess
import time
import unittest
import urllib.parse

from kesu_server import ServerTestCase, kesu_bin

API = "/api/v1/feedback"
PHONE, ID_NO, CARD = "13912345678", "110101199003074258", "6222021234567890128"
SECRET_TEXT = "我叫李雷，手机%s，身份证%s，银行卡%s，邮箱lilei@example.cn，请尽快处理退款" % (
    PHONE, ID_NO, CARD)


class PipelineTest(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        cls.start_class_server()

    @classmethod
    def tearDownClass(cls):
        cls.stop_class_server()

    def post(self, **kw):
        body = {"channel": "web", "text": "测试"}
        body.update(kw)
        r = self.srv.post(API, body)
        self.assertStatus(r, 201)
        return r.json

    def test_personal_data_never_leaves_unmasked(self):
        rec = self.post(text=SECRET_TEXT, customer_name="李雷", phone=PHONE,
                        email="lilei@example.cn", external_id="pii-1")
        got = self.srv.get(API + "/%d" % rec["id"]).json
        for r in (rec, got):
            blob = json.dumps(r, ensure_ascii=False)
            for secret in (PHONE, ID_NO, CARD, "lilei@", "李雷"):
                self.assertNotIn(secret, blob)
            self.assertIn("139****5678", r["text"])
            self.assertIn("110101********4258", r["text"])
            self.assertIn("李*", r["text"])
            self.assertNotIn("pii_vault", r)
            self.assertTrue(r["quality"] & (1 << 10))
        # lists, full-text search (by a masked number's visible part and by text), export
        self.srv.get("/healthz", auth=False)
        for _ in range(100):
            if self.srv.metric("kesu_search_lag_records") == 0:
                break
            time.sleep(0.05)
        for q in ("", "q=" + urllib.parse.quote("退款"), "q=4258", "q=" + PHONE[-4:]):
            blob = self.srv.get(API + "?limit=1000&" + q).body.decode()
            for secret in (PHONE, ID_NO, CARD, "lilei@"):
                self.assertNotIn(secret, blob, q)
        self.assertEqual(self.srv.get(API + "?q=" + PHONE).json["items"], [],
                         "the full number must not be searchable")
        p = subprocess.run([kesu_bin(), "--data", self.srv.data, "export", "--format", "csv"],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        for secret in (PHONE, ID_NO, CARD, "lilei@"):
            self.assertNotIn(secret, p.stdout)
        # the database keeps the originals only sealed; the log has none of them
        for path in glob.glob(os.path.join(self.srv.data, "*")):
            if os.path.isfile(path) and not path.endswith((".key",)):
                with open(path, "rb") as f:
                    data = f.read()
                for secret in (PHONE, ID_NO, CARD):
                    self.assertNotIn(secret.encode(), data, path)
        self.assertNotIn(PHONE, self.srv.stderr_text())
        # the operator can open the vault: the original text, byte for byte
        p = subprocess.run([kesu_bin(), "--data", self.srv.data, "reveal", "--reason",
                            "客户回访需要联系电话", str(rec["id"])], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        orig = json.loads(p.stdout)
        self.assertEqual(orig["text"], SECRET_TEXT)
        self.assertEqual(orig["phone"], PHONE)
        self.assertEqual(orig["customer_name"], "李雷")
        self.assertNotIn(PHONE, p.stderr)

    def test_cleaned_text_for_analysis(self):
        rec = self.post(text="<p>這個<b>產品</b>質量太差&amp;客服態度不好！！！</p>"
                             "ＡＰＰ一直閃退")
        self.assertEqual(rec["text"], "<p>這個<b>產品</b>質量太差&amp;客服態度不好！！！</p>"
                                      "ＡＰＰ一直閃退", "the original keeps its script")
        clean = rec["clean_text"]
        self.assertNotIn("<", clean)
        self.assertIn("这个产品质量太差&客服态度不好", clean)
        self.assertIn("APP", clean)
        self.assertNotIn("！！", clean)
        q = rec["quality"]
        self.assertTrue(q & 1 and q & 2 and q & 4 and q & (1 << 9), q)

    def test_duplicates_are_linked(self):
        text = "在上海徐汇店买的空气炸锅用了三天就坏了，开机没有反应，要求退货退款"
        first = self.post(text=text, customer_id="DUP-C1", external_id="dup-a")
        exact = self.post(text=text + "。", customer_id="DUP-C1", external_id="dup-b",
                          channel="hotline")
        near = self.post(text="再次反映：" + text + "，急！", customer_id="DUP-C1",
                         external_id="dup-c", channel="app")
        other = self.post(text="酒店房间的空调不制冷，晚上根本睡不着，前台也不给换房间",
                          customer_id="DUP-C2", external_id="dup-d")
        self.assertNotIn("duplicate_of", first)
        self.assertEqual(exact.get("duplicate_of"), first["id"])
        self.assertTrue(exact["quality"] & (1 << 11))
        self.assertEqual(near.get("duplicate_of"), first["id"])
        self.assertTrue(near["quality"] & (1 << 12))
        self.assertNotIn("duplicate_of", other)
        got = self.srv.get(API + "/%d" % first["id"]).json
        self.assertEqual(got["repeat_count"], 2)
        kinds = [e["kind"] for e in got["timeline"]]
        self.assertEqual(kinds.count("duplicate"), 2)
        # both stay visible
        self.assertEqual(self.srv.get(API + "/%d" % exact["id"]).status, 200)

    def test_dates_and_ratings_are_standardised(self):
        rec = self.post(received_at="2025年6月25日 09:33", rating="满意", text="评分是文字")
        self.assertEqual(rec["received_at"], "2025-06-25T09:33:00+08:00")
        self.assertEqual((rec["rating"], rec["rating_scale"], rec["rating_norm"]), (4, 5, 80))
        rec = self.post(received_at="25-06-2025 09:33:19", rating=9, rating_scale=10)
        self.assertEqual(rec["received_at"], "2025-06-25T09:33:19+08:00")
        self.assertEqual(rec["rating_norm"], 90)
        rec = self.post(received_at="1750815180")
        self.assertEqual(rec["received_at"], "2025-06-25T09:33:00+08:00")
        r = self.srv.post(API, {"channel": "web", "text": "x", "received_at": "6/25/25"})
        self.assertError(r, 400, "invalid_time", "received_at")
        r = self.srv.post(API, {"channel": "web", "text": "x", "rating": "还行吧"})
        self.assertError(r, 400, "invalid_number", "rating")

    def test_redelivery_is_not_a_duplicate(self):
        body = {"channel": "web", "external_id": "redeliver-1", "customer_id": "R1",
                "text": "同一条消息重复投递两次，不应该算作重复投诉"}
        a = self.srv.post(API, body)
        b = self.srv.post(API, body)
        self.assertStatus(a, 201)
        self.assertStatus(b, 200)
        self.assertEqual(a.json["id"], b.json["id"])
        self.assertNotIn("repeat_count", self.srv.get(API + "/%d" % a.json["id"]).json)


if __name__ == "__main__":
    unittest.main()


class QualityTest(ServerTestCase):
    def test_report_counts_flags_rejections_and_silent_channels(self):
        import shutil
        import tempfile
        tmp = tempfile.mkdtemp(prefix="kesu-quality-")
        self.addCleanup(shutil.rmtree, tmp, True)
        data = os.path.join(tmp, "data")
        os.makedirs(data)
        with open(os.path.join(data, "channels.json"), "w") as f:
            json.dump({"rules": {"ecommerce": {"required": ["order_no"],
                                               "defaults": {"region": "华东"}}},
                       "expected_channels": ["ecommerce", "hotline", "sms"]}, f)
        srv = self.server(data_dir=data)
        ok = srv.post(API, {"channel": "ecommerce", "text": "<b>差评</b>", "order_no": "T1"})
        self.assertStatus(ok, 201)
        self.assertEqual(ok.json["region"], "华东", "the rule's default")
        missing = srv.post(API, {"channel": "ecommerce", "text": "没有订单号的评价"})
        self.assertStatus(missing, 201, "kept, only flagged")
        self.assertTrue(missing.json["quality"] & (1 << 13))
        srv.post(API, {"channel": "hotline", "text": "电话13912345678的客户来电"})
        self.assertEqual(srv.post(API, {"channel": "ecommerce"}).status, 400)
        self.assertEqual(srv.post(API, {"channel": "fax", "text": "x"}).status, 400)
        self.assertEqual(srv.post(API, raw=b"{nope").status, 400)
        for _ in range(100):  # refused inputs are counted behind the reply
            q = srv.get("/api/v1/quality?by=day").json
            if sum(x["count"] for x in q["rejections"]) >= 3:
                break
            time.sleep(0.05)
        rows = {r["channel"]: r for r in q["rows"]}
        self.assertEqual(rows["ecommerce"]["records"], 2)
        self.assertEqual(rows["ecommerce"]["missing_required"], 1)
        self.assertEqual(rows["ecommerce"]["corrected"], 1)
        self.assertEqual(rows["ecommerce"]["share"]["missing_required"], 0.5)
        self.assertEqual(rows["hotline"]["pii_masked"], 1)
        rej = {(r["channel"], r["code"], r["field"]): r["count"] for r in q["rejections"]}
        self.assertEqual(rej.get(("ecommerce", "missing_field", "text")), 1, q["rejections"])
        self.assertEqual(rej.get(("", "invalid_value", "channel")), 1, q["rejections"])
        self.assertEqual(rej.get(("", "malformed_json", "")), 1, q["rejections"])
        self.assertEqual(q["coverage"]["silent"], ["sms"])
        self.assertEqual(q["coverage"]["delivered"], {"ecommerce": 2, "hotline": 1})
        self.assertError(srv.get("/api/v1/quality?by=year"), 400, "invalid_field", "by")
        self.assertError(srv.get("/api/v1/quality?since=yesterday"), 400, "invalid_time",
                         "since")
        p = subprocess.run([kesu_bin(), "--data", data, "quality"], capture_output=True,
                           text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("ecommerce", p.stdout)
        self.assertIn("expected channels that delivered nothing: sms", p.stdout)
