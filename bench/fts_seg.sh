#!/bin/sh
# bench/fts_seg.sh: search by substrings (kesu_cjk, the default) against search by words
# (kesu_seg, match=words) over the same demo records, written to bench/results-fts_seg.md:
# hits of each and examples that only the substring search finds. FTS_COUNT records (default
# 20000, the demo server's own set).
set -eu
cd "$(dirname "$0")/.."
COUNT=${FTS_COUNT:-20000}
WORK=bench/work
OUT=bench/results-fts_seg.md
mkdir -p "$WORK"
make -s -j2 all
rm -rf "$WORK/fts"
build/kesu --data "$WORK/fts" serve --listen 127.0.0.1:0 --demo-if-empty "$COUNT" > "$WORK/fts.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
port=
for _ in $(seq 1 600); do
    port=$(sed -n "s/.*listening on \(http:\/\/\)\{0,1\}127.0.0.1:\([0-9]*\).*/\2/p" "$WORK/fts.log" | head -n 1)
    [ -n "$port" ] && [ -s "$WORK/fts/demo-api-key" ] && break
    sleep 0.1
done
[ -n "$port" ] || { echo "server did not start" >&2; cat "$WORK/fts.log" >&2; exit 1; }
# both indexes complete
for _ in $(seq 1 600); do
    lag=$(curl -s "http://127.0.0.1:$port/metrics" | awk '$1 == "kesu_search_lag_records" {print $2}')
    [ "$lag" = 0 ] && break
    sleep 0.2
done
sleep 2
{
    echo "# Search by substrings and by words (bench/fts_seg.sh)"
    echo
    echo "$(date -u +%Y-%m-%d), $COUNT demo records. Substring search (kesu_cjk, default) finds every"
    echo "record holding the query's characters in a row; word search (\`match=words\`, kesu_seg) only"
    echo "those where the segmenter cut the query as a word (or words) of its own."
    echo
    /usr/bin/python3 bench/fts_compare.py "$port" "$WORK/fts/demo-api-key"
} > "$OUT"
kill $pid
wait $pid 2>/dev/null || true
trap - EXIT
cat "$OUT"
