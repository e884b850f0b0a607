#!/bin/sh
# corpora/checksums.sh check|update DATA_DIR SUMS_FILE
#
# The prepared corpora are deterministic: the same code, package versions
# and seeds give the same bytes. SUMS_FILE (corpora/SHA256SUMS, committed)
# records them; `check` compares, `update` rewrites it after an intended
# change (make corpora-checksums).
set -eu

mode=$1
DATA=$2
SUMS=$3
FILES="spamassassin.jsonl brown.jsonl spamassassin-dups.jsonl synth-100k.jsonl"

case "$mode" in
update)
    tmp="$SUMS.tmp"
    (cd "$DATA" && sha256sum $FILES) > "$tmp"
    mv "$tmp" "$SUMS"
    echo "corpora: checksums written to $SUMS" >&2
    ;;
check)
    sums=$(cd "$(dirname "$SUMS")" && pwd)/$(basename "$SUMS")
    if (cd "$DATA" && sha256sum --check --quiet --strict "$sums"); then
        echo "corpora: checksums match $SUMS" >&2
    else
        echo "corpora: the prepared files differ from $SUMS." >&2
        echo "corpora: if you changed the tools or seeds on purpose, run 'make corpora-checksums'" >&2
        echo "corpora: and commit corpora/SHA256SUMS; otherwise the preparation is not deterministic." >&2
        exit 1
    fi
    ;;
*)
    echo "usage: checksums.sh check|update DATA_DIR SUMS_FILE" >&2
    exit 2
    ;;
esac
