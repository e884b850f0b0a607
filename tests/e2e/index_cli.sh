#!/bin/sh
# semhash index / query / rm / stats / dups on corpora/tiny: results,
# JSON lines, near-duplicates, exit codes and one-line errors.
set -eu
S="$SEMHASH"
T="$SEMHASH_SRC/corpora/tiny"
W="$TMPDIR_E2E"
cd "$W"
fail() { echo "FAIL: $*"; exit 1; }
# status CMD...: runs CMD, prints its exit status (output to $W/out, $W/err)
status() { s=0; "$@" >"$W/out" 2>"$W/err" || s=$?; echo "$s"; }
one_line_error() {
    test "$(wc -l <"$W/err")" -eq 1 || { cat "$W/err"; fail "$1: not one line of error"; }
    grep -q "^semhash: " "$W/err" || fail "$1: error not prefixed"
}

for cmd in index query rm stats dups compact; do
    "$S" "$cmd" --help | grep -q "^usage: semhash $cmd" || fail "$cmd --help"
done

# a new index, model trained on the documents being indexed (SimHash: fast)
"$S" index -i idx --set model.encoder=simhash "$T/topics.jsonl" >out 2>err || { cat err; fail "index"; }
grep -q '^indexed 40 documents into idx in .* docs/s' out || { cat out; fail "index summary"; }
"$S" stats -i idx >out || fail "stats"
grep -q '^documents    40$' out || { cat out; fail "stats count"; }
grep -q "simhash encoder" out || fail "stats model"
grep -q "^bit balance  mean fraction of ones 0\.[0-9]*, most unbalanced bit 0\.[0-9]*$" out || fail "stats balance"

# similarity query: the text of a document finds it at distance 0, first
text=$(sed -n 1p "$T/topics.jsonl" | sed 's/.*"text":"\([^"]*\)".*/\1/')
"$S" query -i idx -r 0 "$text" >out || fail "query by text"
head -n 1 out | grep -q '^  0  astronomy-01 ' || { cat out; fail "query first hit"; }
printf '%s' "$text" | "$S" query -i idx -r 0 - >out2 || fail "query from stdin"
cmp -s out out2 || fail "stdin query differs"
printf '%s' "$text" >q.txt
"$S" query -i idx -r 0 -f q.txt >out2 || fail "query from file"
cmp -s out out2 || fail "file query differs"
"$S" query -i idx -k 3 --json "$text" >out || fail "top-k json"
test "$(wc -l <out)" -eq 3 || fail "top-k: want 3 lines"
head -n 1 out | grep -q '^{"name":"astronomy-01","id":1,"distance":0,"code":"[0-9a-f]\{16\}"' \
    || { cat out; fail "json line"; }
"$S" query -i idx -r 64 --limit 5 "$text" >out 2>err || fail "limit"
test "$(wc -l <out)" -eq 5 || fail "limit: want 5 lines"
grep -q '5 of 40 hits shown' err || fail "limit note"

# near-duplicates: add edited copies, verify with signatures
"$S" index -i idx -q "$T/topics-dups.jsonl" || fail "index dups"
orig=$(grep '"id":"astronomy-08"' "$T/topics.jsonl" | sed 's/.*"text":"\([^"]*\)".*/\1/')
"$S" query -i idx -r 64 --near-dup --json "$orig" >out 2>err || { cat err; fail "near-dup query"; }
grep -q '"name":"astronomy-08"' out || fail "near-dup: itself"
grep -q '"name":"dup-10-000006"' out || { cat out; fail "near-dup: the 10% copy"; }
grep -q '"similarity":' out || fail "near-dup: similarity"
! grep -q '"name":"astronomy-01"' out || fail "near-dup: an unrelated doc passed"
plain=$("$S" query -i idx -r 64 "$orig" | wc -l)
test "$plain" -gt "$(wc -l <out)" || fail "near-dup verified nothing away"
"$S" dups -i idx -r 64 --json >out 2>/dev/null || fail "dups"
grep -q '"names":\[[^]]*"astronomy-08"' out || { cat out; fail "dups group"; }
head -n 1 out | grep -q '^{"group":1,"size":' || fail "dups json"
# without -r, near-duplicate queries use query.near_dup_radius, capped at
# the code width (64 here), while -r above the width is an error
"$S" query -i idx --near-dup --json --set query.near_dup_radius=128 "$orig" >out2 2>err \
    || { cat err; fail "near-dup radius 128 (capped)"; }
"$S" query -i idx -r 64 --near-dup --json "$orig" >out
cmp -s out out2 || fail "near_dup_radius 128 is not the whole 64-bit width"
"$S" query -i idx --near-dup --json --set query.near_dup_radius=0 "$orig" >out2 2>err || true
! grep -v '"distance":0,' out2 | grep -q . || { cat out2; fail "near_dup_radius 0 not applied"; }
"$S" dups -i idx --json --set query.near_dup_radius=64 >out2 2>/dev/null || fail "dups default r"
"$S" dups -i idx -r 64 --json >out 2>/dev/null
cmp -s out out2 || fail "dups: near_dup_radius 64 differs from -r 64"
test "$(status "$S" query -i idx -r 65 --near-dup x)" -eq 2 || fail "-r above the width"

# rm: all or nothing
test "$(status "$S" rm -i idx astronomy-02 no-such-doc)" -eq 2 || fail "rm unknown: exit"
grep -q "no document named 'no-such-doc'" err || fail "rm unknown: message"
"$S" stats -i idx | grep -q '^documents    104$' || fail "rm unknown removed something"
"$S" rm -i idx astronomy-02 >out || fail "rm"
"$S" stats -i idx | grep -q '^documents    103$' || fail "rm count"
! "$S" query -i idx -r 64 --json "$text" | grep -q '"astronomy-02"' || fail "removed doc found"
# compact: the same answers afterwards
"$S" query -i idx -r 64 --json "$text" >before.json || fail "query before compact"
"$S" compact -i idx >out || fail "compact"
grep -q '^compacted idx in .* s: lookup tables .* bytes per document (103 documents)$' out ||
    { cat out; fail "compact summary"; }
"$S" query -i idx -r 64 --json "$text" >after.json || fail "query after compact"
cmp -s before.json after.json || fail "compact changed an answer"
"$S" stats -i idx | grep -q '^documents    103$' || fail "compact count"
test "$(status "$S" compact -i nowhere)" -eq 2 || fail "compact missing index: exit"
one_line_error "compact missing index"
# upsert: re-adding a name replaces it
printf '{"id":"astronomy-01","text":"Bread dough rises in a warm kitchen before baking."}\n' >up.jsonl
"$S" index -i idx up.jsonl >out || fail "upsert"
grep -q '1 replaced' out || { cat out; fail "upsert report"; }
test "$(status "$S" query -i idx -r 0 "$text")" -eq 1 || fail "old text still found at r=0"

# the configuration gives the defaults: index.path and query.radius
mkdir cfgdir
printf 'index:\n  path: "%s/idx"\nquery:\n  radius: 0\n' "$W" >cfgdir/config.yaml
(cd cfgdir && "$S" query "$orig") >out || fail "query with config.yaml"
grep -q '^  0  astronomy-08 ' out || { cat out; fail "config: hit"; }
! grep -qv '^  0  ' out || { cat out; fail "config: radius 0 not used"; }
(cd cfgdir && "$S" stats --set index.path="$W/nowhere") >out 2>&1 || true
grep -q "index $W/nowhere: no such directory" out || { cat out; fail "--set index.path"; }

# another model for an existing index is refused; the right one is fine
"$S" train -q -o lsh.model --set model.encoder=lsh "$T/topics.jsonl" || fail "train"
test "$(status "$S" index -i idx -m lsh.model up.jsonl)" -eq 2 || fail "wrong model accepted"
one_line_error "wrong model"
grep -q 'not the model' err || fail "wrong model message"
"$S" index -i idx2 -m lsh.model -q "$T/topics.jsonl" || fail "index with -m"
"$S" index -i idx2 -m lsh.model -q up.jsonl || fail "index with the same -m"

# bad input: each a one-line error and exit 2
test "$(status "$S" query -i missing-dir x)" -eq 2 || fail "missing dir"
one_line_error "missing dir"; grep -q 'no such directory' err || fail "missing dir message"
mkdir empty
test "$(status "$S" query -i empty x)" -eq 2 || fail "empty dir"; one_line_error "empty dir"
mkdir junk && head -c 50000 "$S" >junk/data.mdb
test "$(status "$S" stats -i junk)" -eq 2 || fail "corrupt dir"; one_line_error "corrupt dir"
test "$(status "$S" query -i idx "")" -eq 2 || fail "empty query"; one_line_error "empty query"
test "$(status "$S" query -i idx "the and of it")" -eq 2 || fail "stop words"
one_line_error "stop words"; grep -q 'stop words' err || fail "stop words message"
test "$(status "$S" query -i idx -r 65 astronomy)" -eq 2 || fail "radius above width"
one_line_error "radius"; grep -q '64 bits' err || fail "radius message"
test "$(status "$S" query -i idx)" -eq 2 || fail "no query"
test "$(status "$S" dups -i idx -r 99)" -eq 2 || fail "dups radius"
test "$(status "$S" index -i idx3)" -eq 2 || fail "index without corpus"
test "$(status "$S" query -i idx --similarity 2 --near-dup x)" -eq 2 || fail "bad similarity"

# a read-only filesystem: writes fail with one line, reads still work
if unshare -m true 2>/dev/null; then
    cat >ro.sh <<EOS
set -e
mount --bind "$W/idx" "$W/idx" && mount -o remount,bind,ro "$W/idx"
s=0; "$S" rm -i "$W/idx" astronomy-03 2>"$W/err" || s=\$?
test "\$s" -eq 2
"$S" query -i "$W/idx" -r 0 "$orig" >/dev/null
EOS
    unshare -m sh ro.sh || { cat err; fail "read-only filesystem"; }
    one_line_error "read-only"
    "$S" stats -i idx | grep -q '^documents    103$' || fail "read-only: lost documents"
else
    echo "(read-only filesystem case skipped: no mount namespace)"
fi

# a full disk: indexing fails with one line, what was committed is kept
if unshare -m true 2>/dev/null; then
    awk '{ for (i = 0; i < 300; i++) { l = $0; sub(/"id":"/, "\"id\":\"" i "-", l); print l } }' \
        "$T/topics.jsonl" >many.jsonl
    mkdir -p small
    cat >full.sh <<EOS
set -e
mount -t tmpfs -o size=3m tmpfs "$W/small"
"$S" index -q -i "$W/small/idx" --set model.encoder=simhash --set index.batch_size=500 \
    "$T/topics.jsonl"
s=0; "$S" index -q -i "$W/small/idx" --set index.batch_size=500 "$W/many.jsonl" \
    2>"$W/err" || s=\$?
test "\$s" -eq 2
"$S" stats -i "$W/small/idx" | sed -n 's/^documents *//p' >"$W/count"
"$S" query -i "$W/small/idx" -r 0 "$orig" >"$W/out"
EOS
    unshare -m sh full.sh || { cat err; fail "full disk"; }
    one_line_error "full disk"
    grep -qi 'space\|full' err || { cat err; fail "full disk message"; }
    n=$(cat count)
    test "$n" -ge 40 || fail "full disk: $n documents left, want at least the first 40"
    test $(((n - 40) % 500)) -eq 0 || fail "full disk: $n documents, not whole batches"
    grep -q 'astronomy-08' out || fail "full disk: query answer"
else
    echo "(full disk case skipped: no mount namespace)"
fi
echo "index cli ok"
