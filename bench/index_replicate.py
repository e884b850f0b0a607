#!/usr/bin/env python3
"""bench/index_replicate.py SRC.jsonl N OUT.jsonl — SRC replicated to N documents.

Copy k of document i keeps its text, labels and split and is named
"c<k>/<id of i>": copies 0, 1, 2, ... of the whole corpus, in order,
until N lines are written (the last copy is partial). The output is
streamed: one line in memory at a time. Texts are unchanged, so every
copy after the first is an exact duplicate of its original (semhash
stores duplicates by default and reports them).

Writes OUT.jsonl.tmp and renames it; OUT.jsonl.ok records N and the
source's size and mtime, and a later run with the same ones does
nothing (the file is several GB at N = 1,000,000).
"""
import json
import os
import re
import sys

ID_PREFIX = re.compile(rb'^\{"id":\s*"')


def stamp_of(src, n):
    st = os.stat(src)
    return "%d %d %d\n" % (n, st.st_size, int(st.st_mtime))


def renamed(line, k):
    """The line with its id prefixed by c<k>/ (a plain byte edit when the
    line starts with a string id, as the corpora written by corpora/ do)."""
    m = ID_PREFIX.match(line)
    if m:
        return line[:m.end()] + b"c%d/" % k + line[m.end():]
    doc = json.loads(line)
    doc["id"] = "c%d/%s" % (k, doc.get("id", "line"))
    return json.dumps(doc, ensure_ascii=False).encode() + b"\n"


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: index_replicate.py SRC.jsonl N OUT.jsonl")
    src, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    stamp = stamp_of(src, n)
    ok = out + ".ok"
    if os.path.exists(out) and os.path.exists(ok) and open(ok).read() == stamp:
        print("index_replicate: %s is up to date" % out, file=sys.stderr)
        return
    written = 0
    k = 0
    with open(out + ".tmp", "wb", buffering=1 << 22) as f:
        while written < n:
            before = written
            with open(src, "rb", buffering=1 << 22) as s:
                for line in s:
                    if not line.strip():
                        continue
                    if not line.endswith(b"\n"):
                        line += b"\n"
                    f.write(renamed(line, k))
                    written += 1
                    if written == n:
                        break
            if written == before:
                sys.exit("index_replicate: %s holds no document" % src)
            k += 1
    os.replace(out + ".tmp", out)
    with open(ok, "w") as f:
        f.write(stamp)
    print("index_replicate: wrote %d documents (%d copies) to %s" % (written, k, out),
          file=sys.stderr)


if __name__ == "__main__":
    main()
