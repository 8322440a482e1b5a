"""torch autograd reference for the real-exports gradient benchmark: Hugging Face GPT-2 small.

Usage: real_exports_grad_baseline.py WEIGHTS BATCH SEQ RUNS THREADS GRADS_NPZ

Loads the weights gpt2_small_hf.py wrote into GPT2LMHeadModel (eager attention), and times on
hashed_inputs.py's tokens and seed: the forward alone (no_grad), and forward + backward
of sum(logits * seed) giving every parameter's gradient and that of the residual stream entering
block 6 (the input of transformer.h.6, retain_grad). Writes the gradients of that residual, of
transformer.h.0.attn.c_attn.weight and of transformer.wpe.weight to GRADS_NPZ for the TypeScript
side to compare with, and prints one JSON line
{"torch": version, "forward_ms": [...], "forward_backward_ms": [...]}.
"""

import json
import os
import sys

import numpy as np
import torch
from transformers import GPT2Config, GPT2LMHeadModel

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hashed_inputs import inputs  # noqa: E402
from timing import time_ms  # noqa: E402

CHECKED = ["transformer.h.0.attn.c_attn.weight", "transformer.wpe.weight"]


def main():
    weights, batch, seq, runs, threads, grads_path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
    torch.set_num_threads(threads)
    model = GPT2LMHeadModel(GPT2Config(attn_implementation="eager")).eval()
    model.load_state_dict(torch.load(weights))
    tokens, seed = inputs(batch, seq, model.config.vocab_size)
    mask = torch.ones_like(tokens)
    with torch.no_grad():
        forward = time_ms(lambda: model(input_ids=tokens, attention_mask=mask, use_cache=False).logits, runs)
    resid = {}

    def keep(_module, args, kwargs):
        hidden = args[0] if args else kwargs["hidden_states"]
        hidden.retain_grad()
        resid["value"] = hidden

    model.transformer.h[6].register_forward_pre_hook(keep, with_kwargs=True)

    def forward_backward():
        model.zero_grad(set_to_none=True)
        model(input_ids=tokens, attention_mask=mask, use_cache=False).logits.backward(seed)

    forward_backward_ms = time_ms(forward_backward, runs)
    forward_backward()
    params = dict(model.named_parameters())
    np.savez(grads_path, resid=resid["value"].grad.numpy(), **{name: params[name].grad.numpy() for name in CHECKED})
    print(json.dumps({"torch": torch.__version__, "forward_ms": forward, "forward_backward_ms": forward_backward_ms}))


if __name__ == "__main__":
    main()
