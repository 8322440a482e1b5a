#!/usr/bin/python3
"""The PyTorch reference of bench/src/spiking.ts: a recurrent LIF network stepped in a Python loop.

Reads the network written by the benchmark (CSR by presynaptic neuron, external current), runs
the same update as @mechint/spiking's RecurrentLIFNetwork (Norse LIF with forward Euler,
current-based exponential synapses, W z_{t-1} through a sparse CSR matrix–vector product),
recording spikes and voltages, and prints one JSON line: per-run milliseconds, total spikes and
peak resident memory. MODE 'csr' propagates spikes with torch.sparse.mm on a CSR matrix (the
textbook loop; Debian's torch has no MKL, so its sparse kernels are the slow generic ones);
'event' adds the outgoing weights of the neurons that fired with index_add_ (the event-driven
algorithm @mechint uses, written in torch).

    /usr/bin/python3 tools/spiking/bench_reference.py NETWORK.npz RUNS THREADS MODE
"""
import json
import resource
import sys
import time

import numpy as np
import torch

path, runs, threads, mode = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
torch.set_num_threads(threads)
net = np.load(path)
offsets, targets, weights = net['offsets'], net['targets'], net['weights']
current = torch.from_numpy(net['current'])
n = int(offsets.shape[0] - 1)
steps, dt, tau, tau_s, threshold = int(net['steps']), float(net['dt']), float(net['tau']), float(net['tau_s']), 1.0
pre = np.repeat(np.arange(n), np.diff(offsets))
W = torch.sparse_coo_tensor(np.stack([targets, pre]).astype(np.int64), torch.from_numpy(weights), (n, n)).coalesce().to_sparse_csr()
offsets_t, targets_t, weights_t = torch.from_numpy(offsets.astype(np.int64)), torch.from_numpy(targets.astype(np.int64)), torch.from_numpy(weights)
decay, syn_decay = 1.0 - dt / tau, float(np.exp(-dt / tau_s))


def simulate():
    v = torch.zeros(n)
    syn = torch.zeros(n)
    z = torch.zeros(n, 1)
    spikes = torch.empty(steps, n)
    voltages = torch.empty(steps, n)
    with torch.no_grad():
        for t in range(steps):
            if mode == 'csr':
                syn = syn * syn_decay + torch.sparse.mm(W, z).squeeze(1)
            else:
                syn = syn * syn_decay
                fired_idx = z.squeeze(1).nonzero().squeeze(1).tolist()
                if fired_idx:
                    edges = torch.cat([torch.arange(int(offsets_t[j]), int(offsets_t[j + 1])) for j in fired_idx])
                    syn.index_add_(0, targets_t[edges], weights_t[edges])
            target = current + syn
            v = target + (v - target) * decay
            fired = v > threshold
            v = torch.where(fired, torch.zeros(()), v)
            z = fired.to(torch.float32).unsqueeze(1)
            spikes[t] = z.squeeze(1)
            voltages[t] = v
    return spikes


simulate()
times = []
for _ in range(runs):
    start = time.perf_counter()
    out = simulate()
    times.append((time.perf_counter() - start) * 1000)
print(json.dumps({'ms': times, 'spikes': int(out.sum().item()), 'peak_mib': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
