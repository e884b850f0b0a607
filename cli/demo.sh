#!/bin/sh
# cli/demo.sh SEMHASH — the README's main job, run by `make demo`:
# prepare the SpamAssassin corpus, train a model and index the mails in
# one go, then ask a few similarity and near-duplicate questions and print
# what was found. A few minutes on 2 cores (training is capped by
# DEMO_TRAIN_SECONDS, default 120).
#
# Files go to DEMO_DIR (default build/demo): the index build/demo/spam.idx
# stays for further queries, e.g.
#   build/semhash query -i build/demo/spam.idx -k 5 "free vacation offer"
set -eu
SEMHASH="$1"
DIR="${DEMO_DIR:-build/demo}"
SECONDS_CAP="${DEMO_TRAIN_SECONDS:-120}"
DATA=corpora/data
MAILS="$DATA/spamassassin.jsonl"
DUPS="$DATA/spamassassin-dups.jsonl"

step() { printf '\n== %s\n' "$*"; }

"$SEMHASH" --version
step "preparing the corpora (make corpora; quick when already done)"
make -s corpora
test -f "$MAILS" || { echo "demo: $MAILS is missing after make corpora" >&2; exit 2; }
echo "$(wc -l <"$MAILS") mails in $MAILS, $(wc -l <"$DUPS") edited copies in $DUPS"

rm -rf "$DIR/spam.idx"
mkdir -p "$DIR"
step "training a 64-bit model on the mails and indexing them"
"$SEMHASH" index -i "$DIR/spam.idx" --set train.max_seconds="$SECONDS_CAP" "$MAILS"
"$SEMHASH" stats -i "$DIR/spam.idx" | sed -n '1,8p'

# The text of line N of a JSON-lines file (GNU sed; the common JSON
# escapes only, which is enough for a demo).
text_of() {
    sed -n "${2}p" "$1" | sed 's/^{"id":"[^"]*","text":"//; s/","[a-z_]*":.*$//' |
        sed 's/\\n/\n/g; s/\\t/\t/g; s/\\"/"/g; s/\\\\/\\/g'
}
field_of() { sed -n "${2}p" "$1" | sed "s/.*\"$3\":\"\\([^\"]*\\)\".*/\\1/"; }

step "similarity: the 5 mails whose codes are nearest to a few questions"
for q in "refinance your mortgage at a low interest rate" \
         "compile the linux kernel module with gcc" \
         "lose weight fast with this diet pill"; do
    echo "query: $q"
    "$SEMHASH" query -i "$DIR/spam.idx" -k 5 "$q" | sed 's/^/    /' || true
done

step "near-duplicates: edited copies (10% of words changed) of indexed mails"
found=0; asked=0
for n in 1001 1002 1003 1004 1005; do
    src=$(field_of "$DUPS" "$n" source)
    rate=$(sed -n "${n}p" "$DUPS" | sed 's/.*"edit_rate":\([0-9.]*\).*/\1/')
    asked=$((asked + 1))
    echo "copy of $src (edit rate $rate):"
    if text_of "$DUPS" "$n" | "$SEMHASH" query -i "$DIR/spam.idx" -r 8 --near-dup - >"$DIR/hits" \
        2>"$DIR/note"; then
        sed 's/^/    /' "$DIR/hits"
        grep -q " $src " "$DIR/hits" && found=$((found + 1))
    else
        echo "    (no near-duplicate within radius 8)"
    fi
    sed 's/^semhash: /    /' "$DIR/note"
done
echo "the original came back for $found of $asked copies"

step "every near-duplicate group already in the mails (largest first)"
# a stricter threshold than the default 0.4: mailing-list posts share long
# footers, which chain many of them into one group at 0.4
"$SEMHASH" dups -i "$DIR/spam.idx" -r 3 --similarity 0.6 | head -n 20 || true
step "done: the index is $DIR/spam.idx (try: $SEMHASH query -i $DIR/spam.idx -k 5 \"your text\")"
