#!/bin/sh
# bench/index.sh SEMHASH_BIN BENCH_BIN_DIR RESULTS_DIR — the `index` part
# of `make bench`: indexing throughput end to end (read, tokenise, encode,
# write).
#
#   1. A 64-bit model trained once on SpamAssassin with the default
#      configuration (bench/common.sh: capped at 120 s, shared with the
#      other parts).
#   2. The stages one at a time, on the SpamAssassin corpus held in memory
#      (bench/index_vectorize): reading, tokenising, vectorising (the
#      issue's "vectorising the whole SpamAssassin corpus"), the one pass
#      that gives row and signature, the network; vectorising on 2 threads.
#   3. `semhash index` end to end: the 6,046 mails (3 runs on every core,
#      1 run pinned to one core), then the corpus replicated to
#      BENCH_INDEX_DOCS documents (default 1,000,000; copy k of mail i is
#      named c<k>/<id>; written once by bench/index_replicate.py into
#      BENCH_BIN_DIR/work-index/, about 5.7 GB, and kept for later runs).
#      Every run under /usr/bin/time -v (CPU seconds, peak RSS), then
#      `semhash stats` (bytes per document) and du (size on disk).
#   4. bench/index_report.py writes RESULTS_DIR/index.json and index.md.
#
# About 5 minutes on a quiet 2-core machine (first run: add the 120 s
# training and 30 s to write the replicated corpus).
set -eu

if [ $# -ne 3 ]; then
    echo "usage: sh bench/index.sh SEMHASH_BIN BENCH_BIN_DIR RESULTS_DIR" >&2
    exit 2
fi
semhash=$1
bin=$2
out=$3
docs=${BENCH_INDEX_DOCS:-1000000}
corpus=corpora/data/spamassassin.jsonl
here=$(cd "$(dirname "$0")" && pwd)
work=$bin/work-index
runs=$work/runs
big=$work/spam-replicated.jsonl
py=/usr/bin/python3
[ -x "$py" ] || py=python3
start=$(date +%s)

say() { echo "  index: $*" >&2; }

# Share of the CPUs busy over 2 s while this part runs nothing: other
# work on the machine, which inflates every time measured here.
busy() {
    awk '/^cpu /{ print $2 + $3 + $4 + $7 + $8, $5 + $6 }' /proc/stat > "$runs/.cpu0" 2>/dev/null || return 0
    sleep 2
    awk '/^cpu /{ print $2 + $3 + $4 + $7 + $8, $5 + $6 }' /proc/stat |
        awk -v f="$runs/.cpu0" '{ getline p < f; split(p, a, " ");
            b = $1 - a[1]; i = $2 - a[2]; printf "%.0f", (b + i > 0) ? 100 * b / (b + i) : 0 }'
}

[ -f "$corpus" ] || { echo "bench index: $corpus missing: run make corpora" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench index: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }
rm -rf "$runs"
mkdir -p "$work" "$runs" "$out"
busy_start=$(busy)

. "$here/common.sh"
model=$(spam_model "$semhash" "$bin/work-common")

say "stages on one thread: $corpus in memory"
"$bin/index_vectorize" "$model" "$corpus" --threads 2 --rounds 5 > "$runs/stages.json"

# index LABEL CORPUS [taskset prefix...]: one timed `semhash index` run
# into a fresh index, then its statistics and size; the index is removed.
index() {
    label=$1
    input=$2
    shift 2
    idx=$runs/$label.idx
    rm -rf "$idx"
    say "semhash index ($label)"
    "$@" /usr/bin/time -v -o "$runs/time-$label.txt" \
        "$semhash" index -i "$idx" -m "$model" "$input" > "$runs/out-$label.txt" 2> "$runs/err-$label.txt" ||
        { cat "$runs/err-$label.txt" >&2; exit 1; }
    "$semhash" stats -i "$idx" > "$runs/stats-$label.txt"
    du -sk "$idx" | cut -f1 > "$runs/du-$label.txt"
    rm -rf "$idx"
}

for r in 1 2 3; do
    index "spam-$r" "$corpus"
done
if command -v taskset > /dev/null 2>&1; then
    index spam-1core "$corpus" taskset -c 0
fi

say "replicating $corpus to $docs documents"
"$py" "$here/index_replicate.py" "$corpus" "$docs" "$big"
index "replicated" "$big"

busy_end=$(busy)
minutes=$(( ($(date +%s) - start + 59) / 60 ))
shown_big=$big
case "$big" in "$(pwd)"/*) shown_big=${big#"$(pwd)"/} ;; esac
shown_model=$model
case "$model" in "$(pwd)"/*) shown_model=${model#"$(pwd)"/} ;; esac
printf '{"corpus": "%s", "replicated": "%s", "replicated_docs": %s, "model": "%s", "cores": %s, "duration": "%s min", "busy_start": %s, "busy_end": %s}\n' \
    "$corpus" "$shown_big" "$docs" "$shown_model" "$(nproc)" "$minutes" \
    "${busy_start:-null}" "${busy_end:-null}" > "$runs/params.json"
"$py" "$here/index_report.py" "$runs" "$out/index.json" "$out/index.md"
say "wrote $out/index.json and $out/index.md"
