"""Torch reference for the @mechint/patching benchmark: a full layer x position residual-stream sweep.

Usage: bench_reference.py MODEL_PT SEQ RUNS THREADS

The GPT-2-small-shaped model of tools/bench-models/gpt2_small.py (state dict MODEL_PT). The clean
prompt [1, SEQ] comes from the same LCG as the TypeScript side (seed 1, ids mod 50257); the corrupted
prompt is the clean one with position SEQ // 2 set to token 0. Metric: logits[0, -1, CORRECT] -
logits[0, -1, INCORRECT] with CORRECT, INCORRECT the clean prompt's first two tokens.

One timed run = what TransformerLens's act-patching loop does (patching.get_act_patch_resid_pre):
one no-grad forward of the clean prompt caching every blocks.L.hook_resid_pre, then for every layer L
and position p one forward of the corrupted prompt with a forward hook on blocks[L].hook_resid_pre
replacing position p by the clean activation, and the metric. torch.set_num_threads(THREADS),
torch.inference_mode(); one warm-up run, then RUNS timed runs (time.perf_counter).
Prints one JSON line: {"tool": "torch", "ms": [...], "scores": [[...] per layer]}.
"""

import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools", "bench-models"))

import gpt2_small  # noqa: E402
from timing import time_ms  # noqa: E402


def prompt(seq):
    seed, ids = 1, []
    for _ in range(seq):
        seed = (seed * 48271) % 2147483647
        ids.append(seed % 50257)
    return ids


def main():
    if len(sys.argv) != 5:
        sys.exit("usage: bench_reference.py MODEL_PT SEQ RUNS THREADS")
    weights_path = sys.argv[1]
    seq, runs, threads = (int(v) for v in sys.argv[2:])
    torch.set_num_threads(threads)
    model = gpt2_small.build_model()
    model.load_state_dict(torch.load(weights_path))
    model.eval()
    ids = prompt(seq)
    clean = torch.tensor([ids], dtype=torch.long)
    corrupted = clean.clone()
    corrupted[0, seq // 2] = 0
    correct, incorrect = ids[0], ids[1]
    hooks = [block.hook_resid_pre for block in model.blocks]

    def metric(logits):
        return float(logits[0, -1, correct] - logits[0, -1, incorrect])

    def sweep():
        cache = {}
        handles = [h.register_forward_hook(lambda m, i, o, l=l: cache.__setitem__(l, o.detach())) for l, h in enumerate(hooks)]
        model(clean)
        for handle in handles:
            handle.remove()
        scores = []
        for layer, hook in enumerate(hooks):
            row = []
            for p in range(seq):

                def patch(m, i, o, p=p, src=cache[layer]):
                    out = o.clone()
                    out[:, p] = src[:, p]
                    return out

                handle = hook.register_forward_hook(patch)
                row.append(metric(model(corrupted)))
                handle.remove()
            scores.append(row)
        return scores

    with torch.inference_mode():
        scores = sweep()
        ms = time_ms(sweep, runs)
    print(json.dumps({"tool": "torch", "threads": threads, "seq": seq, "ms": ms, "scores": scores}))


if __name__ == "__main__":
    main()
