"""Torch reference for the @mechint/attribution benchmark: integrated gradients, 50 Gauss-Legendre steps.

Usage: bench_reference.py cnn RUNS THREADS
       bench_reference.py gpt2 MODEL_PT SEQ TOKEN RUNS THREADS

cnn:  the committed CNN fixture (weights from cnn.onnx), its 8 reference images, targets = their
      labels, baseline 0; all 50 steps of all 8 images as one batch of 400 (as Captum does with
      internal_batch_size=None): one forward, one backward of the summed target logits, then the
      weighted sum times (x - baseline).
gpt2: layer integrated gradients at blocks.0.hook_resid_pre of the GPT-2-small-shaped model
      (tools/bench-models/gpt2_small.py, state dict MODEL_PT), prompt [1, SEQ] from the same LCG as
      the TypeScript side, baseline tokens 0, target logit TOKEN at the last position: the
      activation at the input and at the baseline (one no-grad forward of both), then all 50
      interpolated activations as one batch, substituted by a forward hook, one backward.
torch.set_num_threads(THREADS); one warm-up run, then RUNS timed runs (time.perf_counter).
Prints one JSON line: {"tool": "torch", "ms": [...]}.
"""

import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tools", "bench-models"))
from timing import time_ms  # noqa: E402

STEPS = 50


def gauss_legendre():
    nodes, weights = np.polynomial.legendre.leggauss(STEPS)
    return torch.tensor(0.5 * (nodes + 1), dtype=torch.float32), torch.tensor(0.5 * weights, dtype=torch.float32)


def cnn_task():
    from reference import load_cnn

    model = load_cnn()
    ref = np.load(os.path.join(ROOT, "packages", "core", "test", "fixtures", "cnn.reference.npz"))
    x = torch.from_numpy(ref["input.images"])
    labels = torch.from_numpy(ref["input.labels"]).long()
    alphas, weights = gauss_legendre()
    b = x.shape[0]

    def run():
        points = (alphas.view(-1, 1, 1, 1, 1) * x.unsqueeze(0)).reshape(-1, *x.shape[1:]).requires_grad_(True)
        out = model(points).gather(1, labels.repeat(STEPS)[:, None]).sum()
        (g,) = torch.autograd.grad(out, points)
        return x * (weights.view(-1, 1, 1, 1, 1) * g.view(STEPS, b, *x.shape[1:])).sum(0)

    return run


def gpt2_task(weights_path, seq, token):
    import gpt2_small

    model = gpt2_small.build_model()
    model.load_state_dict(torch.load(weights_path))
    model.eval()
    seed = 1
    ids = []
    for _ in range(seq):
        seed = (seed * 48271) % 2147483647
        ids.append(seed % 50257)
    tokens = torch.tensor([ids], dtype=torch.long)
    baseline = torch.zeros_like(tokens)
    alphas, weights = gauss_legendre()
    hook = model.blocks[0].hook_resid_pre

    def run():
        with torch.no_grad():
            captured = {}
            handle = hook.register_forward_hook(lambda m, i, o: captured.__setitem__("a", o))
            model(torch.cat([tokens, baseline]))
            handle.remove()
            act, base = captured["a"][:1], captured["a"][1:]
        points = (base + alphas.view(-1, 1, 1) * (act - base)).requires_grad_(True)
        handle = hook.register_forward_hook(lambda m, i, o: points)
        try:
            out = model(tokens.repeat(STEPS, 1))[:, -1, token].sum()
        finally:
            handle.remove()
        (g,) = torch.autograd.grad(out, points)
        return (act - base) * (weights.view(-1, 1, 1) * g).sum(0, keepdim=True)

    return run


def main():
    if sys.argv[1] == "cnn":
        runs, threads = int(sys.argv[2]), int(sys.argv[3])
        task = cnn_task()
    else:
        weights_path, seq, token, runs, threads = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
        task = gpt2_task(weights_path, seq, token)
    torch.set_num_threads(threads)
    times = time_ms(task, runs)
    print(json.dumps({"tool": "torch", "torch_version": torch.__version__, "threads": threads, "ms": times}))


if __name__ == "__main__":
    main()
