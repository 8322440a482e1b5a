"""Reference values for @mechint/alignment, computed independently with numpy / scipy.

Writes packages/alignment/test/fixtures/reference.npz: the inputs (float64) and every value the
tests compare against. Definitions are written out here from the papers and scipy, not ported
from the TypeScript code:

- CCA: QR of the centred matrices, SVD of Qxᵀ Qy (Björck & Golub 1973); weights scaled to unit
  variance with n − 1. Ridge CCA: eigh-based inverse square roots of Cxx + λI, Cyy + λI.
- SVCCA (Raghu et al. 2017): SVD of the centred matrices, the fewest directions explaining ≥ 99 %
  of the variance (squared singular values), then QR-based CCA; the mean correlation.
- PWCCA (Morcos et al. 2018): canonical variates h_i of X (unit norm), α_i ∝ Σ_j |⟨h_i, x_j⟩|.
- CKA (Kornblith et al. 2019): `gram_linear`, `gram_rbf`, `center_gram`, `cka` as in their
  notebook, Gram form throughout (the TypeScript side also has a feature-space path).
- Minibatch CKA (Nguyen et al. 2021): HSIC_1 from its U-statistic formula on each batch's Gram matrix.
- RDMs: scipy.spatial.distance.pdist; crossnobis by explicit loops over condition pairs and run pairs.
- RSA: scipy.stats.spearmanr / pearsonr, Kendall's τ-a by the O(N²) definition, cosine.
- Procrustes: scipy.spatial.procrustes and scipy.linalg.orthogonal_procrustes.
- Shape metrics (Williams et al. 2021): arccos of the nuclear norm after partial whitening.

Run: /usr/bin/python3 tools/alignment/make_reference.py
"""
import os

import numpy as np
from scipy.linalg import orthogonal_procrustes
from scipy.spatial import procrustes
from scipy.spatial.distance import pdist
from scipy.stats import pearsonr, spearmanr

rng = np.random.default_rng(20240610)
out = {}


def qr_cca(x, y):
    n = x.shape[0]
    xc, yc = x - x.mean(0), y - y.mean(0)
    qx, rx = np.linalg.qr(xc)
    qy, ry = np.linalg.qr(yc)
    u, s, vt = np.linalg.svd(qx.T @ qy)
    k = min(x.shape[1], y.shape[1])
    wx = np.linalg.solve(rx, u[:, :k]) * np.sqrt(n - 1)
    wy = np.linalg.solve(ry, vt.T[:, :k]) * np.sqrt(n - 1)
    return s[:k], wx, wy, qx @ u[:, :k]


def inv_sqrt(c):
    w, v = np.linalg.eigh(c)
    return v @ np.diag(w ** -0.5) @ v.T


def ridge_cca(x, y, lam):
    n = x.shape[0]
    xc, yc = x - x.mean(0), y - y.mean(0)
    cxx = xc.T @ xc / (n - 1) + lam * np.eye(x.shape[1])
    cyy = yc.T @ yc / (n - 1) + lam * np.eye(y.shape[1])
    m = inv_sqrt(cxx) @ (xc.T @ yc / (n - 1)) @ inv_sqrt(cyy)
    return np.linalg.svd(m, compute_uv=False)[: min(x.shape[1], y.shape[1])]


# --- CCA / PWCCA ---------------------------------------------------------------------------
n = 80
cca_x = rng.standard_normal((n, 6)) @ rng.standard_normal((6, 6)) + 3.0
cca_y = np.hstack([cca_x[:, :3] @ rng.standard_normal((3, 3)), rng.standard_normal((n, 2))]) + 0.5 * rng.standard_normal((n, 5))
rho, wx, wy, hx = qr_cca(cca_x, cca_y)
out.update(cca_x=cca_x, cca_y=cca_y, cca_rho=rho, cca_wx=wx, cca_wy=wy)
out['cca_rho_ridge'] = ridge_cca(cca_x, cca_y, 0.1)
rho_yx, _, _, _ = qr_cca(cca_y, cca_x)
out['cca_rho_yx'] = rho_yx


def pwcca(x, y):
    rho, _, _, h = qr_cca(x, y)
    xc = x - x.mean(0)
    alpha = np.abs(h.T @ xc).sum(1)
    alpha = alpha / alpha.sum()
    return float(alpha @ rho)


out['pwcca_xy'] = pwcca(cca_x, cca_y)
out['pwcca_yx'] = pwcca(cca_y, cca_x)

# --- SVCCA ---------------------------------------------------------------------------------
def reduce_svd(x, keep):
    xc = x - x.mean(0)
    u, s, vt = np.linalg.svd(xc, full_matrices=False)
    var = s ** 2
    k = int(np.searchsorted(np.cumsum(var) / var.sum(), keep) + 1)
    return xc @ vt[:k].T, k


def svcca(x, y, keep=0.99):
    xr, kx = reduce_svd(x, keep)
    yr, ky = reduce_svd(y, keep)
    rho, _, _, _ = qr_cca(xr, yr)
    return float(rho.mean()), kx, ky


latent = rng.standard_normal((50, 4))
sv_x = latent @ rng.standard_normal((4, 20)) + 0.05 * rng.standard_normal((50, 20))
sv_y = latent[:, :3] @ rng.standard_normal((3, 15)) + 0.05 * rng.standard_normal((50, 15))
mean, kx, ky = svcca(sv_x, sv_y)
out.update(svcca_x=sv_x, svcca_y=sv_y, svcca_mean=mean, svcca_kept=np.array([kx, ky], dtype=np.float64))
mean9, kx9, ky9 = svcca(sv_x, sv_y, 0.9)
out.update(svcca_mean_09=mean9, svcca_kept_09=np.array([kx9, ky9], dtype=np.float64))

# --- CKA (Kornblith et al. 2019, Gram form) ------------------------------------------------
def gram_linear(x):
    return x.dot(x.T)


def gram_rbf(x, threshold=1.0):
    dot_products = x.dot(x.T)
    sq_norms = np.diag(dot_products)
    sq_distances = -2 * dot_products + sq_norms[:, None] + sq_norms[None, :]
    sq_median_distance = np.median(sq_distances)
    return np.exp(-sq_distances / (2 * threshold ** 2 * sq_median_distance))


def center_gram(gram, unbiased=False):
    gram = gram.copy()
    if unbiased:
        m = gram.shape[0]
        np.fill_diagonal(gram, 0)
        means = np.sum(gram, 0, dtype=np.float64) / (m - 2)
        means -= np.sum(means) / (2 * (m - 1))
        gram -= means[:, None]
        gram -= means[None, :]
        np.fill_diagonal(gram, 0)
    else:
        means = np.mean(gram, 0, dtype=np.float64)
        means -= np.mean(means) / 2
        gram -= means[:, None]
        gram -= means[None, :]
    return gram


def cka(gx, gy, debiased=False):
    gx = center_gram(gx, unbiased=debiased)
    gy = center_gram(gy, unbiased=debiased)
    return float(gx.ravel().dot(gy.ravel()) / (np.linalg.norm(gx) * np.linalg.norm(gy)))


tall_x = rng.standard_normal((60, 10))
tall_y = np.tanh(tall_x @ rng.standard_normal((10, 8))) + 0.3 * rng.standard_normal((60, 8))
wide_x = rng.standard_normal((20, 50))
wide_y = wide_x[:, :40] * 2 + rng.standard_normal((20, 40))
out.update(cka_tall_x=tall_x, cka_tall_y=tall_y, cka_wide_x=wide_x, cka_wide_y=wide_y)
for name, (x, y) in {'tall': (tall_x, tall_y), 'wide': (wide_x, wide_y)}.items():
    out[f'cka_{name}_linear'] = cka(gram_linear(x), gram_linear(y))
    out[f'cka_{name}_linear_debiased'] = cka(gram_linear(x), gram_linear(y), True)
    out[f'cka_{name}_rbf'] = cka(gram_rbf(x), gram_rbf(y))
    out[f'cka_{name}_rbf_05'] = cka(gram_rbf(x, 0.5), gram_rbf(y, 0.5))
    out[f'cka_{name}_rbf_debiased'] = cka(gram_rbf(x), gram_rbf(y), True)
# An odd number of samples: np.median of an odd count is its middle element.
out['cka_odd_rbf'] = cka(gram_rbf(tall_x[:21]), gram_rbf(tall_y[:21]))
# Unrelated small samples: the debiased estimate goes negative.
neg_x = rng.standard_normal((8, 3))
neg_y = rng.standard_normal((8, 3))
out.update(cka_neg_x=neg_x, cka_neg_y=neg_y, cka_neg_debiased=cka(gram_linear(neg_x), gram_linear(neg_y), True))


def hsic1(k, l):
    m = k.shape[0]
    k, l = k.copy(), l.copy()
    np.fill_diagonal(k, 0)
    np.fill_diagonal(l, 0)
    one = np.ones(m)
    return (np.trace(k @ l) + (one @ k @ one) * (one @ l @ one) / ((m - 1) * (m - 2)) - 2 / (m - 2) * (one @ k @ l @ one)) / (m * (m - 3))


batches = [(tall_x[i:i + 20], tall_y[i:i + 20]) for i in range(0, 60, 20)]
xy = sum(hsic1(gram_linear(a), gram_linear(b)) for a, b in batches)
xx = sum(hsic1(gram_linear(a), gram_linear(a)) for a, _ in batches)
yy = sum(hsic1(gram_linear(b), gram_linear(b)) for _, b in batches)
out['cka_minibatch'] = float(xy / np.sqrt(xx * yy))

# --- RDMs and RSA --------------------------------------------------------------------------
pat_a = rng.standard_normal((12, 7))
pat_b = pat_a @ rng.standard_normal((7, 9)) + rng.standard_normal((12, 9))
out.update(rdm_a=pat_a, rdm_b=pat_b)
for metric in ['correlation', 'cosine', 'euclidean', 'sqeuclidean']:
    out[f'rdm_{metric}'] = pdist(pat_a, metric)
out['rdm_euclidean_per_channel'] = pdist(pat_a, 'sqeuclidean') / pat_a.shape[1]
va, vb = pdist(pat_a, 'correlation'), pdist(pat_b, 'correlation')
out['rsa_spearman'] = spearmanr(va, vb)[0]
out['rsa_pearson'] = pearsonr(va, vb)[0]
out['rsa_cosine'] = float(va @ vb / np.linalg.norm(va) / np.linalg.norm(vb))


def tau_a(u, v):
    s = 0.0
    for i in range(len(u)):
        for j in range(i + 1, len(u)):
            s += np.sign(u[i] - u[j]) * np.sign(v[i] - v[j])
    return s / (len(u) * (len(u) - 1) / 2)


out['rsa_tau_a'] = tau_a(va, vb)
ta, tb = np.round(va * 4) / 4, np.round(vb * 3) / 3  # heavy ties
out.update(rsa_tied_a=ta, rsa_tied_b=tb, rsa_tied_tau_a=tau_a(ta, tb), rsa_tied_spearman=spearmanr(ta, tb)[0])

# Crossnobis: 4 conditions × 3 runs × 2 repetitions, 5 channels, a random precision matrix.
c, runs, reps, p = 4, 3, 2, 5
cond_means = rng.standard_normal((c, p))
rows, cond_labels, run_labels = [], [], []
for r in range(runs):
    for k in range(c):
        for _ in range(reps):
            rows.append(cond_means[k] + 0.5 * rng.standard_normal(p))
            cond_labels.append(k)
            run_labels.append(r)
cn_x = np.array(rows)
a = rng.standard_normal((p, p))
precision = a @ a.T / p + np.eye(p)
cond_labels, run_labels = np.array(cond_labels), np.array(run_labels)
mu = np.array([[cn_x[(cond_labels == k) & (run_labels == r)].mean(0) for k in range(c)] for r in range(runs)])
cn = []
for i in range(c):
    for j in range(i + 1, c):
        vals = [(mu[r1, i] - mu[r1, j]) @ precision @ (mu[r2, i] - mu[r2, j]) / p for r1 in range(runs) for r2 in range(r1 + 1, runs)]
        cn.append(np.mean(vals))
out.update(cn_x=cn_x, cn_conditions=cond_labels.astype(np.float64), cn_runs=run_labels.astype(np.float64), cn_precision=precision, cn_rdm=np.array(cn))

# --- Procrustes and shape metrics ----------------------------------------------------------
pr_x = rng.standard_normal((30, 4))
q, _ = np.linalg.qr(rng.standard_normal((4, 4)))
pr_y = 2.5 * pr_x @ q + 0.3 * rng.standard_normal((30, 4)) + 1.0
m1, m2, disparity = procrustes(pr_x, pr_y)
out.update(pr_x=pr_x, pr_y=pr_y, pr_disparity=disparity, pr_mtx2=m2)
x_hat = (pr_x - pr_x.mean(0)) / np.linalg.norm(pr_x - pr_x.mean(0))
y_hat = (pr_y - pr_y.mean(0)) / np.linalg.norm(pr_y - pr_y.mean(0))
r, s = orthogonal_procrustes(x_hat, y_hat)
out['pr_scale'] = s
out['pr_disparity_noscale'] = np.sum((x_hat - y_hat @ r.T) ** 2)
# No reflections: Kabsch's sign correction.
u, w, vt = np.linalg.svd(x_hat.T @ y_hat)
d = np.sign(np.linalg.det(u @ vt))
w_fixed = w.copy()
w_fixed[-1] *= d
out['pr_scale_proper'] = w_fixed.sum()
out['pr_disparity_proper'] = 1 - w_fixed.sum() ** 2
# A reflected copy: with reflections allowed it aligns perfectly; without, it cannot.
pr_reflected = pr_x * np.array([1, 1, 1, -1])
u, w, vt = np.linalg.svd(x_hat.T @ ((pr_reflected - pr_reflected.mean(0)) / np.linalg.norm(pr_reflected - pr_reflected.mean(0))))
wf = w.copy()
wf[-1] *= np.sign(np.linalg.det(u @ vt))
out['pr_reflected_disparity_proper'] = 1 - wf.sum() ** 2
# Different widths: zero-pad the narrower one, which scipy requires to match shapes.
pr_narrow = pr_y[:, :3]
out['pr_narrow_disparity'] = procrustes(pr_x, np.hstack([pr_narrow, np.zeros((30, 1))]))[2]


def partial_whiten(x, alpha):
    xc = x - x.mean(0)
    lam, v = np.linalg.eigh(xc.T @ xc / x.shape[0])
    z = alpha * np.eye(x.shape[1]) + (1 - alpha) * v @ np.diag(lam ** -0.5) @ v.T
    return xc @ z


def shape_angle(x, y, alpha):
    fx, fy = partial_whiten(x, alpha), partial_whiten(y, alpha)
    nuc = np.linalg.svd(fx.T @ fy, compute_uv=False).sum()
    return float(np.arccos(min(1.0, nuc / (np.linalg.norm(fx) * np.linalg.norm(fy)))))


for alpha in (1.0, 0.5, 0.0):
    out[f'shape_{str(alpha).replace(".", "")}'] = shape_angle(pr_x, pr_y, alpha)
out['shape_cca_mean'] = float(qr_cca(pr_x, pr_y)[0].mean())

path = os.path.join(os.path.dirname(__file__), '../../packages/alignment/test/fixtures/reference.npz')
np.savez(path, **{k: np.asarray(v, dtype=np.float64) for k, v in out.items()})
print(f'wrote {len(out)} arrays to {os.path.normpath(path)}')
