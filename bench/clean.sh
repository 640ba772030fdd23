#!/bin/sh
# bench/clean.sh: throughput of the text-cleaning stages, C against a Python peer, written to
# bench/results-clean.md.
#
#   C       bench/clean_bench.c over build/libkesu.a: normalize → t2s (bitmap precheck, OpenCC
#           only for texts with a traditional-only character) → PII masking → SimHash and
#           exact key, 2 threads sharing the records
#   Python  bench/clean_peer.py, the same pipeline with re, html, str.translate, hashlib and
#           the opencc command over the whole batch, 2 processes
# Texts: the "text" field of `kesu demo` records. BENCH_COUNT records for C (default
# 1000000), PEER_COUNT of them for Python (default 200000: the peer is slow; its rate does not
# depend on the count). Work files go to bench/work/.
set -eu
cd "$(dirname "$0")/.."
COUNT=${BENCH_COUNT:-1000000}
PEER_COUNT=${PEER_COUNT:-200000}
[ "$PEER_COUNT" -le "$COUNT" ] || PEER_COUNT=$COUNT
WORK=bench/work
OUT=bench/results-clean.md
DEMO=$WORK/clean-demo-$COUNT.jsonl
CC=${CC:-cc}
mkdir -p "$WORK" build/bench
make -s -j2 all
# shellcheck disable=SC2046
$CC -std=c11 -O2 -g -D_GNU_SOURCE -Isrc -Isrc/core bench/clean_bench.c build/libkesu.a \
    $(pkg-config --cflags --libs opencc libsodium libcjson) -lm -pthread -o build/bench/clean_bench

note() { printf '%s\n' "$*" >&2; }
val() { awk -v k="$1" '$1 == k {print $2}' "$2"; }

if [ ! -s "$DEMO" ]; then
    note "generating $COUNT demo records"
    build/kesu demo --count "$COUNT" --out "$DEMO" >/dev/null
fi

note "C pipeline, $COUNT records"
build/bench/clean_bench "$DEMO" 2 > "$WORK/clean-c.txt"
note "Python peer, $PEER_COUNT records"
/usr/bin/python3 bench/clean_peer.py "$DEMO" "$PEER_COUNT" 2 > "$WORK/clean-py.txt"
note "both again without SimHash"
build/bench/clean_bench "$DEMO" 2 nosimhash > "$WORK/clean-c-nosim.txt"
/usr/bin/python3 bench/clean_peer.py "$DEMO" "$PEER_COUNT" 2 nosimhash > "$WORK/clean-py-nosim.txt"
# the C pipeline over the peer's records, to compare what both find
head -n "$PEER_COUNT" "$DEMO" > "$WORK/clean-peer.jsonl"
build/bench/clean_bench "$WORK/clean-peer.jsonl" 2 > "$WORK/clean-c-peer.txt"

C=$WORK/clean-c.txt
P=$WORK/clean-py.txt
c_rate=$(val records_per_s "$C")
p_rate=$(val records_per_s "$P")
ratio=$(echo "scale=1; $c_rate / $p_rate" | bc)
bytes=$(val bytes "$C")
avg=$(echo "$bytes / $(val records "$C")" | bc)
c_nosim=$(val records_per_s "$WORK/clean-c-nosim.txt")
p_nosim=$(val records_per_s "$WORK/clean-py-nosim.txt")
ratio_nosim=$(echo "scale=1; $c_nosim / $p_nosim" | bc)
cpu=$(lscpu | awk -F': *' '/Model name/ {print $2; exit}')
cat > "$OUT" <<MD
# Text cleaning: kesu (C) against a Python peer

Written by \`bench/clean.sh\` on $(date -u +%Y-%m-%d). Machine: $(nproc) cores ($cpu), Linux $(uname -r),
OpenCC $(dpkg-query -W -f '${Version}' libopencc1.1 2>/dev/null || echo '?'), Python $(/usr/bin/python3 -c 'import sys; print(sys.version.split()[0])').
Texts: the \`text\` field of \`kesu demo\` records (average $avg bytes; about 4% traditional,
12% HTML, about a quarter with personal data). Reading and JSON parsing are not timed.

| pipeline | records | threads | time | **records/s** |
|---|---|---|---|---|
| kesu C: normalize → t2s → PII → SimHash + exact key | $(val records "$C") | 2 | $(val seconds "$C") s | **$c_rate** |
| kesu C, same | $(val records "$C") | 1 | $(val seconds_1thread "$C") s | $(val records_per_s_1thread "$C") |
| Python peer: re + html + opencc command + hashlib | $(val records "$P") | 2 processes | $(val seconds "$P") s | **$p_rate** |

**kesu is $ratio× the Python peer** on two cores (target ≥ 20×), and its $c_rate records/s
leave room for the ≥ 50,000 records/s import target.

Without the SimHash stage on either side (the peer's SimHash is its largest cost), measured
in the same run: C $c_nosim records/s ($(val records "$WORK/clean-c-nosim.txt") records), Python $p_nosim records/s
($(val records "$WORK/clean-py-nosim.txt") records): **$ratio_nosim×**.

What both find in the peer's $(val records "$P") records: C converted $(val converted "$WORK/clean-c-peer.txt") texts to simplified and found
$(val pii_found "$WORK/clean-c-peer.txt") pieces of personal data; Python converted $(val converted "$P") and found $(val pii_found "$P").

Where the time goes:
- C, one thread, per record: normalize $(val stage_normalize_ns "$C") ns, t2s $(val stage_t2s_ns "$C") ns (of which the
  bitmap precheck $(val stage_precheck_ns "$C") ns; OpenCC runs on the $(val stage_converted "$C") of $(val stage_records "$C") texts that need it), PII $(val stage_pii_ns "$C") ns, SimHash + exact key $(val stage_simhash_ns "$C") ns;
  building the traditional-only bitmap from OpenCC at start-up: $(val t2s_startup_ms "$C") ms.
- Python, wall time on 2 processes: normalize $(val seconds_normalize "$P") s, opencc command $(val seconds_opencc "$P") s,
  PII + SimHash $(val seconds_pii_simhash "$P") s; CPU per record: PII $(val cpu_ns_pii "$P") ns, SimHash + exact key
  $(val cpu_ns_simhash "$P") ns (the usual per-bit loop over BLAKE2b shingle hashes: the peer's largest cost).

Commands:
\`\`\`
kesu demo --count $COUNT --out $DEMO
build/bench/clean_bench $DEMO 2
/usr/bin/python3 bench/clean_peer.py $DEMO $PEER_COUNT 2
build/bench/clean_bench $DEMO 2 nosimhash
/usr/bin/python3 bench/clean_peer.py $DEMO $PEER_COUNT 2 nosimhash
\`\`\`

The machine is shared with other work, so figures vary from run to run (on 2026-11-22, by up to
a factor of two); compare figures from the same run only.
MD
cat "$OUT"
