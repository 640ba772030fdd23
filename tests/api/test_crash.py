"""The durability proof: a record acknowledged with 2xx survives a SIGKILL of the server
at any moment, and nothing is ever stored twice.

8 client threads post records as fast as they can; after ~2 s (and a few thousand
acknowledgements) the server is killed with SIGKILL mid-load and restarted on the same data
dir. Every acknowledged record must then be there with its external_id and text, no
external_id may appear twice, and re-posting an acknowledged record must give 200 with the
same id. Requests that failed with a connection error are "in doubt": they may or may not
be stored, but at most once.
"""

import sys
import threading
import time
import unittest
import uuid

from kesu_server import SLOW, ServerTestCase

API = "/api/v1/feedback"
THREADS = 8
LOAD_SECONDS = 2.0
MIN_ACKED = 2000
ROUNDS = 2


def run_parallel(n, fn, items):
    """Calls fn(client_index, item) for items spread over n threads; returns the errors."""
    errors = []
    chunks = [items[i::n] for i in range(n)]

    def work(k):
        try:
            for it in chunks[k]:
                fn(k, it)
        except Exception as e:  # noqa: BLE001 - reported by the caller
            errors.append(repr(e))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300 * SLOW)
    return errors


class CrashTest(ServerTestCase):
    def load_until_killed(self, srv, rnd):
        acked = {}      # external_id -> (id, text)
        in_doubt = {}   # external_id -> text (connection error: unknown outcome)
        bad = []        # unexpected HTTP answers
        lock = threading.Lock()
        stop = threading.Event()
        run_id = uuid.uuid4().hex[:8]

        def client(t):
            c = srv.client(retry=False)  # never re-send: the outcome would be ambiguous
            i = 0
            try:
                while not stop.is_set():
                    ext = "crash-%d-%s-%d-%d" % (rnd, run_id, t, i)
                    text = "崩溃测试 round %d thread %d no %d %s" % (rnd, t, i, uuid.uuid4().hex)
                    i += 1
                    try:
                        r = c.request("POST", API, {"channel": "web", "external_id": ext,
                                                    "text": text})
                    except Exception:  # noqa: BLE001 - the server died under us
                        with lock:
                            in_doubt[ext] = text
                        return
                    with lock:
                        if r.status in (200, 201) and r.json and "id" in r.json:
                            acked[ext] = (r.json["id"], text)
                        else:
                            bad.append(r.describe())
                            return
            finally:
                c.close()

        threads = [threading.Thread(target=client, args=(t,)) for t in range(THREADS)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        deadline = t0 + 30 * SLOW
        while True:
            time.sleep(0.05)
            with lock:
                n = len(acked)
                failed = bool(bad)
            if failed:
                break
            if time.monotonic() - t0 >= LOAD_SECONDS and n >= MIN_ACKED:
                break
            if time.monotonic() > deadline:
                break
        srv.kill()  # SIGKILL mid-load
        killed_after = time.monotonic() - t0
        stop.set()
        for t in threads:
            t.join(60 * SLOW)
        self.assertEqual(bad[:3], [], "unexpected answers under load")
        self.assertGreaterEqual(len(acked), min(MIN_ACKED, 500),
                                "too few records acknowledged in %.1f s: %d" %
                                (killed_after, len(acked)))
        return acked, in_doubt, killed_after

    def verify(self, srv, acked, in_doubt):
        items = list(acked.items())
        problems = []
        plock = threading.Lock()
        clients = [srv.client() for _ in range(THREADS)]

        def check_get(k, item):
            ext, (id_, text) = item
            r = clients[k].request("GET", API + "/%d" % id_)
            if r.status != 200 or r.json.get("external_id") != ext or r.json.get("text") != text:
                with plock:
                    problems.append("acknowledged %s (id %d) after restart: %s" %
                                    (ext, id_, r.describe()[:400]))

        def check_repost(k, item):
            ext, (id_, text) = item
            r = clients[k].request("POST", API, {"channel": "web", "external_id": ext,
                                                 "text": text})
            if r.status != 200 or r.json.get("id") != id_:
                with plock:
                    problems.append("re-POST of acknowledged %s (id %d): expected 200 with "
                                    "the same id, got %s" % (ext, id_, r.describe()[:400]))

        try:
            errs = run_parallel(THREADS, check_get, items)
            self.assertEqual(errs, [], "GET errors")
            self.assertEqual(problems[:10], [], "%d acknowledged records lost or changed" %
                             len(problems))
            # the whole list, paged: every external_id once
            listed = srv.list_all(limit=1000)
            seen = {}
            for it in listed:
                seen[it.get("external_id")] = seen.get(it.get("external_id"), 0) + 1
            dups = {e: n for e, n in seen.items() if n > 1}
            self.assertEqual(dups, {}, "external_ids stored more than once")
            ids = [it["id"] for it in listed]
            self.assertEqual(len(ids), len(set(ids)), "an id was listed twice")
            missing = [e for e in acked if e not in seen]
            self.assertEqual(missing[:10], [], "%d acknowledged records not listed" %
                             len(missing))
            unexplained = [e for e in seen if e not in acked and e not in in_doubt]
            self.assertEqual(unexplained[:10], [], "records nobody sent")
            present_doubt = sum(1 for e in in_doubt if e in seen)
            errs = run_parallel(THREADS, check_repost, items)
            self.assertEqual(errs, [], "re-POST errors")
            self.assertEqual(problems[:10], [], "%d re-POSTs went wrong" % len(problems))
            self.assertEqual(len(srv.list_all(limit=1000)), len(listed),
                             "re-posting acknowledged records created new ones")
            self.check_search(srv, len(listed))
            return len(listed), present_doubt
        finally:
            for c in clients:
                c.close()

    def check_search(self, srv, total):
        """After the restart the search index catches up with every stored record."""
        deadline = time.monotonic() + 30 * SLOW
        while True:
            r = srv.get(API + "?q=" + "%E5%B4%A9%E6%BA%83%E6%B5%8B%E8%AF%95" +  # 崩溃测试
                        "&limit=1&total=true")
            self.assertEqual(r.status, 200, r.describe())
            if r.json["total"] == total and srv.metric("kesu_search_lag_records") == 0:
                return
            if time.monotonic() > deadline:
                self.fail("after the restart %d of %d records are searchable (lag %s)" %
                          (r.json["total"], total, srv.metric("kesu_search_lag_records")))
            time.sleep(0.1)

    def test_sigkill_under_load_loses_nothing_acknowledged(self):
        srv = self.server()
        all_acked, all_doubt = {}, {}
        for rnd in range(1, ROUNDS + 1):
            t0 = time.monotonic()
            acked, in_doubt, killed_after = self.load_until_killed(srv, rnd)
            all_acked.update(acked)
            all_doubt.update(in_doubt)
            srv.start()  # same data dir, same key
            total, present_doubt = self.verify(srv, all_acked, all_doubt)
            sys.stderr.write(
                "\n  crash round %d: killed after %.1f s; acknowledged %d (all rounds %d), "
                "present %d of them; in doubt %d (%d present); %d records in the store; "
                "round took %.1f s\n" %
                (rnd, killed_after, len(acked), len(all_acked), len(all_acked),
                 len(in_doubt), present_doubt, total, time.monotonic() - t0))
        self.assertEqual(srv.metric('kesu_feedback_records{channel="web"}'),
                         len(srv.list_all(limit=1000)),
                         "the per-channel count disagrees with the records after crashes")
        srv.stop()


class GracefulStopTest(ServerTestCase):
    def test_sigterm_under_load_exits_0_and_keeps_everything(self):
        """SIGTERM while 8 clients post: the server exits 0 in time (no sanitizer report),
        and every acknowledged record is there after a restart."""
        srv = self.server()
        acked, lock, stop = {}, threading.Lock(), threading.Event()
        bad = []

        def client(t):
            c = srv.client(retry=False)
            i = 0
            try:
                while not stop.is_set():
                    ext = "term-%d-%d" % (t, i)
                    i += 1
                    try:
                        r = c.request("POST", API, {"channel": "web", "external_id": ext,
                                                    "text": "graceful %s" % ext})
                    except Exception:  # noqa: BLE001 - the server went away
                        return
                    with lock:
                        if r.status in (200, 201):
                            acked[ext] = r.json["id"]
                        elif r.status != 503:
                            bad.append(r.describe())
                            return
            finally:
                c.close()

        threads = [threading.Thread(target=client, args=(t,)) for t in range(THREADS)]
        for t in threads:
            t.start()
        time.sleep(1.0)
        try:
            srv.stop(timeout=30 * SLOW)  # SIGTERM with clients still connected and posting
        finally:
            stop.set()
            for t in threads:
                t.join(60 * SLOW)
        self.assertEqual(bad[:3], [])
        self.assertGreater(len(acked), 100)
        srv.start()
        listed = {it["external_id"]: it["id"] for it in srv.list_all(limit=1000)}
        lost = [e for e in acked if listed.get(e) != acked[e]]
        self.assertEqual(lost[:10], [], "%d of %d acknowledged records lost by a SIGTERM" %
                         (len(lost), len(acked)))
        sys.stderr.write("\n  graceful stop: %d acknowledged, %d stored\n" %
                         (len(acked), len(listed)))


if __name__ == "__main__":
    unittest.main()
