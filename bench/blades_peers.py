#!/usr/bin/env python3
"""bench/blades_peers.py TASK [options] — the peer side of the blades benchmark.

The same autoencoders as `semhash ae ...` in PyTorch, and the classical
baselines in scikit-learn, on the same data with the same architecture,
epochs, batch size, optimiser and learning rate as semhash's defaults:

    dense layers with Glorot-uniform weights and zero biases, ReLU hidden
    layers, a linear code, the decoder mirroring the encoder; Adam
    (lr 1e-3, betas 0.9/0.999, eps 1e-8), batch 256, shuffled each epoch;
    the loss summed over the D outputs and averaged over the batch
    (squared error, or binary cross-entropy on a sigmoid output).

Tasks (each prints one JSON object on stdout; progress goes to stderr):

    dec       DEC's autoencoder 784-500-500-2000-10 (MSE): s/epoch, test MSE;
              k-means on raw pixels, on PCA-10 and on the codes (ACC, NMI);
              then the DEC phase itself (IDEC as semhash runs it) unless
              --dec-epochs 0
    dec_speed DEC's autoencoder alone, for --epochs: s/epoch (the alternating
              speed runs)
    denoise   784-512-128-512-784 (BCE), Gaussian 0.5 and masking 0.3: PSNR
    reduce    784-128-K-128-784 (MSE) for K = 10 and 32 beside PCA: MSE, k-NN
    anomaly   784-128-32-128-784 (BCE), each class normal in turn: AUROC,
              beside PCA-32 reconstruction error
    vae       784-512-256-20, Bernoulli decoder: test ELBO at --checkpoints
    classify  multinomial logistic regression (scikit-learn) on the pixels
    text      SpamAssassin: tf-idf + logistic regression (ham/spam), and a
              TruncatedSVD reconstruction-error anomaly baseline (ham normal),
              on the whole mail and on its Subject + body

A task whose module (torch, sklearn) is missing prints
{"skipped": "..."} and exits 0. Run it with /usr/bin/python3 (Debian's
python3-torch, python3-sklearn) and OMP_WAIT_POLICY=PASSIVE.
"""
import argparse
import gzip
import json
import os
import struct
import sys
import time

import numpy as np

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # reported per task
    torch = None

try:
    import sklearn
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA, TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score, normalized_mutual_info_score, roc_auc_score
    from sklearn.neighbors import KNeighborsClassifier
except ImportError:
    sklearn = None


def log(msg):
    print("peers: " + msg, file=sys.stderr, flush=True)


# ---- data ---------------------------------------------------------------------

def read_idx(path):
    """An IDX file (.gz ok) as a numpy array of its shape."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError("%s: not an unsigned-byte IDX file" % path)
    shape = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load_fashion(directory, limit, test_limit):
    """Train and test images as float32 rows in [0, 1] (x / 255) and labels."""
    def part(prefix, n):
        x = read_idx(os.path.join(directory, prefix + "-images-idx3-ubyte.gz"))
        y = read_idx(os.path.join(directory, prefix + "-labels-idx1-ubyte.gz"))
        x = x.reshape(x.shape[0], -1).astype(np.float32) / 255.0
        y = y.astype(np.int64)
        if n:
            x, y = x[:n], y[:n]
        return np.ascontiguousarray(x), y
    xtr, ytr = part("train", limit)
    xte, yte = part("t10k", test_limit)
    return xtr, ytr, xte, yte


# ---- metrics ------------------------------------------------------------------

def hungarian_max(w):
    """Row-to-column assignment maximising the sum of the square matrix w
    (shortest augmenting paths, O(n^3)); used when scipy is missing."""
    n = w.shape[0]
    cost = w.max() - w
    inf = float("inf")
    u, v = [0.0] * (n + 1), [0.0] * (n + 1)
    match, way = [0] * (n + 1), [0] * (n + 1)  # match[col] = row, 1-based
    for row in range(1, n + 1):
        match[0] = row
        col0, minv, used = 0, [inf] * (n + 1), [False] * (n + 1)
        while True:
            used[col0] = True
            r, delta, col1 = match[col0], inf, 0
            for c in range(1, n + 1):
                if used[c]:
                    continue
                cur = cost[r - 1, c - 1] - u[r] - v[c]
                if cur < minv[c]:
                    minv[c], way[c] = cur, col0
                if minv[c] < delta:
                    delta, col1 = minv[c], c
            for c in range(n + 1):
                if used[c]:
                    u[match[c]] += delta
                    v[c] -= delta
                else:
                    minv[c] -= delta
            col0 = col1
            if match[col0] == 0:
                break
        while col0:
            prev = way[col0]
            match[col0] = match[prev]
            col0 = prev
    rows = np.array([match[c] - 1 for c in range(1, n + 1)])
    return rows, np.arange(n)


def cluster_acc(truth, pred):
    """Accuracy under the best one-to-one mapping of clusters to labels."""
    n = int(max(truth.max(), pred.max())) + 1
    w = np.zeros((n, n), dtype=np.int64)
    np.add.at(w, (pred, truth), 1)
    try:
        from scipy.optimize import linear_sum_assignment
        rows, cols = linear_sum_assignment(-w)
    except ImportError:
        rows, cols = hungarian_max(w)
    return float(w[rows, cols].sum()) / len(truth)


def psnr(mse):
    return float(10.0 * np.log10(1.0 / mse)) if mse > 0 else float("inf")


def knn_acc(train_emb, ytr, test_emb, yte, k):
    clf = KNeighborsClassifier(n_neighbors=k, algorithm="brute")
    clf.fit(train_emb, ytr)
    return float((clf.predict(test_emb) == yte).mean())


# ---- PyTorch autoencoders ---------------------------------------------------------

def glorot(layer):
    torch.nn.init.xavier_uniform_(layer.weight)
    torch.nn.init.zeros_(layer.bias)
    return layer


class AE(torch.nn.Module if torch else object):
    """Dense autoencoder: encoder widths, code K (linear, or 2K for mu and
    logvar when gaussian), mirrored ReLU decoder, linear logits out."""

    def __init__(self, D, hidden, K, gaussian=False):
        super().__init__()
        widths = [D] + list(hidden)
        self.enc = torch.nn.ModuleList(
            glorot(torch.nn.Linear(a, b)) for a, b in zip(widths[:-1], widths[1:]))
        self.code = glorot(torch.nn.Linear(widths[-1], 2 * K if gaussian else K))
        back = list(reversed(widths))
        self.dec = torch.nn.ModuleList(
            glorot(torch.nn.Linear(a, b)) for a, b in zip([K] + back[:-2], back[:-1]))
        self.out = glorot(torch.nn.Linear(back[-2] if len(back) > 1 else K, D))
        self.K, self.gaussian = K, gaussian

    def encode(self, x):
        for layer in self.enc:
            x = F.relu(layer(x))
        return self.code(x)

    def decode(self, z):
        for layer in self.dec:
            z = F.relu(layer(z))
        return self.out(z)


def recon_loss(logits, target, kind):
    """Per-row sum over D, mean over the batch."""
    if kind == "mse":
        return ((logits - target) ** 2).sum(1).mean()
    return F.binary_cross_entropy_with_logits(logits, target, reduction="none").sum(1).mean()


def ae_step_loss(net, xb, target, kind):
    if not net.gaussian:
        return recon_loss(net.decode(net.encode(xb)), target, kind)
    h = net.encode(xb)
    mu, logvar = h[:, :net.K], h[:, net.K:]
    z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
    kl = 0.5 * (mu * mu + logvar.exp() - 1.0 - logvar).sum(1).mean()
    return recon_loss(net.decode(z), target, kind) + kl


def train_ae(net, x, kind, epochs, batch=256, lr=1e-3, corrupt=None, seed=1, on_epoch=None):
    """Adam over shuffled minibatches; returns the training seconds per epoch."""
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    xt = torch.from_numpy(x)
    times = []
    for epoch in range(epochs):
        t0 = time.perf_counter()
        order = torch.randperm(len(xt), generator=gen)
        for i in range(0, len(xt), batch):
            target = xt[order[i:i + batch]]
            xb = corrupt(target, gen) if corrupt else target
            opt.zero_grad()
            loss = ae_step_loss(net, xb, target, kind)
            loss.backward()
            opt.step()
        times.append(time.perf_counter() - t0)
        log("epoch %d/%d %.2f s loss %.4g" % (epoch + 1, epochs, times[-1], loss.item()))
        if on_epoch:
            on_epoch(epoch + 1)
    return float(np.mean(times))


def apply(net, x, fn, chunk=2048):
    with torch.no_grad():
        return np.concatenate([fn(torch.from_numpy(x[i:i + chunk])).numpy()
                               for i in range(0, len(x), chunk)])


def reconstruct(net, x, kind):
    act = torch.sigmoid if kind == "bce" else (lambda t: t)
    return apply(net, x, lambda t: act(net.decode(net.encode(t)[:, :net.K])))


def codes(net, x):
    return apply(net, x, lambda t: net.encode(t)[:, :net.K])


def gaussian_noise(sigma):
    def corrupt(x, gen):
        return (x + sigma * torch.randn(x.shape, generator=gen)).clamp(0.0, 1.0)
    return corrupt


def mask_noise(share):
    def corrupt(x, gen):
        return x * (torch.rand(x.shape, generator=gen) >= share).float()
    return corrupt


# ---- tasks ----------------------------------------------------------------------

def need(*mods):
    names = {"torch": torch, "sklearn": sklearn}
    missing = [m for m in mods if names[m] is None]
    if missing:
        print(json.dumps({"skipped": "python module(s) missing: " + ", ".join(missing)}))
        sys.exit(0)


def kmeans_scores(x, y, k, seed):
    km = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(x)
    return {"acc": cluster_acc(y, km.labels_),
            "nmi": float(normalized_mutual_info_score(y, km.labels_))}, km


def dec_phase(net, x, y, km, a):
    """IDEC as `semhash ae cluster` runs it: Student-t soft assignments
    (alpha 1), target P refreshed every update_interval batches, loss =
    recon (per-row sum) + gamma * D * KL(P || Q), centroids trained by Adam
    too (lr --dec-lr, 1e-4 as semhash); stop when fewer than tol of the
    assignments change."""
    xt = torch.from_numpy(x)
    mu = torch.nn.Parameter(torch.tensor(km.cluster_centers_, dtype=torch.float32))
    opt = torch.optim.Adam(list(net.parameters()) + [mu], lr=a.dec_lr)
    gen = torch.Generator().manual_seed(a.seed + 1)
    weight = a.gamma * x.shape[1]

    def soft(z):
        q = 1.0 / (1.0 + torch.cdist(z, mu) ** 2)
        return q / q.sum(1, keepdim=True)

    def refresh():
        with torch.no_grad():
            q = torch.cat([soft(net.encode(xt[j:j + 4096])) for j in range(0, len(xt), 4096)])
        p = q ** 2 / q.sum(0)
        return p / p.sum(1, keepdim=True), q.argmax(1).numpy()

    assign, steps, changed, t0 = km.labels_.copy(), 0, 1.0, time.perf_counter()
    batches, converged = (len(xt) + 255) // 256, False
    while steps < a.dec_epochs * batches and not converged:
        order = torch.randperm(len(xt), generator=gen)
        for i in range(0, len(xt), 256):
            if steps % a.update_interval == 0:
                p, new = refresh()
                changed = float((new != assign).mean())
                assign = new
                if steps > 0 and changed < a.tol:
                    converged = True
                    break
            idx = order[i:i + 256]
            xb = xt[idx]
            z = net.encode(xb)
            q = soft(z)
            kl = (p[idx] * (torch.log(p[idx] + 1e-30) - torch.log(q))).sum(1).mean()
            loss = recon_loss(net.decode(z), xb, "mse") + weight * kl
            opt.zero_grad()
            loss.backward()
            opt.step()
            steps += 1
        log("dec %.2f epochs, changed %.4f" % (steps / batches, changed))
    if not converged:
        _, assign = refresh()
    return {"acc": cluster_acc(y, assign), "nmi": float(normalized_mutual_info_score(y, assign)),
            "epochs": steps / batches, "seconds": time.perf_counter() - t0,
            "converged": converged}


def task_dec(a, xtr, ytr, xte, yte):
    need("torch", "sklearn")
    out = {"arch": "784-500-500-2000-10", "epochs": a.epochs, "batch": 256, "lr": 1e-3}
    t0 = time.perf_counter()
    out["kmeans_raw"], _ = kmeans_scores(xtr, ytr, 10, a.seed)
    out["kmeans_raw"]["seconds"] = time.perf_counter() - t0
    pca = PCA(n_components=10, random_state=a.seed).fit(xtr)
    out["kmeans_pca10"], _ = kmeans_scores(pca.transform(xtr), ytr, 10, a.seed)
    torch.manual_seed(a.seed)
    net = AE(xtr.shape[1], [500, 500, 2000], 10)
    out["seconds_per_epoch"] = train_ae(net, xtr, "mse", a.epochs, seed=a.seed)
    out["test_mse"] = float(((reconstruct(net, xte, "mse") - xte) ** 2).mean())
    out["kmeans_codes"], km = kmeans_scores(codes(net, xtr), ytr, 10, a.seed)
    if a.dec_epochs > 0:
        out["dec"] = dec_phase(net, xtr, ytr, km, a)
    return out


def task_dec_speed(a, xtr, ytr, xte, yte):
    """DEC's autoencoder alone (no k-means, no DEC phase): seconds per epoch."""
    need("torch")
    torch.manual_seed(a.seed)
    net = AE(xtr.shape[1], [500, 500, 2000], 10)
    spe = train_ae(net, xtr, "mse", a.epochs, seed=a.seed)
    return {"arch": "784-500-500-2000-10", "epochs": a.epochs, "batch": 256, "lr": 1e-3,
            "seconds_per_epoch": spe}


def task_denoise(a, xtr, ytr, xte, yte):
    need("torch")
    out = {"arch": "784-512-128-512-784", "epochs": a.epochs, "loss": "bce"}
    for name, corrupt in (("gaussian", gaussian_noise(0.5)), ("mask", mask_noise(0.3))):
        torch.manual_seed(a.seed)
        net = AE(xtr.shape[1], [512], 128)
        spe = train_ae(net, xtr, "bce", a.epochs, corrupt=corrupt, seed=a.seed)
        gen = torch.Generator().manual_seed(a.seed + 7)
        noisy = corrupt(torch.from_numpy(xte), gen).numpy()
        den = reconstruct(net, noisy, "bce")
        out[name] = {"level": 0.5 if name == "gaussian" else 0.3, "seconds_per_epoch": spe,
                     "psnr_noisy": psnr(float(((noisy - xte) ** 2).mean())),
                     "psnr_denoised": psnr(float(((den - xte) ** 2).mean()))}
    return out


def task_reduce(a, xtr, ytr, xte, yte):
    need("torch", "sklearn")
    out = {"arch": "784-128-K-128-784", "epochs": a.epochs, "loss": "mse", "knn_k": 5,
           "knn_rows": min(2000, len(xte))}
    n = out["knn_rows"]
    for K in (10, 32):
        torch.manual_seed(a.seed)
        net = AE(xtr.shape[1], [128], K)
        spe = train_ae(net, xtr, "mse", a.epochs, seed=a.seed)
        mse = float(((reconstruct(net, xte, "mse") - xte) ** 2).mean())
        pca = PCA(n_components=K, random_state=a.seed).fit(xtr)
        pmse = float(((pca.inverse_transform(pca.transform(xte)) - xte) ** 2).mean())
        out["dim%d" % K] = {
            "seconds_per_epoch": spe, "ae_mse": mse, "ae_psnr": psnr(mse),
            "pca_mse": pmse, "pca_psnr": psnr(pmse),
            "ae_knn": knn_acc(codes(net, xtr), ytr, codes(net, xte[:n]), yte[:n], 5),
            "pca_knn": knn_acc(pca.transform(xtr), ytr, pca.transform(xte[:n]), yte[:n], 5)}
    return out


def task_anomaly(a, xtr, ytr, xte, yte):
    need("torch", "sklearn")
    out = {"arch": "784-128-32-128-784", "epochs": a.epochs, "loss": "bce", "classes": []}
    spe = []
    for c in range(10):
        normal = np.ascontiguousarray(xtr[ytr == c])
        torch.manual_seed(a.seed)
        net = AE(xtr.shape[1], [128], 32)
        spe.append(train_ae(net, normal, "bce", a.epochs, seed=a.seed))
        score = ((reconstruct(net, xte, "bce") - xte) ** 2).mean(1)
        pca = PCA(n_components=32, random_state=a.seed).fit(normal)
        pscore = ((pca.inverse_transform(pca.transform(xte)) - xte) ** 2).mean(1)
        truth = (yte != c).astype(int)
        out["classes"].append({"normal_class": c, "auroc": float(roc_auc_score(truth, score)),
                               "pca_auroc": float(roc_auc_score(truth, pscore))})
        log("class %d AUROC %.4f" % (c, out["classes"][-1]["auroc"]))
    out["mean_auroc"] = float(np.mean([r["auroc"] for r in out["classes"]]))
    out["mean_pca_auroc"] = float(np.mean([r["pca_auroc"] for r in out["classes"]]))
    out["seconds_per_epoch"] = float(np.mean(spe))  # per class, on its ~6,000 rows
    return out


def vae_elbo(net, x, seed):
    """Held-out ELBO in nats per row, one latent draw per row."""
    torch.manual_seed(seed)
    with torch.no_grad():
        total = sum(ae_step_loss(net, torch.from_numpy(x[i:i + 256]), torch.from_numpy(x[i:i + 256]),
                                 "bce").item() * len(x[i:i + 256]) for i in range(0, len(x), 256))
    return -total / len(x)


def task_vae(a, xtr, ytr, xte, yte):
    need("torch")
    checkpoints = sorted(int(c) for c in a.checkpoints.split(",") if int(c) <= a.epochs)
    out = {"arch": "784-512-256-20", "epochs": a.epochs, "elbo": {}}
    torch.manual_seed(a.seed)
    net = AE(xtr.shape[1], [512, 256], 20, gaussian=True)

    def on_epoch(e):
        if e in checkpoints:
            out["elbo"][str(e)] = vae_elbo(net, xte, a.seed + 11)
            log("epoch %d test ELBO %.2f" % (e, out["elbo"][str(e)]))
            torch.manual_seed(a.seed + 1000 + e)
    out["seconds_per_epoch"] = train_ae(net, xtr, "bce", a.epochs, seed=a.seed, on_epoch=on_epoch)
    return out


def score_classifier(clf, xtr, ytr, xte, yte):
    t0 = time.perf_counter()
    clf.fit(xtr, ytr)
    pred = clf.predict(xte)
    return {"accuracy": float((pred == yte).mean()),
            "macro_f1": float(f1_score(yte, pred, average="macro")),
            "seconds": time.perf_counter() - t0}


def task_classify(a, xtr, ytr, xte, yte):
    need("sklearn")
    import warnings
    warnings.filterwarnings("ignore")  # lbfgs stops at max_iter: reported below
    out = {"model": "LogisticRegression(multinomial, lbfgs, C=1, max_iter=%d)" % a.max_iter}
    out["logreg_pixels"] = score_classifier(
        LogisticRegression(max_iter=a.max_iter), xtr, ytr, xte, yte)
    return out


def subject_and_body(mail):
    """The Subject header and the body after the header block: roughly what
    semhash's mail filter keeps (it also decodes MIME parts and strips HTML)."""
    head, _, body = mail.replace("\r\n", "\n").partition("\n\n")
    subject = [ln[8:] for ln in head.split("\n") if ln.lower().startswith("subject:")]
    return " ".join(subject) + "\n" + body


def text_baselines(a, train, test, ytr, yte):
    vec = TfidfVectorizer(max_features=5000, sublinear_tf=True)
    xtr = vec.fit_transform(train)
    xte = vec.transform(test)
    out = {"logreg_tfidf": score_classifier(LogisticRegression(max_iter=1000), xtr, ytr, xte,
                                            yte)}
    svd = TruncatedSVD(n_components=32, random_state=a.seed).fit(xtr[ytr == 0])
    diff = xte.toarray() - svd.inverse_transform(svd.transform(xte))
    out["svd32_anomaly_auroc"] = float(roc_auc_score(yte, (diff ** 2).sum(1)))
    return out


def task_text(a):
    need("sklearn")
    import warnings
    warnings.filterwarnings("ignore")
    docs = []
    with open(a.corpus) as f:
        for line in f:
            docs.append(json.loads(line))
    train = [d for d in docs if d.get("split") != "test"]
    test = [d for d in docs if d.get("split") == "test"]
    ytr = np.array([d["labels"][0] == "spam" for d in train], dtype=int)
    yte = np.array([d["labels"][0] == "spam" for d in test], dtype=int)
    out = {"vectorizer": "TfidfVectorizer(max_features=5000, sublinear_tf=True)",
           "train_docs": len(train), "test_docs": len(test)}
    out["whole_mail"] = text_baselines(a, [d["text"] for d in train], [d["text"] for d in test],
                                       ytr, yte)
    out["subject_body"] = text_baselines(a, [subject_and_body(d["text"]) for d in train],
                                         [subject_and_body(d["text"]) for d in test], ytr, yte)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("task", choices=["dec", "dec_speed", "denoise", "reduce", "anomaly", "vae",
                                    "classify", "text"])
    p.add_argument("--data", default="corpora/data/fashion-mnist")
    p.add_argument("--corpus", default="corpora/data/spamassassin.jsonl")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--limit", type=int, default=0, help="first N training rows (0 = all)")
    p.add_argument("--test-limit", type=int, default=0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--dec-epochs", type=int, default=10)
    p.add_argument("--dec-lr", type=float, default=1e-4)
    p.add_argument("--gamma", type=float, default=0.1)
    p.add_argument("--update-interval", type=int, default=30)
    p.add_argument("--tol", type=float, default=0.001)
    p.add_argument("--checkpoints", default="20,50")
    p.add_argument("--max-iter", type=int, default=100)
    a = p.parse_args()
    if torch is not None:
        torch.set_num_threads(a.threads)
    t0 = time.perf_counter()
    if a.task == "text":
        out = task_text(a)
    else:
        data = load_fashion(a.data, a.limit, a.test_limit)
        out = globals()["task_" + a.task](a, *data)
        out["train_rows"], out["test_rows"] = len(data[0]), len(data[2])
    out["task"] = a.task
    out["threads"] = a.threads
    out["torch"] = torch.__version__ if torch is not None else None
    out["torch_threads"] = torch.get_num_threads() if torch is not None else None
    out["sklearn"] = sklearn.__version__ if sklearn is not None else None
    out["omp_wait_policy"] = os.environ.get("OMP_WAIT_POLICY")
    out["seconds"] = time.perf_counter() - t0
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    main()
