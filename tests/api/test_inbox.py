"""The complaint list's SLA-state filter and sort orders (the inbox of the web UI), against the
real server: hand-made SLA clocks in every state, filtered, counted and exported; sorted lists
paged through with the cursor, every record exactly once and in order."""

import csv
import io
import os
import sqlite3
import time
import unittest
from urllib.parse import quote

from kesu_server import SLOW, ServerTestCase

API = "/api/v1"
FB = API + "/feedback"


class SlaStateFilterTest(ServerTestCase):
    """GET /api/v1/feedback?sla=ok|warning|breached|paused|none (comma lists), from case_sla."""

    # title → the case_sla row made by hand (None: no row, no policy applies) and its state
    CASES = [
        ("no-policy", None, "none"),
        ("on-time", dict(warned=0, breached=0, met=0, paused=False), "ok"),
        ("met-after-warning", dict(warned=1, breached=0, met=1, paused=False), "ok"),
        ("warned", dict(warned=2, breached=0, met=1, paused=False), "warning"),
        ("breached", dict(warned=1, breached=4, met=0, paused=False), "breached"),
        ("met-late", dict(warned=0, breached=1, met=1, paused=False), "breached"),
        ("paused", dict(warned=0, breached=0, met=0, paused=True), "paused"),
        ("paused-warned", dict(warned=1, breached=0, met=0, paused=True), "paused"),
        ("paused-breached", dict(warned=0, breached=2, met=0, paused=True), "breached"),
    ]

    @classmethod
    def setUpClass(cls):
        srv = cls.start_class_server(extra_args=["--sla-interval", "0"])
        cls.ids = {}
        for title, _, _ in cls.CASES:
            r = srv.post(FB, {"channel": "web", "title": title, "text": "SLA 状态 " + title})
            assert r.status == 201, r.describe()
            cls.ids[title] = r.json["id"]
        # the clocks, written while the server is down (no policy routes these records)
        srv.stop()
        db = sqlite3.connect(os.path.join(srv.data, "kesu.db"))
        with db:
            for title, row, _ in cls.CASES:
                if row is None:
                    continue
                db.execute(
                    "INSERT INTO case_sla(feedback_id, policy, calendar, ack_due, response_due,"
                    " resolve_due, paused_since, warned, breached, met, start_at, updated_at)"
                    " VALUES (?, 'std', '24x7', 1, 2, 3, ?, ?, ?, ?, 0, 0)",
                    (cls.ids[title], 1700000000 if row["paused"] else None, row["warned"],
                     row["breached"], row["met"]))
        db.close()
        srv.restart()

    @classmethod
    def tearDownClass(cls):
        cls.stop_class_server()

    def titles(self, query):
        return sorted(x["title"] for x in self.srv.list_all(query, limit=2))

    def expect(self, *states):
        return sorted(t for t, _, st in self.CASES if st in states)

    def test_each_state_alone(self):
        for state in ("ok", "warning", "breached", "paused", "none"):
            with self.subTest(sla=state):
                self.assertEqual(self.titles("sla=" + state), self.expect(state))
                r = self.srv.get(FB + "?limit=1&total=true&sla=" + state)
                self.assertStatus(r, 200)
                self.assertEqual(r.json["total"], len(self.expect(state)))

    def test_comma_lists_and_other_filters(self):
        self.assertEqual(self.titles("sla=breached,paused"), self.expect("breached", "paused"))
        self.assertEqual(self.titles("sla=ok,none,warning,"), self.expect("ok", "none", "warning"))
        self.assertEqual(self.titles("sla=ok&sort=-severity"), self.expect("ok"))
        self.assertEqual(self.titles("sla=breached&channel=email"), [])
        self.assertEqual(self.titles("sla=breached&channel=web"), self.expect("breached"))

    def test_export_respects_it(self):
        r = self.srv.get(FB + "/export?format=csv&sla=" + quote("warning,paused"))
        self.assertStatus(r, 200)
        rows = list(csv.reader(io.StringIO(r.body.decode("utf-8-sig"))))
        header, rows = rows[0], rows[1:]
        ids = sorted(int(row[header.index("id")]) for row in rows)
        self.assertEqual(ids, sorted(self.ids[t] for t in self.expect("warning", "paused")))

    def test_bad_values_name_the_field(self):
        for bad in ("late", "ok,late", "OK", "breached;drop"):
            with self.subTest(sla=bad):
                self.assertError(self.srv.get(FB + "?sla=" + quote(bad)), 400, "invalid_field",
                                 "sla")
        self.assertError(self.srv.get(FB + "/export?sla=late"), 400, "invalid_field", "sla")

    # ---- with_sla=true: the page's clocks beside its items ----------------------------

    def test_with_sla_gives_each_record_its_clock(self):
        """One map id → clock for the records of the page, each the object of …/{id}/sla."""
        back = {v: k for k, v in self.ids.items()}
        seen = set()
        cursor = None
        while True:
            q = FB + "?limit=4&with_sla=true&channel=web"
            if cursor:
                q += "&cursor=" + quote(cursor)
            r = self.srv.get(q)
            self.assertStatus(r, 200)
            page_ids = [it["id"] for it in r.json["items"]]
            # exactly the page's records: no more, no fewer
            self.assertEqual(sorted(r.json["sla"]), sorted(str(i) for i in page_ids))
            for i in page_ids:
                clock = r.json["sla"][str(i)]
                seen.add(i)
                one = self.srv.get(FB + "/%d/sla" % i)
                title = back.get(i)
                row = dict((t, c) for t, c, _ in self.CASES).get(title)
                if title is not None and row is None:
                    self.assertIsNone(clock, title)
                    self.assertError(one, 404, "not_found", "id")
                    continue
                self.assertStatus(one, 200)
                self.assertEqual(clock, one.json, title)  # the same writer, the same shape
                if title is not None:
                    self.assertEqual(clock["paused"], row["paused"], title)
                    t = clock["targets"]
                    for k, bit in (("acknowledgement", 1), ("response", 2), ("resolution", 4)):
                        self.assertEqual(t[k]["breached"], bool(row["breached"] & bit), title)
                        self.assertEqual(t[k]["warned"], bool(row["warned"] & bit), title)
                        self.assertEqual(t[k]["met"], bool(row["met"] & bit), title)
            cursor = r.json.get("next_cursor")
            if not cursor:
                break
        self.assertTrue(set(self.ids.values()) <= seen)

    def test_with_sla_only_when_asked(self):
        for q in ("", "&with_sla=false", "&with_sla=0"):
            with self.subTest(q=q):
                r = self.srv.get(FB + "?limit=5" + q)
                self.assertStatus(r, 200)
                self.assertNotIn("sla", r.json)
                self.assertTrue(r.json["items"])
        r = self.srv.get(FB + "?limit=5&with_sla=1&sla=breached")
        self.assertStatus(r, 200)
        self.assertEqual(sorted(r.json["sla"]), sorted(str(x["id"]) for x in r.json["items"]))
        self.assertTrue(all(c["targets"] for c in r.json["sla"].values()))
        # an empty page has an empty map
        r = self.srv.get(FB + "?with_sla=true&channel=email")
        self.assertStatus(r, 200)
        self.assertEqual((r.json["items"], r.json["sla"]), ([], {}))

    def test_with_sla_bad_value_names_the_field(self):
        for bad in ("maybe", "TRUE", "yes", "", "1,0"):
            with self.subTest(with_sla=bad):
                self.assertError(self.srv.get(FB + "?with_sla=" + quote(bad)), 400,
                                 "invalid_field", "with_sla")


SEV_RANK = {"critical": 4, "high": 3, "medium": 2, "low": 1}
PRI_RANK = {"p1": 4, "p2": 3, "p3": 2, "p4": 1}


class ListSortTest(ServerTestCase):
    """GET /api/v1/feedback?sort=…: every order paged through with the cursor."""

    N = 41

    @classmethod
    def setUpClass(cls):
        srv = cls.start_class_server()
        sevs = ["low", "medium", "high", "critical"]
        pris = ["p1", "p2", "p3", "p4", None]
        cls.recs = []
        for i in range(cls.N):
            # few distinct times, so that ties are broken by id
            day = 10 + (i * 7) % 5
            r = srv.post(FB, {"channel": ["web", "app"][i % 2], "text": "排序测试 %d" % i,
                              "received_at": "2026-11-%02dT09:00:00+08:00" % day})
            assert r.status == 201, r.describe()
            rec = r.json
            patch = {"severity": sevs[(i * 3) % 4]}
            if pris[i % 5]:
                patch["priority"] = pris[i % 5]
            r = srv.patch(FB + "/%d" % rec["id"], patch)
            assert r.status == 200, r.describe()
            cls.recs.append(r.json)

    @classmethod
    def tearDownClass(cls):
        cls.stop_class_server()

    def expected(self, sort, recs=None):
        key = sort.lstrip("-")
        rank = {"received_at": lambda x: 0,
                "severity": lambda x: SEV_RANK.get(x.get("severity"), 0),
                "priority": lambda x: PRI_RANK.get(x.get("priority"), 0)}[key]
        recs = self.recs if recs is None else recs
        ordered = sorted(recs, key=lambda x: (rank(x), x["received_at"], x["id"]))
        # received_at strings sort like the times: all in the same zone and format
        return [x["id"] for x in (ordered[::-1] if sort.startswith("-") else ordered)]

    def test_every_order_pages_exactly_once(self):
        for sort in ("received_at", "-received_at", "severity", "-severity", "priority",
                     "-priority"):
            for limit in (1, 6, 1000):
                with self.subTest(sort=sort, limit=limit):
                    got = [x["id"] for x in self.srv.list_all("sort=" + sort, limit=limit)]
                    self.assertEqual(len(got), len(set(got)))
                    self.assertEqual(got, self.expected(sort))

    def test_default_is_newest_received_first(self):
        got = [x["id"] for x in self.srv.list_all("", limit=7)]
        self.assertEqual(got, self.expected("-received_at"))

    def test_sort_with_a_filter_and_total(self):
        web = [x for x in self.recs if x["channel"] == "web"]
        got = [x["id"] for x in self.srv.list_all("channel=web&sort=-severity", limit=4)]
        self.assertEqual(got, self.expected("-severity", web))
        r = self.srv.get(FB + "?channel=web&sort=-severity&limit=3&total=true")
        self.assertEqual(r.json["total"], len(web))

    def test_search_follows_the_sort_when_given(self):
        q = "q=" + quote("排序测试")
        deadline = time.monotonic() + 15 * SLOW   # the indexer works behind intake
        while self.srv.get(FB + "?total=true&limit=1&" + q).json["total"] < self.N:
            self.assertLess(time.monotonic(), deadline, "records not searchable in time")
            time.sleep(0.1)
        for sort in ("-severity", "priority", "received_at"):
            with self.subTest(sort=sort):
                got = [x["id"] for x in self.srv.list_all(q + "&sort=" + sort, limit=4)]
                self.assertEqual(got, self.expected(sort))
        # without a sort: newest recorded first, as before
        got = [x["id"] for x in self.srv.list_all(q, limit=4)]
        self.assertEqual(got, sorted(got, reverse=True))

    def test_cursor_belongs_to_its_sort(self):
        r = self.srv.get(FB + "?sort=-severity&limit=3")
        self.assertStatus(r, 200)
        cur = r.json["next_cursor"]
        self.assertTrue(cur)
        self.assertError(self.srv.get(FB + "?sort=priority&limit=3&cursor=" + quote(cur)),
                         400, "invalid_cursor", "cursor")
        self.assertError(self.srv.get(FB + "?limit=3&cursor=" + quote(cur)),
                         400, "invalid_cursor", "cursor")
        for bad in ("o2.x.1.1", "o2.3.1", "o9.1.1.1", "o2.1.1.0"):
            with self.subTest(cursor=bad):
                self.assertError(self.srv.get(FB + "?sort=-severity&cursor=" + bad),
                                 400, "invalid_cursor", "cursor")

    def test_bad_sort_names_the_field(self):
        for bad in ("id", "severity desc", "+severity", "--priority", "text"):
            with self.subTest(sort=bad):
                self.assertError(self.srv.get(FB + "?sort=" + quote(bad)), 400,
                                 "invalid_field", "sort")
        self.assertError(self.srv.get(FB + "/export?sort=id"), 400, "invalid_field", "sort")

    def test_export_follows_the_sort(self):
        r = self.srv.get(FB + "/export?format=csv&sort=priority")
        self.assertStatus(r, 200)
        rows = list(csv.reader(io.StringIO(r.body.decode("utf-8-sig"))))
        header, rows = rows[0], rows[1:]
        self.assertEqual([int(row[header.index("id")]) for row in rows],
                         self.expected("priority"))


if __name__ == "__main__":
    unittest.main()
