#!/bin/sh
# kill -9 during `semhash index`: the index opens and answers correctly,
# it holds whole batches only, and indexing again completes it.
set -eu
S="$SEMHASH"
W="$TMPDIR_E2E"
T="$SEMHASH_SRC/corpora/tiny/topics.jsonl"
fail() { echo "FAIL: $*"; exit 1; }
cd "$W"
"$S" train -q -o m.model --set model.encoder=simhash "$T" || fail "train"
# 40 topics documents x 600 copies with distinct names
awk '{ for (i = 0; i < 600; i++) { l = $0; sub(/"id":"/, "\"id\":\"" i "-", l); print l } }' \
    "$T" >big.jsonl
total=$(wc -l <big.jsonl)
"$S" index -q -i idx -m m.model --set index.batch_size=100 big.jsonl &
pid=$!
n=0
for i in $(seq 1 200); do
    n=$("$S" stats -i idx 2>/dev/null | sed -n 's/^documents *//p') || n=0
    test "${n:-0}" -ge 300 && break
    sleep 0.05
done
kill -9 "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
n=$("$S" stats -i idx | sed -n 's/^documents *//p') || fail "stats after kill -9"
test "$n" -ge 300 || fail "too few documents before the kill: $n"
if [ "$n" -lt "$total" ]; then
    test $((n % 100)) -eq 0 || fail "$n documents: not whole batches of 100"
else
    echo "(indexing finished before the kill)"
fi
text=$(sed -n 1p "$T" | sed 's/.*"text":"\([^"]*\)".*/\1/')
"$S" query -i idx -r 0 --limit 1 "$text" >out || fail "query after kill -9"
grep -q 'astronomy-01' out || fail "query answer after kill -9"
"$S" index -q -i idx big.jsonl || fail "indexing again"
n=$("$S" stats -i idx | sed -n 's/^documents *//p')
test "$n" -eq "$total" || fail "after re-indexing: $n documents, want $total"
# kill -9 during `semhash compact`: every table is old or rewritten, never partial
"$S" query -i idx -r 2 --json "$text" >before.json || fail "query before compact"
for delay in 0.01 0.03 0.08; do
    "$S" compact -q -i idx &
    pid=$!
    sleep "$delay"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    n=$("$S" stats -i idx | sed -n 's/^documents *//p') || fail "stats after killed compact"
    test "$n" -eq "$total" || fail "after a killed compact: $n documents, want $total"
    "$S" query -i idx -r 2 --json "$text" >after.json || fail "query after killed compact"
    cmp -s before.json after.json || fail "a killed compact changed an answer"
done
echo "index crash ok"
