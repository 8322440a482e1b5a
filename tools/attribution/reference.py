"""Torch references for @mechint/attribution (no Captum: the definitions are implemented here).

Writes packages/attribution/test/fixtures/:
  cnn_attribution.npz  on the committed CNN fixture (packages/core/test/fixtures/cnn.onnx, weights
                       loaded from its initializers into the torch module of tools/fixtures/cnn.py),
                       the 8 reference images, targets = their labels, baseline 0:
    saliency             d(target logit)/d images (raw, abs=False)
    input_x_gradient     images * saliency
    ig_riemann2000       integrated gradients, 2000-step riemann_middle (the ground-truth integral)
    ig_gl50              integrated gradients, Gauss-Legendre 50 nodes (Captum's default) in torch
    f_input, f_baseline  target logit at the images and at the zero baseline
    lig_conv2_riemann2000  layer integrated gradients on conv2's output, 2000-step riemann_middle
  linear.onnx          y = W x + b, x [batch, 6] -> y [batch, 3] (fixed weights below), for the
                       Shapley-value checks: the Shapley value of feature j is W[t, j] (x_j - x'_j).

Run: /usr/bin/python3 tools/attribution/reference.py
"""

import os
import sys

import numpy as np
import onnx
import torch
from onnx import numpy_helper

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools", "fixtures"))
from cnn import DigitCNN  # noqa: E402

OUT = os.path.join(ROOT, "packages", "attribution", "test", "fixtures")


def load_cnn():
    proto = onnx.load(os.path.join(ROOT, "packages", "core", "test", "fixtures", "cnn.onnx"))
    weights = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in proto.graph.initializer}
    model = DigitCNN()
    model.load_state_dict(weights, strict=False)
    model.eval()
    return model


def target_sum(model, x, labels):
    return model(x).gather(1, labels[:, None]).sum()


def grad_at(model, x, labels):
    x = x.detach().clone().requires_grad_(True)
    (g,) = torch.autograd.grad(target_sum(model, x, labels), x)
    return g


def integrated_gradients(model, x, labels, alphas, weights):
    total = torch.zeros_like(x)
    for a, w in zip(alphas, weights):
        total += w * grad_at(model, a * x, labels)  # baseline 0
    return x * total


def layer_ig_conv2(model, x, labels, alphas, weights):
    with torch.no_grad():
        captured = {}
        h = model.conv2.register_forward_hook(lambda m, i, o: captured.__setitem__("a", o))
        model(x)
        act = captured["a"]
        model(torch.zeros_like(x))
        base = captured["a"]
        h.remove()
    total = torch.zeros_like(act)
    for a, w in zip(alphas, weights):
        point = (base + a * (act - base)).detach().requires_grad_(True)
        h = model.conv2.register_forward_hook(lambda m, i, o: point)
        out = target_sum(model, x, labels)
        h.remove()
        (g,) = torch.autograd.grad(out, point)
        total += w * g
    return (act - base) * total


def main():
    torch.set_grad_enabled(True)
    model = load_cnn()
    ref = np.load(os.path.join(ROOT, "packages", "core", "test", "fixtures", "cnn.reference.npz"))
    x = torch.from_numpy(ref["input.images"])
    labels = torch.from_numpy(ref["input.labels"]).long()
    with torch.no_grad():
        assert np.allclose(model(x).numpy(), ref["output.logits"], atol=1e-5), "torch CNN does not match the fixture"
    n = 2000
    mid = [(i + 0.5) / n for i in range(n)]
    uniform = [1.0 / n] * n
    nodes, w = np.polynomial.legendre.leggauss(50)
    gl_alphas, gl_weights = list(0.5 * (nodes + 1)), list(0.5 * w)
    sal = grad_at(model, x, labels)
    with torch.no_grad():
        f_in = model(x).gather(1, labels[:, None])[:, 0]
        f_base = model(torch.zeros_like(x)).gather(1, labels[:, None])[:, 0]
    arrays = {
        "saliency": sal.numpy(),
        "input_x_gradient": (x * sal).numpy(),
        "ig_riemann2000": integrated_gradients(model, x, labels, mid, uniform).numpy(),
        "ig_gl50": integrated_gradients(model, x, labels, gl_alphas, gl_weights).numpy(),
        "f_input": f_in.numpy(),
        "f_baseline": f_base.numpy(),
        "lig_conv2_riemann2000": layer_ig_conv2(model, x, labels, mid, uniform).numpy(),
    }
    os.makedirs(OUT, exist_ok=True)
    np.savez(os.path.join(OUT, "cnn_attribution.npz"), **{k: v.astype(np.float32) for k, v in arrays.items()})

    linear = torch.nn.Linear(6, 3)
    with torch.no_grad():
        linear.weight.copy_(torch.tensor([[1.0, -2.0, 0.5, 3.0, 0.0, -1.5], [0.25, 0.75, -1.0, 2.0, 1.0, 0.5], [-0.5, 1.5, 2.5, -3.0, 0.2, 1.0]]))
        linear.bias.copy_(torch.tensor([0.1, -0.2, 0.3]))
    torch.onnx.export(linear, torch.zeros(2, 6), os.path.join(OUT, "linear.onnx"), input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}}, opset_version=17)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
