#!/usr/bin/python3
"""seg_agree.py: how often `kesu seg` cuts a text exactly as python3-jieba does.

Reads the review column of the CSV files given (by default
../shared/data/reviews/*.csv), runs jieba.lcut(text, HMM=True/False) and
`kesu seg` / `kesu seg --no-hmm` on the same texts, and prints (and writes
with --out) the share of texts whose token lists are identical. Line breaks
inside a review are replaced by a space first, since `kesu seg` reads one
text per line; both sides see the same text.

usage: /usr/bin/python3 bench/seg_agree.py [--kesu build/kesu] [--out FILE] [--column NAME]
                                           [--texts FILE] [CSV...]
(--texts: one text per line instead of CSV files; --column: the CSV column, default review;
 --random N: N random strings mixing common han characters, ASCII letters, digits and symbols,
 whitespace (\t \r \x1c \x85 U+00A0 U+3000 U+2028), fullwidth forms, emoji, U+3400, U+9FD6)
"""
import argparse
import csv
import glob
import json
import logging
import os
import subprocess
import sys
import time

import jieba


def load_texts(paths, column):
    texts = []
    for path in paths:
        with open(path, encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                t = row.get(column) or ""
                t = t.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
                if t:
                    texts.append(t)
    return texts


def kesu_cut(kesu, texts, hmm, data_dir):
    args = [kesu, "--data", data_dir, "seg"] + ([] if hmm else ["--no-hmm"])
    inp = ("\n".join(texts) + "\n").encode("utf-8")
    out = subprocess.run(args, input=inp, stdout=subprocess.PIPE, check=True).stdout
    lines = out.decode("utf-8").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if len(lines) != len(texts):
        sys.exit(f"kesu seg printed {len(lines)} lines for {len(texts)} texts")
    return [json.loads(l) for l in lines]


def random_texts(n, seed=11):
    import random
    rnd = random.Random(seed)
    han = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)] + list("的一是不了人我在有他这中大来上个国到说们")
    extra = list("abcXYZ0189+#&._%-/@:'\"\\") + [" ", "\t", "\r", "\x1c", "\x85", "\xa0", "\u3000",
                                                "\u2028", "，", "。", "Ａ", "１", "😀", "㐀", "鿖",
                                                "鿕", "é", "ア", "\x00"]
    texts = []
    for _ in range(n):
        k = rnd.randint(1, 40)
        t = "".join(rnd.choice(han) if rnd.random() < 0.6 else rnd.choice(extra) for _ in range(k))
        t = t.rstrip("\r")
        if t:
            texts.append(t)
    return texts


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser()
    ap.add_argument("--kesu", default=os.path.join(root, "build", "kesu"))
    ap.add_argument("--data-dir", default=os.path.join(root, "bench", "work", "seg"))
    ap.add_argument("--out")
    ap.add_argument("--show", type=int, default=5, help="disagreements to print per mode")
    ap.add_argument("--column", default="review")
    ap.add_argument("--texts")
    ap.add_argument("--random", type=int)
    ap.add_argument("csv", nargs="*")
    a = ap.parse_args()
    paths = a.csv or sorted(glob.glob(os.path.join(root, "..", "shared", "data", "reviews", "*.csv")))
    if a.random:
        texts = random_texts(a.random)
        paths = ["random strings"]
    elif a.texts:
        with open(a.texts, encoding="utf-8", newline="") as f:  # lines end at \n only
            texts = [t[:-1] if t.endswith("\r") else t for t in f.read().split("\n")]
            texts = [t for t in texts if t]
        paths = [a.texts]
    elif not paths:
        sys.exit("no review files found (../shared/data/reviews/*.csv)")
    else:
        texts = load_texts(paths, a.column)
    jieba.setLogLevel(logging.ERROR)
    jieba.initialize()
    lines = [f"Texts: {len(texts)} texts from {', '.join(os.path.basename(p) for p in paths)}.", "",
             "| mode | texts cut identically | share | target |", "|---|---|---|---|"]
    ok_all = True
    for hmm, target in ((False, 99.5), (True, 98.0)):
        t0 = time.time()
        ref = [jieba.lcut(t, HMM=hmm) for t in texts]
        t1 = time.time()
        got = kesu_cut(a.kesu, texts, hmm, a.data_dir)
        same = sum(1 for r, g in zip(ref, got) if r == g)
        share = 100.0 * same / len(texts)
        ok_all &= share >= target
        mode = "HMM on" if hmm else "HMM off"
        lines.append(f"| {mode} | {same} of {len(texts)} | **{share:.3f}%** | ≥ {target}% |")
        shown = 0
        for t, r, g in zip(texts, ref, got):
            if r != g and shown < a.show:
                print(f"[{mode}] {t}\n  jieba: {r}\n  kesu:  {g}", file=sys.stderr)
                shown += 1
        print(f"{mode}: jieba {t1 - t0:.1f} s", file=sys.stderr)
    report = "\n".join(lines) + "\n"
    print(report)
    if a.out:
        with open(a.out, "w", encoding="utf-8") as f:
            f.write(report)
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main())
