"""Writes SAEs in SAELens's documented on-disk layout (cfg.json + sae_weights.safetensors +
sparsity.safetensors), without SAELens or the safetensors package: the safetensors container is
written by hand (8-byte little-endian header length, JSON header, little-endian data), and numpy
computes the expected encode / decode outputs for a fixed input.

Two SAEs normalise their inputs at run time as SAELens's `SAE._setup_activation_normalization`
(sae_lens/saes/sae.py) defines it:
- constant_norm_rescale: c = sqrt(d_in) / ||x|| per row; encode reads x * c; decode returns
  (acts @ W_dec + b_dec) / c.
- layer_norm: mu = mean(x), std = torch.std(x - mu) (unbiased, ddof=1); encode reads
  (x - mu) / (std + 1e-5); decode returns (acts @ W_dec + b_dec) * std + mu (no eps on the way out).
Their .expected.npz also hold `acts_edit` (the codes with latent 0 set to 2.5) and `decoded_edit`,
its decoding in the units of x.

    python3 tools/sae/make_saelens_fixture.py packages/sae/test/fixtures
"""
import json
import os
import struct
import sys

import numpy as np


def write_safetensors(path, tensors, metadata=None):
    header = {}
    if metadata:
        header["__metadata__"] = metadata
    offset = 0
    blobs = []
    for name in sorted(tensors):
        arr = np.ascontiguousarray(tensors[name], dtype="<f4")
        data = arr.tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * ((8 - len(raw) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)


def cfg(architecture, d_in, d_sae, extra):
    # Field names as SAELens writes cfg.json (SAEConfig.to_dict, v4/v5 style with the v6 metadata block).
    base = {
        "architecture": architecture,
        "d_in": d_in,
        "d_sae": d_sae,
        "activation_fn_str": "relu",
        "apply_b_dec_to_input": True,
        "finetuning_scaling_factor": False,
        "context_size": 32,
        "model_name": "gpt2l",
        "hook_name": "blocks.0.hook_resid_post",
        "hook_layer": 0,
        "hook_head_index": None,
        "prepend_bos": True,
        "dataset_path": "induction",
        "dataset_trust_remote_code": False,
        "normalize_activations": "none",
        "dtype": "float32",
        "device": "cpu",
        "sae_lens_training_version": "5.0.0",
        "activation_fn_kwargs": {},
        "neuronpedia_id": None,
        "model_from_pretrained_kwargs": {},
        "seqpos_slice": [None],
    }
    base.update(extra)
    return base


def normalize_in(mode, x):
    """The normalised rows and the function taking a decoder output back to x's units."""
    if mode == "constant_norm_rescale":
        coeff = np.sqrt(x.shape[-1]) / np.linalg.norm(x, axis=-1, keepdims=True)
        return x * coeff, lambda r: r / coeff
    if mode == "layer_norm":
        mu = x.mean(axis=-1, keepdims=True)
        centred = x - mu
        std = centred.std(axis=-1, ddof=1, keepdims=True)
        return centred / (std + 1e-5), lambda r: r * std + mu
    return x, lambda r: r


def encode(arch, x, w, k=None):
    pre = (x - w["b_dec"]) @ w["W_enc"] + w["b_enc"]
    if arch == "topk":
        acts = np.zeros_like(pre)
        idx = np.argsort(-pre, axis=1)[:, :k]
        rows = np.arange(pre.shape[0])[:, None]
        acts[rows, idx] = np.maximum(pre[rows, idx], 0)
        return acts
    if arch == "jumprelu":
        return pre * (pre > w["threshold"])
    return np.maximum(pre, 0)


def make(out, name, arch, d_in, d_sae, seed, k=None, normalize="none"):
    rng = np.random.default_rng(seed)
    w = {
        "W_enc": rng.normal(0, 0.3, (d_in, d_sae)).astype(np.float32),
        "b_enc": rng.normal(0, 0.1, (d_sae,)).astype(np.float32),
        "W_dec": rng.normal(0, 0.3, (d_sae, d_in)).astype(np.float32),
        "b_dec": rng.normal(0, 0.1, (d_in,)).astype(np.float32),
    }
    extra = {}
    if arch == "topk":
        extra = {"activation_fn_str": "topk", "activation_fn_kwargs": {"k": k}, "k": k}
    if normalize != "none":
        extra["normalize_activations"] = normalize
    if arch == "jumprelu":
        w["threshold"] = np.abs(rng.normal(0, 0.2, (d_sae,))).astype(np.float32)
    folder = os.path.join(out, name)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "cfg.json"), "w") as f:
        json.dump(cfg(arch, d_in, d_sae, extra), f, indent=2)
    write_safetensors(os.path.join(folder, "sae_weights.safetensors"), w, {"format": "pt"})
    sparsity = np.log10(rng.uniform(1e-4, 1e-1, (d_sae,)) + 1e-10).astype(np.float32)
    write_safetensors(os.path.join(folder, "sparsity.safetensors"), {"sparsity": sparsity}, {"format": "pt"})
    if normalize == "none":
        x = rng.normal(0, 1, (5, d_in)).astype(np.float32)
    else:
        # an offset, a scale far from 1: the normalisation changes the codes
        x = rng.normal(0.7, 4.0, (5, d_in)).astype(np.float32)
    xd = x.astype(np.float64)
    wd = {n: v.astype(np.float64) for n, v in w.items()}
    xn, restore = normalize_in(normalize, xd)
    acts = encode(arch, xn, wd, k)
    recon = restore(acts @ wd["W_dec"] + wd["b_dec"])
    expected = {"x": x, "acts": acts, "reconstruction": recon, "sparsity": sparsity}
    if normalize != "none":
        acts_edit = acts.copy()
        acts_edit[:, 0] = 2.5
        expected["acts_edit"] = acts_edit
        expected["decoded_edit"] = restore(acts_edit @ wd["W_dec"] + wd["b_dec"])
    np.savez(os.path.join(out, f"{name}.expected.npz"), **expected)


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "packages/sae/test/fixtures"
    make(out, "saelens_topk", "topk", 16, 32, 1, k=4)
    make(out, "saelens_jumprelu", "jumprelu", 8, 24, 2)
    make(out, "saelens_standard", "standard", 8, 16, 3)
    make(out, "saelens_constant_norm_rescale", "standard", 8, 16, 4, normalize="constant_norm_rescale")
    make(out, "saelens_layer_norm", "topk", 12, 24, 5, k=3, normalize="layer_norm")
    print("wrote", out)
