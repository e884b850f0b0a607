#!/usr/bin/env python3
"""bench/quality_report.py RESULTS BITS — quality.json and quality.md from
the files bench/quality.sh wrote: quality-spam.jsonl (semhash eval --json
lines, labellings 1 = ham/spam and 2 = folders, and the --dups lines),
quality-spam-headers.jsonl (the same with every mail header kept),
quality-brown.jsonl (seed 1) and quality-brown-seedS.jsonl (ae and itq
under other seeds), quality-resent-subject.jsonl and
quality-resent-all.jsonl (64 bits, re-sent copies as --dups) and
quality-neardup.json.

Targets (from the project's issues):
  - 64 bits, precision@100 (Brown: @10): SpamAssassin ham/spam >= 0.94,
    5 folders >= 0.70, Brown 15 genres >= 0.36;
  - at every width the autoencoder beats LSH and SimHash by a wide margin
    and is at least level with PCA+ITQ;
  - edited copies within radius 3 of their original at 64 bits: >= 95% at
    10% word edits, >= 80% at 20%;
  - near-duplicate queries on the index, 10% edits: >= 95% of copies find
    their original with at most 1 false answer per query after
    verification.
The issue's reference figures measured on this machine earlier (LSH,
SimHash, PCA+ITQ, tf-idf, PyTorch NASH) are shown beside ours.
"""
import json
import os
import sys

REF_HAMSPAM = {"lsh": 0.810, "simhash": 0.796, "itq": 0.891, "tfidf": 0.889, "nash": 0.928}
REF_FOLDERS = {"lsh": 0.529, "simhash": 0.521, "itq": 0.680, "tfidf": 0.656, "nash": 0.653}
# (name, file, label, title, metric, target, the reference figures
# or None where another row shows them)
RUNS = [
    ("spam-hamspam", "spam", 1, "SpamAssassin, ham/spam", "p_at_100", 0.94, REF_HAMSPAM),
    ("spam-folders", "spam", 2, "SpamAssassin, 5 folders", "p_at_100", 0.70, REF_FOLDERS),
    ("spam-headers-hamspam", "spam-headers", 1, "SpamAssassin, ham/spam, every header kept",
     "p_at_100", 0.94, None),
    ("spam-headers-folders", "spam-headers", 2, "SpamAssassin, 5 folders, every header kept",
     "p_at_100", 0.70, None),
    ("brown", "brown", None, "Brown, 15 genres", "p_at_10", 0.36,
     {"lsh": 0.126, "simhash": 0.131, "itq": 0.345, "tfidf": 0.329, "nash": 0.342}),
]
ENCODERS = ["ae", "itq", "simhash", "lsh"]
NAMES = {"ae": "semhash AE", "itq": "PCA+ITQ", "simhash": "SimHash", "lsh": "LSH",
         "tfidf": "tf-idf cosine"}


def read_lines(path):
    rows = []
    if not os.path.exists(path):
        return rows
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                rows.append(json.loads(line))
    return rows


def metric_of(rows, enc, bits, key):
    for r in rows:
        if r.get("encoder") == enc and r.get("bits") == bits and "edit_rate" not in r:
            return r.get(key)
    return None


def f3(v):
    return "–" if v is None else "%.3f" % v


def cores_text(out):
    """How many CPUs the run could use, from machine-quality.json (nproc
    under any taskset), e.g. "1 CPU"."""
    try:
        with open(os.path.join(out, "machine-quality.json")) as f:
            n = json.load(f).get("cores")
    except (OSError, ValueError):
        n = None
    return "unknown number of CPUs" if n is None else "%d CPU%s" % (n, "" if n == 1 else "s")


def brown_seeds(out, bits_list, seed1_rows, md, summary):
    """The table of Brown's P@10 under every seed run (seed 1 from the main
    run, the others from quality-brown-seedS.jsonl), with the means."""
    seeds = {1: seed1_rows}
    for name in sorted(os.listdir(out)):
        if name.startswith("quality-brown-seed") and name.endswith(".jsonl"):
            seed = int(name[len("quality-brown-seed"):-len(".jsonl")])
            seeds[seed] = read_lines(os.path.join(out, name))
    if len(seeds) < 2 or not seed1_rows:
        return
    order = sorted(seeds)
    md.append("### Brown over seeds")
    md.append("")
    md.append("Brown has 100 test queries, so one seed's P@10 moves by about 0.02 from seed "
              "to seed (train.seed sets the split of the validation documents, the "
              "initialisation, the corruption, ITQ's rotation and the tie order). P@10 of the "
              "autoencoder and PCA+ITQ under seeds %s (seed 1 is the run above):"
              % ", ".join(map(str, order)))
    md.append("")
    md.append("| bits | encoder | " + " | ".join("seed %d" % s for s in order) +
              " | mean |")
    md.append("| --- | --- |" + " --- |" * (len(order) + 1))
    table, level = {}, True
    for b in bits_list:
        means = {}
        for enc in ("ae", "itq"):
            vals = [metric_of(seeds[s], enc, b, "p_at_10") for s in order]
            known = [v for v in vals if v is not None]
            means[enc] = sum(known) / len(known) if known else None
            table.setdefault(str(b), {})[enc] = vals
            md.append("| %d | %s | %s | %s |" % (b, NAMES[enc], " | ".join(f3(v) for v in vals),
                                               f3(means[enc])))
        if means["ae"] is not None and means["itq"] is not None:
            level = level and means["ae"] >= means["itq"]
    md.append("")
    md.append("AE mean at least PCA+ITQ's at every width: %s."
              % ("yes" if level else "no"))
    md.append("")
    summary["brown_seeds"] = {"seeds": order, "p_at_10": table}
    summary["targets"]["brown_seed_mean_ae_level_with_itq"] = level


def main():
    out, bits_list = sys.argv[1], [int(b) for b in sys.argv[2].split(",")]
    md, summary = [], {"runs": {}, "targets": {}}
    md.append("Reproduce: `make bench-quality` (runs `build/semhash eval --json --bits %s "
              "--encoders ae,itq,simhash,lsh` on each corpus; SpamAssassin with `--label 1,2` "
              "(ham/spam and folders from one fit) and `--dups "
              "corpora/data/spamassassin-dups.jsonl`, once more with `--set "
              "text.email_headers=all`, and at 64 bits (ae, itq) under both header settings "
              "with the re-sent copies as `--dups`; Brown once more under seeds 2-5, ae and itq, "
              "`--set train.seed=S`). Train "
              "split indexed, test split as queries, relevant = shares a label, ties in Hamming "
              "distance broken in a seeded random order. Training runs with the configured "
              "threads (train.threads) on the %s available to the run (train seconds depend "
              "on it; the precision figures do not)."
              % (",".join(map(str, bits_list)), cores_text(out)))
    md.append("")
    data, files = {}, {}
    for name, fname, label, _, _, _, _ in RUNS:
        if fname not in files:
            files[fname] = read_lines(os.path.join(out, "quality-%s.jsonl" % fname))
            secs = os.path.join(out, "quality-%s.seconds" % fname)
            summary["runs"][fname] = {
                "rows": files[fname],
                "seconds": float(open(secs).read()) if os.path.exists(secs) else None}
        data[name] = [r for r in files[fname] if "edit_rate" not in r and
                      (label is None or r.get("label", label) == label)]

    md.append("### The target table: 64-bit codes")
    md.append("")
    md.append("| corpus, labels | metric | LSH-64 | SimHash-64 | PCA+ITQ-64 | tf-idf cosine | "
              "semhash-64 | target | met |")
    md.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    ref_lines = []
    for name, _, _, title, key, target, ref in RUNS:
        rows = data[name]
        if not rows:
            continue
        ae = metric_of(rows, "ae", 64, key)
        met = ae is not None and ae >= target
        summary["targets"]["%s_%s" % (name, key)] = met
        md.append("| %s | %s | %s | %s | %s | %s | **%s** | ≥ %.2f | %s |" % (
            title, key.replace("p_at_", "P@"), f3(metric_of(rows, "lsh", 64, key)),
            f3(metric_of(rows, "simhash", 64, key)), f3(metric_of(rows, "itq", 64, key)),
            f3(metric_of(rows, "tfidf", 0, key)), f3(ae), target, "✓" if met else "✗"))
        if ref is not None:
            ref_lines.append("| %s | %.3f | %.3f | %.3f | %.3f | %.3f |" % (
                title, ref["lsh"], ref["simhash"], ref["itq"], ref["tfidf"], ref["nash"]))
    md.append("")
    if data.get("spam-headers-folders"):
        md.append("SpamAssassin rows: the default (`text.email_headers: subject`) keeps a mail's "
                  "Subject and body; *every header kept* (`--set text.email_headers=all`) adds "
                  "the text of its other headers (Received route, senders, recipients, dates, "
                  "list names), the preprocessing of the issue's reference figures (their "
                  "PCA+ITQ and tf-idf figures are close to ours with the headers, far from ours "
                  "without). The folders differ mostly in route and period, hence the gain; the "
                  "default stays subject because a copy of a mail that arrives by another route "
                  "loses its original with every header kept (re-sent copies, below).")
        md.append("")
    md.append("The issue's reference measurements on this machine, for comparison (other "
              "code, the same corpora and vocabulary size; PyTorch NASH-64 capped at 240 s of "
              "training on one thread):")
    md.append("")
    md.append("| corpus, labels | LSH-64 | SimHash-64 | PCA+ITQ-64 | tf-idf cosine | "
              "PyTorch NASH-64 |")
    md.append("| --- | --- | --- | --- | --- | --- |")
    md.extend(ref_lines)
    md.append("")

    md.append("### Every code width")
    md.append("")
    md.append("| corpus | metric | bits | " + " | ".join(NAMES[e] for e in ENCODERS) +
              " | AE train s | AE ≥ ITQ, ≫ LSH/SimHash |")
    md.append("| --- | --- | --- |" + " --- |" * len(ENCODERS) + " --- | --- |")
    level_ok = True
    for name, _, _, title, key, _, _ in RUNS:
        rows = data[name]
        for b in bits_list:
            vals = {e: metric_of(rows, e, b, key) for e in ENCODERS}
            if vals["ae"] is None:
                continue
            others = [v for e, v in vals.items() if e in ("simhash", "lsh") and v is not None]
            ok = (vals["itq"] is None or vals["ae"] >= vals["itq"]) and all(
                vals["ae"] >= 1.1 * v for v in others)
            level_ok = level_ok and ok
            md.append("| %s | %s | %d | %s | %.1f | %s |" % (
                title, key.replace("p_at_", "P@"), b, " | ".join(f3(vals[e]) for e in ENCODERS),
                metric_of(rows, "ae", b, "train_seconds") or 0, "✓" if ok else "✗"))
    md.append("")
    md.append("(\"≫\" is taken as at least 10% higher.)")
    md.append("")
    summary["targets"]["ae_level_with_itq_and_beats_lsh_simhash"] = level_ok
    brown_seeds(out, bits_list, data.get("brown", []), md, summary)

    dup_rows = [r for r in files.get("spam", []) if "edit_rate" in r]
    if dup_rows:
        md.append("### Edited copies within radius r of their original (semhash eval --dups)")
        md.append("")
        md.append("Recall of the original within radius r, and other documents within r per "
                  "query (false candidates), codes only; the copies query every document.")
        md.append("")
        md.append("| encoder | bits | edit rate | r=0 | r=1 | r=2 | r=3 | r=4 | r=6 | r=8 | "
                  "target (r ≤ 3) |")
        md.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        dup_ok = None
        for r in sorted(dup_rows, key=lambda r: (r["encoder"] != "ae", r["bits"], r["edit_rate"])):
            rec, fal = r["dup_recall"], r["dup_false"]
            tgt = {0.1: 0.95, 0.2: 0.80}.get(round(r["edit_rate"], 2))
            mark = ""
            if tgt is not None and r["encoder"] == "ae" and r["bits"] == 64:
                ok = rec[3] is not None and rec[3] >= tgt
                dup_ok = ok if dup_ok is None else (dup_ok and ok)
                mark = "≥ %.2f %s" % (tgt, "✓" if ok else "✗")
            md.append("| %s | %d | %.0f%% | %s |  %s |" % (
                NAMES.get(r["encoder"], r["encoder"]), r["bits"], 100 * r["edit_rate"],
                " | ".join("%s/%s" % (f3(rec[i]), "–" if fal[i] is None else "%.1f" % fal[i])
                           for i in (0, 1, 2, 3, 4, 6, 8)), mark))
        md.append("")
        summary["targets"]["dups_r3_64bits"] = dup_ok

    resent = {h: [r for r in read_lines(os.path.join(out, "quality-resent-%s.jsonl" % h))
                  if "edit_rate" in r] for h in ("subject", "all")}
    summary["resent"] = resent
    if resent["subject"] or resent["all"]:
        md.append("### Re-sent copies: the edited copies with another mail's headers")
        md.append("")
        md.append("`bench/quality_resent.py`: each edited copy keeps its Subject, From and "
                  "Content-* headers; its other header lines (Received route, To, Date, "
                  "Message-ID, list headers) are those of another mail drawn at random: the "
                  "same message arriving again by another route or to another recipient. "
                  "64 bits, `semhash eval --dups` under each `text.email_headers` setting; "
                  "recall of the original / other documents within r per query.")
        md.append("")
        md.append("| text.email_headers | encoder | edit rate | r=0 | r=1 | r=2 | r=3 | r=4 | "
                  "r=6 | r=8 |")
        md.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for h in ("subject", "all"):
            for r in sorted(resent[h], key=lambda r: (r["encoder"] != "ae", r["edit_rate"])):
                rec, fal = r["dup_recall"], r["dup_false"]
                md.append("| %s | %s | %.0f%% | %s |" % (
                    h, NAMES.get(r["encoder"], r["encoder"]), 100 * r["edit_rate"],
                    " | ".join("%s/%s" % (f3(rec[i]), "–" if fal[i] is None else
                                          "%.1f" % fal[i]) for i in (0, 1, 2, 3, 4, 6, 8))))
        md.append("")

    nd_path = os.path.join(out, "quality-neardup.json")
    if os.path.exists(nd_path):
        with open(nd_path) as f:
            nd = json.load(f)
        summary["neardup"] = nd
        md.append("### Near-duplicate queries on the index (`semhash query --near-dup`)")
        md.append("")
        md.append("`build/bench/quality_neardup`: SpamAssassin (%d mails) indexed with the 64-bit "
                  "model; each edited copy queries it. Recall of the original / false answers "
                  "per query, by radius; *verified* keeps candidates whose MinHash similarity to "
                  "the copy is at least %.2f." % (nd["docs"], nd["threshold"]))
        md.append("")
        n_radii = len(nd["rates"][0]["verified"]["recall"]) if nd["rates"] else 0
        radii = [r for r in (1, 2, 3, 4, 6, 8, 10, 12) if r < n_radii]
        md.append("| edit rate | queries | " + " | ".join("r=%d codes / verified" % r
                                                          for r in radii) + " |")
        md.append("| --- | --- |" + " --- |" * len(radii))
        best = None
        for row in nd["rates"]:
            c, v = row["codes_only"], row["verified"]
            md.append("| %.0f%% | %d | %s |" % (100 * row["edit_rate"], row["queries"], " | ".join(
                "%.3f/%.1f · %.3f/%.2f" % (c["recall"][r], c["false_per_query"][r],
                                           v["recall"][r], v["false_per_query"][r])
                for r in radii)))
            if round(row["edit_rate"], 2) == 0.1:
                for r in range(len(v["recall"])):
                    if v["recall"][r] >= 0.95 and v["false_per_query"][r] <= 1.0:
                        best = r
                        break
        md.append("")
        met = best is not None
        summary["targets"]["neardup_10pct_95_recall_1_false"] = met
        md.append("Target (10%% edits: ≥ 95%% found, ≤ 1 false answer per query after "
                  "verification): **%s**%s. Without `-r`, `query --near-dup` and `dups` "
                  "search within `query.near_dup_radius` (config.yaml, default 10)."
                  % ("met" if met else "missed", " from radius %d" % best if met else ""))
        md.append("")

    with open(os.path.join(out, "quality.json"), "w") as f:
        json.dump(summary, f, indent=1, sort_keys=True)
    with open(os.path.join(out, "quality.md"), "w") as f:
        f.write("\n".join(md) + "\n")


if __name__ == "__main__":
    main()
