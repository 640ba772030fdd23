#!/usr/bin/python3
"""bench/fts_compare.py PORT KEYFILE: full-text search by substrings (kesu_cjk, the default)
against search by words (kesu_seg, match=words) on the same records: hits of each, and texts
only the substring search finds (so a person can judge whether they are relevant)."""
import json
import sys
import urllib.parse
import urllib.request

QUERIES = ["退款", "差", "态度", "质量", "快递", "客服", "漏水", "发票", "电池", "退货", "过敏",
           "屏幕", "不能用", "投诉"]


def get(port, key, q, words, limit=1000):
    ids, texts, cursor = [], {}, None
    while True:
        url = "http://127.0.0.1:%d/api/v1/feedback?limit=%d&q=%s" % (
            port, limit, urllib.parse.quote(q))
        if words:
            url += "&match=words"
        if cursor:
            url += "&cursor=" + urllib.parse.quote(cursor)
        req = urllib.request.Request(url, headers={"Authorization": "Bearer " + key})
        with urllib.request.urlopen(req) as r:
            j = json.load(r)
        for it in j["items"]:
            ids.append(it["id"])
            texts[it["id"]] = it["text"]
        cursor = j.get("next_cursor")
        if not cursor:
            return ids, texts


def snippet(text, q, width=12):
    i = text.find(q)
    return text[max(0, i - width):i + len(q) + width].replace("\n", " ")


def main():
    port, key = int(sys.argv[1]), open(sys.argv[2]).read().strip()
    print("| query | substring hits | word hits | only substring | only words | examples found by substring only |")
    print("|---|---|---|---|---|---|")
    for q in QUERIES:
        a, ta = get(port, key, q, False)
        b, _ = get(port, key, q, True)
        sa, sb = set(a), set(b)
        only = [i for i in a if i not in sb]
        seen, ex = set(), []
        for i in only:
            s = snippet(ta[i], q)
            if s not in seen:
                seen.add(s)
                ex.append("…" + s + "…")
            if len(ex) == 3:
                break
        print("| %s | %d | %d | %d | %d | %s |" % (q, len(sa), len(sb), len(sa - sb), len(sb - sa),
                                                  " · ".join(ex) if ex else ""))


if __name__ == "__main__":
    main()
