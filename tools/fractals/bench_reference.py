"""Vectorised numpy baselines for the fractals benchmark (bench/src/fractals.ts).

The same definitions as @mechint/fractals (antropy's Higuchi, nolds's DFA, Kantelhardt's MFDFA),
batched over signals with numpy broadcasting, on Debian's python3-numpy. Reads a float64 `.npy`
batch [batch, n] and prints one JSON line of timings in milliseconds (and the results' means, so
the TypeScript side can check that both computed the same thing):

    /usr/bin/python3 tools/fractals/bench_reference.py batch.npy RUNS
"""
import json
import sys
import time

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from reference import logarithmic_n  # nolds's scale grid, as the reference values use


def higuchi(x, kmax=10):
    b, n = x.shape
    logl = np.empty((b, kmax))
    for k in range(1, kmax + 1):
        # antropy's mean over m of L_m(k), all m at once: a weighted sum of |x[i + k] - x[i]|
        i = np.arange(n - k)
        w = (n - 1) / (k ** 3 * ((n - (i % k) - 1) // k))
        logl[:, k - 1] = np.log(np.abs(x[:, k:] - x[:, :-k]) @ w)
    lx = np.log(1.0 / np.arange(1, kmax + 1))
    c = (lx - lx.mean()) / ((lx - lx.mean()) ** 2).sum()
    return logl @ c


def basis(s, order):
    t = np.arange(s, dtype=np.float64)
    q, _ = np.linalg.qr(np.vander((t - t.mean()) / max(t.mean(), 1), order + 1))
    return q


def fit_slopes(scales, f):
    lx = np.log(np.asarray(scales, dtype=np.float64))
    c = (lx - lx.mean()) / ((lx - lx.mean()) ** 2).sum()
    return np.log(f) @ c


def dfa(x, order=1):
    b, n = x.shape
    scales = logarithmic_n(4, 0.1 * n, 1.2)
    y = np.cumsum(x - x.mean(axis=1, keepdims=True), axis=1)
    f = np.empty((b, len(scales)))
    for j, s in enumerate(scales):
        step = s // 2
        starts = np.arange(0, n - s, step)
        win = sliding_window_view(y, s, axis=1)[:, starts]
        q = basis(s, order)
        r = win - (win @ q) @ q.T
        f[:, j] = np.sqrt(np.mean(r * r, axis=(1, 2)))
    return fit_slopes(scales, f)


def mfdfa(x, q=np.arange(-5, 6, dtype=np.float64), order=1):
    b, n = x.shape
    hi = n // 4
    scales = sorted(set(int(round(10 * (hi / 10) ** (i / 19))) for i in range(20)))
    y = np.cumsum(x - x.mean(axis=1, keepdims=True), axis=1)
    fq = np.empty((b, len(scales), len(q)))
    for j, s in enumerate(scales):
        ns = n // s
        segs = np.concatenate([y[:, :ns * s].reshape(b, ns, s), y[:, n - ns * s:].reshape(b, ns, s)], axis=1)
        qb = basis(s, order)
        r = segs - (segs @ qb) @ qb.T
        f2 = np.mean(r * r, axis=2)
        for k, qq in enumerate(q):
            if qq == 0:
                fq[:, j, k] = np.exp(0.5 * np.mean(np.log(f2), axis=1))
            else:
                fq[:, j, k] = np.mean(f2 ** (qq / 2), axis=1) ** (1 / qq)
    lx = np.log(np.asarray(scales, dtype=np.float64))
    c = (lx - lx.mean()) / ((lx - lx.mean()) ** 2).sum()
    return np.einsum("bsq,s->bq", np.log(fq), c)


def timed(fn, x, runs):
    fn(x)
    times = []
    out = None
    for _ in range(runs):
        t = time.perf_counter()
        out = fn(x)
        times.append((time.perf_counter() - t) * 1000)
    return times, out


def main():
    x = np.load(sys.argv[1])
    runs = int(sys.argv[2])
    h_ms, h = timed(higuchi, x, runs)
    d_ms, d = timed(dfa, x, runs)
    m_ms, m = timed(mfdfa, x, runs)
    print(json.dumps({
        "higuchi_ms": h_ms, "dfa_ms": d_ms, "mfdfa_ms": m_ms,
        "higuchi_mean": float(h.mean()), "dfa_mean": float(d.mean()), "mfdfa_h2_mean": float(m[:, 7].mean()),
    }))


if __name__ == "__main__":
    main()
