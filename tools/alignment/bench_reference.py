"""numpy / scipy side of bench/src/alignment.ts: times linear CKA, CCA, and RDM + RSA on the arrays
the TypeScript side wrote, and prints one JSON line of timings (ms) and values.

Usage: bench_reference.py <dir with x.npy, y.npy, px.npy, py.npy> <runs> <threads>
"""
import json
import os
import sys
import time

os.environ.setdefault('OPENBLAS_NUM_THREADS', sys.argv[3] if len(sys.argv) > 3 else '2')

import numpy as np  # noqa: E402
from scipy.linalg import solve_triangular  # noqa: E402
from scipy.spatial.distance import pdist  # noqa: E402
from scipy.stats import spearmanr  # noqa: E402


def linear_cka(x, y):
    """Kornblith et al.'s feature_space_linear_cka."""
    x = x - x.mean(0, keepdims=True)
    y = y - y.mean(0, keepdims=True)
    xty = np.linalg.norm(x.T.dot(y)) ** 2
    return xty / (np.linalg.norm(x.T.dot(x)) * np.linalg.norm(y.T.dot(y)))


def cca(x, y):
    """Canonical correlations and unit-variance weights, the outputs of our `cca`: QR of the centred
    matrices, SVD of Qxᵀ Qy, weights R⁻¹ U · √(n − 1) (the variates X̄ R⁻¹ u = Qx u have norm 1)."""
    qx, rx = np.linalg.qr(x - x.mean(0))
    qy, ry = np.linalg.qr(y - y.mean(0))
    u, rho, vt = np.linalg.svd(qx.T @ qy)
    scale = np.sqrt(x.shape[0] - 1)
    return rho, solve_triangular(rx, u) * scale, solve_triangular(ry, vt.T) * scale


def rsa(a, b):
    return spearmanr(pdist(a, 'correlation'), pdist(b, 'correlation'))[0]


def timed(task, runs):
    task()
    times, value = [], None
    for _ in range(runs):
        start = time.perf_counter()
        value = task()
        times.append((time.perf_counter() - start) * 1000)
    return times, value


folder, runs = sys.argv[1], int(sys.argv[2])
x, y = np.load(os.path.join(folder, 'x.npy')), np.load(os.path.join(folder, 'y.npy'))
px, py = np.load(os.path.join(folder, 'px.npy')), np.load(os.path.join(folder, 'py.npy'))
cka_ms, cka_value = timed(lambda: linear_cka(x, y), runs)
cca_ms, (cca_value, cca_wx, _) = timed(lambda: cca(x, y), runs)
rsa_ms, rsa_value = timed(lambda: rsa(px, py), runs)
print(json.dumps({
    'cka_ms': cka_ms, 'cka': float(cka_value),
    'cca_ms': cca_ms, 'cca_mean': float(np.mean(cca_value)), 'cca_first': float(cca_value[0]),
    'cca_weight_norm': float(np.linalg.norm(cca_wx[:, 0])),
    'rsa_ms': rsa_ms, 'rsa': float(rsa_value),
}))
