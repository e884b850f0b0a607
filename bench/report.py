#!/usr/bin/env python3
"""bench/report.py RESULTS_DIR OUT.md OUT.json — assembles BENCHMARKS.md.

Reads, for each benchmark part that has run, RESULTS_DIR/PART.md (its
section, written by bench/PART.sh), RESULTS_DIR/PART.json (its figures)
and RESULTS_DIR/machine-PART.json (the machine and its load average when
the part started, bench/machine.sh). Writes OUT.md (the sections in a
fixed order under a common header) and OUT.json (every part's figures
under its name, and the machine). A part with no results in RESULTS_DIR keeps its
section and figures from the OUT.md and OUT.json already there (results
stay out of git, so a fresh clone that re-runs one part keeps the
others as last measured, each with its own "Run started" line); a part
found in neither is listed as missing.
"""
import json
import os
import sys

PARTS = [
    ("search", "Search and index size: semhash beside FAISS and a popcount scan"),
    ("index", "Indexing throughput, end to end"),
    ("train", "Training speed: semhash beside OpenBLAS sgemm and PyTorch"),
    ("quality", "Retrieval and near-duplicate quality"),
    ("blades", "The toolkit blades beside PyTorch and scikit-learn"),
]


def previous_sections(md_path):
    """The sections of an earlier BENCHMARKS.md by title: the lines after
    its "## TITLE" line, up to the next "## " line, trailing blanks cut."""
    sections, title, body = {}, None, []
    if not os.path.exists(md_path):
        return sections
    with open(md_path) as f:
        for line in f.read().split("\n"):
            if line.startswith("## "):
                if title:
                    sections[title] = "\n".join(body).strip("\n")
                title, body = line[3:], []
            elif title:
                body.append(line)
    if title:
        sections[title] = "\n".join(body).strip("\n")
    return sections


def previous_figures(json_path):
    if not os.path.exists(json_path):
        return {}
    try:
        with open(json_path) as f:
            return json.load(f)
    except ValueError:
        return {}


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: report.py RESULTS_DIR OUT.md OUT.json")
    results, out_path, json_path = sys.argv[1], sys.argv[2], sys.argv[3]
    old_sections = previous_sections(out_path)
    old_figures = previous_figures(json_path)
    kept = {}  # part -> its earlier section (no results for it in this run)
    for part, title in PARTS:
        if not os.path.exists(os.path.join(results, part + ".md")) and title in old_sections:
            kept[part] = old_sections[title]
    machines = {}
    for part in kept:
        m = old_figures.get("machine", {}).get(part)
        if m:
            machines[part] = m
    for part, _ in PARTS:
        path = os.path.join(results, "machine-%s.json" % part)
        if os.path.exists(path) and os.path.exists(os.path.join(results, part + ".md")):
            with open(path) as f:
                machines[part] = json.load(f)
    machine = max(machines.values(), key=lambda m: m.get("date", ""), default={})
    # the machine's CPUs: recorded as online_cores; older records only have
    # the CPUs their run could use, so take the most any part saw
    online = max((m.get("online_cores", m.get("cores", 0)) for m in machines.values()),
                 default=0)
    everything = {"machine": machines}
    lines = [
        "# semhash benchmarks",
        "",
        "Written by `make bench` (bench/report.py) from the figures in",
        "`bench/results/`; every section names the command that reproduces it.",
        "Times are wall-clock on a shared 2-core machine, so each comparison is",
        "a ratio measured in one run, side by side, not a lone absolute time.",
        "",
    ]
    if machine:
        several = len({m.get("cpu") for m in machines.values()}) > 1
        lines += [
            "Machine%s: %s, %s cores, %s GiB, %s, %s, OpenBLAS %s.%s" % (
                " of the newest part" if several else "",
                machine.get("cpu"), online, machine.get("memory_gib"),
                machine.get("os"), machine.get("compiler"), machine.get("openblas"),
                " A part measured on another CPU names it; compare figures across parts"
                " only as ratios taken within one part." if several else ""),
            "",
        ]

    def other_cpu(part):
        """The line naming a part's CPU when it differs from the header's."""
        m = machines.get(part)
        if m and machine and m.get("cpu") != machine.get("cpu"):
            return "Measured on another machine: %s." % m.get("cpu")
        return None
    missing = []
    for part, title in PARTS:
        md = os.path.join(results, part + ".md")
        js = os.path.join(results, part + ".json")
        if part in kept:
            text = kept[part]
            lines += ["## " + title, ""]
            cpu = other_cpu(part)
            if cpu and not text.startswith("Measured on another machine:"):
                lines += [cpu, ""]
            if not cpu and text.startswith("Measured on another machine:"):
                text = text.split("\n", 1)[1].lstrip("\n")  # the header's machine again
            lines += [text, ""]
            if part in old_figures:
                everything[part] = old_figures[part]
            continue
        if not os.path.exists(md):
            missing.append(part)
            continue
        lines.append("## " + title)
        lines.append("")
        m = machines.get(part)
        if other_cpu(part):
            lines += [other_cpu(part), ""]
        if m:
            pinned = ""
            if m.get("cores") and m.get("cores") < online:
                pinned = " It ran with %d of the %d CPUs available (taskset)." % (
                    m.get("cores"), online)
            lines.append("Run started %s, load average %s (1, 5, 15 min).%s" % (
                m.get("date"), m.get("loadavg", "unknown"), pinned))
            lines.append("")
        with open(md) as f:
            lines.append(f.read().rstrip("\n"))
        lines.append("")
        if os.path.exists(js):
            with open(js) as f:
                everything[part] = json.load(f)
    if missing:
        lines += ["## Not measured in this run", "",
                  "These parts have no results yet: " +
                  ", ".join("`make bench-%s`" % p for p in missing) + ".", ""]
    with open(out_path, "w") as f:
        f.write("\n".join(lines))
    with open(json_path, "w") as f:
        json.dump(everything, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
