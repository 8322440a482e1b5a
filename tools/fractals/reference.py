"""Reference values for @mechint/fractals, written independently of the TypeScript code.

Plain numpy / scipy re-implementations of the definitions the package matches (antropy >= 0.2.1
for Higuchi / Katz / Petrosian, nolds >= 0.6 for DFA and Hurst R/S, Kantelhardt et al. 2002 /
the MFDFA package for MFDFA, scipy.signal for the spectra). Run with Debian's python3:

    /usr/bin/python3 tools/fractals/reference.py packages/fractals/test/fixtures

Writes `signals.npz` (the inputs, float64) and `reference.json` (every output, full precision).
"""
import json
import math
import sys
from pathlib import Path

import numpy as np
import scipy.signal


# --- antropy ---------------------------------------------------------------------------------

def higuchi_fd(x, kmax=10):
    """antropy._higuchi_fd with the sum over j = 1..n_max (antropy >= 0.2.1)."""
    x = np.asarray(x, dtype=np.float64)
    n = x.size
    lk = np.empty(kmax)
    x_reg = np.empty(kmax)
    for k in range(1, kmax + 1):
        lm = np.empty(k)
        for m in range(k):
            n_max = (n - m - 1) // k
            ll = 0.0
            for j in range(1, n_max + 1):
                ll += abs(x[m + j * k] - x[m + (j - 1) * k])
            ll /= k
            ll *= (n - 1) / (k * n_max)
            lm[m] = ll
        lk[k - 1] = lm.mean()
        x_reg[k - 1] = math.log(1.0 / k)
    slope, _ = np.polyfit(x_reg, np.log(lk), 1)
    return float(slope)


def katz_fd(x):
    """antropy.katz_fd."""
    x = np.asarray(x, dtype=np.float64)
    dists = np.abs(np.diff(x))
    ll = dists.sum()
    ln = np.log10(ll / dists.mean())
    d = np.max(np.abs(x - x[0]))
    return float(ln / (ln + np.log10(d / ll)))


def petrosian_fd(x):
    """antropy.petrosian_fd (sign changes of the first difference, via np.signbit)."""
    x = np.asarray(x, dtype=np.float64)
    n = x.size
    nzc = int(np.diff(np.signbit(np.diff(x))).sum())
    return float(np.log10(n) / (np.log10(n) + np.log10(n / (n + 0.4 * nzc))))


# --- nolds -----------------------------------------------------------------------------------

def logarithmic_n(min_n, max_n, factor):
    max_i = int(np.floor(np.log(1.0 * max_n / min_n) / np.log(factor)))
    ns = [min_n]
    for i in range(max_i + 1):
        n = int(np.floor(min_n * (factor ** i)))
        if n > ns[-1]:
            ns.append(n)
    return ns


def dfa(data, nvals=None, overlap=True, order=1):
    """nolds.dfa (>= 0.6: F(n) = sqrt(mean of per-window mean squared residuals)), fit_exp='poly'."""
    data = np.asarray(data, dtype=np.float64)
    total_n = len(data)
    if nvals is None:
        nvals = logarithmic_n(4, 0.1 * total_n, 1.2)
    walk = np.cumsum(data - np.mean(data))
    fluctuations = []
    for n in nvals:
        if overlap:
            d = np.array([walk[i:i + n] for i in range(0, len(walk) - n, n // 2)])
        else:
            d = walk[:total_n - (total_n % n)].reshape((total_n // n, n))
        x = np.arange(n)
        tpoly = [np.polyfit(x, d[i], order) for i in range(len(d))]
        trend = np.array([np.polyval(tpoly[i], x) for i in range(len(d))])
        flucs = np.sum((d - trend) ** 2, axis=1) / n
        fluctuations.append(np.sqrt(np.sum(flucs) / len(flucs)))
    fluctuations = np.array(fluctuations)
    poly = np.polyfit(np.log(nvals), np.log(fluctuations), 1)
    return {"alpha": float(poly[0]), "intercept": float(poly[1]), "scales": [int(n) for n in nvals], "fluctuations": fluctuations.tolist()}


def expected_rs(n):
    front = (n - 0.5) / n
    i = np.arange(1, n)
    back = np.sum(np.sqrt((n - i) / i))
    if n <= 340:
        middle = math.gamma((n - 1) * 0.5) / math.sqrt(math.pi) / math.gamma(n * 0.5)
    else:
        middle = 1.0 / math.sqrt(n * math.pi * 0.5)
    return front * middle * back


def rs(data, n, unbiased=True):
    total_n = len(data)
    m = total_n // n
    seqs = data[:total_n - (total_n % n)].reshape((m, n))
    y = np.cumsum(seqs - seqs.mean(axis=1, keepdims=True), axis=1)
    r = y.max(axis=1) - y.min(axis=1)
    s = np.std(seqs, axis=1, ddof=1 if unbiased else 0)
    keep = r != 0
    if not keep.any():
        return np.nan
    return float(np.mean(r[keep] / s[keep]))


def logmid_n(max_n, ratio=1 / 4.0, nsteps=15):
    ln = np.log(max_n)
    span = ln * ratio
    start = ln * (1 - ratio) * 0.5
    midrange = start + 1.0 * np.arange(nsteps) / nsteps * span
    return np.unique(np.round(np.exp(midrange)).astype("int32"))


def hurst_rs(data, nvals=None, corrected=True, unbiased=True):
    """nolds.hurst_rs with fit='poly'."""
    data = np.asarray(data, dtype=np.float64)
    if nvals is None:
        nvals = logmid_n(len(data))
    rsvals = np.array([rs(data, int(n), unbiased) for n in nvals])
    keep = ~np.isnan(rsvals)
    rsvals = rsvals[keep]
    nvals = np.asarray(nvals)[keep]
    xvals = np.log(nvals)
    yvals = np.log(rsvals)
    if corrected:
        yvals = yvals - np.log([expected_rs(int(n)) for n in nvals])
    poly = np.polyfit(xvals, yvals, 1)
    return {"h": float(poly[0] + 0.5 if corrected else poly[0]), "scales": [int(n) for n in nvals], "rs": rsvals.tolist()}


# --- spectra (scipy.signal) ------------------------------------------------------------------

def spectral_slope(x, fs=1.0, method="welch", f_range=None):
    x = np.asarray(x, dtype=np.float64)
    if method == "welch":
        freqs, power = scipy.signal.welch(x, fs=fs, nperseg=min(256, len(x)))
    else:
        freqs, power = scipy.signal.periodogram(x, fs=fs)
    if f_range is None:
        mask = (freqs > 0) & (freqs < fs / 2)
    else:
        mask = (freqs > 0) & (freqs >= f_range[0]) & (freqs <= f_range[1])
    slope, intercept = np.polyfit(np.log10(freqs[mask]), np.log10(power[mask]), 1)
    return {"beta": float(-slope), "intercept": float(intercept), "nfreqs": int(mask.sum()), "power_head": power[:5].tolist()}


# --- MFDFA (Kantelhardt et al. 2002) -------------------------------------------------------------

def mfdfa(x, scales, q, order=1):
    x = np.asarray(x, dtype=np.float64)
    n = len(x)
    y = np.cumsum(x - x.mean())
    q = np.asarray(q, dtype=np.float64)
    fq = np.empty((len(scales), len(q)))
    for si, s in enumerate(scales):
        ns = n // s
        t = np.arange(s)
        segs = np.concatenate([y[:ns * s].reshape(ns, s), y[n - ns * s:].reshape(ns, s)])
        f2 = np.empty(len(segs))
        for v, seg in enumerate(segs):
            p = np.polyfit(t, seg, order)
            f2[v] = np.mean((seg - np.polyval(p, t)) ** 2)
        for qi, qq in enumerate(q):
            if qq == 0:
                fq[si, qi] = np.exp(0.5 * np.mean(np.log(f2)))
            else:
                fq[si, qi] = np.mean(f2 ** (qq / 2)) ** (1 / qq)
    hq = np.array([np.polyfit(np.log(scales), np.log(fq[:, i]), 1)[0] for i in range(len(q))])
    tau = q * hq - 1
    alpha = np.gradient(tau, q)
    f = q * alpha - tau
    return {"hq": hq.tolist(), "tau": tau.tolist(), "alpha": alpha.tolist(), "f": f.tolist(), "fq": fq.tolist()}


def binomial_cascade(levels, a):
    k = np.arange(2 ** levels)
    ones = np.array([bin(i).count("1") for i in k])
    return a ** ones * (1 - a) ** (levels - ones)


# --- priors ----------------------------------------------------------------------------------

def periodogram_beta(x, f_range_bins):
    """Periodogram slope as the spectral prior defines it: mean removed, boxcar, bins lo..hi."""
    x = np.asarray(x, dtype=np.float64)
    n = len(x)
    spec = np.fft.rfft(x - x.mean())
    power = np.abs(spec) ** 2 / n
    lo, hi = f_range_bins
    k = np.arange(lo, hi + 1)
    slope = np.polyfit(np.log(k / n), np.log(power[k] + 1e-12), 1)[0]
    return float(-slope)


def main(out_dir):
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20260108)
    white = rng.standard_normal(2048)
    walk = np.cumsum(rng.standard_normal(2048))
    e = rng.standard_normal(1500)
    ar1 = np.empty(1500)
    ar1[0] = e[0]
    for i in range(1, 1500):
        ar1[i] = 0.7 * ar1[i - 1] + e[i]
    t = np.arange(1000)
    sine = np.sin(2 * np.pi * t / 50) + 0.5 * rng.standard_normal(1000)
    cascade = binomial_cascade(12, 0.75)
    signals = {"white": white, "walk": walk, "ar1": ar1, "sine": sine}
    np.savez(out / "signals.npz", **signals, cascade=cascade)

    mf_scales = [16, 23, 32, 45, 64, 91, 128, 181, 256, 362, 512]
    mf_q = [-4.0, -2.0, -1.0, 0.0, 1.0, 2.0, 4.0]
    ref = {}
    for name, x in signals.items():
        ref[name] = {
            "length": len(x),
            "higuchi": higuchi_fd(x),
            "higuchi_k5": higuchi_fd(x, 5),
            "katz": katz_fd(x),
            "petrosian": petrosian_fd(x),
            "dfa": dfa(x),
            "dfa_nonoverlap_order2": dfa(x, overlap=False, order=2),
            "dfa_scales": dfa(x, nvals=[8, 16, 32, 64, 128], overlap=True, order=1),
            "hurst": hurst_rs(x),
            "hurst_uncorrected": hurst_rs(x, corrected=False),
            "welch": spectral_slope(x, fs=100.0),
            "welch_range": spectral_slope(x, fs=100.0, f_range=[1.0, 20.0]),
            "periodogram": spectral_slope(x, fs=1.0, method="periodogram"),
            "mfdfa": mfdfa(x, [s for s in mf_scales if s <= len(x) // 4], mf_q, 1),
            "prior_beta": periodogram_beta(x[:512], (2, 100)),
            "prior_higuchi": higuchi_fd(x[:512]),
            "higuchi_1000": higuchi_fd(x[:1000]),
            "dfa_1000": dfa(x[:1000]),
            "dfa_1000_order2": dfa(x[:1000], nvals=[8, 16, 32, 64], overlap=False, order=2),
        }
    ref["cascade"] = {"mfdfa_order2": mfdfa(cascade, [s for s in mf_scales if s <= len(cascade) // 4], mf_q, 2), "scales": mf_scales, "q": mf_q}
    ref["expected_rs"] = {str(n): expected_rs(n) for n in [5, 10, 50, 340, 341, 1000]}
    ref["mfdfa_q"] = mf_q
    ref["mfdfa_scales"] = mf_scales
    (out / "reference.json").write_text(json.dumps(ref, indent=1) + "\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "packages/fractals/test/fixtures")
