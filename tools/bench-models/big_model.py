"""Write the ~100 MB ONNX model used by the codec benchmarks.

Usage: big_model.py [OUTPUT_PATH]   (default: <repo root>/bench/.cache/gpt-100mb.onnx)

A GPT-style decoder (8 pre-LN blocks, d_model 512, 8 heads, d_mlp 1536, vocab 8192,
512 positions, unembedding tied to the token embedding: about 25M float32
parameters) with random weights from a fixed seed, exported by torch.onnx.export
(opset 17) as one self-contained file: no external data. The bench harness makes
it on demand; it is never committed.
"""

import math
import os
import sys

import onnx
import torch
import torch.nn as nn

SEED = 0
VOCAB, N_CTX, D_MODEL, N_HEADS, D_MLP, N_LAYERS = 8192, 512, 512, 8, 1536, 8
D_HEAD = D_MODEL // N_HEADS
REPO_ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DEFAULT_PATH = os.path.join(REPO_ROOT, "bench", ".cache", "gpt-100mb.onnx")


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1 = nn.LayerNorm(D_MODEL)
        self.W_QKV = nn.Linear(D_MODEL, 3 * D_MODEL)
        self.W_O = nn.Linear(D_MODEL, D_MODEL)
        self.ln2 = nn.LayerNorm(D_MODEL)
        self.W_in = nn.Linear(D_MODEL, D_MLP)
        self.W_out = nn.Linear(D_MLP, D_MODEL)
        self.register_buffer("causal_mask", torch.tril(torch.ones(N_CTX, N_CTX, dtype=torch.bool)))

    def forward(self, x):
        batch, pos = x.shape[0], x.shape[1]
        q, k, v = self.W_QKV(self.ln1(x)).view(batch, pos, 3, N_HEADS, D_HEAD).permute(2, 0, 3, 1, 4).unbind(0)
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(D_HEAD)
        scores = scores.masked_fill(~self.causal_mask[:pos, :pos], -1e9)
        z = torch.matmul(torch.softmax(scores, dim=-1), v).transpose(1, 2).reshape(batch, pos, D_MODEL)
        x = x + self.W_O(z)
        return x + self.W_out(nn.functional.gelu(self.W_in(self.ln2(x))))


class BigGPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, D_MODEL)
        self.pos_embed = nn.Embedding(N_CTX, D_MODEL)
        self.blocks = nn.ModuleList([Block() for _ in range(N_LAYERS)])
        self.ln_final = nn.LayerNorm(D_MODEL)

    def forward(self, tokens):
        x = self.embed(tokens) + self.pos_embed(torch.arange(tokens.shape[1]))
        for block in self.blocks:
            x = block(x)
        return torch.matmul(self.ln_final(x), self.embed.weight.t())  # tied unembedding


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_PATH
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    torch.manual_seed(SEED)
    torch.set_num_threads(2)
    model = BigGPT().eval()
    tokens = torch.zeros(1, 16, dtype=torch.long)
    with torch.no_grad():
        torch.onnx.export(
            model,
            (tokens,),
            path,
            opset_version=17,
            input_names=["tokens"],
            output_names=["logits"],
            dynamic_axes={"tokens": {0: "batch", 1: "pos"}, "logits": {0: "batch", 1: "pos"}},
            do_constant_folding=False,
        )
    onnx.checker.check_model(path)  # by path: works for files of any size
    params = sum(p.numel() for p in model.parameters())
    print(f"wrote {path}: {os.path.getsize(path)} bytes, {params} parameters")


if __name__ == "__main__":
    main()
