"""torch reference for the real-exports benchmark: Hugging Face GPT-2 small on the same weights.

Usage: real_exports_baseline.py WEIGHTS BATCH SEQ RUNS THREADS

Times (1) a plain forward and (2) a forward with a forward hook on every named module that
keeps its output (detached), as TransformerLens-style caching of every module does; prints one
JSON line {"plain_ms": [...], "cache_modules_ms": [...], "modules": N, "torch": version}.
Run with torch 2.x (the venv of tools/fixtures/zoo/README.md).
"""

import json
import os
import sys

import torch
from transformers import GPT2Config, GPT2LMHeadModel

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from timing import time_ms  # noqa: E402


def main():
    weights, batch, seq, runs, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    torch.set_num_threads(threads)
    model = GPT2LMHeadModel(GPT2Config(attn_implementation="eager")).eval()
    model.load_state_dict(torch.load(weights))
    generator = torch.Generator().manual_seed(1)
    ids = torch.randint(0, 50257, (batch, seq), generator=generator)
    cache = {}

    def keep(name):
        def hook(_module, _inputs, output):
            value = output[0] if isinstance(output, tuple) else output
            if isinstance(value, torch.Tensor):
                cache[name] = value.detach()
        return hook

    with torch.no_grad():
        plain = time_ms(lambda: model(input_ids=ids, use_cache=False).logits, runs)
        handles = [m.register_forward_hook(keep(n)) for n, m in model.named_modules() if n != ""]
        cached = time_ms(lambda: model(input_ids=ids, use_cache=False).logits, runs)
        for h in handles:
            h.remove()
    print(json.dumps({"plain_ms": plain, "cache_modules_ms": cached, "modules": len(handles), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
