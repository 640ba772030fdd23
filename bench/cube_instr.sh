#!/bin/sh
# bench/cube_instr.sh: what keeping the stats cube current costs the writer, in instructions per
# record (valgrind callgrind; counts do not depend on the machine's load). kesu serve under
# callgrind takes POST /api/v1/feedback from wrk (bench/post.lua, 16 connections,
# CUBE_INSTR_SECONDS, default 20) twice, with stats_cube = start and = off:
#   - the cube's own functions on the writer thread (cube_note: encode the record's values,
#     cube_job_end / cube_batch_end: keep the notes, apply them after the commit), inclusive,
#     per record;  CUBE_INSTR_REUSE=1 annotates the last run's profiles again;
#   - the writer thread in all (writer_main), per record, in both runs.
# Writes bench/results-cube.md (the query figures of the cube are in bench/results-stats.md).
set -eu
cd "$(dirname "$0")/.."
SECS=${CUBE_INSTR_SECONDS:-20}
WORK=bench/work/cube_instr
OUT=bench/results-cube.md
KESU=build/kesu
command -v valgrind >/dev/null || { echo "bench/cube_instr.sh: valgrind is not installed" >&2; exit 1; }
mkdir -p "$WORK"
make -s -j2 all

incl() { # incl FILE FUNCTION-PATTERN: inclusive instructions of a function (0 if absent)
    v=$(callgrind_annotate --inclusive=yes --threshold=100 "$1" 2>/dev/null | awk -v f="$2" '$0 ~ f {gsub(",", "", $1); print $1; exit}')
    echo "${v:-0}"
}
per() { if [ "$2" -gt 0 ]; then echo "$1 / $2" | bc; else echo "—"; fi; }

run() { # run MODE: serve under callgrind with stats_cube=MODE, POST for SECS seconds
    d="$WORK/$1"
    mkdir -p "$d"
    $KESU --data "$d" migrate >/dev/null 2>&1
    key=$($KESU --data "$d" apikey create bench 2>/dev/null | tail -n 1)
    KESU_STATS_CUBE=$1 valgrind --tool=callgrind --callgrind-out-file="$d.cg" \
        $KESU --data "$d" serve --listen 127.0.0.1:0 --port-file "$d.port" --threads 2 \
        >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 1 1200); do [ -s "$d.port" ] && break; sleep 0.1; done
    sleep 2
    KESU_KEY=$key wrk -t1 -c16 -d"${SECS}s" -s bench/post.lua "http://127.0.0.1:$(cat "$d.port")" >/dev/null
    sleep 3
    kill -TERM $pid; wait $pid || true
    sqlite3 "$d/kesu.db" "select count(*) from feedback"
}

if [ -n "${CUBE_INSTR_REUSE:-}" ] && [ -s "$WORK/start.cg" ] && [ -s "$WORK/off.cg" ]; then
    # annotate the profiles of the last run again
    R_on=$(sqlite3 "$WORK/start/kesu.db" "select count(*) from feedback")
    R_off=$(sqlite3 "$WORK/off/kesu.db" "select count(*) from feedback")
else
    rm -rf "$WORK"; mkdir -p "$WORK"
    R_on=$(run start)
    R_off=$(run off)
fi
cg=$WORK/start.cg
note=$(incl "$cg" 'cube.c:cube_note \[')
jobend=$(incl "$cg" 'cube.c:cube_job_end \[')
batchend=$(incl "$cg" 'cube.c:cube_batch_end \[')
drain=$(incl "$cg" 'cube.c:drain \[')
cube_all=$(echo "$note + $jobend + $batchend" | bc)
w_on=$(incl "$cg" 'writer.c:writer_main \[')
w_off=$(incl "$WORK/off.cg" 'writer.c:writer_main \[')

cat > "$OUT" <<MD
# The stats cube: writer cost

Measured by \`bench/cube_instr.sh\` ($(date -u +%Y-%m-%d), valgrind callgrind, \`kesu serve\` taking
POST /api/v1/feedback from wrk for ${SECS} s: $R_on records with stats_cube = start, $R_off with off):

| on the writer thread, per record | instructions |
|---|---|
| cube_note (a record's 12 values to codes, one note; intake notes a record, then routing takes it away and notes it again: 3 notes, 2 encodings) | $(per "$note" "$R_on") |
| cube_job_end + cube_batch_end (keep the notes; after the commit, apply them) | $(per "$(echo "$jobend + $batchend" | bc)" "$R_on") |
| of which applying (drain: the codes into the day's columns) | $(per "$drain" "$R_on") |
| the cube in all | $(per "$cube_all" "$R_on") |
| writer thread in all (writer_main), stats_cube = start | $(per "$w_on" "$R_on") |
| writer thread in all (writer_main), stats_cube = off | $(per "$w_off" "$R_off") |
MD
cat "$OUT"
