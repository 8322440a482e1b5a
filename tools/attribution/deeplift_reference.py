"""DeepLIFT fixtures and references for @mechint/attribution (packages/attribution/test/deeplift*.test.ts).

Writes packages/attribution/test/fixtures/deeplift/:
  relu_mlp.onnx, sigmoid_mlp.onnx, gelu_erf_mlp.onnx, gelu_tanh_mlp.onnx
      tiny MLPs x [batch, 6] -> [batch, 3]; GELU exported by the TorchScript exporter as its
      decomposed subgraph (0.5·x·(1 + erf(x/√2)), and the tanh approximation), so DeepLIFT has to
      recognise the chain as one nonlinearity. The tests check summation-to-delta against two plain
      forward runs; no reference numbers are needed.
  captum_net.onnx + captum_net.npz
      Linear → ELU → Linear → LeakyReLU → Linear → Tanh → Linear → Softplus → Linear → Sigmoid →
      Linear → ReLU → Linear → Softmax → Linear, x [batch, 5] -> [batch, 3]. The npz holds inputs
      `x`, references `baseline`, targets `target` and DeepLIFT attributions `attributions` computed
      the way Captum's DeepLift computes them: [x; x′] as one batch, module backward hooks that
      replace each nonlinearity's input gradient with Captum's `nonlinear` / `softmax` multipliers
      (transcribed below from captum/attr/_core/deep_lift.py at commit faac087, 2025-10-02 —
      Captum itself is not on the package mirror), target seeded in both halves, attributions
      (x − x′) ⊙ grad, in float64. Captum normalises its softmax multipliers over the whole batch tensor;
      each item runs alone here, so that normalisation is per item (as in @mechint).
  vit_block.onnx
      a ViT-style block on x [batch, 4 tokens, 8]: LayerNorm → 2-head softmax attention → residual →
      LayerNorm → GELU MLP → residual → token mean → Linear(8, 3). Its DeepLIFT has a non-zero
      convergence delta (softmax, LayerNorm, q·kᵀ and attention·v products).

Run: /work/venv/bin/python tools/attribution/deeplift_reference.py
Versions used: torch 2.13 (CPU), onnx 1.23, numpy 2.x; TorchScript exporter (dynamo=False), opset 17.
"""

import os

import numpy as np
import torch
from torch import nn

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "packages", "attribution", "test", "fixtures", "deeplift")
EPS = 1e-10


def mlp(act):
    return nn.Sequential(nn.Linear(6, 16), act, nn.Linear(16, 8), act.__class__(**getattr(act, "_kw", {})), nn.Linear(8, 3))


def export(model, example, name, dims=2):
    model.eval()
    dynamic = {"x": {0: "batch"}, "y": {0: "batch"}}
    torch.onnx.export(model, (example,), os.path.join(OUT, name), input_names=["x"], output_names=["y"],
                      dynamic_axes=dynamic, opset_version=17, dynamo=False)


class Gelu(nn.GELU):
    def __init__(self, approximate="none"):
        super().__init__(approximate=approximate)
        self._kw = {"approximate": approximate}


class Block(nn.Module):
    """A pre-norm transformer block with a classification head, as in ViT."""

    def __init__(self, d=8, heads=2, classes=3):
        super().__init__()
        self.heads = heads
        self.scale = float((d // heads) ** -0.5)  # a constant: a scale read from x.shape would export as Shape → Cast → Pow
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, 2 * d)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(2 * d, d)
        self.head = nn.Linear(d, classes)

    def forward(self, x):
        b, t, d = x.shape
        h = self.heads
        q, k, v = self.qkv(self.ln1(x)).reshape(b, t, 3, h, d // h).permute(2, 0, 3, 1, 4)
        att = torch.softmax(q @ k.transpose(-1, -2) * self.scale, dim=-1)
        z = (att @ v).transpose(1, 2).reshape(b, t, d)
        x = x + self.proj(z)
        x = x + self.fc2(self.act(self.fc1(self.ln2(x))))
        return self.head(x.mean(dim=1))


def captum_net():
    net = nn.Sequential(
        nn.Linear(5, 8), nn.ELU(), nn.Linear(8, 8), nn.LeakyReLU(0.1), nn.Linear(8, 8), nn.Tanh(),
        nn.Linear(8, 8), nn.Softplus(), nn.Linear(8, 8), nn.Sigmoid(), nn.Linear(8, 8), nn.ReLU(),
        nn.Linear(8, 6), nn.Softmax(dim=1), nn.Linear(6, 3))
    for m in net:
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=1.0)  # larger than the default, so the multipliers do not vanish
    return net


# --- Captum's multipliers (captum/attr/_core/deep_lift.py: nonlinear, softmax, _compute_diffs) ---
def _compute_diffs(inputs, outputs):
    inp, inp_ref = inputs.chunk(2)
    out, out_ref = outputs.chunk(2)
    return torch.cat(2 * [inp - inp_ref]), torch.cat(2 * [out - out_ref])


def nonlinear(inputs, outputs, grad_input, grad_output, eps=EPS):
    delta_in, delta_out = _compute_diffs(inputs, outputs)
    return torch.where(abs(delta_in) < eps, grad_input, grad_output * delta_out / delta_in)


def softmax(inputs, outputs, grad_input, grad_output, eps=EPS):
    delta_in, delta_out = _compute_diffs(inputs, outputs)
    grad_input_unnorm = torch.where(abs(delta_in) < eps, grad_input, grad_output * delta_out / delta_in)
    n = grad_input.numel()
    return grad_input_unnorm - grad_input_unnorm.sum() * 1 / n


def captum_deeplift(model, x, baseline, target):
    """Captum's DeepLift.attribute for one item (x, baseline: [1, ...])."""
    handles = []
    for m in model.modules():
        if isinstance(m, (nn.ELU, nn.LeakyReLU, nn.Tanh, nn.Softplus, nn.Sigmoid, nn.ReLU, nn.Softmax)):
            def fwd(mod, inp, out):
                mod.saved_in, mod.saved_out = inp[0].detach(), out.detach()

            def bwd(mod, grad_in, grad_out):
                rule = softmax if isinstance(mod, nn.Softmax) else nonlinear
                return (rule(mod.saved_in, mod.saved_out, grad_in[0], grad_out[0]),)
            handles += [m.register_forward_hook(fwd), m.register_full_backward_hook(bwd)]
    both = torch.cat([x, baseline]).double().requires_grad_(True)
    out = model(both)
    out[:, target].sum().backward()
    for h in handles:
        h.remove()
    return ((x.double() - baseline.double()) * both.grad[:1]).detach()


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    example = torch.randn(2, 6)
    export(mlp(nn.ReLU()), example, "relu_mlp.onnx")
    export(mlp(nn.Sigmoid()), example, "sigmoid_mlp.onnx")
    export(mlp(Gelu()), example, "gelu_erf_mlp.onnx")
    export(mlp(Gelu("tanh")), example, "gelu_tanh_mlp.onnx")

    net = captum_net().eval()
    export(net, torch.randn(2, 5), "captum_net.onnx")
    # Captum's softmax rule divides each multiplier by its own logit's change; draws where some
    # logit barely moves make it ill-conditioned in float32, so keep items whose changes are >= 0.05.
    while True:
        x = torch.randn(4, 5) * 2
        baseline = torch.randn(4, 5) * 0.5
        baseline[0] = 0  # Captum's default reference
        baseline[1, 2] = x[1, 2]  # a coordinate where x = x′
        with torch.no_grad():
            logits = net[:13]
            if (logits(x) - logits(baseline)).abs().min() >= 0.05:
                break
    target = np.array([0, 1, 2, 1], dtype=np.int64)
    net64 = captum_net().double()
    net64.load_state_dict(net.state_dict())
    attributions = torch.cat([captum_deeplift(net64, x[i:i + 1], baseline[i:i + 1], int(target[i])) for i in range(4)])
    np.savez(os.path.join(OUT, "captum_net.npz"), x=x.numpy(), baseline=baseline.numpy(), target=target,
             attributions=attributions.numpy())

    block = Block().eval()
    export(block, torch.randn(2, 4, 8), "vit_block.onnx")


if __name__ == "__main__":
    main()
