#!/bin/sh
# semhash train / encode / eval on a tiny labelled corpus written here:
# output formats, codes that survive save/load, and the clear errors of
# the issue's bad inputs.
set -eu
T="$TMPDIR_E2E"
fail() { echo "FAIL: $*"; exit 1; }

# 4 topics x 10 documents, every 5th document in the test split
awk 'BEGIN {
    split("goal striker league match keeper penalty stadium referee", w0, " ");
    split("compiler pointer kernel thread mutex buffer register linker", w1, " ");
    split("flour oven butter dough recipe sugar yeast pastry", w2, " ");
    split("galaxy orbit telescope planet comet nebula asteroid quasar", w3, " ");
    split("sport code food space", name, " ");
    srand(3);
    for (d = 0; d < 40; d++) {
        t = d % 4; text = "";
        for (i = 0; i < 12; i++) {
            k = int(rand() * 8) + 1;
            word = (t == 0 ? w0[k] : t == 1 ? w1[k] : t == 2 ? w2[k] : w3[k]);
            text = text (i ? " " : "") word;
        }
        printf "{\"id\": \"d%02d\", \"text\": \"%s\", \"labels\": [\"%s\"], \"split\": \"%s\"}\n",
               d, text, name[t + 1], (d % 5 == 0 ? "test" : "train");
    }
}' > "$T/tiny.jsonl"
SETS="--set text.min_df=1 --set text.max_df=1 --set model.hidden=32 --set train.epochs=15 --set train.threads=1"

# train + encode: one line per document, <id> TAB 16 hex digits
"$SEMHASH" train -q $SETS -o "$T/m.model" "$T/tiny.jsonl" || fail "train failed"
test -s "$T/m.model" || fail "no model written"
"$SEMHASH" encode -m "$T/m.model" "$T/tiny.jsonl" > "$T/codes.tsv" || fail "encode failed"
test "$(wc -l < "$T/codes.tsv")" -eq 40 || fail "encode printed $(wc -l < "$T/codes.tsv") lines, want 40"
grep -qvE '^d[0-9]{2}	[0-9a-f]{16}$' "$T/codes.tsv" && fail "bad encode line: $(grep -vE '^d[0-9]{2}	[0-9a-f]{16}$' "$T/codes.tsv" | head -1)"
# the same text through standard input gets the same code
first_text=$(sed -n '1s/.*"text": "\([^"]*\)".*/\1/p' "$T/tiny.jsonl")
code_stdin=$(printf '%s\n' "$first_text" | "$SEMHASH" encode -m "$T/m.model" - | cut -f2)
code_file=$(sed -n '1p' "$T/codes.tsv" | cut -f2)
test "$code_stdin" = "$code_file" || fail "stdin code $code_stdin differs from file code $code_file"
# a second training with the same seed writes the same codes
"$SEMHASH" train -q $SETS -o "$T/m2.model" "$T/tiny.jsonl"
"$SEMHASH" encode -m "$T/m2.model" "$T/tiny.jsonl" | cmp -s - "$T/codes.tsv" || fail "training is not deterministic"

# eval --json: one object per encoder and width, with the issue's fields
"$SEMHASH" eval -q --json $SETS --bits 16,32 --encoders ae,simhash,lsh "$T/tiny.jsonl" > "$T/eval.json" 2> "$T/eval.err" \
    || { cat "$T/eval.err"; fail "eval failed"; }
test "$(wc -l < "$T/eval.json")" -eq 7 || fail "eval printed $(wc -l < "$T/eval.json") lines, want 7"
for field in '"encoder"' '"bits"' '"p_at_10"' '"p_at_100"' '"map_at_100"' '"radius_precision"' '"radius_count"' '"train_seconds"'; do
    test "$(grep -c "$field" "$T/eval.json")" -eq 7 || fail "field $field missing"
done
grep -q '"encoder":"ae","bits":32' "$T/eval.json" || fail "no ae-32 row"

# near-duplicates: copies of two documents with a word changed
sed -n '2p;3p' "$T/tiny.jsonl" | sed 's/"id": "\(d[0-9]*\)", "text": "[a-z]* /"source": "\1", "edit_rate": 0.1, "text": "oven /' > "$T/dups.jsonl"
"$SEMHASH" eval -q --json $SETS --bits 32 --encoders simhash --dups "$T/dups.jsonl" --rates 10 "$T/tiny.jsonl" > "$T/dups.json" \
    || fail "eval --dups failed"
grep -q '"edit_rate":0.1' "$T/dups.json" || fail "no dups row"
grep -q '"dup_recall":\[' "$T/dups.json" || fail "no dup_recall"

# bad input: clear one-line errors and exit status 2
expect_error() { # expect_error PATTERN command...
    pattern=$1; shift
    status=0
    "$@" > "$T/out" 2> "$T/err" || status=$?
    test "$status" -eq 2 || fail "'$*' exited $status, want 2"
    grep -q "$pattern" "$T/err" || fail "'$*': message lacks '$pattern': $(cat "$T/err")"
}
: > "$T/empty.jsonl"
expect_error "empty" "$SEMHASH" train -q -o "$T/x.model" "$T/empty.jsonl"
sed 's/, "labels": \[[^]]*\]//' "$T/tiny.jsonl" > "$T/nolabels.jsonl"
expect_error "labels" "$SEMHASH" eval -q $SETS "$T/nolabels.jsonl"
sed 's/"split": "train"/"split": "test"/' "$T/tiny.jsonl" > "$T/notrain.jsonl"
expect_error "train" "$SEMHASH" eval -q $SETS "$T/notrain.jsonl"
expect_error "multiple of 8" "$SEMHASH" eval -q $SETS --bits 12 "$T/tiny.jsonl"
expect_error "multiple of 8" "$SEMHASH" eval -q $SETS --bits 136 "$T/tiny.jsonl"
expect_error "model.code_bits" "$SEMHASH" train -q $SETS --set model.code_bits=12 -o "$T/x.model" "$T/tiny.jsonl"
cp "$T/m.model" "$T/old.model"
printf '\002' | dd of="$T/old.model" bs=1 seek=8 conv=notrunc 2>/dev/null
expect_error "version" "$SEMHASH" encode -m "$T/old.model" "$T/tiny.jsonl"
echo "hasher cli ok"
