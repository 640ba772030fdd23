#!/bin/sh
# scripts/web.sh: the web UI's npm side, called by make.
#   web.sh check    fails with a message unless Node.js >= 20.19 and npm are there
#   web.sh deps     npm ci in web/ (the versions pinned in web/package-lock.json)
#   web.sh build    vite build of web/ into build/web (OUT=dir to change)
# Debian 12's own nodejs package is 18.x (and its npm 9): Vite 7 needs Node >= 20.19,
# so the UI cannot be built with it. See README, "Web UI".
set -eu
cd "$(dirname "$0")/.."

check() {
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
        echo "web: node and npm are not installed. The web UI needs Node.js >= 20.19 with npm" >&2
        echo "     (Debian 12's nodejs is 18, too old for Vite 7). Install Node.js 20 or newer," >&2
        echo "     or build without the UI: make WEB=0" >&2
        exit 1
    fi
    v=$(node -p 'process.versions.node')
    major=${v%%.*}
    rest=${v#*.}
    minor=${rest%%.*}
    if [ "$major" -lt 20 ] || { [ "$major" -eq 20 ] && [ "$minor" -lt 19 ]; }; then
        echo "web: Node.js $v is too old: the web UI (Vite 7) needs Node.js >= 20.19." >&2
        echo "     Debian 12's own nodejs package is 18.x. Install Node.js 20 or newer," >&2
        echo "     or build without the UI: make WEB=0" >&2
        exit 1
    fi
}

case "${1:-}" in
check)
    check
    ;;
deps)
    check
    echo "web: npm ci (web/package-lock.json)" >&2
    (cd web && npm ci --no-audit --no-fund --loglevel=error)
    touch web/node_modules/.package-lock.json
    ;;
build)
    check
    out=${OUT:-build/web}
    (cd web && node_modules/.bin/vite build --logLevel warn --outDir "../$out" --emptyOutDir)
    touch "$out/index.html"
    ;;
*)
    echo "usage: scripts/web.sh check|deps|build" >&2
    exit 2
    ;;
esac
