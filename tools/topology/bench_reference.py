#!/usr/bin/python3
"""GUDHI's Vietoris-Rips persistence on the benchmark's points, timed: the reference side of
bench/src/topology.ts.

    /usr/bin/python3 tools/topology/bench_reference.py POINTS.npy THRESHOLD MAX_DIM RUNS

Prints one JSON line: the wall time of each run in ms (RipsComplex + create_simplex_tree +
compute_persistence over Z/2, after one untimed warm-up), the number of pairs per dimension
(zero-length pairs left out) and this process's peak resident memory in MiB (getrusage).
"""
import json
import resource
import sys
import time

import gudhi
import numpy as np


def persistence(points, threshold, max_dim):
    rips = gudhi.RipsComplex(points=points, max_edge_length=threshold)
    tree = rips.create_simplex_tree(max_dimension=max_dim + 1)
    tree.compute_persistence(homology_coeff_field=2, min_persistence=0)
    return [len(tree.persistence_intervals_in_dimension(d)) for d in range(max_dim + 1)]


def main():
    path, threshold, max_dim, runs = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    points = np.load(path).astype(np.float64)
    pairs = persistence(points, threshold, max_dim)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        persistence(points, threshold, max_dim)
        times.append((time.perf_counter() - start) * 1000)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({'runs_ms': times, 'pairs': pairs, 'peak_mib': peak, 'gudhi': gudhi.__version__}))


if __name__ == '__main__':
    main()
