"""Torch reference benchmark for caching residual-stream activations with hooks.

Usage: hooks_baseline.py MODEL_PT BATCH SEQ RUNS THREADS

Builds gpt2_small.py's model, loads the state dict MODEL_PT (written by gpt2_small.py
next to the ONNX file), sets torch.set_num_threads(THREADS) and times, under
torch.inference_mode() on a fixed seeded int64 prompt [BATCH, SEQ], one warm-up run
then RUNS runs (time.perf_counter) of:
  plain_ms             the forward pass alone;
  cache_resid_ms       the forward pass with forward hooks storing every residual-stream
                       value (each block's hook_resid_pre, hook_resid_mid = ln2 input,
                       hook_resid_post = block output, and the ln_final output; 3 *
                       n_layers + 1 tensors) with .detach() only, as TransformerLens's
                       run_with_cache does; hooks are registered and removed in each run;
  cache_resid_numpy_ms the same, then every cached tensor turned into a numpy array with
                       .numpy() (on CPU this shares the tensor's memory: no copy is made).
It prints ONE JSON line on stdout:
  {"tool": "torch", "torch_version": ..., "threads": T, "batch": B, "seq": S,
   "plain_ms": [...], "cache_resid_ms": [...], "cache_resid_numpy_ms": [...]}
The TypeScript HookedModel benchmarks compare themselves against these numbers.
"""

import json
import sys

import torch

import gpt2_small
from timing import time_ms

SEED = 0


def cache_resid_hooks(model, cache):
    """Register hooks storing every residual-stream value of `model` in `cache`; return their handles."""

    def store_output(name):
        return lambda module, inputs, output: cache.__setitem__(name, output.detach())

    def store_input(name):
        return lambda module, inputs: cache.__setitem__(name, inputs[0].detach())

    handles = []
    for i, block in enumerate(model.blocks):
        handles += [
            block.hook_resid_pre.register_forward_hook(store_output(f"blocks.{i}.hook_resid_pre")),
            block.ln2.register_forward_pre_hook(store_input(f"blocks.{i}.hook_resid_mid")),
            block.register_forward_hook(store_output(f"blocks.{i}.hook_resid_post")),
        ]
    handles.append(model.ln_final.register_forward_hook(store_output("ln_final")))
    return handles


def run_with_cache(model, tokens, to_numpy):
    """Forward `tokens`; return (logits, cache) with cache[name] a tensor, or a numpy array if to_numpy."""
    cache = {}
    handles = cache_resid_hooks(model, cache)
    try:
        logits = model(tokens)
    finally:
        for handle in handles:
            handle.remove()
    if to_numpy:
        cache = {name: value.numpy() for name, value in cache.items()}
    return logits, cache




def main():
    if len(sys.argv) != 6:
        sys.exit("usage: hooks_baseline.py MODEL_PT BATCH SEQ RUNS THREADS")
    weights_path = sys.argv[1]
    batch, seq, runs, threads = (int(v) for v in sys.argv[2:])
    if not 1 <= seq <= gpt2_small.GPT2_SMALL["N_CTX"]:
        sys.exit(f"SEQ must be in 1..{gpt2_small.GPT2_SMALL['N_CTX']}")
    torch.set_num_threads(threads)
    model = gpt2_small.build_model()
    model.load_state_dict(torch.load(weights_path))
    model.eval()
    tokens = torch.randint(0, gpt2_small.GPT2_SMALL["VOCAB"], (batch, seq), generator=torch.Generator().manual_seed(SEED))

    with torch.inference_mode():
        _, cache = run_with_cache(model, tokens, to_numpy=True)
        if len(cache) != 3 * len(model.blocks) + 1:
            raise SystemExit(f"cached {len(cache)} residual-stream values, expected {3 * len(model.blocks) + 1}")
        plain = time_ms(lambda: model(tokens), runs)
        cached = time_ms(lambda: run_with_cache(model, tokens, to_numpy=False), runs)
        cached_numpy = time_ms(lambda: run_with_cache(model, tokens, to_numpy=True), runs)

    print(
        json.dumps(
            {
                "tool": "torch",
                "torch_version": torch.__version__,
                "threads": threads,
                "batch": batch,
                "seq": seq,
                "plain_ms": plain,
                "cache_resid_ms": cached,
                "cache_resid_numpy_ms": cached_numpy,
            }
        )
    )


if __name__ == "__main__":
    main()
