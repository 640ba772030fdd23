#!/bin/sh
# tests/api/run.sh: the API, CLI and crash tests against the real binary on loopback.
#   KESU_BIN   binary to test (default build/kesu; build/asan/kesu for the sanitizer run)
#   KESU_SLOW  timeout multiplier (default 3 for a binary under build/asan, else 1)
# Extra arguments go to unittest (e.g. -k test_crash). Exit status nonzero on failure.
set -eu
cd "$(dirname "$0")/../.."
KESU_BIN=${KESU_BIN:-build/kesu}
export KESU_BIN
if [ ! -x "$KESU_BIN" ]; then
    echo "tests/api/run.sh: $KESU_BIN is not there; build it first (make, or make SAN=1)" >&2
    exit 1
fi
echo "tests/api: testing $KESU_BIN"
exec /usr/bin/python3 -m unittest discover -s tests/api -p 'test_*.py' -v "$@"
