#!/bin/sh
# shellcheck disable=SC2086 # option lists below are split on purpose
# bench/nlp_cv.sh: kesu's classifiers against the scikit-learn peer, 5-fold cross-validated on
# the same folds: `kesu train --cv 5 --cv-folds` writes each data set's folds, and
# bench/cv_peer.py (TfidfVectorizer sublinear tf + LinearSVC, /usr/bin/python3) trains and
# tests on exactly those. The kesu settings are those of scripts/train-models.sh (the
# committed models). Prints one line per run; work files in bench/work/nlp_cv/. Slow (about
# an hour on two busy cores). Usage: bench/nlp_cv.sh [DATA_DIR]
set -eu
cd "$(dirname "$0")/.."
DATA=${1:-../shared/data}
R=$DATA/reviews
E=$DATA/en
W=bench/work/nlp_cv
[ -r "$R/waimai_10k.train.csv" ] || { echo "bench/nlp_cv.sh: no data in $DATA" >&2; exit 1; }
make -s -j2 build/kesu
mkdir -p "$W"
BIN="--label-map 0=negative,1=positive"
SZH="--text-col review --label-col label $BIN --bits 22 --C 0.5 --balanced --bounds --nb-mix 0.3
     --seg-words 1-2"
OS=$R/online_shopping_10_cats.train.csv
WM=$R/waimai_10k.train.csv
HT=$R/chnsenticorp_htl.train.csv
run() { # name, peer analyzer, peer n-grams, peer Cs, kesu options...
    name=$1 an=$2 ng=$3 cs=$4
    shift 4
    echo "== $name: kesu $*"
    build/kesu train --cv 5 --no-calibrate --cv-folds "$W/$name.csv" "$@" 2>&1 | grep '^cv:'
    /usr/bin/python3 bench/cv_peer.py "$W/$name.csv" "$an" "$ng" "$cs"
}
# sentiment-zh as trained: one set folded, the other two whole in every training fold (the peer
# trains on the same texts: fold -1 rows are in every training part)
run shopping-also char 1-3 0.5,1 --input "$OS" --also "$WM" --also "$HT" $SZH
run waimai-also char 1-3 0.25,0.5,1 --input "$WM" --also "$OS" --also "$HT" $SZH
run hotel-also char 1-3 0.5,1 --input "$HT" --also "$OS" --also "$WM" $SZH
# each set alone, and sentiment-zh-food
run shopping char 1-3 0.5,1 --input "$OS" $SZH
run waimai char 1-3 0.25,0.5,1 --input "$WM" $SZH
run hotel char 1-3 0.5,1 --input "$HT" $SZH
run waimai-food char 1-3 0.5 --input "$WM" --also "$OS" --also "$HT" --own-mix 0.5 \
    --tune-bias 3 --tune-for accuracy $SZH
run product char 1-3 0.5,1 --input "$R/online_shopping_10_cats.train.csv" --text-col review \
    --label-col cat --bits 22 --class-power 0.75 --bounds --nb-mix 0.5 --seg-words 1-2 --C 0.35
run airline word 1-2 0.5,1 --input "$E/airline_tweets.train.csv" --text-col text \
    --label-col airline_sentiment --word-ngrams 1-2
/usr/bin/python3 bench/cv_peer.py "$W/airline.csv" char 1-3 0.5
run banking77 word 1-2 0.5,1 --input "$E/banking77.train.csv" --text-col text \
    --label-col category --word-ngrams 1-2 --bits 20 --C 1
/usr/bin/python3 bench/cv_peer.py "$W/banking77.csv" char 1-3 0.5,1
