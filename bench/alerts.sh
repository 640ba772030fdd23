#!/bin/sh
# bench/alerts.sh: detection rate, delay and false alarms of the spike detectors
# (src/core/insight/spike.c) on generated series with fixed seeds (bench/alerts_bench.c).
# Deterministic: not a timing. Writes bench/results-alerts.md; run alone (not from
# bench/run.sh) it also replaces the "Spike detection" section of bench/results.md.
#
#   BENCH_ALERTS_SERIES  series per band and case (default 400)
set -eu
cd "$(dirname "$0")/.."
SERIES=${BENCH_ALERTS_SERIES:-400}
OUT=bench/results-alerts.md
mkdir -p bench/work
make -s -j2 build/libkesu.a
${CC:-cc} -std=c11 -O2 -D_GNU_SOURCE -Isrc -Isrc/core bench/alerts_bench.c build/libkesu.a -lm \
    -o bench/work/alerts_bench
{
    echo "# Spike detection (bench/alerts.sh)"
    echo
    echo "Written on $(date -u +%Y-%m-%d) by \`bench/alerts.sh\` (\`bench/alerts_bench.c\`, fixed seeds, the same"
    echo "figures on every run). A false alarm is an alarm on a day without an injected spike (or the day after"
    echo "one); a spike is caught when an alarm comes on its first day (one-day spikes) or by the end of the"
    echo "next day (three-day spikes). Targets: >= 95 % of 2x spikes caught within one period,"
    echo "<= 1 false alarm per 1,000 series-days."
    echo "The last column of the daily table is the bound no detector passes: one that knows each day's"
    echo "true mean and alarms at the count a clean day reaches once in 1,000 (the gamma-Poisson tail of"
    echo "the generator) catches a 2x one-day spike with that probability, averaged over the spikes. Below"
    echo "about 50 complaints a day a 2x day is not told apart from chance at 1 false alarm per 1,000 days;"
    echo "weekly rules (the second table) pool such thin series into weeks."
    echo
    bench/work/alerts_bench --series "$SERIES"
} > "$OUT"
if [ -z "${BENCH_FROM_RUN:-}" ] && [ -f bench/results.md ]; then
    awk '/^## Spike detection/ {skip=1; next} skip && /^## / {skip=0} !skip' bench/results.md \
        > bench/work/results.md.tmp
    { cat bench/work/results.md.tmp; echo; sed 's/^# /## /' "$OUT"; } > bench/results.md
fi
cat "$OUT"
