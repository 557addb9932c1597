"""Peer timing for crate/benches/metrics_regression.rs: scikit-learn's Ridge
(alpha=1, fit_intercept=True) on the same sizes and the same 10 splits
(read from $REGRESSION_SPLITS, default the temp dir file the Rust bench
writes), Pearson r per unit on the held-out images, median per split, mean.

python crate/benches/peers/regression.py [N P1 P2 Q]
"""
import json
import os
import sys
import tempfile
import time

import numpy as np
from sklearn.linear_model import Ridge
from sklearn.random_projection import SparseRandomProjection

args = [int(a) for a in sys.argv[1:]]
n, p1, p2, q = (args + [3000, 9216, 3000, 4096][len(args):])[:4]
path = os.environ.get("REGRESSION_SPLITS", os.path.join(tempfile.gettempdir(), "idlab_regression_splits.json"))
if os.path.exists(path):
    splits = json.load(open(path))["splits"]
    assert all(max(max(s["train"]), max(s["test"])) < n for s in splits)
else:
    rng = np.random.default_rng(0)
    splits = []
    for _ in range(10):
        perm = rng.permutation(n)
        splits.append({"test": perm[: round(n * 0.1)], "train": perm[round(n * 0.1):]})
print(f"sklearn peer: n={n} p1={p1} p2={p2} q={q}, {len(splits)} splits from {path if os.path.exists(path) else 'numpy'}")

rng = np.random.default_rng(1)
x = np.maximum(rng.standard_normal((n, p1)), 0.0)
y = x[:, :40] @ rng.standard_normal((40, p2)) + 4.0 * rng.standard_normal((n, p2))


def pearson_cols(a, b):
    a = a - a.mean(0)
    b = b - b.mean(0)
    return (a * b).sum(0) / np.sqrt((a * a).sum(0) * (b * b).sum(0))


t0 = time.perf_counter()
xp = SparseRandomProjection(n_components=q, density="auto", random_state=0).fit_transform(x) if p1 > q else x
t1 = time.perf_counter()
medians = []
for s in splits:
    tr, te = np.asarray(s["train"]), np.asarray(s["test"])
    pred = Ridge(alpha=1.0, fit_intercept=True).fit(xp[tr], y[tr]).predict(xp[te])
    medians.append(np.median(pearson_cols(y[te], pred)))
t2 = time.perf_counter()
print(f"projection: {t1 - t0:.2f} s; ridge over splits: {t2 - t1:.2f} s; total {t2 - t0:.2f} s; value {np.mean(medians):.4f}")
