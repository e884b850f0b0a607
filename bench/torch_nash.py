#!/usr/bin/env python3
"""bench/torch_nash.py DIR THREADS EPOCHS [--input sparse|dense] [--seed S]

The PyTorch side of the training-speed benchmark (the `train` part of
`make bench`): the NASH recipe (Shen et al., ACL 2018) written here in
PyTorch, on exactly the rows semhash trains on (DIR/tfidf.csr and
DIR/counts.csr, written by `train_nash dump`; format in bench/train_nash.c):

  tf-idf row -> Linear(V, 500) relu -> Linear(500, 500) relu
  -> Linear(500, 64) -> sigmoid = bit probabilities p
  -> b ~ Bernoulli(p) with the straight-through gradient (b treated as p)
  -> Linear(64, V) = word logits -> log-softmax
  loss = -(1/B) sum of count * log-probability over each row's words
         + w * (1/B) sum KL(p || Bernoulli(0.5)),  w = min(1, (epoch+1)/5)

Glorot-uniform weights, zero biases, Adam lr 1e-3 (PyTorch's defaults
otherwise), batch 128, rows shuffled every epoch, no validation: the same
as `train_nash run`. --input sparse multiplies a sparse COO batch into
the first layer (torch.sparse.mm); --input dense densifies the batch
first (the usual NASH code). The count target is never densified.

Prints one JSON object: threads, seconds per epoch (each epoch timed from
its first batch to its last update, batch assembly included), losses.
Run with OMP_WAIT_POLICY=PASSIVE; THREADS goes to torch.set_num_threads
(the caller also sets OMP_NUM_THREADS and OPENBLAS_NUM_THREADS). Exits 0
with {"skipped": reason} if torch or numpy is missing.
"""
import json
import math
import sys
import time

MAGIC = b"SHCSR01\n"


def read_csr(np, path):
    """(row_ptr int64, col_idx int64, values float32, rows, cols) of a .csr file."""
    with open(path, "rb") as f:
        if f.read(8) != MAGIC:
            sys.exit("torch_nash: %s is not a .csr file" % path)
        rows, cols, nnz = (int(x) for x in np.frombuffer(f.read(24), dtype="<u8"))
        row_ptr = np.frombuffer(f.read(8 * (rows + 1)), dtype="<u8").astype(np.int64)
        col_idx = np.frombuffer(f.read(4 * nnz), dtype="<u4").astype(np.int64)
        values = np.frombuffer(f.read(4 * nnz), dtype="<f4").astype(np.float32)
    return row_ptr, col_idx, values, rows, cols


def gather_rows(np, csr, idx):
    """COO parts (batch row, column, value) of rows idx of csr."""
    row_ptr, col_idx, values = csr[0], csr[1], csr[2]
    start, stop = row_ptr[idx], row_ptr[idx + 1]
    lengths = stop - start
    total = int(lengths.sum())
    batch_row = np.repeat(np.arange(len(idx), dtype=np.int64), lengths)
    # position of every entry: its row's start plus its offset in the row
    offsets = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    pos = np.repeat(start, lengths) + offsets
    return batch_row, col_idx[pos], values[pos]


def main():
    args = sys.argv[1:]
    mode, seed = "sparse", 1
    if "--input" in args:
        i = args.index("--input")
        mode = args[i + 1]
        del args[i:i + 2]
    if "--seed" in args:
        i = args.index("--seed")
        seed = int(args[i + 1])
        del args[i:i + 2]
    if len(args) != 3 or mode not in ("sparse", "dense"):
        sys.exit(__doc__.split("\n")[0])
    data_dir, threads, epochs = args[0], int(args[1]), int(args[2])
    try:
        import numpy as np
        import torch
    except ImportError as e:
        print(json.dumps({"skipped": "module missing: %s" % e.name}))
        return
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)

    tfidf = read_csr(np, data_dir + "/tfidf.csr")
    counts = read_csr(np, data_dir + "/counts.csr")
    N, V = tfidf[3], tfidf[4]
    H, K, B = 500, 64, 128

    def linear(n_in, n_out):
        layer = torch.nn.Linear(n_in, n_out)
        torch.nn.init.xavier_uniform_(layer.weight)
        torch.nn.init.zeros_(layer.bias)
        return layer

    enc0 = torch.nn.Parameter(torch.empty(V, H))  # [V, H]: sparse x dense needs input-major
    torch.nn.init.xavier_uniform_(enc0)
    enc0_b = torch.nn.Parameter(torch.zeros(H))
    enc1, enc2, dec = linear(H, H), linear(H, K), linear(K, V)
    params = [enc0, enc0_b] + list(enc1.parameters()) + list(enc2.parameters()) + \
        list(dec.parameters())
    opt = torch.optim.Adam(params, lr=1e-3)

    def step(idx, kl_weight):
        xr, xc, xv = gather_rows(np, tfidf, idx)
        tr, tc, tv = gather_rows(np, counts, idx)
        n = len(idx)
        xi = torch.from_numpy(np.stack([xr, xc]))
        if mode == "sparse":
            x = torch.sparse_coo_tensor(xi, torch.from_numpy(xv), (n, V))
            h = torch.sparse.mm(x, enc0) + enc0_b
        else:
            x = torch.zeros(n, V)
            x[xi[0], xi[1]] = torch.from_numpy(xv)
            h = x @ enc0 + enc0_b
        h = torch.relu(h)
        h = torch.relu(enc1(h))
        p = torch.sigmoid(enc2(h))
        b = p + (torch.bernoulli(p) - p).detach()  # straight-through
        logp = torch.log_softmax(dec(b), dim=1)
        t_row, t_col = torch.from_numpy(tr), torch.from_numpy(tc)
        recon = -(torch.from_numpy(tv) * logp[t_row, t_col]).sum() / n
        q = p.clamp(1e-7, 1 - 1e-7)
        kl = (q * torch.log(q) + (1 - q) * torch.log(1 - q) + math.log(2.0)).sum() / n
        loss = recon + kl_weight * kl
        opt.zero_grad()
        loss.backward()
        opt.step()
        return float(loss)

    epoch_seconds, epoch_loss = [], []
    for epoch in range(epochs):
        kl_weight = min(1.0, (epoch + 1) / 5.0)
        order = rng.permutation(N).astype(np.int64)
        t0 = time.perf_counter()
        total = 0.0
        for first in range(0, N, B):
            idx = order[first:first + B]
            total += step(idx, kl_weight) * len(idx)
        epoch_seconds.append(time.perf_counter() - t0)
        epoch_loss.append(total / N)
    print(json.dumps({
        "threads": torch.get_num_threads(), "epochs": epochs, "input": mode,
        "documents": N, "vocabulary": V, "hidden": [H, H], "bits": K, "batch": B,
        "torch": torch.__version__,
        "seconds_per_epoch": round(sum(epoch_seconds) / epochs, 4),
        "epoch_seconds": [round(s, 4) for s in epoch_seconds],
        "epoch_loss": [round(x, 4) for x in epoch_loss],
    }))


if __name__ == "__main__":
    main()
