#!/bin/sh
# bench/mail.sh: e-mail intake speed, written to bench/results-mail.md.
#
#   1. MAIL_COUNT (default 20000) generated complaint mails in a Maildir (bench/mail_gen.py:
#      UTF-8 QP, GBK base64, HTML-only, and multipart with a 20 KB PDF)
#   2. kesu import --mail into a fresh store: messages/s, peak memory
#   3. the same again (everything already present)
#   4. peer: Python's email package parsing the same messages (bench/mail_peer.py), no store
#   5. kesu serve --watch-maildir: all messages renamed into new/ at once; time until
#      every one is stored and moved to cur/
# Work files go to bench/work/mail (not committed).
set -eu
cd "$(dirname "$0")/.."
COUNT=${MAIL_COUNT:-20000}
WORK=bench/work/mail
OUT=bench/results-mail.md
KESU=build/kesu
make -s -j2 all
rm -rf "$WORK"
mkdir -p "$WORK"

note() { printf '%s\n' "$*" >&2; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }

note "generating $COUNT messages"
t0=$(now)
/usr/bin/python3 bench/mail_gen.py "$WORK/Maildir" "$COUNT"
gen_s=$(secs "$t0" "$(now)")
size_mb=$(du -sm "$WORK/Maildir" | cut -f1)

note "importing"
t0=$(now)
/usr/bin/time -v -o "$WORK/import.time" $KESU --data "$WORK/data" import --mail "$WORK/Maildir" \
    > "$WORK/import.out"
import_s=$(secs "$t0" "$(now)")
rss_mb=$(awk '/Maximum resident/ {printf "%.0f", $6/1024}' "$WORK/import.time")
grep -q "$COUNT messages: $COUNT stored" "$WORK/import.out" || {
    note "import did not store every message:"; cat "$WORK/import.out" >&2; exit 1; }

note "re-importing"
t0=$(now)
$KESU --data "$WORK/data" import --mail "$WORK/Maildir" > "$WORK/reimport.out"
reimport_s=$(secs "$t0" "$(now)")
grep -q "0 stored, $COUNT already present" "$WORK/reimport.out" || {
    note "re-import stored something:"; cat "$WORK/reimport.out" >&2; exit 1; }

note "peer: Python's email package, parsing only"
peer_line=$(/usr/bin/python3 bench/mail_peer.py "$WORK/Maildir")
peer_s=$(echo "$peer_line" | awk '{print $4}')

note "watching"
mkdir -p "$WORK/inbox/tmp" "$WORK/inbox/new" "$WORK/inbox/cur"
$KESU --data "$WORK/data2" serve --listen 127.0.0.1:0 --port-file "$WORK/port" \
    --watch-maildir "$WORK/inbox" --maildir-scan 600 > "$WORK/serve.out" 2> "$WORK/serve.err" &
pid=$!
for _ in $(seq 1 200); do [ -s "$WORK/port" ] && break; sleep 0.05; done
t0=$(now)
/usr/bin/python3 -c 'import os, sys
src, dst = sys.argv[1], sys.argv[2]
for n in sorted(os.listdir(src)):
    os.rename(os.path.join(src, n), os.path.join(dst, n))' "$WORK/Maildir/new" "$WORK/inbox/new"
moved_s=$(secs "$t0" "$(now)")
while [ "$(ls "$WORK/inbox/new" | wc -l)" -gt 0 ]; do sleep 0.1; done
watch_s=$(secs "$t0" "$(now)")
kill -TERM "$pid"
wait "$pid" || true
cur=$(ls "$WORK/inbox/cur" | grep -c ':2,S$' || true)

cat > "$OUT" <<MD
# E-mail intake: measured figures

Produced by \`bench/mail.sh\` (MAIL_COUNT=$COUNT) on $(date -u +%Y-%m-%d), $(nproc) cores,
$(uname -sr). Build: \`make\` (-O2). Messages from \`bench/mail_gen.py\`: 55% UTF-8
quoted-printable, 20% GBK base64, 15% HTML-only, 10% multipart with a 20 KB PDF
attachment; $size_mb MB on disk (generated in $gen_s s, not committed).

| what | figure |
|---|---|
| \`kesu import --mail\` of a $COUNT-message Maildir into a fresh store | $import_s s, **$(rate "$COUNT" "$import_s") messages/s**, peak RSS $rss_mb MB |
| the same Maildir again (all already present, nothing stored) | $reimport_s s, $(rate "$COUNT" "$reimport_s") messages/s |
| peer: Python 3 \`email\` package (policy.default), the same fields, parsing only, nothing stored (\`bench/mail_peer.py\`) | $peer_s s, $(rate "$COUNT" "$peer_s") messages/s |
| \`kesu serve --watch-maildir\`: $COUNT messages renamed into new/ (took $moved_s s), until all are stored and in cur/ | $watch_s s, $(rate "$COUNT" "$watch_s") messages/s ($cur moved with :2,S) |

Every message is parsed with GMime, converted to UTF-8, validated and committed
durably (fsync) in transactions of 1,000 (import) or 500 (watcher) messages.
MD
cat "$OUT"
