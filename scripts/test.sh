#!/bin/sh
# make test: every suite, in order, continuing past failures, then one summary line.
#   format   clang-format check of every C file
#   build    gcc and clang, -Wall -Wextra -Werror
#   fuzz-check  the libFuzzer targets (tests/fuzz) built with clang and run once over their seeds
#   unit     cmocka unit tests (tests/unit)
#   api      API, CLI and crash tests against the real binary on loopback (tests/api)
#   web-unit Vitest tests of the web UI's logic (web/tests)
#   browser  Playwright + Debian's chromium against a real kesu serve (tests/web)
#   asan     unit + api again under AddressSanitizer + UndefinedBehaviorSanitizer
set -u
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
passed=""
failed=""
log=build/test-logs
mkdir -p "$log"

step() {
    name=$1
    shift
    printf '\n=== %s\n' "$name"
    start=$(date +%s)
    if "$@"; then
        passed="$passed $name"
        printf '=== %s: ok (%ss)\n' "$name" $(($(date +%s) - start))
    else
        failed="$failed $name"
        printf '=== %s: FAILED (%ss)\n' "$name" $(($(date +%s) - start))
    fi
}

format_check() {
    files=$(find src tests -name '*.c' -o -name '*.h' | sort)
    clang-format --dry-run --Werror $files
}

run_units() {
    dir=$1
    rc=0
    for t in "$dir"/tests/test_*; do
        [ -x "$t" ] || continue
        if ! "$t" > "$log/$(basename "$t").$(basename "$dir").log" 2>&1; then
            echo "unit test failed: $t"
            cat "$log/$(basename "$t").$(basename "$dir").log"
            rc=1
        else
            tail -n 1 "$log/$(basename "$t").$(basename "$dir").log" | sed "s|^|$(basename "$t"): |"
        fi
    done
    return $rc
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=86}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=87}

step format format_check
step build-gcc make -s -j"$JOBS" WERROR=1 all unit
step build-clang make -s -j"$JOBS" WERROR=1 CC=clang BUILD=build/clang all unit
step fuzz-check make -s -j"$JOBS" WERROR=1 CC=clang BUILD=build/clang fuzz-check
step unit run_units build
step api env KESU_BIN=build/kesu tests/api/run.sh
step web-unit make -s web-test
step browser env KESU_BIN=build/kesu tests/web/run.sh
step build-asan make -s -j"$JOBS" WERROR=1 SAN=1 all unit
step unit-asan run_units build/asan
step api-asan env KESU_BIN=build/asan/kesu KESU_SLOW=3 tests/api/run.sh

echo
if [ -z "$failed" ]; then
    echo "make test: PASS ($(echo $passed | wc -w) steps:$passed)"
    exit 0
fi
echo "make test: FAIL (failed:$failed; passed:$passed)"
exit 1
