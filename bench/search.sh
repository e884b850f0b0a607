#!/bin/sh
# bench/search.sh SEMHASH BENCH_BIN RESULTS — the `search` part of make bench.
#
# 1. Given codes (bench/search_codes): 100k and 1M clustered 64-bit codes,
#    1M random ones, and with BENCH_FULL=1 10M clustered: build the index
#    one code at a time and, beside it, as a bulk load of a new index
#    (codes/s of both; the bulk load three times, the fastest counted),
#    bytes per document per table before and after compaction,
#    query latency by radius 0-10 in every mode and the in-memory popcount
#    floor, every answer checked against that floor.
# 2. FAISS on the same codes and queries (bench/search_faiss.py), unless
#    BENCH_PEERS=0 or python3-faiss is missing.
# 3. A real index: SpamAssassin indexed with a 64-bit model, queried with
#    the test mails from text and from code (bench/search_text).
# 4. bench/search_report.py: search.json, search.md and the plots.
set -eu
SEMHASH="$1"
BIN="$2"
OUT="$3"
HERE=$(cd "$(dirname "$0")" && pwd)
WORK="$BIN/work-search"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
mkdir -p "$WORK" "$OUT"
rm -f "$OUT"/search-*.json

sizes="100000 1000000"
[ "${BENCH_FULL:-0}" = 1 ] && sizes="$sizes 10000000"

run_codes() { # n dist label
    echo "search: $2 codes, n = $1" >&2
    rm -rf "$WORK/idx-$3" "$WORK/idx-$3-bulk" # also what a killed run left
    "$BIN/search_codes" --n "$1" --dist "$2" --queries 200 --scan-queries 10 --max-radius 10 \
        --compact 1 --bulk 3 --dir "$WORK/idx-$3" --dump "$WORK/codes-$3" --label "$3" \
        > "$OUT/search-codes-$3.json"
    rm -rf "$WORK/idx-$3" "$WORK/idx-$3-bulk"
}

run_faiss() { # label
    if [ "${BENCH_PEERS:-1}" = 0 ]; then return 0; fi
    echo "search: FAISS on $1 (one thread)" >&2
    batch=1000
    case "$1" in *10000000*) batch=200 ;; esac
    OMP_WAIT_POLICY=PASSIVE FAISS_THREADS=1 FAISS_BATCH=$batch \
        "$PY" "$HERE/search_faiss.py" "$WORK/codes-$1" 64 10 100 > "$OUT/search-faiss-$1.json" ||
        echo '{"skipped": "search_faiss.py failed"}' > "$OUT/search-faiss-$1.json"
}

for n in $sizes; do
    run_codes "$n" clustered "clustered-$n"
    run_faiss "clustered-$n"
done
run_codes 1000000 random random-1000000
run_faiss random-1000000
rm -f "$WORK"/codes-*

# A real index: the SpamAssassin mails under a 64-bit model (trained once,
# capped at 120 s, and kept in $BIN/work-common for the other parts).
. "$HERE/common.sh"
MODEL=$(spam_model "$SEMHASH" "$BIN/work-common")
MAILS=corpora/data/spamassassin.jsonl
rm -rf "$WORK/spam.idx"
"$SEMHASH" index -q -i "$WORK/spam.idx" -m "$MODEL" "$MAILS"
echo "search: text queries on $WORK/spam.idx" >&2
"$BIN/search_text" "$WORK/spam.idx" "$MAILS" --queries 1000 --max-radius 10 --k 10 \
    > "$OUT/search-text-spamassassin.json"

"$PY" "$HERE/search_report.py" "$OUT"
