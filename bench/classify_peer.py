#!/usr/bin/python3
"""classify_peer.py: the scikit-learn peer for bench/classify.sh.

  classify_peer.py split SRC[,SRC...] TEXTCOL LABELCOL OUTDIR
      reads the CSV files SRC (joined) and writes OUTDIR/train.csv, OUTDIR/test.csv (columns text,label) and
      OUTDIR/test.txt (one text per line): a deterministic 80/20 split (a hash
      of the text), newlines in texts replaced by spaces, duplicates dropped.
  classify_peer.py run OUTDIR C
      TfidfVectorizer(char 1-3, sublinear_tf) + LinearSVC(C) on train.csv,
      scored on test.csv; prints one JSON line: accuracy, train_s, docs_per_s.
"""
import csv
import hashlib
import json
import sys
import time


def split(src, textcol, labelcol, outdir):
    seen = set()
    rows = {"train": [], "test": []}
    for path in src.split(","):
        with open(path, newline="", encoding="utf-8") as f:
            for r in csv.DictReader(f):
                t = " ".join(r[textcol].split())
                if not t or t in seen or not r[labelcol]:
                    continue
                seen.add(t)
                h = int(hashlib.md5(t.encode()).hexdigest()[:8], 16)
                rows["test" if h % 5 == 0 else "train"].append((t, r[labelcol]))
    for part, rs in rows.items():
        with open(f"{outdir}/{part}.csv", "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["text", "label"])
            w.writerows(rs)
    with open(f"{outdir}/test.txt", "w", encoding="utf-8") as f:
        for t, _ in rows["test"]:
            f.write(t + "\n")
    print(len(rows["train"]), len(rows["test"]))


def load(path):
    with open(path, newline="", encoding="utf-8") as f:
        rs = list(csv.DictReader(f))
    return [r["text"] for r in rs], [r["label"] for r in rs]


def run(outdir, c):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    xtr, ytr = load(f"{outdir}/train.csv")
    xte, yte = load(f"{outdir}/test.csv")
    t0 = time.perf_counter()
    vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
    clf = LinearSVC(C=c).fit(vec.fit_transform(xtr), ytr)
    train_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    pred = clf.predict(vec.transform(xte))
    pred_s = time.perf_counter() - t0
    acc = sum(p == y for p, y in zip(pred, yte)) / len(yte)
    print(json.dumps({"accuracy": acc, "train_s": train_s, "docs_per_s": len(xte) / pred_s,
                      "train_docs": len(xtr), "test_docs": len(xte)}))


if __name__ == "__main__":
    if sys.argv[1] == "split":
        split(*sys.argv[2:6])
    else:
        run(sys.argv[2], float(sys.argv[3]))
