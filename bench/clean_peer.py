#!/usr/bin/python3
"""The Python peer of kesu's text cleaning, for bench/clean.sh.

The same pipeline as bench/clean_bench.c, written the way a Python service
would: `re` for HTML, punctuation, whitespace and PII, `html.unescape` for
entities, `str.translate` for full-width forms, the `opencc` command (t2s.json)
over the whole batch for traditional -> simplified, and `hashlib` (BLAKE2b,
8 bytes) for the SimHash shingles and the exact-duplicate key. The stages run
on two processes (multiprocessing), opencc as two processes over the two
halves of the batch.

    clean_peer.py FILE [COUNT] [PROCESSES] [nosimhash]

Reads the "text" field of the first COUNT JSON lines of FILE (not timed),
then times the pipeline and prints "key value" lines like clean_bench. With
"nosimhash" the SimHash and exact-key stage is left out.
"""
import hashlib
import html
import json
import multiprocessing
import os
import re
import subprocess
import sys
import tempfile
import time

TAGS = ("a|abbr|address|area|article|aside|audio|b|base|bdi|bdo|big|blockquote|body|br|"
        "button|canvas|caption|center|cite|code|col|colgroup|data|datalist|dd|del|details|"
        "dfn|dialog|div|dl|dt|em|embed|fieldset|figcaption|figure|font|footer|form|frame|"
        "frameset|h[1-6]|head|header|hr|html|i|iframe|img|input|ins|kbd|label|legend|li|"
        "link|main|map|mark|meta|meter|nav|nobr|noscript|object|ol|optgroup|option|output|p|"
        "param|picture|pre|progress|q|rp|rt|ruby|s|samp|script|section|select|small|source|"
        "span|strike|strong|style|sub|summary|sup|table|tbody|td|template|textarea|tfoot|th|"
        "thead|time|title|tr|track|tt|u|ul|var|video|wbr")
BLOCKS = ("address|article|aside|blockquote|body|br|caption|center|dd|details|dialog|div|dl|"
          "dt|fieldset|figcaption|figure|footer|form|h[1-6]|head|header|hr|html|legend|li|"
          "main|nav|ol|option|p|pre|section|summary|table|tbody|td|tfoot|th|thead|title|tr|ul")
RE_SCRIPT = re.compile(r"<(script|style)\b[^>]*>.*?(?:</\1\s*>|$)", re.S | re.I)
RE_COMMENT = re.compile(r"<!--.*?-->|<![A-Za-z][^>]*>|<\?[^>]*>", re.S)
RE_BLOCK = re.compile(r"</?(?:%s)(?=[\s/>])[^<>]*>" % BLOCKS, re.I)
RE_TAG = re.compile(r"</?(?:%s)(?=[\s/>])[^<>]*>" % TAGS, re.I)
RE_CTRL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u202a-\u202e"
                     "\u2060-\u206f\ufeff\ufe00-\ufe0f\ue000-\uf8ff\ufff9-\ufffd]")
RE_EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\u231A\u231B"
                      "\u23E9-\u23FA\u20E3]")
RE_WS = re.compile(r"\s+")
CJK = "\u2e80-\u9fff\uf900-\ufaff\uff01\uff0c\uff1a\uff1b\uff1f\u2014\u2018\u2019\u201c\u201d\u2026\u00b7"
RE_CJK_SPACE = re.compile("(?<=[%s]) (?=[%s])" % (CJK, CJK))
RE_ASCII_MARK = re.compile("(?<=[%s]) ?([,!?;:]+)" % CJK)
RE_REPEAT = re.compile(r"([！？，。、；：~!?]) ?(?:\1 ?)+")
RE_ELLIPSIS = re.compile("…+|。{2,}")
RE_DOTS = re.compile("(?<=[%s]) ?(?:\\.{2,}|\\.(?![A-Za-z0-9]))" % CJK)
ASCII_MARKS = str.maketrans(",!?;:", "，！？；：")
RE_COMMA_END = re.compile("[，、](?=[！？。])")
WIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)
         if cp not in (0xFF01, 0xFF0C, 0xFF1A, 0xFF1B, 0xFF1F)}
WIDTH.update({0x3000: 0x20, 0xFF61: 0x3002, 0xFF62: 0x201C, 0xFF63: 0x201D, 0xFF64: 0x3001,
              0xFF65: 0x30FB, 0xFFE0: 0xA2, 0xFFE1: 0xA3, 0xFFE5: 0xA5, 0x300C: 0x201C,
              0x300D: 0x201D, 0x300E: 0x2018, 0x300F: 0x2019})


def normalize(t):
    t = RE_SCRIPT.sub("", t)
    t = RE_COMMENT.sub("", t)
    t = RE_BLOCK.sub(" ", t)
    t = RE_TAG.sub("", t)
    t = html.unescape(t)
    t = t.translate(WIDTH)
    t = RE_CTRL.sub("", t)
    t = RE_EMOJI.sub(" ", t)
    t = RE_WS.sub(" ", t).strip()
    t = RE_ASCII_MARK.sub(lambda m: m.group(1).translate(ASCII_MARKS), t)
    t = RE_DOTS.sub(lambda m: "……" if m.group(0).count(".") > 1 else "。", t)
    t = RE_CJK_SPACE.sub("", t)
    t = RE_ELLIPSIS.sub("……", t)
    t = RE_REPEAT.sub(r"\1", t)
    return RE_COMMA_END.sub("", t)


# ---- PII ----
RE_EMAIL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
                      r"\.[A-Za-z]{2,}(?![A-Za-z0-9])")
RE_NUM = re.compile(r"(?<![A-Za-z0-9_=&@¥$€£])(?<!\d\.)(\(0\d{2,3}\)[ -]?|\+)?"
                    r"(\d+(?:[ -]\d+)*[Xx]?)(?![A-Za-z0-9_@%]|[.,]\d|[元块万亿])")
LABELS = re.compile(r"(?:单号|订单|编号|序列号|流水号|交易号|条码|发票号|票号|型号|合同号|批号|"
                    r"工单|快递|物流|SN|sn|No\.?|NO|no\.|单据号|凭证号|追踪号)(?:[ :#：]|是|为)*$")
ID_LABELS = re.compile(r"(?:身份证|证件|证号|号码)(?:[ :#：]|是|为)*$")
WT = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
PROV = {"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36",
        "37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62",
        "63", "64", "65", "71", "81", "82", "83"}


def date_ok(y, m, d):
    try:
        time.strptime("%04d%02d%02d" % (y, m, d), "%Y%m%d")
        return True
    except ValueError:
        return False


def id_ok(d):
    if d[:2] not in PROV:
        return False
    if len(d) == 15:
        return d.isdigit() and date_ok(1900 + int(d[6:8]), int(d[8:10]), int(d[10:12]))
    if len(d) != 18 or not d[:17].isdigit() or not 1900 <= int(d[6:10]) <= 2099:
        return False
    if not date_ok(int(d[6:10]), int(d[10:12]), int(d[12:14])):
        return False
    return "10X98765432"[sum(int(c) * w for c, w in zip(d, WT)) % 11] == d[17].upper()


def luhn(d):
    s = 0
    for i, c in enumerate(reversed(d)):
        v = int(c)
        if i % 2:
            v = v * 2 - 9 if v > 4 else v * 2
        s += v
    return s % 10 == 0


def classify(prefix, body, before):
    d = re.sub(r"[^0-9Xx]", "", body)
    groups = re.split(r"[ -]", body)
    if LABELS.search(before):
        return None
    if prefix and prefix.startswith("("):
        area = prefix.strip("() -")
        sub = d
        if len(sub) in (7, 8) and sub[0] in "23456789":
            return "landline", area + "-****" + sub[-4:]
        return None
    if len(d) in (15, 18) and (len(groups) == 1 or [len(g) for g in groups] == [6, 8, 4]) \
            and id_ok(d):
        return "id_number", d[:6] + "*" * (len(d) - 10) + d[-4:]
    m = d[2:] if d.startswith("86") and len(d) == 13 else d[4:] if d.startswith("0086") and \
        len(d) == 15 else d
    if len(m) == 11 and m[0] == "1" and m[1] in "3456789" and len(groups) <= 4:
        return "mobile", m[:3] + "****" + m[-4:]
    if 16 <= len(d) <= 19 and d[0] in "234569" and luhn(d) and not ID_LABELS.search(before):
        if not (d[0] == "2" and not 2221 <= int(d[:4]) <= 2720):
            return "bank_card", d[:4] + "*" * 8 + d[-4:]
    if d.startswith("0") and 10 <= len(d) <= 12:
        alen = 3 if d[1] in "12" else 4
        if (d[1] != "1" or d[2] == "0") and d[alen] in "23456789" and \
                (len(d) - alen == 8 or (alen == 4 and len(d) - alen == 7)):
            return "landline", d[:alen] + "-****" + d[-4:]
    return None


def mask_pii(t, name=None):
    found = []
    emails = []

    def email_sub(m):
        s = m.group(0)
        found.append(("email", s))
        emails.append(s)
        return s[0] + "***" + s[s.index("@"):]
    t = RE_EMAIL.sub(email_sub, t)

    def num_sub(m):
        r = classify(m.group(1), m.group(2), t[max(0, m.start() - 12):m.start()])
        if not r:
            return m.group(0)
        found.append((r[0], m.group(0)))
        return r[1]
    t = RE_NUM.sub(num_sub, t)
    if name and len(name) >= 2 and name in t:
        found.append(("name", name))
        t = t.replace(name, name[0] + "*" * (len(name) - 1))
    return t, found


# ---- SimHash ----
RE_NONCONTENT = re.compile(r"[\s\u2000-\u206f\u3000-\u303f\ufe30-\ufe6f\uff00-\uff0f"
                           r"\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65!-/:-@\[-`{-~]")


def simhash(t):
    c = RE_NONCONTENT.sub("", t).lower()
    if len(c) < 3:
        return int.from_bytes(hashlib.blake2b(c.encode(), digest_size=8).digest(), "little") \
            if c else 0
    v = [0] * 64
    n = len(c) - 2
    for i in range(n):
        h = int.from_bytes(hashlib.blake2b(c[i:i + 3].encode(), digest_size=8).digest(),
                           "little")
        for k in range(64):
            v[k] += (h >> k) & 1
    out = 0
    for k in range(64):
        if 2 * v[k] > n:
            out |= 1 << k
    return out


def exact_key(t):
    c = RE_NONCONTENT.sub("", t).lower()
    return hashlib.blake2b(c.encode(), digest_size=8).hexdigest()


def stage1(texts):
    return [normalize(t) for t in texts]


def stage2(texts, with_simhash=True):
    out = []
    npii = 0
    tp = ts = 0.0
    for t in texts:
        t0 = time.process_time()
        masked, found = mask_pii(t)
        t1 = time.process_time()
        out.append((masked, simhash(t), exact_key(t)) if with_simhash else (masked,))
        ts += time.process_time() - t1
        tp += t1 - t0
        npii += len(found)
    return out, npii, tp, ts


def stage2_nosimhash(texts):
    return stage2(texts, False)


def chunks(xs, n):
    k = (len(xs) + n - 1) // n
    return [xs[i:i + k] for i in range(0, len(xs), k)]


def opencc_batch(texts, procs, work):
    parts = chunks(texts, procs)
    running = []
    for i, part in enumerate(parts):
        src = os.path.join(work, "in%d.txt" % i)
        dst = os.path.join(work, "out%d.txt" % i)
        with open(src, "w", encoding="utf-8") as f:
            f.write("\n".join(part))
            f.write("\n")
        running.append((dst, subprocess.Popen(["opencc", "-c", "t2s.json", "-i", src, "-o", dst])))
    out = []
    for dst, p in running:
        if p.wait() != 0:
            sys.exit("opencc failed")
        with open(dst, encoding="utf-8") as f:
            out.extend(f.read().split("\n")[:-1])
    return out


def main():
    path = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 10 ** 9
    procs = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    with_simhash = not (len(sys.argv) > 4 and sys.argv[4] == "nosimhash")
    texts = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if len(texts) >= count:
                break
            texts.append(json.loads(line)["text"])
    print("records %d" % len(texts))
    with tempfile.TemporaryDirectory(prefix="kesu-peer-") as work:
        t0 = time.monotonic()
        with multiprocessing.Pool(procs) as pool:
            norm = [t for part in pool.map(stage1, chunks(texts, procs * 8)) for t in part]
            t1 = time.monotonic()
            clean = opencc_batch(norm, procs, work)
            t2 = time.monotonic()
            res = pool.map(stage2 if with_simhash else stage2_nosimhash,
                           chunks(clean, procs * 8))
        t3 = time.monotonic()
    npii = sum(r[1] for r in res)
    cpu_pii = sum(r[2] for r in res)
    cpu_simhash = sum(r[3] for r in res)
    converted = sum(1 for a, b in zip(norm, clean) if a != b)
    dt = t3 - t0
    print("processes %d\nseconds %.3f\nrecords_per_s %.0f" % (procs, dt, len(texts) / dt))
    print("seconds_normalize %.3f\nseconds_opencc %.3f\nseconds_pii_simhash %.3f" %
          (t1 - t0, t2 - t1, t3 - t2))
    print("cpu_ns_pii %.0f\ncpu_ns_simhash %.0f" % (cpu_pii / len(texts) * 1e9,
                                                   cpu_simhash / len(texts) * 1e9))
    print("converted %d\npii_found %d" % (converted, npii))


if __name__ == "__main__":
    main()
