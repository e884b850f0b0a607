#!/bin/sh
# bench/deps.sh — what `make bench` needs beyond the build: python3 with
# numpy (the peer scripts and the report), and the optional peers PyTorch
# (python3-torch), FAISS (python3-faiss), scikit-learn (python3-sklearn,
# with python3-scipy), and gnuplot-nox for the plots.
# Installs what is missing with apt-get; quick when everything is present.
# A peer that cannot be installed is not an error: its benchmark is skipped
# with a message. Set BENCH_PEERS=0 to skip the peers without installing.
set -eu

need="python3 python3-numpy"
peers="python3-torch python3-faiss python3-sklearn python3-scipy gnuplot-nox"
[ "${BENCH_PEERS:-1}" = 0 ] && peers=""

missing=""
for p in $need $peers; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$status" in
        *"install ok installed"*) ;;
        *) missing="$missing $p" ;;
    esac
done
[ -z "$missing" ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "bench: need root (or sudo) to install:$missing" >&2
        echo "bench: continuing; benchmarks needing them are skipped" >&2
        exit 0
    fi
fi
echo "bench: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || true
for p in $missing; do
    # one at a time, so that one unavailable peer does not stop the others
    if ! $SUDO apt-get install -y -qq --no-install-recommends "$p" >/dev/null 2>&1; then
        case " $need " in
            *" $p "*) echo "bench: could not install $p" >&2; exit 1 ;;
            *) echo "bench: could not install $p: its comparison is skipped" >&2 ;;
        esac
    fi
done
