#!/usr/bin/env python3
"""bench/search_faiss.py PREFIX BITS MAX_RADIUS [QUERIES] — the FAISS peer
of bench/search_codes.c, on the very codes and queries that program wrote
with --dump PREFIX (PREFIX.codes, PREFIX.queries: raw code bytes).

For every radius 0..MAX_RADIUS and each FAISS binary index, the range
search "every code within Hamming distance r" (FAISS returns distances
strictly below its radius argument, so it is given r + 1):
  - IndexBinaryFlat: exhaustive scan, the exact answer;
  - IndexBinaryHash(b = 16) with nflip = r: probes every bucket of the
    first 16 bits within r flips (exact, but its cost grows as C(16, r));
  - IndexBinaryMultiHash(4 tables of 16 bits) with nflip = floor(r / 4):
    the pigeonhole setting that makes it exact (each code within r of the
    query matches one of the 4 substrings within floor(r / 4) flips).
Latency per query one at a time (batch 1: p50, p99, mean) and for a
batch of FAISS_BATCH queries (default 1,000; mean per query), with the
recall of the pairs found against IndexBinaryFlat's. IndexBinaryHash is
run up to radius 6 only (beyond, C(16, r) bucket probes make one query
take tens of milliseconds at 1M codes). FAISS runs with one thread (like one
semhash query) unless FAISS_THREADS says otherwise; the thread count is
reported. Prints one JSON object; skips itself (exit 0, {"skipped": ...})
if faiss or numpy cannot be imported.
"""
import json
import os
import sys
import time


def load(path, nbytes):
    import numpy as np
    data = np.fromfile(path, dtype=np.uint8)
    return data.reshape(-1, nbytes)


def pairs(lims, ids):
    """The set of (query, id) pairs of a range-search answer."""
    out = set()
    for q in range(len(lims) - 1):
        for i in ids[lims[q]:lims[q + 1]]:
            out.add((q, int(i)))
    return out


def quantile(values, q):
    v = sorted(values)
    i = max(0, min(len(v) - 1, int(q * len(v) + 0.999999) - 1))
    return v[i]


def time_one_at_a_time(index, queries, radius):
    import numpy as np
    us = []
    lims_all, ids_all = [0], []
    for q in range(queries.shape[0]):
        x = np.ascontiguousarray(queries[q:q + 1])
        t0 = time.perf_counter()
        lims, _, ids = index.range_search(x, radius + 1)
        us.append((time.perf_counter() - t0) * 1e6)
        ids_all.extend(ids.tolist())
        lims_all.append(len(ids_all))
    return us, lims_all, ids_all


def time_batch(index, queries, radius, batch):
    """Mean microseconds per query of one range_search call on `batch`
    queries (the query set repeated as needed)."""
    reps = max(1, -(-batch // queries.shape[0]))
    import numpy as np
    x = np.ascontiguousarray(np.tile(queries, (reps, 1))[:batch])
    t0 = time.perf_counter()
    index.range_search(x, radius + 1)
    return (time.perf_counter() - t0) * 1e6 / x.shape[0]


def main():
    if len(sys.argv) < 4:
        sys.exit("usage: search_faiss.py PREFIX BITS MAX_RADIUS [QUERIES]")
    prefix, bits, max_radius = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    try:
        import faiss
        import numpy  # noqa: F401
    except ImportError as e:
        print(json.dumps({"skipped": "faiss or numpy missing: %s" % e}))
        return
    threads = int(os.environ.get("FAISS_THREADS", "1"))
    batch = int(os.environ.get("FAISS_BATCH", "1000"))
    faiss.omp_set_num_threads(threads)
    nbytes = bits // 8
    codes = load(prefix + ".codes", nbytes)
    all_queries = load(prefix + ".queries", nbytes)
    queries = all_queries
    if len(sys.argv) > 4:
        queries = all_queries[:int(sys.argv[4])]
    n = codes.shape[0]

    t0 = time.perf_counter()
    flat = faiss.IndexBinaryFlat(bits)
    flat.add(codes)
    build = {"flat": time.perf_counter() - t0}
    t0 = time.perf_counter()
    hashed = faiss.IndexBinaryHash(bits, 16)
    hashed.add(codes)
    build["hash"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    multi = faiss.IndexBinaryMultiHash(bits, 4, 16)
    multi.add(codes)
    build["multihash"] = time.perf_counter() - t0

    radii = []
    for r in range(max_radius + 1):
        row = {"radius": r}
        us, lims, ids = time_one_at_a_time(flat, queries, r)
        exact = pairs(lims, ids)
        row["flat"] = {"p50_us": quantile(us, 0.5), "p99_us": quantile(us, 0.99),
                       "mean_us": sum(us) / len(us), "recall": 1.0,
                       "mean_results": len(exact) / queries.shape[0],
                       "batch_us": time_batch(flat, all_queries, r, batch)}
        for name, index, nflip in (("hash", hashed, r), ("multihash", multi, r // 4)):
            if name == "hash" and r > 6:
                continue
            index.nflip = nflip
            us, lims, ids = time_one_at_a_time(index, queries, r)
            found = pairs(lims, ids)
            recall = len(found & exact) / len(exact) if exact else 1.0
            row[name] = {"nflip": nflip, "p50_us": quantile(us, 0.5),
                         "p99_us": quantile(us, 0.99), "mean_us": sum(us) / len(us),
                         "recall": recall, "batch_us": time_batch(index, all_queries, r, batch)}
        radii.append(row)
        print("faiss: radius %d done" % r, file=sys.stderr)
    print(json.dumps({"n": n, "bits": bits, "queries": int(queries.shape[0]),
                      "threads": threads, "batch": batch, "faiss_version": faiss.__version__,
                      "build_seconds": build, "radii": radii}))


if __name__ == "__main__":
    main()
