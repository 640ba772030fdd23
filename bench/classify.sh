#!/bin/sh
# bench/classify.sh: kesu's linear text classifier against scikit-learn, written to
# bench/results-classify.md.
#
# Data: Chinese review sentiment, online_shopping_10_cats + waimai_10k + chnsenticorp_htl
# (../shared/data; about 61,000 distinct texts), split 80/20 by a hash of the text
# (bench/classify_peer.py split; duplicates dropped, the same files for both).
#   scikit-learn  TfidfVectorizer(char 1-3, sublinear_tf) + LinearSVC(C=0.5), /usr/bin/python3
#   kesu          kesu train --model svm (char 1-3 hashed into 2^20, C=0.5, score calibration
#                 on; the same settings as models/sentiment-zh.kmod), kesu eval, kesu classify
# Figures: held-out accuracy; training time (vectorising + fitting; kesu: the whole
# `kesu train` process including reading the CSV); classification docs/s (sklearn: transform +
# predict in one batch; kesu: `kesu classify` reading lines and writing JSON, one process).
# Work files go to bench/work/.
set -eu
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data}
WORK=bench/work/classify
OUT=bench/results-classify.md
R=$DATA/reviews
SRC=$R/online_shopping_10_cats.train.csv,$R/waimai_10k.train.csv,$R/chnsenticorp_htl.train.csv
mkdir -p "$WORK"
[ -r "$R/waimai_10k.train.csv" ] || { echo "bench/classify.sh: no data in $DATA" >&2; exit 1; }
make -s -j2 all
now() { date +%s.%N; }

counts=$(/usr/bin/python3 bench/classify_peer.py split "$SRC" review label "$WORK")
echo "split: $counts (train test)" >&2

for c in 0.5 1; do
    echo "scikit-learn C=$c" >&2
    /usr/bin/python3 bench/classify_peer.py run "$WORK" $c > "$WORK/peer-$c.json"
done

# kesu: defaults, then the settings of models/sentiment-zh.kmod (scripts/train-models.sh)
lines=$(wc -l < "$WORK/test.txt")
kesu_run() { # name, train options...
    name=$1
    shift
    echo "kesu $name" >&2
    t0=$(now)
    build/kesu train --input "$WORK/train.csv" --text-col text --label-col label \
        --label-map 0=negative,1=positive "$@" --out "$WORK/$name.kmod" > "$WORK/$name.txt" 2>&1
    t1=$(now)
    build/kesu eval --model "$WORK/$name.kmod" --input "$WORK/test.csv" --text-col text \
        --label-col label --label-map 0=negative,1=positive --json > "$WORK/$name-eval.json"
    t2=$(now)
    for _ in 1 2 3 4 5; do cat "$WORK/test.txt"; done |
        build/kesu classify --model "$WORK/$name.kmod" > /dev/null
    t3=$(now)
    echo "$t0 $t1 $t2 $t3" > "$WORK/$name-times.txt"
}
kesu_run default
kesu_run tuned --bits 22 --C 1 --balanced --weight-bits 8

/usr/bin/python3 - "$WORK" "$lines" "$counts" > "$OUT" <<'PY'
import json, sys, platform, os
w, lines, counts = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ntrain, ntest = counts.split()
print("# Text classification: kesu vs scikit-learn\n")
print("Produced by `bench/classify.sh` (do not edit by hand). Chinese review sentiment")
print("(negative/positive; online_shopping_10_cats + waimai_10k + chnsenticorp_htl, distinct texts),")
print(f"{ntrain} training and {ntest} test texts, the same 80/20 hash split for both.")
print(f"Machine: {os.cpu_count()} CPUs shared with other work, Python {platform.python_version()}.\n")
print("| | held-out accuracy | macro-F1 | training time | classification |")
print("|---|---|---|---|---|")
for c in ("0.5", "1"):
    p = json.load(open(f"{w}/peer-{c}.json"))
    print(f"| scikit-learn TfidfVectorizer char 1-3 (sublinear tf) + LinearSVC C={c} "
          f"| {p['accuracy']*100:.2f}% | | {p['train_s']:.2f} s "
          f"| {p['docs_per_s']:,.0f} docs/s (batch transform + predict) |")
for name, desc in (("default", "defaults: char 1-3, 2^20 buckets, C=0.5"),
                   ("tuned", "char 1-3, 2^22 buckets, C=1, balanced, 8-bit weights")):
    ev = json.load(open(f"{w}/{name}-eval.json"))
    t0, t1, t2, t3 = map(float, open(f"{w}/{name}-times.txt").read().split())
    size = os.path.getsize(f"{w}/{name}.kmod")
    print(f"| kesu train ({desc}; {size/1e6:.1f} MB model) | {ev['accuracy']*100:.2f}% "
          f"| {ev['macro_f1']:.4f} | {t1-t0:.2f} s "
          f"| {5*lines/(t3-t2):,.0f} docs/s (`kesu classify`, stdin to JSON lines) |")
print("\nkesu's training time is the whole `kesu train` process: reading the CSV, features, the")
print("dual coordinate descent SVM, fitting the score scale on a held-out 10% (which trains a")
print("second time) and writing the model file. scikit-learn's is vectorising + fitting only.")
PY
cat "$OUT"
