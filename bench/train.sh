#!/bin/sh
# bench/train.sh SEMHASH_BIN BENCH_BIN_DIR RESULTS_DIR — the `train` part
# of `make bench`: training speed.
#
#   1. OpenBLAS sgemm GFLOP/s at the training shapes and at 1024^3
#      (train_sgemm), at each thread count;
#   2. the SpamAssassin train split vectorised once (train_nash dump) into
#      RESULTS_DIR/train-data/, the rows both sides train on;
#   3. semhash training of the default 64-bit model on them (train_nash
#      run: seconds per epoch, achieved GFLOP/s, time by phase), and the
#      same through `semhash train` on the split as a file;
#   4. the same architecture and recipe in PyTorch (torch_nash.py), with a
#      sparse and a dense first-layer input, OMP_WAIT_POLICY=PASSIVE;
# then train_report.py writes RESULTS_DIR/train.json and train.md.
#
# BENCH_TRAIN_EPOCHS (default 5) and BENCH_TRAIN_THREADS (default "1 2")
# change the run; BENCH_PEERS=0 skips PyTorch. About 5 minutes on a quiet
# 2-core machine.
set -eu

if [ $# -ne 3 ]; then
    echo "usage: sh bench/train.sh SEMHASH_BIN BENCH_BIN_DIR RESULTS_DIR" >&2
    exit 2
fi
semhash=$1
bin=$2
out=$3
epochs=${BENCH_TRAIN_EPOCHS:-5}
threads=${BENCH_TRAIN_THREADS:-"1 2"}
corpus=corpora/data/spamassassin.jsonl
py=/usr/bin/python3
work=$out/train-work
data=$out/train-data
start=$(date +%s)
# Share of the CPUs busy over 2 s while this part runs nothing: other
# work on the machine, which inflates every time measured here.
busy() {
    awk '/^cpu /{ print $2 + $3 + $4 + $7 + $8, $5 + $6 }' /proc/stat > "$work/.cpu0" 2>/dev/null || return 0
    sleep 2
    awk '/^cpu /{ print $2 + $3 + $4 + $7 + $8, $5 + $6 }' /proc/stat |
        awk -v f="$work/.cpu0" '{ getline p < f; split(p, a, " ");
            b = $1 - a[1]; i = $2 - a[2]; printf "%.0f", (b + i > 0) ? 100 * b / (b + i) : 0 }'
}

[ -f "$corpus" ] || { echo "bench train: $corpus missing: run make corpora" >&2; exit 1; }
rm -rf "$work" "$data"
mkdir -p "$work" "$data"
busy_start=$(busy)

say() { echo "  train: $*" >&2; }

say "sgemm"
for t in $threads; do
    "$bin/train_sgemm" "$t" > "$work/sgemm-$t.jsonl"
done

say "vectorising the train split of $corpus"
"$bin/train_nash" dump "$corpus" "$data" > "$work/data.json"
grep '"split":"train"' "$corpus" > "$data/spam-train.jsonl"

have_torch=0
if [ "${BENCH_PEERS:-1}" != 0 ]; then
    if "$py" -c 'import numpy, torch' 2>/dev/null; then
        have_torch=1
    else
        say "PyTorch (python3-torch) or numpy missing: its comparison is skipped"
    fi
else
    say "BENCH_PEERS=0: PyTorch skipped"
fi

# One thread count at a time, both sides back to back, so that a change
# of machine load hits them alike.
for t in $threads; do
    say "semhash, $t thread(s), $epochs epochs"
    "$bin/train_nash" run "$data" "$t" "$epochs" > "$work/semhash-$t.json"
    # the cross-check through the CLI and the peer may fail without
    # taking the part down: their cells then say so
    "$semhash" train -c config.yaml --set train.epochs="$epochs" --set train.threads="$t" \
        --set train.patience=0 --set train.validation_fraction=0 \
        -o "$work/model-$t.shm" "$data/spam-train.jsonl" > "$work/cli-$t.txt" ||
        say "semhash train failed (see $work/cli-$t.txt)"
    if [ "$have_torch" = 1 ]; then
        for mode in sparse dense; do
            say "PyTorch ($mode input), $t thread(s), $epochs epochs"
            OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=$t \
                "$py" bench/torch_nash.py "$data" "$t" "$epochs" --input "$mode" \
                > "$work/torch-$mode-$t.json" || {
                say "torch_nash.py failed ($mode, $t threads): its cell is left out"
                rm -f "$work/torch-$mode-$t.json"
            }
        done
    fi
done

shown=$data
case "$data" in "$(pwd)"/*) shown=${data#"$(pwd)"/} ;; esac
minutes=$(( ($(date +%s) - start + 59) / 60 ))
tlist=$(echo $threads | sed 's/ /, /g')
busy_end=$(busy)
printf '{"epochs": %s, "threads": [%s], "corpus": "%s", "data_dir_shown": "%s", "duration": "%s min", "busy_start": %s, "busy_end": %s}\n' \
    "$epochs" "$tlist" "$corpus" "$shown" "$minutes" "${busy_start:-null}" "${busy_end:-null}" > "$work/params.json"
"$py" bench/train_report.py "$work" "$out/train.json" "$out/train.md"
say "wrote $out/train.json and $out/train.md"
