#!/bin/sh
# bench/instr.sh: instructions per record (valgrind callgrind), the figure to compare builds by
# on a machine shared with other work, where times vary by a factor of two from run to run.
#
#   1. kesu import --no-clean of N demo records: instructions per record in all, on the writer
#      thread (the pipeline's slower stage) and in the JSON parser (the caller's thread)
#   2. kesu serve under wrk POST /api/v1/feedback (16 connections, 20 s): instructions per
#      request in request handling (on_request), on the writer thread and in the search indexer
#
# Writes bench/results-instr.md. INSTR_COUNT overrides N (default 50000), INSTR_OF the size of
# the demo set they are taken from (default 1000000).
set -eu
cd "$(dirname "$0")/.."
N=${INSTR_COUNT:-50000}
WORK=bench/work/instr
OUT=bench/results-instr.md
KESU=build/kesu
command -v valgrind >/dev/null || { echo "bench/instr.sh: valgrind is not installed" >&2; exit 1; }
rm -rf "$WORK"; mkdir -p "$WORK"
make -s -j"$(nproc)" all

incl() { # incl FILE FUNCTION-PATTERN: inclusive instructions of a function
    callgrind_annotate --inclusive=yes "$1" 2>/dev/null | awk -v f="$2" '$0 ~ f {gsub(",", "", $1); print $1; exit}'
}
total() { callgrind_annotate "$1" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}'; }
per() { if [ -n "$1" ] && [ "$2" -gt 0 ]; then echo "$1 / $2" | bc; else echo "—"; fi; }  # — : not in the profile

# the first N of the records bench/run.sh imports (INSTR_OF, default 1000000): the same records
# per day, so the daily rollups cost per record what they cost in the benchmark
$KESU demo --count "${INSTR_OF:-1000000}" --out "$WORK/all.jsonl" >/dev/null 2>&1
head -n "$N" "$WORK/all.jsonl" > "$WORK/demo.jsonl"
rm -f "$WORK/all.jsonl"
valgrind --tool=callgrind --callgrind-out-file="$WORK/import.cg" \
    $KESU --data "$WORK/import" import --no-clean "$WORK/demo.jsonl" >/dev/null 2>&1
i_total=$(per "$(total "$WORK/import.cg")" "$N")
i_writer=$(per "$(incl "$WORK/import.cg" 'writer.c:writer_main \[')" "$N")
i_parse=$(per "$(incl "$WORK/import.cg" 'jsonrec.c:record_parse_json \[')" "$N")

mkdir -p "$WORK/post"
$KESU --data "$WORK/post" migrate >/dev/null 2>&1
KEY=$($KESU --data "$WORK/post" apikey create bench 2>/dev/null | tail -n 1)
valgrind --tool=callgrind --callgrind-out-file="$WORK/post.cg" \
    $KESU --data "$WORK/post" serve --listen 127.0.0.1:0 --port-file "$WORK/port" --threads 2 \
    >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 1200); do [ -s "$WORK/port" ] && break; sleep 0.1; done  # valgrind starts slowly on a busy machine
sleep 1
KESU_KEY=$KEY wrk -t1 -c16 -d20s -s bench/post.lua "http://127.0.0.1:$(cat "$WORK/port")" >/dev/null
sleep 3
kill -TERM $pid; wait $pid || true
R=$(sqlite3 "$WORK/post/kesu.db" "select count(*) from feedback")
p_req=$(per "$(incl "$WORK/post.cg" 'server.c:on_request \[')" "$R")
p_writer=$(per "$(incl "$WORK/post.cg" 'writer.c:writer_main \[')" "$R")
p_index=$(per "$(incl "$WORK/post.cg" 'search.c:search_main \[')" "$R")
p_json=$(per "$(incl "$WORK/post.cg" 'record.c:record_write_fields \[')" "$R")

cat > "$OUT" <<MD
# Instructions per record (callgrind)

Written by \`bench/instr.sh\` on $(date -u +%Y-%m-%d), $($KESU version), load average $(cut -d' ' -f1 /proc/loadavg)
(instruction counts do not depend on the load). The first $N of ${INSTR_OF:-1000000} demo records; POST: $R requests under callgrind.

| where | instructions |
|---|---|
| import --no-clean, whole process, per record | $i_total |
| import --no-clean, writer thread, per record | $i_writer |
| import --no-clean, JSON parser, per record | $i_parse |
| POST, request handling (on_request), per request | $p_req |
| POST, reply JSON (record_write_fields), per request | $p_json |
| POST, writer thread, per request | $p_writer |
| POST, search indexer, per record (small batches under callgrind: overstated) | $p_index |
MD
cat "$OUT"
