#!/usr/bin/env python3
"""bench/train_report.py WORK_DIR OUT.json OUT.md — the figures of the
`train` part of `make bench` (bench/train.sh ran the programs and left
their outputs in WORK_DIR) as train.json and the markdown section train.md.

Inputs in WORK_DIR (missing peer files mean the peer was skipped):
  params.json            epochs, threads, corpus, data directory
  data.json              `train_nash dump`: documents, vocabulary, nonzeros
  sgemm-T.jsonl          `train_sgemm T`: BLAS build line, then one line per shape
  semhash-T.json         `train_nash run DIR T EPOCHS`
  cli-T.txt              `semhash train` output on the same split
  torch-MODE-T.json      `torch_nash.py DIR T EPOCHS --input MODE`
Targets (from the project's issues): semhash faster per epoch than PyTorch
on the same architecture; at least 40 % of the sgemm peak during the
dense parts of training.
"""
import json
import os
import re
import sys

DENSE_TARGET = 0.40


def load_json(path):
    if not os.path.exists(path):
        return None
    with open(path) as f:
        text = f.read().strip()
    return json.loads(text) if text else None


def load_lines(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def parse_cli(path):
    """seconds per epoch and GFLOP/s printed by `semhash train`."""
    if not os.path.exists(path):
        return None
    with open(path) as f:
        text = f.read()
    spe = re.search(r"([0-9.]+) s per epoch", text)
    gf = re.search(r"([0-9.]+) GFLOP/s achieved", text)
    if spe is None or gf is None:
        return None
    return {"seconds_per_epoch": float(spe.group(1)), "gflops": float(gf.group(1))}


def met(ok):
    return "met" if ok else "missed"


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: train_report.py WORK_DIR OUT.json OUT.md")
    work, out_json, out_md = sys.argv[1:]
    params = load_json(os.path.join(work, "params.json"))
    data = load_json(os.path.join(work, "data.json"))
    threads = params["threads"]
    epochs = params["epochs"]
    data_dir = params["data_dir_shown"]

    res = {"params": params, "data": data, "sgemm": [], "peak_gflops": {}, "semhash": {},
           "semhash_cli": {}, "torch": {"sparse": {}, "dense": {}}, "targets": []}
    for t in threads:
        lines = load_lines(os.path.join(work, "sgemm-%d.jsonl" % t))
        if lines and "blas" in lines[0]:
            res["blas"] = {"config": lines[0]["blas"], "core": lines[0]["core"]}
        for row in lines[1:]:
            res["sgemm"].append(row)
            if row["M"] == row["N"] == row["K"] == 1024:
                res["peak_gflops"][str(t)] = row["gflops_best"]
        s = load_json(os.path.join(work, "semhash-%d.json" % t))
        if s is not None:
            res["semhash"][str(t)] = s
        c = parse_cli(os.path.join(work, "cli-%d.txt" % t))
        if c is not None:
            res["semhash_cli"][str(t)] = c
        for mode in ("sparse", "dense"):
            p = load_json(os.path.join(work, "torch-%s-%d.json" % (mode, t)))
            if p is not None:
                res["torch"][mode][str(t)] = p

    md = []
    blas = res.get("blas", {"config": "?", "core": "?"})
    md += ["Input: the train split of SpamAssassin (`%s`): %s documents, a %s-term "
           "vocabulary, %s nonzeros (%.1f per document), vectorised by `train_nash dump` "
           "with the default text configuration and read by both sides. Model: the default "
           "64-bit hashing model (sparse tf-idf -> 500 relu -> 500 relu -> 64 Bernoulli bits, "
           "straight-through -> softmax over the vocabulary; batch 128, Adam 1e-3, KL to "
           "Bernoulli(0.5) ramped over 5 epochs), %d epochs, no validation, no early stop. "
           "BLAS: %s (kernel `%s`), the same library PyTorch calls."
           % (params["corpus"], data["documents"], data["vocabulary"], data["nnz"],
              data["nnz_per_doc"], epochs, blas["config"], blas["core"]),
           "", "Whole part: `make bench-train` (about %s). Other work on the machine: %s %% "
           "of the CPUs were busy in the 2 s before the part started and %s %% in the 2 s "
           "after it ended (anything well above 0 inflates the times below). Epoch times "
           "are training only (batch assembly included, validation and vectorising excluded)."
           % (params.get("duration", "a few minutes"), params.get("busy_start", "?"),
              params.get("busy_end", "?")), ""]

    # --- sgemm ---
    md += ["### OpenBLAS sgemm", "",
           "`build/bench/train_sgemm T` (T = BLAS threads), GFLOP/s best of the repeats "
           "(median in brackets); the shapes are the dense products of one training step "
           "(B = 128 rows, H = 500, K = 64, V = 10,000) and 1024^3, the peak the fractions "
           "below refer to.", ""]
    head = "| product | M x N x K | " + " | ".join("%d thread%s" % (t, "s" if t > 1 else "")
                                                  for t in threads) + " |"
    md += [head, "|" + " --- |" * (2 + len(threads))]
    names = []
    for row in res["sgemm"]:
        if row["name"] not in names:
            names.append(row["name"])
    for name in names:
        cells = []
        dims = ""
        for t in threads:
            row = next((r for r in res["sgemm"] if r["name"] == name and r["threads"] == t),
                       None)
            if row is None:
                cells.append("-")
                continue
            dims = "%d x %d x %d%s" % (row["M"], row["N"], row["K"],
                                       {(0, 0): "", (0, 1): " (B^T)", (1, 0): " (A^T)"}
                                       .get((row["trans_a"], row["trans_b"]), ""))
            cells.append("%.1f (%.1f)" % (row["gflops_best"], row["gflops_median"]))
        md.append("| %s | %s | %s |" % (name, dims, " | ".join(cells)))
    md.append("")

    # --- seconds per epoch ---
    md += ["### Seconds per epoch: semhash beside PyTorch", "",
           "| threads | semhash | semhash train (CLI) | PyTorch, sparse input | "
           "PyTorch, dense input | PyTorch best / semhash | target | result |",
           "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for t in threads:
        k = str(t)
        s = res["semhash"].get(k)
        c = res["semhash_cli"].get(k)
        ps = res["torch"]["sparse"].get(k)
        pd = res["torch"]["dense"].get(k)
        peer = [p["seconds_per_epoch"] for p in (ps, pd) if p and "seconds_per_epoch" in p]
        cell = lambda p: "%.3f" % p["seconds_per_epoch"] if p and "seconds_per_epoch" in p \
            else "skipped"
        if s and peer:
            ratio = min(peer) / s["seconds_per_epoch"]
            ok = s["seconds_per_epoch"] < min(peer)
            res["targets"].append({"target": "semhash faster per epoch than PyTorch",
                                   "threads": t, "ratio": round(ratio, 3), "met": ok})
            rcell, tcell = "%.2fx" % ratio, met(ok)
        else:
            rcell, tcell = "-", "not measured"
        md.append("| %d | %s | %s | %s | %s | %s | faster than PyTorch | %s |"
                  % (t, cell(s), cell(c), cell(ps), cell(pd), rcell, tcell))
    md += ["", "Commands (T = threads; both sides run T threads):", "",
           "    build/bench/train_nash dump %s %s" % (params["corpus"], data_dir),
           "    build/bench/train_nash run %s T %d" % (data_dir, epochs),
           "    build/semhash train -c config.yaml --set train.epochs=%d --set train.threads=T "
           "--set train.patience=0 --set train.validation_fraction=0 -o MODEL %s/spam-train.jsonl"
           % (epochs, data_dir),
           "    OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=T OPENBLAS_NUM_THREADS=T /usr/bin/python3 "
           "bench/torch_nash.py %s T %d --input sparse|dense" % (data_dir, epochs), "",
           "PyTorch runs with torch.set_num_threads(T) (reported back by the script: %s). "
           "The CLI row trains on the same documents (the train split as its own file); it "
           "is the same code path and should match the first column."
           % ", ".join("%s" % res["torch"]["sparse"][k].get("threads", "?")
                       for k in sorted(res["torch"]["sparse"])) if res["torch"]["sparse"]
           else "PyTorch was skipped.", ""]

    # --- GFLOP/s ---
    md += ["### Achieved GFLOP/s against the sgemm peak", "",
           "Flops counted by the network: 2 x nnz x 500 per sparse product, 2 x B x I x O per "
           "dense product (forward; twice that backward). \"Whole training\" divides all of "
           "them by the training time; \"dense parts\" divides the dense layers' flops by the "
           "time spent in them (nn_timing: the BLAS products, whose weight matrices carry the "
           "bias as one more row, and copying each layer's input beside a column of ones).",
           "",
           "| threads | sgemm peak | whole training | fraction | dense parts | fraction | "
           "target (dense parts) | result |",
           "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for t in threads:
        k = str(t)
        s, peak = res["semhash"].get(k), res["peak_gflops"].get(k)
        if not s or not peak:
            continue
        f_all, f_dense = s["gflops"] / peak, s["dense_gflops"] / peak
        ok = f_dense >= DENSE_TARGET
        res["targets"].append({"target": ">= 40% of the sgemm peak in the dense parts",
                               "threads": t, "fraction": round(f_dense, 3),
                               "whole_training_fraction": round(f_all, 3), "met": ok})
        md.append("| %d | %.1f | %.1f | %.0f %% | %.1f | %.0f %% | >= 40 %% | %s |"
                  % (t, peak, s["gflops"], 100 * f_all, s["dense_gflops"], 100 * f_dense,
                     met(ok)))
    md += ["", "Command: `build/bench/train_nash run %s T %d` (dense_gflops, gflops) beside "
           "`build/bench/train_sgemm T` (1024^3)." % (data_dir, epochs), ""]

    # --- breakdown ---
    first = next(iter(res["semhash"].values())) if res["semhash"] else None
    md += ["### Where a semhash epoch goes", "",
           "Seconds per epoch by phase (nn_timing, from the same runs): the dense layers "
           "(BLAS products, bias included: %s GFLOP per epoch), the sparse first layer (its "
           "forward and the gradient of its weights: %s GFLOP per epoch), the loss (softmax "
           "over the vocabulary, likelihood, its gradient, KL), Adam over all %s parameters, "
           "and the rest (batch assembly, activations, sampling the bits, zeroing the "
           "gradients)."
           % ("%.1f" % first["dense_gflop_per_epoch"] if first else "?",
              "%.1f" % first["sparse_gflop_per_epoch"] if first else "?",
              "{:,}".format(first["parameters"]) if first and "parameters" in first else "the"),
           "",
           "| threads | epoch | dense layers | sparse layer | loss | Adam | rest |",
           "| --- | --- | --- | --- | --- | --- | --- |"]
    for t in threads:
        s = res["semhash"].get(str(t))
        if not s:
            continue
        n = s["epochs"]
        parts = [s["dense_seconds"], s["sparse_seconds"], s["loss_seconds"],
                 s["optim_seconds"], s["other_seconds"]]
        total = s["train_seconds"]
        md.append("| %d | %.3f | %s |" % (t, total / n, " | ".join(
            "%.3f (%.0f %%)" % (x / n, 100 * x / total) for x in parts)))
    md.append("")

    with open(out_json, "w") as f:
        json.dump(res, f, indent=1, sort_keys=True)
        f.write("\n")
    with open(out_md, "w") as f:
        f.write("\n".join(md))


if __name__ == "__main__":
    main()
