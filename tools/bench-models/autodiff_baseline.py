"""Torch reference benchmark for reverse-mode gradients of a GPT-2-small-shaped model.

Usage: autodiff_baseline.py MODEL_PT BATCH SEQ RUNS THREADS [GRADS_NPZ]

Builds gpt2_small.py's model, loads the state dict MODEL_PT (written by gpt2_small.py
next to the ONNX file), sets torch.set_num_threads(THREADS) and times, on the int64
tokens [BATCH, SEQ] and float32 seed [BATCH, SEQ, VOCAB] of `inputs` (a 32-bit integer
hash of the element index that bench/src/autodiff.ts computes identically), one warm-up
run then RUNS runs (time.perf_counter) of:
  forward_ms           the forward pass alone, under torch.no_grad();
  forward_backward_ms  the forward pass, then backward of sum(logits * seed) (logits.backward(seed)),
                       giving the gradient of every parameter (grads set to None before each
                       run, so each run makes fresh ones, as the ONNX graph does) and of the
                       residual stream entering block 6 (retain_grad on blocks.6.hook_resid_pre).
Peak resident memory (MiB) is read after loading, after the forward runs and after the
forward + backward runs: on Linux /proc/self/status VmHWM, as the TypeScript harness reads it
(getrusage's ru_maxrss would also count the parent's peak, since Linux carries it over exec);
elsewhere getrusage. With GRADS_NPZ, the gradients of blocks.6.hook_resid_pre and
blocks.0.attn.W_Q.weight from one more (untimed) run are written there for the TypeScript
side to compare its own against.
It prints ONE JSON line on stdout:
  {"tool": "torch", "torch_version": ..., "threads": T, "batch": B, "seq": S,
   "forward_ms": [...], "forward_backward_ms": [...], "peak_rss_mib": ...,
   "peak_rss_load_mib": ..., "peak_rss_forward_mib": ...}
"""

import json
import sys

import numpy as np
import torch

import gpt2_small
from hashed_inputs import inputs
from timing import time_ms, peak_rss_mib

RESID = "blocks.6.hook_resid_pre"
PARAM = "blocks.0.attn.W_Q.weight"
EMBED = "embed.weight"


def main():
    if len(sys.argv) not in (6, 7):
        sys.exit("usage: autodiff_baseline.py MODEL_PT BATCH SEQ RUNS THREADS [GRADS_NPZ]")
    weights_path = sys.argv[1]
    batch, seq, runs, threads = (int(v) for v in sys.argv[2:6])
    if not 1 <= seq <= gpt2_small.GPT2_SMALL["N_CTX"]:
        sys.exit(f"SEQ must be in 1..{gpt2_small.GPT2_SMALL['N_CTX']}")
    torch.set_num_threads(threads)
    model = gpt2_small.build_model()
    model.load_state_dict(torch.load(weights_path))
    model.eval()
    tokens, seed = inputs(batch, seq, gpt2_small.GPT2_SMALL["VOCAB"])
    peak_load = peak_rss_mib()

    with torch.no_grad():
        forward = time_ms(lambda: model(tokens), runs)
    peak_forward = peak_rss_mib()

    resid = {}

    def keep_resid(module, args, output):
        output.retain_grad()
        resid[RESID] = output

    model.blocks[6].hook_resid_pre.register_forward_hook(keep_resid)

    def forward_backward():
        model.zero_grad(set_to_none=True)
        model(tokens).backward(seed)

    forward_backward_ms = time_ms(forward_backward, runs)
    peak = peak_rss_mib()

    if len(sys.argv) == 7:
        forward_backward()
        params = dict(model.named_parameters())
        np.savez(sys.argv[6], **{RESID: resid[RESID].grad.numpy(), PARAM: params[PARAM].grad.numpy(), EMBED: params[EMBED].grad.numpy()})

    print(
        json.dumps(
            {
                "tool": "torch",
                "torch_version": torch.__version__,
                "threads": threads,
                "batch": batch,
                "seq": seq,
                "forward_ms": forward,
                "forward_backward_ms": forward_backward_ms,
                "peak_rss_mib": peak,
                "peak_rss_load_mib": peak_load,
                "peak_rss_forward_mib": peak_forward,
            }
        )
    )


if __name__ == "__main__":
    main()
