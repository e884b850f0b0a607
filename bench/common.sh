# bench/common.sh — shell helpers shared by the bench parts (sourced).
#
# spam_model SEMHASH WORK: prints the path of a 64-bit model trained on
# the SpamAssassin corpus with the default configuration (training capped
# at 120 s), training it into WORK on first use; later parts reuse it.
spam_model() {
    _model="$2/spam-64.model"
    if [ ! -f "$_model" ]; then
        echo "bench: training a 64-bit model on corpora/data/spamassassin.jsonl (at most 120 s)" >&2
        mkdir -p "$2"
        "$1" train -q --set train.max_seconds=120 -o "$_model.tmp" corpora/data/spamassassin.jsonl
        mv "$_model.tmp" "$_model"
    fi
    echo "$_model"
}
