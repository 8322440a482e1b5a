"""Torch reference for the @mechint/sae benchmark: a TopK SAE training loop as SAELens runs it.

Usage: bench_reference.py DATA_NPY INIT_NPZ K BATCH STEPS_PER_RUN RUNS THREADS LR

DATA_NPY: activations [n, d_in] (float32), written by bench/src/sae.ts from a seeded generator.
INIT_NPZ: the initial W_enc [d_in, d_sae], b_enc, W_dec [d_sae, d_in], b_dec of the TypeScript SAE.
Each training step, as SAELens's TopK training SAE: pre = (x - b_dec) @ W_enc + b_enc; the k largest
pre-activations per row, ReLU'd, scattered into a dense [batch, d_sae] code; x_hat = code @ W_dec +
b_dec; loss = sum over d_in of (x_hat - x)^2, mean over the batch; backward; torch.optim.Adam
(betas 0.9, 0.999, eps 1e-8); decoder rows renormalised to unit norm; per-latent firing counts for
dead-feature tracking. Batches walk the data in order, wrapping around.
torch.set_num_threads(THREADS); one warm-up run, then RUNS timed runs of STEPS_PER_RUN steps.
Prints one JSON line: {"tool": "torch", "ms": [...], "peakMiB": ..., "loss": last loss}.
"""

import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench-models"))
from timing import peak_rss_mib, time_ms  # noqa: E402


def main():
    data_path, init_path = sys.argv[1], sys.argv[2]
    k, batch, steps, runs, threads = (int(v) for v in sys.argv[3:8])
    lr = float(sys.argv[8])
    torch.set_num_threads(threads)
    data = torch.from_numpy(np.load(data_path))
    init = np.load(init_path)
    W_enc = torch.nn.Parameter(torch.from_numpy(init["W_enc"].copy()))
    b_enc = torch.nn.Parameter(torch.from_numpy(init["b_enc"].copy()))
    W_dec = torch.nn.Parameter(torch.from_numpy(init["W_dec"].copy()))
    b_dec = torch.nn.Parameter(torch.from_numpy(init["b_dec"].copy()))
    opt = torch.optim.Adam([W_enc, b_enc, W_dec, b_dec], lr=lr, betas=(0.9, 0.999), eps=1e-8)
    n = data.shape[0]
    since_fired = torch.zeros(W_dec.shape[0])
    position = [0]
    last = [0.0]

    def step():
        start = position[0]
        idx = torch.arange(start, start + batch) % n
        position[0] = (start + batch) % n
        x = data[idx]
        pre = (x - b_dec) @ W_enc + b_enc
        vals, top = pre.topk(k, dim=-1)
        code = torch.zeros_like(pre).scatter(-1, top, torch.relu(vals))
        x_hat = code @ W_dec + b_dec
        loss = (x_hat - x).pow(2).sum(dim=-1).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        with torch.no_grad():
            W_dec.div_(W_dec.norm(dim=1, keepdim=True))
            fired = (code > 0).sum(dim=0)
            since_fired.add_(1).masked_fill_(fired > 0, 0)
        last[0] = float(loss)

    def run():
        for _ in range(steps):
            step()

    times = time_ms(run, runs)
    peak = peak_rss_mib()
    print(json.dumps({"tool": "torch", "ms": times, "peakMiB": peak, "loss": last[0]}))


if __name__ == "__main__":
    main()
