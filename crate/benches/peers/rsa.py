"""Python peer of benches/metrics_rsa.rs: the same sizes with the reference tools.

scipy.spatial.distance.pdist(x, 'correlation') on a 3000 x 4096 matrix, then
Kendall tau-a between two 3000 x 3000 RDMs with rsatoolbox.rdm.compare(...,
method='tau-a') (scipy's O(m log m) merge sort inside), and scipy.stats.kendalltau
(tau-b) and spearmanr for scale. Usage: python rsa.py [N P REPS]
"""
import sys
import time

import numpy as np
import scipy.stats
from scipy.spatial.distance import pdist
from rsatoolbox.rdm import RDMs, compare

n, p, reps = ([int(a) for a in sys.argv[1:4]] + [3000, 4096, 3][len(sys.argv[1:4]):])[:3]


def best_of(f):
    best, out = float("inf"), None
    for _ in range(reps):
        t = time.perf_counter()
        out = f()
        best = min(best, time.perf_counter() - t)
    return best, out


rng = np.random.default_rng(0)
x = rng.standard_normal((n, p))
t, a = best_of(lambda: pdist(x, "correlation"))
print(f"scipy pdist correlation, {n} x {p} -> {a.size} pairs: {t:.3f} s (best of {reps})")
b = a + 0.05 * rng.standard_normal(a.size)
ra, rb = RDMs(a[None, :]), RDMs(b[None, :])
t, tau = best_of(lambda: compare(ra, rb, method="tau-a")[0, 0])
print(f"rsatoolbox tau-a, two {n} x {n} RDMs: {t:.3f} s (best of {reps}), tau-a = {tau:.6f}")
t, tb = best_of(lambda: scipy.stats.kendalltau(a, b).statistic)
print(f"scipy kendalltau (tau-b): {t:.3f} s, tau-b = {tb:.6f}")
t, rho = best_of(lambda: compare(ra, rb, method="spearman")[0, 0])
print(f"rsatoolbox spearman: {t:.3f} s, rho = {rho:.6f}")
