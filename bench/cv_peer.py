#!/usr/bin/python3
"""cv_peer.py: the scikit-learn peer of kesu's classifiers, cross-validated on kesu's own folds.

  cv_peer.py FOLDS.csv ANALYZER A-B C[,C...]
      FOLDS.csv is written by `kesu train --cv K --cv-folds FOLDS.csv` (text,label,fold;
      fold -1 = training only). For each C: TfidfVectorizer(analyzer=ANALYZER (char or
      word), ngram_range=(A, B), sublinear_tf=True) + LinearSVC(C), trained on the other
      folds and scored on each fold; prints one JSON line per C: accuracy, macro-F1,
      mean seconds per fold (vectorising + fitting), and the seconds to vectorise and fit
      all the texts once (full_s).
"""
import csv
import json
import sys
import time


def main(path, analyzer, rng, cs):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics import f1_score
    from sklearn.svm import LinearSVC

    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    a, b = (int(v) for v in rng.split("-"))
    folds = sorted({int(r["fold"]) for r in rows} - {-1})
    for c in (float(v) for v in cs.split(",")):
        truth, pred, secs = [], [], 0.0
        for k in folds:
            tr = [r for r in rows if int(r["fold"]) != k]
            te = [r for r in rows if int(r["fold"]) == k]
            t0 = time.perf_counter()
            vec = TfidfVectorizer(analyzer=analyzer, ngram_range=(a, b), sublinear_tf=True)
            clf = LinearSVC(C=c).fit(vec.fit_transform([r["text"] for r in tr]),
                                     [r["label"] for r in tr])
            secs += time.perf_counter() - t0
            pred += list(clf.predict(vec.transform([r["text"] for r in te])))
            truth += [r["label"] for r in te]
        t0 = time.perf_counter()
        vec = TfidfVectorizer(analyzer=analyzer, ngram_range=(a, b), sublinear_tf=True)
        LinearSVC(C=c).fit(vec.fit_transform([r["text"] for r in rows]), [r["label"] for r in rows])
        full_s = time.perf_counter() - t0
        acc = sum(p == t for p, t in zip(pred, truth)) / len(truth)
        print(json.dumps({"data": path, "analyzer": analyzer, "ngrams": rng, "C": c,
                          "accuracy": round(acc, 4),
                          "macro_f1": round(f1_score(truth, pred, average="macro"), 4),
                          "fold_s": round(secs / len(folds), 2), "full_s": round(full_s, 2),
                          "texts": len(rows)}), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:5])
