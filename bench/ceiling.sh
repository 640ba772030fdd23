#!/bin/sh
# bench/ceiling.sh: what SQLite alone costs to store kesu's records, the bound under any
# intake rate (issue 2's import target).
#
# Imports N demo records (kesu import --no-clean), copies the rows into an in-memory temporary
# table, then times one INSERT ... SELECT of them into an empty copy of the feedback table, in
# one transaction, with no parsing, binding, rollups or fsync per batch: the B-tree work alone.
# Three schemas: no secondary index; the foundation's unique and time indexes; every index
# the store has today. CPU time (user + sys) of the statement is reported; it does not depend
# much on the machine's load, the wall time does.
#
# Writes bench/results-ceiling.md. CEILING_COUNT overrides N (default 200000).
set -eu
cd "$(dirname "$0")/.."
N=${CEILING_COUNT:-200000}
WORK=bench/work/ceiling
OUT=bench/results-ceiling.md
KESU=build/kesu
rm -rf "$WORK"; mkdir -p "$WORK"
make -s -j"$(nproc)" all

$KESU demo --count "$N" --out "$WORK/demo.jsonl" >/dev/null 2>&1
$KESU --data "$WORK/src" import --no-clean "$WORK/demo.jsonl" >/dev/null 2>&1
SRC="$WORK/src/kesu.db"
sqlite3 "$SRC" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
COLS=$(sqlite3 "$SRC" "SELECT group_concat(name, ',') FROM pragma_table_xinfo('feedback') WHERE hidden = 0")
ROWBYTES=$(sqlite3 "$SRC" "SELECT CAST(sum(pgsize) AS REAL) / $N FROM dbstat WHERE name = 'feedback'" 2>/dev/null || echo "?")

# schema NAMES: the feedback table and those of its indexes named in NAMES ("all": every one)
schema() {
    sqlite3 "$SRC" "SELECT sql || ';' FROM sqlite_master WHERE tbl_name = 'feedback'
                    AND (type = 'table' OR (type = 'index' AND sql IS NOT NULL
                         AND ('$1' = 'all' OR instr(' $1 ', ' ' || name || ' ') > 0)))"
}

# run NAME FILTER: CPU seconds (user + sys) of the INSERT, the median of three runs
run() {
    best=""
    for i in 1 2 3; do
        db="$WORK/$1.$i.db"; rm -f "$db" "$db-wal" "$db-shm"
        { echo "PRAGMA journal_mode=WAL;"; schema "$2"; } | sqlite3 "$db" >/dev/null
        t=$(sqlite3 "$db" <<SQL | awk '/^Run Time/ {print $6 + $8}'
PRAGMA synchronous=NORMAL; PRAGMA cache_size=-32768; PRAGMA temp_store=MEMORY; PRAGMA mmap_size=268435456;
ATTACH '$SRC' AS src;
CREATE TEMP TABLE t AS SELECT $COLS FROM src.feedback;
.timer on
INSERT INTO feedback($COLS) SELECT $COLS FROM t;
SQL
)
        best="$best $t"
        rm -f "$db" "$db-wal" "$db-shm"
    done
    echo "$best" | tr ' ' '\n' | sed '/^$/d' | sort -n | sed -n 2p
}

ALL=$(sqlite3 "$SRC" "SELECT group_concat(name, ' ') FROM sqlite_master WHERE type = 'index' AND tbl_name = 'feedback' AND sql IS NOT NULL")
none=$(run none '')
base=$(run base 'feedback_channel_external feedback_idempotency feedback_received')
all=$(run all all)
rate() { echo "$N / $1" | bc; }
us() { echo "scale=2; $1 * 1000000 / $N" | bc; }

cat > "$OUT" <<MD
# The store's floor: SQLite alone (bench/ceiling.sh)

Written on $(date -u +%Y-%m-%d) by \`bench/ceiling.sh\`, $($KESU version), SQLite $(sqlite3 --version | cut -d' ' -f1),
$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) (CPU times depend little on the load).

$N demo records (\`kesu import --no-clean\`; about ${ROWBYTES%.*} bytes of table pages per record), copied
into a temporary in-memory table, then stored by one \`INSERT INTO feedback SELECT ... FROM t\` into an
empty copy of the table: one statement, one transaction, no JSON, no parameter binding, no rollups,
no per-batch commit. CPU time of that statement (user + sys, median of 3):

| feedback indexes | CPU s | µs per record | records per CPU-second |
|---|---|---|---|
| none (the rowid table alone) | $none | $(us "$none") | **$(rate "$none")** |
| the foundation's: (channel, external_id), idempotency key, received time | $base | $(us "$base") | **$(rate "$base")** |
| all of today's ($ALL) | $all | $(us "$all") | **$(rate "$all")** |

One writer thread does this work for every record, so the last column bounds any import rate
into one SQLite store on this machine, before kesu does anything of its own.
MD
cat "$OUT"
