"""Write the GPT-2-small-shaped benchmark model and its torch weights.

Usage: gpt2_small.py [OUTPUT_PATH]   (default: <repo root>/bench/.cache/gpt2-small.onnx)

Makes OUTPUT_PATH (ONNX) and, next to it, the same weights as a torch state_dict with
the suffix .pt (default bench/.cache/gpt2-small.pt), which hooks_baseline.py loads to
time torch on the same model. GPT-2 small's shape (12 layers, d_model 768, 12 heads of
64, d_mlp 3072, vocab 50257, n_ctx 1024; about 163M parameters with its own unembed)
built from tools/fixtures/gpt.py's classes, so it has the same module structure and
names as gpt2l.onnx (embed, pos_embed, blocks.N.{ln1, attn.{W_Q,W_K,W_V,W_O}, ln2,
mlp.{W_in,W_out}}, ln_final, unembed) and the TransformerLens-style hook aliases found
on the fixture apply to it. Weights are torch's default initialization from a fixed
seed (no training), except that LayerNorm weights and biases get small seeded noise:
torch.onnx.export merges initializers of equal value (into one initializer read through
Identity nodes), which would collapse the default all-ones/all-zeros LayerNorm
parameters and lose their names. Exported by torch.onnx.export at opset 17 with
dynamic batch and pos as one self-contained file (~650 MB: no external data is needed
below 2 GB), then checked with onnx.checker and by running the graph with the numpy
interpreter against torch. The bench harness makes it on demand; it is never committed.
"""

import os
import sys

import numpy as np
import onnx
import torch

REPO_ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(REPO_ROOT, "tools", "fixtures"))

import common  # noqa: E402  (tools/fixtures)
import gpt  # noqa: E402

SEED = 0
DEFAULT_PATH = os.path.join(REPO_ROOT, "bench", ".cache", "gpt2-small.onnx")
GPT2_SMALL = {"VOCAB": 50257, "N_CTX": 1024, "D_MODEL": 768, "N_HEADS": 12, "D_HEAD": 64, "D_MLP": 3072, "N_LAYERS": 12}


def build_model():
    """A gpt.GPT with GPT-2 small's sizes and torch's default (seed-dependent) initialization.

    gpt.py's classes read their sizes from its module constants, both when built and in
    forward, so those are set to GPT-2 small's first: a process that imports this never
    builds a fixture-sized model.
    """
    for name, value in GPT2_SMALL.items():
        setattr(gpt, name, value)
    return gpt.GPT()


def perturb_layer_norms(model):
    """Add N(0, 0.02^2) noise to every LayerNorm weight and bias, so that no two are equal."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.LayerNorm):
                module.weight.add_(0.02 * torch.randn_like(module.weight))
                module.bias.add_(0.02 * torch.randn_like(module.bias))


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_PATH
    weights_path = os.path.splitext(path)[0] + ".pt"
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    common.make_deterministic(SEED)
    model = build_model().eval()
    perturb_layer_norms(model)
    torch.save(model.state_dict(), weights_path)

    tokens = torch.randint(0, GPT2_SMALL["VOCAB"], (2, 8), generator=torch.Generator().manual_seed(SEED + 1))
    with torch.no_grad():
        torch.onnx.export(
            model,
            (tokens,),
            path,
            opset_version=common.OPSET,
            input_names=["tokens"],
            output_names=["logits"],
            dynamic_axes={"tokens": {0: "batch", 1: "pos"}, "logits": {0: "batch", 1: "pos"}},
            do_constant_folding=False,
        )
        logits = model(tokens).numpy()
    onnx.checker.check_model(path)  # by path: works for files of any size
    proto = onnx.load(path)
    missing = {name for name, _ in model.named_parameters()} - {init.name for init in proto.graph.initializer}
    if missing:
        raise SystemExit(f"parameters without an initializer of the same name: {sorted(missing)}")
    if not any(node.name == "/blocks.11/attn/MatMul" for node in proto.graph.node):
        raise SystemExit("exported node names do not carry module scopes like /blocks.11/attn/MatMul")
    common.verify_onnx(proto, {"tokens": tokens.numpy()}, {"logits": logits})
    params = sum(p.numel() for p in model.parameters())
    print(f"wrote {path} ({os.path.getsize(path)} bytes, {params} parameters, logits std {np.std(logits):.3f})")
    print(f"wrote {weights_path} ({os.path.getsize(weights_path)} bytes)")


if __name__ == "__main__":
    main()
