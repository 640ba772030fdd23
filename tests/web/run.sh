#!/bin/sh
# tests/web/run.sh: browser tests. Playwright (playwright-core from web/node_modules) drives
# Debian's /usr/bin/chromium, headless, against a real `kesu serve` on a loopback port.
#   KESU_BIN   binary to test (default build/kesu)
#   KESU_DOCS_SHOTS=1  also refresh the main screenshots in docs/screenshots/
# Screenshots: build/test-logs/screenshots/. Extra arguments: test files (default: all).
set -eu
cd "$(dirname "$0")/../.."
KESU_BIN=${KESU_BIN:-build/kesu}
export KESU_BIN
if [ ! -x "$KESU_BIN" ]; then
    echo "tests/web/run.sh: $KESU_BIN is not there; build it first (make)" >&2
    exit 1
fi
scripts/web.sh check
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || {
    echo "tests/web/run.sh: no ${CHROMIUM:-/usr/bin/chromium}; make deps installs Debian's chromium" >&2
    exit 1
}
make -s web-deps
echo "tests/web: testing $KESU_BIN with $("${CHROMIUM:-/usr/bin/chromium}" --version 2>/dev/null)"
if [ $# -eq 0 ]; then
    set -- tests/web/test_*.mjs
fi
exec node --test --test-concurrency=1 --test-reporter=spec "$@"
