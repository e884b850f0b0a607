#!/usr/bin/env python3
"""bench/quality_resent.py MAILS DUPS OUT [SEED] — "re-sent" copies of the
edited copies in DUPS (corp-neardup output for MAILS): each copy keeps its
own Subject and From headers (and the Content-* ones that say how its
body is encoded), and the rest of its header block (the
Received route, To, Date, Message-ID, list headers) is replaced by the
header block of another mail of MAILS drawn at random (seeded). This is the
same message arriving again by another route or to another recipient, the
case where header text in the tokens would move a copy away from its
original. The body (with the copy's word edits) is unchanged. Writes JSON
lines with the DUPS fields to OUT.
"""
import json
import random
import re
import sys

KEEP = ("subject", "from", "mime-version")   # header names the copy keeps (lower case)


def kept(name):
    """The copy's own: its Subject, From and the headers that say how its
    body is encoded (Content-*, MIME-Version)."""
    return name in KEEP or name.startswith("content-")


def split_mail(text):
    """(header lines as a list of logical headers, body) of a mail."""
    m = re.search(r"\r?\n\r?\n", text)
    if m is None:
        return [], text
    head, body = text[:m.start()], text[m.start():]
    headers = []
    for line in head.split("\n"):
        if headers and line[:1] in (" ", "\t"):
            headers[-1] += "\n" + line      # a folded continuation
        else:
            headers.append(line)
    return headers, body


def name_of(header):
    return header.split(":", 1)[0].strip().lower() if ":" in header else ""


def main():
    mails_path, dups_path, out_path = sys.argv[1:4]
    rng = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 1)
    with open(mails_path) as f:
        heads = [split_mail(json.loads(line)["text"])[0] for line in f if line.strip()]
    n = 0
    with open(dups_path) as f, open(out_path, "w") as out:
        for line in f:
            if not line.strip():
                continue
            d = json.loads(line)
            own, body = split_mail(d["text"])
            mine = [h for h in own if kept(name_of(h))]
            other = [h for h in rng.choice(heads) if not kept(name_of(h))]
            d["text"] = "\n".join(other + mine) + body
            out.write(json.dumps(d) + "\n")
            n += 1
    print("quality_resent: %d re-sent copies in %s" % (n, out_path), file=sys.stderr)


if __name__ == "__main__":
    main()
