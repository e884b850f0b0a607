#!/usr/bin/env python3
"""bench/blades_report.py RAW_DIR OUT.json OUT.md — the blades part's report.

Reads the steps bench/blades.sh left in RAW_DIR (NAME.cmd: the command,
NAME.json: its JSON line, NAME.wall: its wall seconds; part.info: threads,
quick, peers) and writes OUT.json (every figure, each step's command and
time, and the target verdicts) and OUT.md (the tables of BENCHMARKS.md's
blades section, each with the commands that reproduce it).

Targets are the issue's; "met"/"missed" compares the semhash figure with
the target (and, where the target is relative, with the peer's figure of
the same run). A missing figure is "n/a"; a quick run judges nothing.
"""
import json
import os
import sys

# The issue's figures for the peers, measured earlier on this machine.
ISSUE = {
    "dec_spe": "10–12 s", "dec_mse": 0.0132, "kmeans_raw_acc": 0.472, "kmeans_raw_nmi": 0.512,
    "kmeans_pca10_acc": 0.538, "kmeans_codes_acc": 0.506,
    "gauss_psnr": (9.30, 18.37), "mask_psnr": (12.97, 19.81), "denoise_spe": "about 5 s",
    "pca32_mse": 0.0151, "pca10_mse": 0.0244, "anomaly_auroc": 0.919, "anomaly_pca": 0.905,
    "vae_spe": "3.9 s", "vae_elbo20": -240.8, "vae_elbo50": -238.6,
}


def load(raw):
    steps = {}
    for fn in sorted(os.listdir(raw)):
        if not fn.endswith(".cmd"):
            continue
        name = fn[:-4]
        step = {"command": open(os.path.join(raw, fn)).read().strip()}
        wall = os.path.join(raw, name + ".wall")
        if os.path.exists(wall):
            step["wall_seconds"] = float(open(wall).read())
        out = os.path.join(raw, name + ".json")
        if os.path.exists(out):
            lines = [ln for ln in open(out).read().splitlines() if ln.strip()]
            if lines:
                step["result"] = json.loads(lines[-1])
        steps[name] = step
    info = {}
    if os.path.exists(os.path.join(raw, "part.info")):
        info = json.load(open(os.path.join(raw, "part.info")))
    return steps, info


class Report:
    def __init__(self, steps, info):
        self.steps, self.info = steps, info
        self.quick = bool(info.get("quick"))
        self.targets = []
        self.md = []

    def get(self, step, *path):
        """steps[step].result[path...], or None."""
        v = self.steps.get(step, {}).get("result")
        if v is None or "skipped" in v:
            return None
        for p in path:
            if isinstance(v, dict) and p in v:
                v = v[p]
            elif isinstance(v, list) and isinstance(p, int) and p < len(v):
                v = v[p]
            else:
                return None
        return v

    def skipped(self, step):
        v = self.steps.get(step, {}).get("result")
        return v.get("skipped") if isinstance(v, dict) else None

    def verdict(self, blade, figure, ok, target, semhash, peer):
        """ok: True / False / None (cannot judge)."""
        if self.quick:
            word = "not judged (quick run)"
        elif ok is None:
            word = "n/a"
        else:
            word = "met" if ok else "missed"
        self.targets.append({"blade": blade, "figure": figure, "target": target,
                             "semhash": semhash, "peer": peer, "verdict": word})
        return word

    # ---- markdown helpers ----

    def line(self, s=""):
        self.md.append(s)

    def table(self, head, rows):
        self.line("| " + " | ".join(head) + " |")
        self.line("| " + " | ".join("---" for _ in head) + " |")
        for r in rows:
            self.line("| " + " | ".join(fmt(c) for c in r) + " |")
        self.line()

    def commands(self, *names):
        self.line("Commands (from the repository root):")
        self.line()
        self.line("```sh")
        for n in names:
            if n in self.steps:
                wall = self.steps[n].get("wall_seconds")
                self.line("# %s%s" % (n, "" if wall is None else ", %.0f s wall" % wall))
                self.line(shorten(self.steps[n]["command"]))
        self.line("```")
        skipped = [n for n in names if self.skipped(n)]
        for n in skipped:
            self.line()
            self.line("`%s` skipped: %s." % (n, self.skipped(n)))
        self.line()


def fmt(v):
    if v is None:
        return "n/a"
    if isinstance(v, float):
        if abs(v) >= 100:
            return "%.1f" % v
        if abs(v) >= 1:
            return "%.2f" % v
        return "%.4f" % v
    return str(v)


FM_LONG = ("--train corpora/data/fashion-mnist/train-images-idx3-ubyte.gz "
           "--train-labels corpora/data/fashion-mnist/train-labels-idx1-ubyte.gz "
           "--test corpora/data/fashion-mnist/t10k-images-idx3-ubyte.gz "
           "--test-labels corpora/data/fashion-mnist/t10k-labels-idx1-ubyte.gz")


def run_as_command(info):
    """The make command with the settings this run used, or None when it
    was the plain `make bench-blades` (2 threads, every CPU, PyTorch DEC)."""
    env = []
    if info.get("threads", 2) != 2:
        env.append("BENCH_THREADS=%s" % info["threads"])
    if info.get("peer_dec", 1) == 0:
        env.append("BENCH_PEER_DEC=0")
    if info.get("quick", 0):
        env.append("BENCH_QUICK=1")
    cpus = str(info.get("cpus", "")).strip()
    all_cpus = "0-%d" % (info.get("online_cpus", 0) - 1) if info.get("online_cpus") else ""
    pin = cpus and all_cpus and cpus != all_cpus and not (all_cpus == "0-0" and cpus == "0")
    if not env and not pin:
        return None
    return " ".join(env + (["taskset -c %s" % cpus] if pin else []) + ["make bench-blades"])


def run_as_reason(info):
    cpus = str(info.get("cpus", "")).strip()
    if cpus and info.get("online_cpus") and cpus != "0-%d" % (info["online_cpus"] - 1):
        return " (semhash and its peers alike pinned to CPU %s)" % cpus
    return ""


def shorten(cmd):
    cmd = " ".join(cmd.split())
    return cmd.replace(FM_LONG, "$FM")


def lt(a, b):
    return None if a is None or b is None else a < b


def ge(a, b):
    return None if a is None or b is None else a >= b


def ratio(a, b):
    return None if a is None or b is None or a == 0 else b / a


def section_speed(r):
    r.line("### Training speed per epoch")
    r.line()
    r.line("Same architecture, data, epochs, batch 256 and Adam (lr 1e-3) on both sides; "
           "semhash `--threads %s`, PyTorch `torch.set_num_threads(%s)` with "
           "`OMP_WAIT_POLICY=PASSIVE`. Seconds of training per epoch over the 60,000 "
           "training images (anomaly: per class, about 6,000 rows)."
           % (r.info.get("threads", "?"), r.info.get("threads", "?")))
    r.line()
    rows = []
    specs = [
        ("DEC autoencoder", "784-500-500-2000-10, MSE", "cluster", ("seconds_per_epoch",),
         "peer_dec", ("seconds_per_epoch",), ISSUE["dec_spe"], True),
        ("denoising, Gaussian", "784-512-128-512-784, BCE", "denoise_gaussian",
         ("seconds_per_epoch",), "peer_denoise", ("gaussian", "seconds_per_epoch"),
         ISSUE["denoise_spe"], True),
        ("denoising, masking", "784-512-128-512-784, BCE", "denoise_mask",
         ("seconds_per_epoch",), "peer_denoise", ("mask", "seconds_per_epoch"),
         ISSUE["denoise_spe"], True),
        ("VAE", "784-512-256-20, Bernoulli", "vae50", ("seconds_per_epoch",), "peer_vae",
         ("seconds_per_epoch",), ISSUE["vae_spe"], True),
        ("reduce, 10 dims", "784-128-10-128-784, MSE", "reduce10", ("seconds_per_epoch",),
         "peer_reduce", ("dim10", "seconds_per_epoch"), "", False),
        ("reduce, 32 dims", "784-128-32-128-784, MSE", "reduce32", ("seconds_per_epoch",),
         "peer_reduce", ("dim32", "seconds_per_epoch"), "", False),
    ]
    rounds = speed_rounds(r)
    for blade, arch, sh, shp, pe, pep, issue, has_target in specs:
        a, b = r.get(sh, *shp), r.get(pe, *pep)
        if sh == "cluster" and rounds:
            a = median([x for x, _ in rounds if x is not None])
            b = median([y for _, y in rounds if y is not None])
            arch += " (median of %d alternating short runs)" % len(rounds)
        word = "—"
        if has_target:
            word = r.verdict(blade, "s/epoch", lt(a, b), "faster per epoch than PyTorch", a, b)
        rows.append([blade, arch, a, b, ratio(a, b), issue or "—", word])
    a = mean_class(r, "anomaly", "seconds_per_epoch")
    b = r.get("peer_anomaly", "seconds_per_epoch")
    rows.append(["anomaly (per class)", "784-128-32-128-784, BCE", a, b, ratio(a, b), "—", "—"])
    r.table(["blade", "network", "semhash s/epoch", "PyTorch s/epoch", "PyTorch / semhash",
             "PyTorch in the issue", "target: faster"], rows)
    if rounds:
        r.line("DEC's autoencoder was timed in short runs (3 epochs each) with the two sides "
               "taking turns, semhash first, so that both meet the same machine: one long "
               "run after the other has differed by up to 40% when the machine's other core "
               "was busy. Seconds per epoch of each round:")
        r.line()
        r.table(["round", "semhash", "PyTorch", "PyTorch / semhash"],
                [[k + 1, x, y, ratio(x, y)] for k, (x, y) in enumerate(rounds)])
    r.commands(*(["speed_dec_1", "peer_speed_dec_1"] if rounds else []) +
               ["cluster", "peer_dec", "denoise_gaussian", "denoise_mask", "peer_denoise",
                "vae50", "peer_vae"])


def speed_rounds(r):
    """[(semhash s/epoch, PyTorch s/epoch)] of the alternating DEC speed runs."""
    out, k = [], 1
    while "speed_dec_%d" % k in r.steps:
        out.append((r.get("speed_dec_%d" % k, "seconds_per_epoch"),
                    r.get("peer_speed_dec_%d" % k, "seconds_per_epoch")))
        k += 1
    return out


def median(vals):
    if not vals:
        return None
    v = sorted(vals)
    n = len(v)
    return v[n // 2] if n % 2 else 0.5 * (v[n // 2 - 1] + v[n // 2])


def mean_class(r, step, key):
    classes = r.get(step, "classes")
    if not classes:
        return None
    vals = [c.get(key) for c in classes if c.get(key) is not None]
    return sum(vals) / len(vals) if vals else None


def section_dec(r):
    r.line("### DEC: autoencoder pretraining and clustering")
    r.line()
    r.line("The 60,000 training images are clustered into 10 clusters (as DEC does); ACC "
           "is accuracy under the best one-to-one cluster-to-label mapping (Hungarian), "
           "NMI the arithmetic-mean normalised mutual information. semhash runs its own "
           "k-means (k-means++, restarts) and DEC on the codes scaled to one common "
           "length (their RMS length: k-means and the Student-t kernel compare "
           "directions; `--raw-codes` turns it off), with the reconstruction term kept "
           "(IDEC, gamma 0.1, Adam 1e-4, target refreshed every 30 batches, at most 10 "
           "epochs); the peer column is scikit-learn's KMeans (n_init 10) and "
           "IDEC in PyTorch on the raw codes of the PyTorch-pretrained autoencoder.")
    r.line()
    mse, pmse = r.get("cluster", "pretrain_test_mse"), r.get("peer_dec", "test_mse")
    rows = [["pretrained AE test MSE (per element)", mse, pmse, ISSUE["dec_mse"], "≤ 0.0135",
             r.verdict("DEC autoencoder", "test MSE", None if mse is None else mse <= 0.0135,
                       "≤ 0.0135", mse, pmse)]]
    for key, what, issue in (("kmeans_raw", "k-means on raw pixels", (ISSUE["kmeans_raw_acc"],
                                                                       ISSUE["kmeans_raw_nmi"])),
                             ("kmeans_pca10", "k-means on PCA-10", (ISSUE["kmeans_pca10_acc"],
                                                                    None)),
                             ("kmeans_codes", "k-means on the AE codes",
                              (ISSUE["kmeans_codes_acc"], None))):
        sa = r.get("cluster", key + "_acc")
        sn = r.get("cluster", key + "_nmi")
        rows.append([what + ": ACC", sa, r.get("peer_dec", key, "acc"), issue[0], "—", "—"])
        rows.append([what + ": NMI", sn, r.get("peer_dec", key, "nmi"), issue[1], "—", "—"])
    acc, nmi = r.get("cluster", "dec_acc"), r.get("cluster", "dec_nmi")
    pacc, pnmi = r.get("peer_dec", "dec", "acc"), r.get("peer_dec", "dec", "nmi")
    rows.append(["DEC: ACC", acc, pacc, None, "≥ 0.58",
                 r.verdict("clustering", "DEC ACC", ge(acc, 0.58), "≥ 0.58", acc, pacc)])
    rows.append(["DEC: NMI", nmi, pnmi, None, "≥ 0.58",
                 r.verdict("clustering", "DEC NMI", ge(nmi, 0.58), "≥ 0.58", nmi, pnmi)])
    rows.append(["DEC on the 10,000 test images: ACC", r.get("cluster", "dec_test_acc"), None,
                 None, "—", "—"])
    rows.append(["DEC on the 10,000 test images: NMI", r.get("cluster", "dec_test_nmi"), None,
                 None, "—", "—"])
    rows.append(["DEC phase: epochs run (cap 10)", r.get("cluster", "dec_epochs"),
                 r.get("peer_dec", "dec", "epochs"), None, "—", "—"])
    rows.append(["DEC phase: seconds", r.get("cluster", "dec_seconds"),
                 r.get("peer_dec", "dec", "seconds"), None, "—", "—"])
    r.table(["figure", "semhash", "PyTorch / scikit-learn", "peer in the issue", "target",
             "met?"], rows)
    r.commands("cluster", "peer_dec")


def seed_steps(r, step):
    """step and its extra-seed runs step_s2, step_s3, ... that are present."""
    out = [step]
    k = 2
    while step + "_s%d" % k in r.steps:
        out.append(step + "_s%d" % k)
        k += 1
    return out


def mean_over(r, steps, *path):
    """(mean of the figure over the steps that have it, how many had it)."""
    vals = [v for v in (r.get(s, *path) for s in steps) if v is not None]
    return (sum(vals) / len(vals) if vals else None), len(vals)


def section_denoise(r):
    r.line("### Denoising autoencoder")
    r.line()
    r.line("784-512-128-512-784, sigmoid output with binary cross-entropy, trained 10 "
           "epochs on corrupted training images against the clean ones; PSNR (peak 1) of "
           "the corrupted and of the denoised test images against the clean ones. Each "
           "side trains with seeds 1..N (BENCH_DENOISE_SEEDS, default 3: one seed's "
           "figure moves by up to 0.1 dB, the target's tolerance) and the table gives "
           "the means. Target: the mean denoised PSNR at least PyTorch's of the same "
           "run (within 0.1 dB).")
    r.line()
    rows, per_seed = [], []
    for step, key, what, issue in (("denoise_gaussian", "gaussian", "Gaussian σ = 0.5",
                                    ISSUE["gauss_psnr"]),
                                   ("denoise_mask", "mask", "masking 30%", ISSUE["mask_psnr"])):
        ours, peers = seed_steps(r, step), seed_steps(r, "peer_denoise")
        sn, _ = mean_over(r, ours, "psnr_noisy")
        sd, n_ours = mean_over(r, ours, "psnr_denoised")
        pn, _ = mean_over(r, peers, key, "psnr_noisy")
        pd, n_peer = mean_over(r, peers, key, "psnr_denoised")
        ok = None if sd is None or pd is None else sd >= pd - 0.1
        rows.append([what, n_ours, sn, sd, n_peer, pn, pd, "%.2f → %.2f" % issue,
                     r.verdict("denoising " + key, "PSNR", ok, "≥ PyTorch − 0.1 dB", sd, pd)])
        per_seed.append([what, ", ".join(fmt(r.get(s, "psnr_denoised")) for s in ours),
                         ", ".join(fmt(r.get(s, key, "psnr_denoised")) for s in peers)])
    r.table(["noise", "semhash seeds", "semhash noisy dB", "semhash denoised dB",
             "PyTorch seeds", "PyTorch noisy dB", "PyTorch denoised dB",
             "PyTorch in the issue", "target: same or better"], rows)
    r.line("Denoised PSNR of each seed (1, 2, ...):")
    r.line()
    r.table(["noise", "semhash dB", "PyTorch dB"], per_seed)
    r.commands(*(seed_steps(r, "denoise_gaussian") + seed_steps(r, "denoise_mask") +
                 seed_steps(r, "peer_denoise")))


def section_reduce(r):
    r.line("### Dimensionality reduction")
    r.line()
    r.line("An undercomplete autoencoder 784-128-K-128-784 (linear code, MSE, 10 epochs) "
           "beside PCA with K components fitted on the training images: test "
           "reconstruction MSE per element, and 5-NN label accuracy of the K-dimensional "
           "embedding (the first 2,000 test images against the 60,000 training images).")
    r.line()
    rows = []
    for K in (10, 32):
        step, peer = "reduce%d" % K, "dim%d" % K
        am, pm = r.get(step, "ae_mse"), r.get(step, "pca_mse")
        ak, pk = r.get(step, "ae_knn"), r.get(step, "pca_knn")
        rows.append([K, "MSE", am, pm, r.get("peer_reduce", peer, "ae_mse"),
                     r.get("peer_reduce", peer, "pca_mse"),
                     ISSUE["pca%d_mse" % K],
                     r.verdict("reduce %d" % K, "MSE", lt(am, pm), "below PCA", am, pm)])
        rows.append([K, "PSNR dB", r.get(step, "ae_psnr"), r.get(step, "pca_psnr"),
                     r.get("peer_reduce", peer, "ae_psnr"), r.get("peer_reduce", peer,
                                                                  "pca_psnr"), None, "—"])
        rows.append([K, "5-NN accuracy", ak, pk, r.get("peer_reduce", peer, "ae_knn"),
                     r.get("peer_reduce", peer, "pca_knn"), None,
                     r.verdict("reduce %d" % K, "k-NN", lt(pk, ak), "above PCA", ak, pk)])
    raw = r.get("reduce32", "raw_knn")
    r.table(["K", "figure", "semhash AE", "semhash PCA", "PyTorch AE", "scikit-learn PCA",
             "PCA in the issue", "target: AE beats PCA"], rows)
    if raw is not None:
        r.line("5-NN accuracy on the raw 784 pixels, same rows: %.4f." % raw)
        r.line()
    r.commands("reduce10", "reduce32", "peer_reduce")


def section_anomaly(r):
    r.line("### Anomaly detection")
    r.line()
    r.line("Fashion-MNIST: one class is normal; an autoencoder 784-128-32-128-784 (sigmoid "
           "output, BCE, 5 epochs) is trained on that class's training images only; every "
           "test image is scored by its reconstruction MSE; AUROC of normal (the class) "
           "against anomalous (the other nine), and the same score from PCA-32 fitted on "
           "the normal images.")
    r.line()
    rows = []
    for c in range(10):
        rows.append([c, r.get("anomaly", "classes", c, "auroc"),
                     r.get("anomaly", "classes", c, "pca_auroc"),
                     r.get("peer_anomaly", "classes", c, "auroc"),
                     r.get("peer_anomaly", "classes", c, "pca_auroc")])
    m = r.get("anomaly", "mean_auroc")
    pm = r.get("peer_anomaly", "mean_auroc")
    rows.append(["**mean**", m, r.get("anomaly", "mean_pca_auroc"), pm,
                 r.get("peer_anomaly", "mean_pca_auroc")])
    r.table(["normal class", "semhash AE AUROC", "semhash PCA-32 AUROC", "PyTorch AE AUROC",
             "scikit-learn PCA-32 AUROC"], rows)
    word = r.verdict("anomaly", "mean AUROC", ge(m, 0.92), "≥ 0.92", m, pm)
    r.line("Target: mean AUROC ≥ 0.92 (PyTorch in the issue: %.3f, PCA-32 %.3f): **%s**."
           % (ISSUE["anomaly_auroc"], ISSUE["anomaly_pca"], word))
    r.line()
    ta = r.get("text_anomaly", "auroc")
    rows = [["semhash AE (tf-idf in, bag-of-words softmax out), NLL per token", ta],
            ["semhash baseline: cosine distance to the mean ham tf-idf row",
             r.get("text_anomaly", "centroid_auroc")],
            ["scikit-learn: TruncatedSVD-32 reconstruction error, tf-idf of Subject + body",
             r.get("peer_text", "subject_body", "svd32_anomaly_auroc")],
            ["scikit-learn: the same on the whole mail, headers included",
             r.get("peer_text", "whole_mail", "svd32_anomaly_auroc")]]
    r.line("SpamAssassin: an autoencoder 5000-128-32-128-5000 (tf-idf rows of the 5,000 "
           "most frequent terms in, softmax over the vocabulary out, %s epochs) trained on "
           "the training split's ham and scored on the test split (%s documents), spam is "
           "anomalous." % (fmt(r.get("text_anomaly", "epochs")),
                           fmt(r.get("text_anomaly", "test_docs"))))
    r.line()
    r.table(["detector", "AUROC"], rows)
    r.line("semhash's text pipeline keeps a mail's Subject and decoded body and drops the "
           "other headers; the scikit-learn rows use TfidfVectorizer (5,000 terms, "
           "sublinear tf) on the Subject plus the raw body after the header block (the "
           "closest simple match), and on the whole mail, whose headers (relays, mailers, "
           "dates) separate the SpamAssassin spam from its ham by themselves.")
    r.line()
    r.commands("anomaly", "peer_anomaly", "text_anomaly", "peer_text")


def section_vae(r):
    r.line("### Variational autoencoder")
    r.line()
    r.line("784-512-256-20 (Gaussian latent, Bernoulli decoder: binary cross-entropy on the "
           "grey levels), batch 256, Adam 1e-3; held-out ELBO in nats per test image, one "
           "latent draw per image (higher is better). semhash trains a fresh model for 20 "
           "and for 50 epochs; PyTorch evaluates one 50-epoch run after epochs 20 and 50.")
    r.line()
    e20, e50 = r.get("vae20", "test_elbo_nats"), r.get("vae50", "test_elbo_nats")
    n20, n50 = r.get("vae20", "epochs"), r.get("vae50", "epochs")
    p20 = r.get("peer_vae", "elbo", str(n20))
    p50 = r.get("peer_vae", "elbo", str(n50))
    rows = [[n20, e20, p20, ISSUE["vae_elbo20"], "—", "—"],
            [n50, e50, p50, ISSUE["vae_elbo50"], "≥ −238.6",
             r.verdict("VAE", "test ELBO after 50 epochs", ge(e50, -238.6), "≥ −238.6", e50,
                       p50)]]
    r.table(["epochs", "semhash ELBO", "PyTorch ELBO", "PyTorch in the issue", "target",
             "met?"], rows)
    r.commands("vae20", "vae50", "peer_vae")


def section_classify(r):
    r.line("### Classification")
    r.line()
    r.line("`semhash ae classify`: one autoencoder 784-128-32-128-784 per class (MSE, 10 "
           "epochs, four fifths of the class's training rows), a stacked softmax fitted on "
           "the held-out fifth maps the ten log reconstruction errors to the class; beside "
           "it semhash's own softmax regression on the standardised pixels (Adam, 20 "
           "epochs) and scikit-learn's multinomial logistic regression on the pixels. "
           "`--overcomplete`: a sparse overcomplete autoencoder 784-1024-784 (sigmoid code, "
           "KL sparsity 0.1 towards a mean activation of 0.05, 10 epochs) whose codes feed "
           "the same softmax regression. SpamAssassin: the same per-class scheme with one "
           "bag-of-words autoencoder 5000-128-32-128-5000 per label (ham, spam; 30 epochs) "
           "and the negative log-likelihood per token as the error. No target except for the "
           "overcomplete features: reported beside the baselines.")
    r.line()
    rows = [
        ["Fashion-MNIST", "semhash: per-class AEs + stacked softmax",
         r.get("classify", "stacked_accuracy"), r.get("classify", "stacked_macro_f1")],
        ["Fashion-MNIST", "semhash: per-class AEs, smallest error",
         r.get("classify", "min_error_accuracy"), r.get("classify", "min_error_macro_f1")],
        ["Fashion-MNIST", "semhash: softmax regression on pixels",
         r.get("classify", "raw_softmax_accuracy"), r.get("classify", "raw_softmax_macro_f1")],
        ["Fashion-MNIST", "scikit-learn: logistic regression on pixels",
         r.get("peer_classify", "logreg_pixels", "accuracy"),
         r.get("peer_classify", "logreg_pixels", "macro_f1")],
        ["Fashion-MNIST", "semhash: softmax on overcomplete sparse AE codes (%s)"
         % fmt(r.get("overcomplete", "code")),
         r.get("overcomplete", "overcomplete_accuracy"),
         r.get("overcomplete", "overcomplete_macro_f1")],
        ["Fashion-MNIST", "semhash: softmax on pixels (same run)",
         r.get("overcomplete", "raw_accuracy"), r.get("overcomplete", "raw_macro_f1")],
        ["SpamAssassin", "semhash: per-class bag-of-words AEs + stacked softmax",
         r.get("text_classify", "stacked_accuracy"), r.get("text_classify", "stacked_macro_f1")],
        ["SpamAssassin", "semhash: per-class AEs, smallest NLL",
         r.get("text_classify", "min_error_accuracy"),
         r.get("text_classify", "min_error_macro_f1")],
        ["SpamAssassin", "semhash: softmax regression on tf-idf",
         r.get("text_classify", "raw_softmax_accuracy"),
         r.get("text_classify", "raw_softmax_macro_f1")],
        ["SpamAssassin", "scikit-learn: logistic regression, tf-idf of Subject + body",
         r.get("peer_text", "subject_body", "logreg_tfidf", "accuracy"),
         r.get("peer_text", "subject_body", "logreg_tfidf", "macro_f1")],
        ["SpamAssassin", "scikit-learn: logistic regression, tf-idf of the whole mail",
         r.get("peer_text", "whole_mail", "logreg_tfidf", "accuracy"),
         r.get("peer_text", "whole_mail", "logreg_tfidf", "macro_f1")],
    ]
    r.table(["data", "classifier", "accuracy", "macro-F1"], rows)
    oa, ra = r.get("overcomplete", "overcomplete_accuracy"), r.get("overcomplete", "raw_accuracy")
    word = r.verdict("overcomplete AE", "linear-classifier accuracy", lt(ra, oa),
                     "features beat raw pixels", oa, ra)
    r.line("Overcomplete sparse AE features against raw pixels for the same linear "
           "classifier: **%s**." % word)
    r.line()
    r.commands("classify", "overcomplete", "peer_classify", "text_classify", "peer_text")


def section_summary(r):
    rows = [[t["blade"], t["figure"], t["target"], t["semhash"], t["peer"], t["verdict"]]
            for t in r.targets]
    body = r.md
    r.md = []
    r.line("### Targets")
    r.line()
    r.table(["blade", "figure", "target", "semhash", "peer (same run)", "verdict"], rows)
    r.md = r.md + body


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: blades_report.py RAW_DIR OUT.json OUT.md")
    raw, out_json, out_md = sys.argv[1:]
    steps, info = load(raw)
    r = Report(steps, info)
    section_speed(r)
    section_dec(r)
    section_denoise(r)
    section_reduce(r)
    section_anomaly(r)
    section_vae(r)
    section_classify(r)
    section_summary(r)
    total = sum(s.get("wall_seconds", 0) for s in steps.values())
    head = [
        "Every `semhash ae` blade beside the same networks in PyTorch %s and the classical "
        "baselines in scikit-learn %s, in one run (`make bench-blades`, i.e. "
        "`sh bench/blades.sh build/semhash build/bench bench/results`), on Fashion-MNIST "
        "(60,000 training and 10,000 test images) and SpamAssassin (4,837 training and "
        "1,209 test mails). Threads: semhash `--threads %s`; PyTorch "
        "`torch.set_num_threads(%s)` with `OMP_WAIT_POLICY=PASSIVE`; scikit-learn "
        "`OMP_NUM_THREADS=%s`. `$FM` in the commands stands for `%s`. The steps took %.0f "
        "minutes in all (wall clock)."
        % (fmt(r.get("peer_dec", "torch")), fmt(r.get("peer_dec", "sklearn") or
                                                   r.get("peer_classify", "sklearn")),
           info.get("threads", "?"), info.get("threads", "?"), info.get("threads", "?"),
           FM_LONG, total / 60.0),
        "",
    ]
    run_as = run_as_command(info)
    if run_as:
        head += ["This run was started as `%s`%s." % (run_as, run_as_reason(info)), ""]
    only = str(info.get("only", "")).split()
    if only:
        head += ["The steps %s were measured again, after a change, by a later run with the "
                 "same settings and `BENCH_ONLY=\"%s\"`; the other steps are from the first run."
                 % (", ".join("`%s`" % n for n in only), " ".join(only)), ""]
    if r.quick:
        head += ["**Quick run (BENCH_QUICK=1): 10,000 training / 2,000 test images and a "
                 "fifth of the epochs; the targets are not judged.**", ""]
    failed = [n for n, s in steps.items() if "result" not in s]
    if failed:
        head += ["Steps that failed (no figures): " + ", ".join("`%s`" % n for n in failed) +
                 ".", ""]
    with open(out_md, "w") as f:
        f.write("\n".join(head + r.md).rstrip("\n") + "\n")
    with open(out_json, "w") as f:
        json.dump({"info": info, "total_wall_seconds": total, "steps": steps,
                   "targets": r.targets, "issue_peer_figures": ISSUE}, f, indent=1,
                  sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
