"""Write Hugging Face GPT-2 small (random weights) exported three ways, for the real-exports benchmark.

Usage: gpt2_small_hf.py [OUTPUT_DIR]   (default: <repo root>/bench/.cache/gpt2-small-hf)

Makes, in OUTPUT_DIR:
- torchscript.onnx  torch.onnx.export(dynamo=False), opset 17, dynamic batch and sequence
- dynamo.onnx       torch.onnx.export(dynamo=True), opset 18, dynamic batch and sequence
- fused.onnx        onnxruntime.transformers.optimizer (model_type 'gpt2') fusions of torchscript.onnx
- weights.pt        the state_dict, which real_exports_baseline.py loads to time torch on the same weights

GPT2LMHeadModel(GPT2Config()) is GPT-2 small's shape (12 layers, d_model 768, 12 heads, vocab 50257),
with torch's default initialization from a fixed seed and eager attention. Needs torch 2.x,
transformers, onnx, onnxscript and onnxruntime (a venv from the pip mirror; see
tools/fixtures/zoo/README.md). Never committed.
"""

import os
import sys

import torch
from transformers import GPT2Config, GPT2LMHeadModel

REPO_ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DEFAULT_DIR = os.path.join(REPO_ROOT, "bench", ".cache", "gpt2-small-hf")


class LogitsOnly(torch.nn.Module):
    """GPT-2 with input_ids in and logits out (no cache; an all-ones attention mask, which keeps
    transformers' packed-sequence detection, whose torch.diff TorchScript cannot export, out)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids):
        return self.model(input_ids=input_ids, attention_mask=torch.ones_like(input_ids), use_cache=False).logits


def build():
    torch.manual_seed(0)
    config = GPT2Config(attn_implementation="eager")
    model = GPT2LMHeadModel(config).eval()
    return model


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_DIR
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(2)
    model = build()
    torch.save(model.state_dict(), os.path.join(out, "weights.pt"))
    wrapped = LogitsOnly(model).eval()
    ids = torch.randint(0, 50257, (1, 16))
    with torch.no_grad():
        torch.onnx.export(
            wrapped, (ids,), os.path.join(out, "torchscript.onnx"), dynamo=False, opset_version=17,
            input_names=["input_ids"], output_names=["logits"], do_constant_folding=False,
            dynamic_axes={"input_ids": {0: "batch", 1: "sequence"}, "logits": {0: "batch", 1: "sequence"}},
        )
        batch = torch.export.Dim("batch", min=1, max=64)
        sequence = torch.export.Dim("sequence", min=2, max=1024)
        torch.onnx.export(
            wrapped, (ids,), os.path.join(out, "dynamo.onnx"), dynamo=True, opset_version=18,
            input_names=["input_ids"], output_names=["logits"],
            dynamic_shapes={"input_ids": {0: batch, 1: sequence}}, external_data=False,
        )
    from onnxruntime.transformers import optimizer

    fused = optimizer.optimize_model(os.path.join(out, "torchscript.onnx"), model_type="gpt2", num_heads=12, hidden_size=768, opt_level=0, use_gpu=False)
    fused.save_model_to_file(os.path.join(out, "fused.onnx"))
    print(out)


if __name__ == "__main__":
    main()
