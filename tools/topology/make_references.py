#!/usr/bin/python3
"""Reference outputs for @mechint/topology's tests, computed with GUDHI, numpy and scipy.

Run with Debian's python3 (apt-get install -y python3-gudhi python3-scipy):

    /usr/bin/python3 tools/topology/make_references.py

It writes packages/topology/test/fixtures/references.json: the point clouds and distance matrices
(seeded), their Vietoris-Rips persistence diagrams from GUDHI (float64 distances, zero-length pairs
left out, essential deaths as null), bottleneck distances from gudhi.bottleneck_distance,
Wasserstein distances from scipy.optimize.linear_sum_assignment on the augmented cost matrix,
persistence images integrated with scipy.stats.norm.cdf, and TwoNN / Levina-Bickel MLE /
participation-ratio estimates written out in numpy.
"""
import json
import os
import sys

import gudhi
import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist
from scipy.stats import norm

OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'packages', 'topology', 'test', 'fixtures', 'references.json')


def finite_or_none(x):
    return None if np.isinf(x) else float(x)


def rips_diagrams(max_dim, threshold, field, points=None, distance_matrix=None):
    """GUDHI's Vietoris-Rips diagrams by dimension, sorted by (birth, death)."""
    edge = float('inf') if threshold is None else threshold
    if points is not None:
        rips = gudhi.RipsComplex(points=points, max_edge_length=edge)
    else:
        rips = gudhi.RipsComplex(distance_matrix=distance_matrix, max_edge_length=edge)
    tree = rips.create_simplex_tree(max_dimension=max_dim + 1)
    tree.compute_persistence(homology_coeff_field=field, min_persistence=0)
    out = []
    for d in range(max_dim + 1):
        pairs = sorted((float(b), float(e)) for b, e in tree.persistence_intervals_in_dimension(d))
        out.append([[b, finite_or_none(e)] for b, e in pairs])
    return out


def noisy_circle(rng, n, noise):
    t = rng.uniform(0, 2 * np.pi, n)
    return np.stack([np.cos(t), np.sin(t)], axis=1) + rng.normal(0, noise, (n, 2))


def torus(rng, major, minor, R, r, jitter):
    u, v = np.meshgrid(np.arange(major) * 2 * np.pi / major, np.arange(minor) * 2 * np.pi / minor, indexing='ij')
    u = u.ravel() + rng.uniform(-jitter, jitter, u.size)
    v = v.ravel() + rng.uniform(-jitter, jitter, v.size)
    return np.stack([(R + r * np.cos(v)) * np.cos(u), (R + r * np.cos(v)) * np.sin(u), r * np.sin(v)], axis=1)


def sphere(rng, n, dim=3):
    x = rng.normal(size=(n, dim))
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def projective_plane_distances(rng, n):
    """Geodesic distances on RP^2 = S^2 / ±1: min of the angle to x and to -x."""
    x = sphere(rng, n)
    angle = np.arccos(np.clip(np.abs(x @ x.T), 0, 1))
    np.fill_diagonal(angle, 0)
    return np.minimum(angle, angle.T)


def rips_case(name, max_dim, threshold, field=2, points=None, distance_matrix=None):
    case = {'name': name, 'maxDim': max_dim, 'threshold': threshold, 'field': field}
    if points is not None:
        case['points'] = points.tolist()
    else:
        case['distanceMatrix'] = distance_matrix.tolist()
    case['diagrams'] = rips_diagrams(max_dim, threshold, field, points=points, distance_matrix=distance_matrix)
    print(name, [len(d) for d in case['diagrams']], file=sys.stderr)
    return case


def to_array(diagram):
    return np.array([[b, np.inf if d is None else d] for b, d in diagram], dtype=float).reshape(-1, 2)


def wasserstein(a, b, p):
    """Wasserstein-p between diagrams (L-infinity ground metric), essential classes matched by sorted births."""
    fa, fb = a[np.isfinite(a[:, 1])], b[np.isfinite(b[:, 1])]
    ea, eb = np.sort(a[~np.isfinite(a[:, 1]), 0]), np.sort(b[~np.isfinite(b[:, 1]), 0])
    if len(ea) != len(eb):
        return None
    n, m = len(fa), len(fb)
    big = np.zeros((n + m, n + m))
    big[:n, :m] = cdist(fa, fb, metric='chebyshev') ** p
    big[:n, m:] = np.inf
    big[n:, :m] = np.inf
    for i in range(n):
        big[i, m + i] = ((fa[i, 1] - fa[i, 0]) / 2) ** p
    for j in range(m):
        big[n + j, j] = ((fb[j, 1] - fb[j, 0]) / 2) ** p
    big[np.isinf(big)] = 1e300
    rows, cols = linear_sum_assignment(big)
    total = big[rows, cols].sum() + np.sum(np.abs(ea - eb) ** p)
    return float(total ** (1 / p))


def bottleneck(a, b):
    fa, fb = a[np.isfinite(a[:, 1])], b[np.isfinite(b[:, 1])]
    ea, eb = np.sort(a[~np.isfinite(a[:, 1]), 0]), np.sort(b[~np.isfinite(b[:, 1]), 0])
    if len(ea) != len(eb):
        return None
    essential = float(np.max(np.abs(ea - eb))) if len(ea) else 0.0
    return max(float(gudhi.bottleneck_distance(fa, fb, 0)), essential)


def random_diagram(rng, n, essential=0):
    births = rng.uniform(0, 1, n)
    deaths = births + rng.exponential(0.3, n)
    pairs = [[float(b), float(d)] for b, d in zip(births, deaths)]
    pairs += [[float(b), None] for b in rng.uniform(0, 1, essential)]
    return pairs


def persistence_image(diagram, birth_range, pers_range, pixel_size, sigma, n):
    """persim's PersistenceImager, written out: weight persistence^n, Gaussian pixel integrals."""
    a = to_array(diagram)
    a = a[np.isfinite(a[:, 1])]
    births, pers = a[:, 0], a[:, 1] - a[:, 0]
    bx = np.arange(birth_range[0], birth_range[1] + 1e-12, pixel_size)
    py = np.arange(pers_range[0], pers_range[1] + 1e-12, pixel_size)
    image = np.zeros((len(py) - 1, len(bx) - 1))
    for b, p in zip(births, pers):
        w = p ** n
        cx = norm.cdf(bx, loc=b, scale=sigma)
        cy = norm.cdf(py, loc=p, scale=sigma)
        image += w * np.outer(np.diff(cy), np.diff(cx))
    return image


def two_nn(x, discard_fraction=0.1):
    """TwoNN as in scikit-dimension: least squares through the origin of -log(1 - F(mu)) on log(mu)."""
    d = cdist(x, x)
    np.fill_diagonal(d, np.inf)
    r = np.sort(d, axis=1)[:, :2]
    mu = np.sort(r[:, 1] / r[:, 0])
    n = len(mu)
    keep = int(np.floor(n * (1 - discard_fraction)))
    f = np.arange(1, n + 1) / n
    xs, ys = np.log(mu[:keep]), -np.log(1 - f[:keep])
    return float(np.dot(xs, ys) / np.dot(xs, xs)), float(n / np.sum(np.log(mu)))


def mle(x, k):
    """Levina-Bickel: per-point inverse mean log ratio of the k-th to the j-th neighbour distance, averaged."""
    d = cdist(x, x)
    np.fill_diagonal(d, np.inf)
    t = np.sort(d, axis=1)[:, :k]
    per_point = (k - 1) / np.sum(np.log(t[:, k - 1:k] / t[:, :k - 1]), axis=1)
    inverse = 1 / np.mean(1 / per_point)
    return float(np.mean(per_point)), float(inverse)


def participation_ratio(x):
    lam = np.linalg.eigvalsh(np.cov(x, rowvar=False))
    return float(lam.sum() ** 2 / (lam ** 2).sum())


def main():
    rng = np.random.default_rng(20240611)
    cases = [
        rips_case('noisy circle', 1, None, points=noisy_circle(rng, 80, 0.05)),
        rips_case('cube cloud', 2, None, points=rng.uniform(0, 1, (60, 3))),
        rips_case('torus', 2, 0.8, points=torus(rng, 36, 14, 1.5, 0.6, 0.03)),
        rips_case('sphere', 2, 1.0, points=sphere(rng, 250)),
        rips_case('three-sphere cloud', 3, 0.9, points=sphere(rng, 60, 4)),
        rips_case('cross-polytope in R^4', 3, None, points=np.concatenate([np.eye(4), -np.eye(4)])),
    ]
    rp2 = projective_plane_distances(rng, 70)
    cases.append(rips_case('projective plane, Z/2', 2, 1.0, field=2, distance_matrix=rp2))
    cases.append(rips_case('projective plane, Z/3', 2, 1.0, field=3, distance_matrix=rp2))

    pairs = []
    for i in range(6):
        a = random_diagram(rng, 8 + 3 * i, essential=i % 2)
        b = random_diagram(rng, 5 + 4 * i, essential=i % 2)
        aa, bb = to_array(a), to_array(b)
        pairs.append({'a': a, 'b': b, 'bottleneck': bottleneck(aa, bb), 'wasserstein1': wasserstein(aa, bb, 1), 'wasserstein2': wasserstein(aa, bb, 2)})

    image_diagram = random_diagram(rng, 12)
    image = {'diagram': image_diagram, 'birthRange': [0, 1], 'persistenceRange': [0, 1], 'pixelSize': 0.2, 'sigma': 0.1, 'n': 1,
             'image': persistence_image(image_diagram, (0, 1), (0, 1), 0.2, 0.1, 1).tolist()}

    plane = np.zeros((1000, 5))
    plane[:, :2] = rng.uniform(0, 1, (1000, 2))
    rotation, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    plane = plane @ rotation.T
    ball3 = rng.uniform(-1, 1, (1000, 3))
    dims = []
    for name, x in [('2-plane in R^5', plane), ('3-cube', ball3)]:
        fit, two_mle = two_nn(x)
        mle_direct, mle_inverse = mle(x, 20)
        dims.append({'name': name, 'points': x.tolist(), 'twoNN': fit, 'twoNNMle': two_mle, 'mle20': mle_direct, 'mle20Inverse': mle_inverse,
                     'participationRatio': participation_ratio(x)})

    with open(OUT, 'w') as f:
        json.dump({'generator': 'tools/topology/make_references.py', 'gudhi': gudhi.__version__, 'numpy': np.__version__,
                   'rips': cases, 'distances': pairs, 'image': image, 'dimension': dims}, f, separators=(',', ':'), allow_nan=False)
    print('wrote', OUT, file=sys.stderr)


if __name__ == '__main__':
    main()
