#!/usr/bin/env python3
"""bench/index_report.py RUNS_DIR OUT.json OUT.md — the figures of the
`index` part of `make bench` (bench/index.sh left its outputs in RUNS_DIR)
as index.json and the markdown section index.md.

Inputs in RUNS_DIR:
  params.json          corpus, replicated corpus and its size, model, cores, busy shares
  stages.json          `index_vectorize MODEL CORPUS`: the stages on one thread
  time-LABEL.txt       /usr/bin/time -v of `semhash index` run LABEL
  out-LABEL.txt        its standard output (documents, seconds, compaction)
  stats-LABEL.txt      `semhash stats` of the index it built
  du-LABEL.txt         its size on disk in KiB
Runs: spam-1..3 (the SpamAssassin mails, every core), spam-1core (pinned
to one core, when taskset exists), replicated (the corpus replicated).
Target (from the project's issues): at least 20,000 mails per second on
2 cores for SpamAssassin replicated to 1M documents, end to end; that is
at most 0.1 ms of CPU per mail when both cores are kept busy.
"""
import json
import os
import re
import statistics
import sys

TARGET_DOCS_PER_S = 20000.0


def load_json(path):
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def read(path):
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return f.read()


def parse_time(text):
    """user, sys, wall seconds and peak RSS (KiB) from /usr/bin/time -v."""
    def field(name):
        m = re.search(r"^\s*" + re.escape(name) + r": (.*)$", text, re.M)
        return m.group(1).strip() if m else None
    wall = field("Elapsed (wall clock) time (h:mm:ss or m:ss)")
    parts = [float(p) for p in wall.split(":")]
    seconds = 0.0
    for p in parts:
        seconds = seconds * 60 + p
    return {"user": float(field("User time (seconds)")),
            "sys": float(field("System time (seconds)")),
            "wall": seconds,
            "max_rss_kib": int(field("Maximum resident set size (kbytes)"))}


def parse_out(text):
    m = re.search(r"indexed (\d+) documents into .* in ([0-9.]+) s", text)
    c = re.search(r"lookup tables compacted in ([0-9.]+) s", text)
    return {"docs": int(m.group(1)) if m else None,
            "indexing_seconds": float(m.group(2)) if m else None,
            "compaction_seconds": float(c.group(1)) if c else 0.0}


def parse_stats(text):
    m = re.search(r"storage\s+(\d+) bytes used of a (\d+)-byte map, (\d+) bytes per document", text)
    model = re.search(r"^\s*model\s+\d+ entries\s+(\d+) bytes", text, re.M)
    res = {}
    if m:
        res = {"used_bytes": int(m.group(1)), "map_bytes": int(m.group(2)),
               "bytes_per_doc": int(m.group(3))}
    if model:
        res["model_bytes"] = int(model.group(1))
    return res


def run(runs, label):
    t = read(os.path.join(runs, "time-%s.txt" % label))
    if t is None:
        return None
    r = parse_time(t)
    r.update(parse_out(read(os.path.join(runs, "out-%s.txt" % label)) or ""))
    r["stats"] = parse_stats(read(os.path.join(runs, "stats-%s.txt" % label)) or "")
    du = read(os.path.join(runs, "du-%s.txt" % label))
    r["disk_bytes"] = int(du.strip()) * 1024 if du else None
    docs = r["docs"] or 1
    r["cpu"] = r["user"] + r["sys"]
    r["docs_per_s"] = docs / r["wall"] if r["wall"] > 0 else 0.0
    r["cpu_ms_per_doc"] = 1000.0 * r["cpu"] / docs
    r["cpu_utilisation"] = r["cpu"] / r["wall"] if r["wall"] > 0 else 0.0
    return r


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: index_report.py RUNS_DIR OUT.json OUT.md")
    runs, out_json, out_md = sys.argv[1:]
    params = load_json(os.path.join(runs, "params.json"))
    stages = load_json(os.path.join(runs, "stages.json"))
    cores = params["cores"]
    spam = [r for r in (run(runs, "spam-%d" % i) for i in (1, 2, 3)) if r]
    one_core = run(runs, "spam-1core")
    big = run(runs, "replicated")

    # the median run of the three by wall time represents the small corpus
    spam_median = sorted(spam, key=lambda r: r["wall"])[len(spam) // 2] if spam else None
    res = {"params": params, "stages": stages, "runs": {}, "targets": []}
    for i, r in enumerate(spam):
        res["runs"]["spam-%d" % (i + 1)] = r
    if one_core:
        res["runs"]["spam-1core"] = one_core
    if big:
        res["runs"]["replicated"] = big
        projected = cores / (big["cpu"] / big["docs"]) if big["cpu"] > 0 else 0.0
        res["replicated_projected_docs_per_s"] = projected
        res["targets"].append({
            "what": "docs/s indexing %d replicated mails on %d cores" % (big["docs"], cores),
            "target": TARGET_DOCS_PER_S, "measured": big["docs_per_s"],
            "met": big["docs_per_s"] >= TARGET_DOCS_PER_S})
        res["targets"].append({
            "what": "CPU ms per mail (the target's budget on %d busy cores)" % cores,
            "target": 1000.0 * cores / TARGET_DOCS_PER_S, "measured": big["cpu_ms_per_doc"],
            "met": big["cpu_ms_per_doc"] <= 1000.0 * cores / TARGET_DOCS_PER_S})
    with open(out_json, "w") as f:
        json.dump(res, f, indent=1, sort_keys=True)
        f.write("\n")

    md = []
    md += ["Indexing is `semhash index -i DIR -m MODEL CORPUS` from the first byte read to",
           "the last commit, compaction and exit: one reader thread (JSON lines, one",
           "batch of up to 4,096 documents ahead), one encoder thread per core",
           "(`sh_open_options.encoders` = %d here; each tokenises, vectorises, signs and" % cores,
           "encodes chunks of 64 to 256 documents, BLAS on one thread), and the calling",
           "thread writing each finished chunk to LMDB in order. The model is",
           "`%s` (64 bits, default configuration)." % params["model"], ""]
    md += ["Other work kept %s %% of the CPUs busy before this part and %s %% after it"
           % (params.get("busy_start"), params.get("busy_end")),
           "(measured over 2 s with nothing of ours running): wall times and docs/s",
           "are inflated by it, CPU seconds much less. The last column projects the",
           "docs/s of %d otherwise idle cores kept busy: %d / (CPU seconds per document)." % (
               cores, cores), ""]
    md += ["### End to end", "",
           "| corpus | docs | cores | wall s | docs/s | CPU s (user+sys) | CPU ms/doc | "
           "CPU use | peak RSS | index bytes/doc | without the model | on disk | "
           "projected docs/s |",
           "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
           "| ---: |"]

    def row(name, r, ncores):
        st = r["stats"]
        disk = r["disk_bytes"]
        proj = ncores / (r["cpu"] / r["docs"]) if r["cpu"] > 0 else 0.0
        bare = "?"
        if "used_bytes" in st and "model_bytes" in st:
            bare = "%.0f" % ((st["used_bytes"] - st["model_bytes"]) / r["docs"])
        md.append("| %s | %d | %d | %.2f | %.0f | %.2f | %.3f | %.2f | %.0f MiB | %s | %s | %s "
                  "| %.0f |" % (
                      name, r["docs"], ncores, r["wall"], r["docs_per_s"], r["cpu"],
                      r["cpu_ms_per_doc"], r["cpu_utilisation"], r["max_rss_kib"] / 1024.0,
                      st.get("bytes_per_doc", "?"), bare,
                      "%.1f MiB" % (disk / 1048576.0) if disk else "?", proj))

    for i, r in enumerate(spam):
        row("SpamAssassin, run %d" % (i + 1), r, cores)
    if one_core:
        row("SpamAssassin, 1 core (taskset)", one_core, 1)
    if big:
        row("SpamAssassin replicated to %d" % big["docs"], big, cores)
    md.append("")
    md += ["Index bytes/doc is `semhash stats`' figure (pages in use / documents, the",
           "stored model of %s bytes included), then the same without the model; on"
           % (big or spam_median or {"stats": {}})["stats"].get("model_bytes", "?"),
           "disk is `du` of the index directory. CPU use is CPU seconds / wall seconds.", ""]
    if big:
        other = big["wall"] - (big["indexing_seconds"] or 0) - big["compaction_seconds"]
        md += ["Replicated run by phase (semhash's own clock): reading, encoding and writing",
               "%.1f s, compacting the lookup tables %.1f s, the rest (model loading, exit) %.1f s."
               % (big["indexing_seconds"] or 0, big["compaction_seconds"], other), ""]

    md += ["### Target", "",
           "| what | target | measured | status |", "| --- | ---: | ---: | --- |"]
    for t in res["targets"]:
        fmt = "%.0f" if t["target"] >= 100 else "%.3f"
        md.append("| %s | %s %s | %s | %s |" % (
            t["what"], ">=" if "docs/s" in t["what"] else "<=", fmt % t["target"],
            fmt % t["measured"], "met" if t["met"] else "missed"))
    if big:
        md += ["", "Projected on %d idle cores from the CPU time: %.0f docs/s (%s the target)."
               % (cores, res["replicated_projected_docs_per_s"],
                  "above" if res["replicated_projected_docs_per_s"] >= TARGET_DOCS_PER_S
                  else "below")]
    md.append("")

    if stages:
        s = stages["stages"]
        md += ["### The stages on one thread", "",
               "The %d SpamAssassin mails (%.1f MB of text, %d tokens after the filters, "
               "%d row entries over a %d-term vocabulary) held in memory, each stage over all"
               % (stages["docs"], stages["bytes"] / 1e6, stages["tokens"],
                  stages["row_nonzeros"], stages["vocabulary"]),
               "of them on one thread (CPU time, best of %d rounds):" % stages["rounds"], "",
               "| stage | CPU s | us/doc | docs/s | MB/s |",
               "| --- | ---: | ---: | ---: | ---: |"]
        names = [("read", "read (corpus_next: JSON lines, copies)"),
                 ("tokenize", "tokenise (mail filter, tokens, stop words)"),
                 ("vectorize", "vectorise (tokenise + vocabulary + tf-idf row)"),
                 ("vectorize_signature", "vectorise + near-duplicate signature (one pass)"),
                 ("encode", "encode (the network, 256 rows per call)")]
        for key, name in names:
            v = s[key]
            md.append("| %s | %.3f | %.1f | %.0f | %.1f |" % (
                name, v["cpu_seconds"], v["us_per_doc"], v["docs_per_s"], v["mb_per_s"]))
        p = stages["parallel_vectorize"]
        md += ["",
               "Vectorising the whole SpamAssassin corpus takes %.2f s of CPU on one thread;"
               % s["vectorize"]["cpu_seconds"],
               "on %d threads %.2f s wall (%.0f docs/s)." % (p["threads"], p["wall_seconds"],
                                                           p["docs_per_s"]), ""]

    md += ["Commands:", "",
           "    build/bench/index_vectorize %s %s --threads 2 --rounds 5" % (
               params["model"], params["corpus"]),
           "    /usr/bin/time -v build/semhash index -i DIR -m %s %s" % (
               params["model"], params["corpus"]),
           "    taskset -c 0 /usr/bin/time -v build/semhash index -i DIR -m %s %s" % (
               params["model"], params["corpus"]),
           "    python3 bench/index_replicate.py %s %d %s" % (
               params["corpus"], params["replicated_docs"], params["replicated"]),
           "    /usr/bin/time -v build/semhash index -i DIR -m %s %s" % (
               params["model"], params["replicated"]),
           "", "All of it: `make bench-index` (%s)." % params["duration"]]
    with open(out_md, "w") as f:
        f.write("\n".join(md) + "\n")


if __name__ == "__main__":
    main()
