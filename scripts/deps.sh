#!/bin/sh
# Installs the Debian packages kesu needs to build, test and benchmark, when missing.
# Idempotent: a machine that has them all is left alone (and this script is fast).
set -eu
cd "$(dirname "$0")/.."

PKGS="build-essential pkg-config clang clang-format libclang-rt-14-dev
libmicrohttpd-dev libsqlite3-dev sqlite3 libcjson-dev libsodium-dev libcmocka-dev
libopencc-dev opencc zlib1g-dev libzip-dev libexpat1-dev libqrencode-dev libgmime-3.0-dev libxlsxwriter-dev
zbar-tools python3 python3-jieba python3-sklearn python3-openpyxl tzdata wrk curl time bc
libzstd-dev zstd valgrind libcurl4-openssl-dev
chromium fonts-wqy-microhei"

# The web UI is built with Node.js and npm (web/package-lock.json pins the npm packages;
# make installs them with npm ci). Vite 7 needs Node.js >= 20.19; Debian 12's own nodejs
# package is 18.x, so it is not installed from here: a machine without Node.js 20+ builds
# with make WEB=0 (no UI, no browser tests). scripts/web.sh check says the same.
scripts/web.sh check || true

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

echo "deps: installing$missing" >&2
SUDO=""
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "deps: need root (or sudo) to install:$missing" >&2; exit 1; }
    SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "deps: done" >&2
