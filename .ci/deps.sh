#!/bin/sh
# Installs the Debian packages semhash needs, if any is missing.
# Called by `make deps`, and by `make test` / `make demo` on a first build.
# Quick when everything is present: one dpkg-query, no network.
set -eu

PACKAGES="gcc make pkg-config liblmdb-dev libxxhash-dev libopenblas-dev libyaml-dev
check libsubunit-dev libutf8proc-dev libstemmer-dev libjansson-dev zlib1g-dev
libpng-dev"

missing=""
for p in $PACKAGES; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$status" in
        *"install ok installed"*) ;;
        *) missing="$missing $p" ;;
    esac
done

if [ -z "$missing" ]; then
    exit 0
fi

echo "semhash: installing missing packages:$missing" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "semhash: need root (or sudo) to install:$missing" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "semhash: packages installed" >&2
