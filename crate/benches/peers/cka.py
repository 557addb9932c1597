"""Peer benchmark for crate/benches/metrics_cka.rs: linear CKA of a 3000 x 4096
representation against a 3000 x 3000 one with the reference notebook's
functions (Kornblith et al. 2019, google-research
representation_similarity/Demo.ipynb): cka(gram_linear(x), gram_linear(y)),
and its feature-space form feature_space_linear_cka(x, y); then soft matching
with POT (ot.emd2) at 250, 500 and 1000 units. numpy's BLAS uses
its default thread count (set OPENBLAS_NUM_THREADS to change it).
Run: python crate/benches/peers/cka.py
"""
import time

import numpy as np


def gram_linear(x):
    return x.dot(x.T)


def center_gram(gram):
    gram = gram.copy()
    means = np.mean(gram, 0, dtype=np.float64)
    means -= np.mean(means) / 2
    gram -= means[:, None]
    gram -= means[None, :]
    return gram


def cka(gram_x, gram_y):
    gram_x, gram_y = center_gram(gram_x), center_gram(gram_y)
    return gram_x.ravel().dot(gram_y.ravel()) / (np.linalg.norm(gram_x) * np.linalg.norm(gram_y))


def feature_space_linear_cka(x, y):
    x = x - np.mean(x, 0, keepdims=True)
    y = y - np.mean(y, 0, keepdims=True)
    dot = np.linalg.norm(x.T.dot(y)) ** 2
    return dot / (np.linalg.norm(x.T.dot(x)) * np.linalg.norm(y.T.dot(y)))


def best(reps, f):
    times, value = [], None
    for _ in range(reps):
        t = time.perf_counter()
        value = f()
        times.append(time.perf_counter() - t)
    return min(times), value


def main():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3000, 4096))
    y = rng.standard_normal((3000, 3000))
    t_gram, v_gram = best(3, lambda: cka(gram_linear(x), gram_linear(y)))
    t_feat, v_feat = best(3, lambda: feature_space_linear_cka(x, y))
    print(f"numpy {np.__version__}, linear CKA, X 3000 x 4096 vs Y 3000 x 3000 (f64), best of 3:")
    print("| form | seconds | CKA |")
    print("| --- | ---: | ---: |")
    print(f"| cka(gram_linear(x), gram_linear(y)) | {t_gram:.3f} | {v_gram:.6f} |")
    print(f"| feature_space_linear_cka(x, y) | {t_feat:.3f} | {v_feat:.6f} |")
    # Soft matching with POT's network simplex (ot.emd2), as in the Rust bench.
    try:
        import ot
        from scipy.spatial.distance import cdist
    except ImportError:
        return
    print("\nsoft matching with POT ot.emd2, 1000 stimuli, p x p units (one call):")
    print("| units | seconds | distance |")
    print("| ---: | ---: | ---: |")
    for p in (250, 500, 1000):
        a, b = rng.standard_normal((1000, p)), rng.standard_normal((1000, p))
        def soft():
            ac, bc = a - a.mean(0), b - b.mean(0)
            m = cdist(ac.T, bc.T, "sqeuclidean")
            return np.sqrt(ot.emd2(np.full(p, 1 / p), np.full(p, 1 / p), m, numItermax=10_000_000))
        t, d = best(1, soft)
        print(f"| {p} | {t:.3f} | {d:.6f} |")


if __name__ == "__main__":
    main()
