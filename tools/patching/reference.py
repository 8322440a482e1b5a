"""Torch references for @mechint/patching on the committed 2-layer induction fixture (gpt2l.onnx).

The model is rebuilt from the ONNX initializers into gpt.py's GPT class (tools/fixtures/gpt_hooks.py),
and every patch is a torch forward hook that returns an edited copy of a module's output.

Prompts: clean = the 2 reference sequences of gpt2l.reference.npz ([BOS] + 10 distinct tokens + the
same 10 again); corrupted = clean with the token at position 3 (first half) replaced by a token absent
from the sequence. Metric: the mean over the 2 sequences of the logit, at position 13 (the repeat of
position 3's token), of the token that followed it in the first half (position 4's token) — what an
induction head predicts.

Writes packages/patching/test/fixtures/induction.npz (float32 / int64 arrays):
  clean.tokens, corrupted.tokens [2, 21]; metric.targets [2] (the scored token per sequence)
  metric.clean, metric.corrupted  scalar metric of the two unpatched runs
  position_sweep  [3, 21]  denoising: corrupted run, one hook at one position patched from the clean
                  run (every d_model feature); hooks blocks.0.hook_resid_pre, blocks.1.hook_resid_pre,
                  blocks.1.hook_resid_post
  head_sweep      [2, 4]   denoising: blocks.L.attn.hook_z, one head (every position) from the clean run
  head_position_sweep [2, 4, 21]  the same, one head at one position
  noising_head_sweep  [2, 4]  noising: clean run, one head's z from the corrupted run
  feature_sweep   [16]     denoising: blocks.1.hook_resid_pre, one d_model feature (0..15) at every position
  path_patching   [4]      Wang et al. 2022 (noising): senders = each block-0 head's z, receiver =
                  blocks.1.attn.W_K output (every layer-1 key); step 1: clean run with the sender's z from
                  the corrupted run and every other head's z (both layers) frozen at its clean value,
                  recording the receiver; step 2: clean run with the receiver replaced by that record
  attribution_position [3, 21], attribution_head [2, 4]  attribution patching (Nanda 2023), denoising:
                  sum over the selected elements of d metric / d activation at the corrupted run times
                  (clean − corrupted) activation; the estimate of the patched metric is
                  metric.corrupted + that sum
  ablation.*      on the clean prompt, metric = mean next-token cross-entropy over positions 11..19
                  (the fixture's loss): ablation.loss (unablated), zero_layer [2] (attn_out and mlp_out
                  of block L zeroed), zero_attn [2], zero_mlp [2], zero_head [2, 4] (z of one head),
                  mean_head [2, 4] (z of one head set to its mean over the reference dataset's batch
                  items and positions), resample_head [2, 4] (z of one head taken from reference
                  dataset item resample.index[b] for clean item b); reference.tokens [8, 21] the
                  reference dataset (seeded induction sequences), resample.index [2]

Also writes packages/patching/test/fixtures/acdc.json: ACDC (Conmy et al. 2023) on the same prompts,
computed by its definition with a split-input forward pass written here (not hooks): every receiver
input — each head's q, k and v input, each MLP's input, the logits' input — is the sum of the
outputs of the earlier nodes (embed + pos_embed; each head's z times its slice of W_O; each MLP's
output) plus the W_O biases of the earlier attention layers, taking a sender's output from the
corrupted run (the full model on the corrupted prompt) when the edge sender → receiver input is
removed, and from the current run otherwise. Metric: KL(P_clean || P_run) of the next-token
distributions, mean over the batch and every position, in float64. Receivers are visited from the
output back (logits, MLP1, L1H3 .. L1H0 with inputs v, k, q, MLP0, L0H3 .. L0H0), each input's senders
from the latest back; an edge is removed when after - before < tau (then before := after); a node with
no kept outgoing edge has its incoming edges removed without a run. Keys: threshold, cleanMetric,
metric (final), log [{from, to, via?, before, after, kept}], edges (the kept edges, {from, to, via?}).

Run: /usr/bin/python3 tools/patching/reference.py
"""

import json
import math
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools", "fixtures"))
import gpt  # noqa: E402
import gpt_hooks  # noqa: E402

FIXTURES = os.path.join(ROOT, "packages", "core", "test", "fixtures")
OUT = os.path.join(ROOT, "packages", "patching", "test", "fixtures")
CORRUPT = 3
SCORED = 13
RESID_HOOKS = ["blocks.0.hook_resid_pre", "blocks.1.hook_resid_pre", "blocks.1.hook_resid_post"]
Z_HOOKS = ["blocks.0.attn.z", "blocks.1.attn.z"]
MODULE = {  # hook name -> module whose output it is
    "blocks.0.hook_resid_pre": "blocks.0.hook_resid_pre",
    "blocks.1.hook_resid_pre": "blocks.1.hook_resid_pre",
    "blocks.1.hook_resid_post": "blocks.1",
    "blocks.0.attn.z": "blocks.0.attn.hook_z",
    "blocks.1.attn.z": "blocks.1.attn.hook_z",
    "blocks.0.attn_out": "blocks.0.attn",
    "blocks.1.attn_out": "blocks.1.attn",
    "blocks.0.mlp_out": "blocks.0.mlp",
    "blocks.1.mlp_out": "blocks.1.mlp",
    "blocks.1.attn.W_K": "blocks.1.attn.W_K",
}
FEATURES = 16  # the feature sweep covers d_model features 0..15 of blocks.1.hook_resid_pre


def load():
    proto = onnx.load(os.path.join(FIXTURES, "gpt2l.onnx"))
    import json

    with open(os.path.join(FIXTURES, "gpt2l.meta.json")) as f:
        meta = json.load(f)
    return gpt_hooks.load_trained_model(proto, meta["parameters"])


def run(model, tokens, edits=None, record=()):
    """Logits of `tokens` with `edits` (module name -> fn(output) -> new output); also the outputs of `record`."""
    handles, cache = [], {}
    for name, edit in (edits or {}).items():
        handles.append(model.get_submodule(MODULE[name]).register_forward_hook(lambda m, i, o, e=edit: e(o)))
    for name in record:
        handles.append(model.get_submodule(MODULE[name]).register_forward_hook(lambda m, i, o, n=name: cache.__setitem__(n, o.detach().clone())))
    try:
        logits = model(tokens)
    finally:
        for h in handles:
            h.remove()
    return logits, cache


def replace(index, source):
    def edit(value):
        out = value.clone()
        out[index] = source[index]
        return out

    return edit


ACDC_THRESHOLD = 0.02
ACDC_MARGIN = 1e-4  # every tried edge's (after - before) must be this far from the threshold


def acdc_nodes():
    """(id, layer, kind) in forward order: embed, L0H0..L0H3, MLP0, L1H0..L1H3, MLP1, logits."""
    nodes = [("embed", -1, "input")]
    for l in range(gpt.N_LAYERS):
        nodes += [(f"L{l}H{h}", l, "head") for h in range(gpt.N_HEADS)] + [(f"MLP{l}", l, "mlp")]
    return nodes + [("logits", gpt.N_LAYERS, "output")]


def split_forward(model, tokens, removed, corrupted_outputs):
    """Logits and every node's output, each receiver input summed from its senders (see the module doc)."""
    outputs = {}
    pos = torch.arange(tokens.shape[1])
    outputs["embed"] = model.embed(tokens) + model.pos_embed(pos)
    bias = torch.zeros(gpt.D_MODEL)
    batch, seq = tokens.shape

    def receive(receiver, via):
        total = bias.clone()
        for sender, value in outputs.items():
            total = total + (corrupted_outputs[sender] if (sender, receiver, via) in removed else value)
        return total

    allowed = torch.tril(torch.ones(seq, seq, dtype=torch.bool))
    for l, block in enumerate(model.blocks):
        attn = block.attn
        heads = {}
        for h in range(gpt.N_HEADS):
            cols = slice(h * gpt.D_HEAD, (h + 1) * gpt.D_HEAD)
            q, k, v = (lin(block.ln1(receive(f"L{l}H{h}", via))).view(batch, seq, gpt.N_HEADS, gpt.D_HEAD)[:, :, h] for lin, via in ((attn.W_Q, "q"), (attn.W_K, "k"), (attn.W_V, "v")))
            scores = (q @ k.transpose(1, 2) / math.sqrt(gpt.D_HEAD)).masked_fill(~allowed, gpt.MASK_VALUE)
            z = torch.softmax(scores, dim=-1) @ v
            heads[f"L{l}H{h}"] = z @ attn.W_O.weight[:, cols].T
        outputs.update(heads)
        bias = bias + attn.W_O.bias
        outputs[f"MLP{l}"] = block.mlp(block.ln2(receive(f"MLP{l}", None)))
    return model.unembed(model.ln_final(receive("logits", None))), outputs


def kl_from(reference_logits):
    p = torch.softmax(reference_logits.double(), dim=-1)
    log_p = torch.log_softmax(reference_logits.double(), dim=-1)

    def metric(logits):
        return float((p * (log_p - torch.log_softmax(logits.double(), dim=-1))).sum(-1).mean())

    return metric


def acdc_reference(model, clean, corrupted, tau):
    """The ACDC decisions, sequentially by definition (no batching, no shortcut but the unused-node rule)."""
    with torch.no_grad():
        full = model(clean)
        check, _ = split_forward(model, clean, set(), {})
        assert torch.allclose(check, full, atol=1e-4), "the split forward pass must reproduce the model"
        _, corrupted_outputs = split_forward(model, corrupted, set(), {})
        metric = kl_from(full)
        nodes = acdc_nodes()
        order = {n: i for i, (n, _, _) in enumerate(nodes)}
        level = {n: (l + (0.5 if kind == "mlp" else 0.0) if kind != "input" else -math.inf) if kind != "output" else math.inf for n, l, kind in nodes}
        visits = []
        for n, _, kind in reversed(nodes):
            if kind == "input":
                continue
            senders = [s for s, _, k in reversed(nodes) if k != "output" and level[s] < level[n]]
            for via in (["v", "k", "q"] if kind == "head" else [None]):
                visits.append((n, via, senders))
        removed, kept, log = set(), [], []
        current = metric(split_forward(model, clean, removed, corrupted_outputs)[0])
        clean_metric = current
        margin = math.inf
        for receiver, via, senders in visits:
            unused = receiver != "logits" and not any(e[0] == receiver for e in kept)
            for sender in senders:
                edge = (sender, receiver, via)
                after = current if unused else metric(split_forward(model, clean, removed | {edge}, corrupted_outputs)[0])
                keep = not unused and not (after - current < tau)
                entry = {"from": sender, "to": receiver, **({"via": via} if via else {}), "before": current, "after": after, "kept": keep}
                log.append(entry)
                if not unused:
                    margin = min(margin, abs(after - current - tau))
                if keep:
                    kept.append(edge)
                else:
                    removed.add(edge)
                    current = after
        assert margin > ACDC_MARGIN, f"an edge is within {margin} of tau; choose another threshold"
        edges = [{"from": s, "to": r, **({"via": v} if v else {})} for s, r, v in sorted(kept, key=lambda e: (order[e[1]], order[e[0]], e[2] or ""))]
        print(f"ACDC tau={tau}: {len(kept)} of {len(log)} edges kept, metric {current:.5f}, closest margin {margin:.2e}")
        return {"threshold": tau, "cleanMetric": clean_metric, "metric": current, "log": log, "edges": edges}


def main():
    torch.manual_seed(0)
    torch.set_num_threads(2)
    model = load()
    ref = np.load(os.path.join(FIXTURES, "gpt2l.reference.npz"))
    clean = torch.from_numpy(ref["input.tokens"])
    corrupted = clean.clone()
    for b in range(clean.shape[0]):
        corrupted[b, CORRUPT] = min(set(range(1, gpt.VOCAB)) - set(clean[b].tolist()))
    targets = clean[:, CORRUPT + 1].clone()
    rows = torch.arange(clean.shape[0])

    def metric(logits):
        return float(logits[rows, SCORED, targets].double().mean())

    hooks = RESID_HOOKS + Z_HOOKS + ["blocks.1.attn.W_K"]
    with torch.no_grad():
        clean_logits, clean_cache = run(model, clean, record=hooks)
        corrupted_logits, corrupted_cache = run(model, corrupted, record=hooks)
    m_clean, m_corr = metric(clean_logits), metric(corrupted_logits)
    print(f"metric clean {m_clean:.4f} corrupted {m_corr:.4f}")
    seq = clean.shape[1]
    arrays = {
        "clean.tokens": clean.numpy(),
        "corrupted.tokens": corrupted.numpy(),
        "metric.targets": targets.numpy(),
        "metric.clean": np.array(m_clean, dtype=np.float64),
        "metric.corrupted": np.array(m_corr, dtype=np.float64),
    }

    with torch.no_grad():
        pos = np.zeros((len(RESID_HOOKS), seq))
        for i, hook in enumerate(RESID_HOOKS):
            for p in range(seq):
                pos[i, p] = metric(run(model, corrupted, {hook: replace((slice(None), p), clean_cache[hook])})[0])
        heads = np.zeros((2, gpt.N_HEADS))
        noising = np.zeros((2, gpt.N_HEADS))
        head_pos = np.zeros((2, gpt.N_HEADS, seq))
        for i, hook in enumerate(Z_HOOKS):
            for h in range(gpt.N_HEADS):
                heads[i, h] = metric(run(model, corrupted, {hook: replace((slice(None), slice(None), h), clean_cache[hook])})[0])
                noising[i, h] = metric(run(model, clean, {hook: replace((slice(None), slice(None), h), corrupted_cache[hook])})[0])
                for p in range(seq):
                    head_pos[i, h, p] = metric(run(model, corrupted, {hook: replace((slice(None), p, h), clean_cache[hook])})[0])
        features = np.array([metric(run(model, corrupted, {"blocks.1.hook_resid_pre": replace((slice(None), slice(None), f), clean_cache["blocks.1.hook_resid_pre"])})[0]) for f in range(FEATURES)])
        path = np.zeros(gpt.N_HEADS)
        for s in range(gpt.N_HEADS):
            sender = clean_cache["blocks.0.attn.z"].clone()
            sender[:, :, s] = corrupted_cache["blocks.0.attn.z"][:, :, s]
            frozen = {"blocks.0.attn.z": lambda v, x=sender: x.clone(), "blocks.1.attn.z": lambda v: clean_cache["blocks.1.attn.z"].clone()}
            _, rec = run(model, clean, frozen, record=["blocks.1.attn.W_K"])
            path[s] = metric(run(model, clean, {"blocks.1.attn.W_K": lambda v, x=rec["blocks.1.attn.W_K"]: x.clone()})[0])
    arrays.update({"position_sweep": pos, "head_sweep": heads, "noising_head_sweep": noising, "head_position_sweep": head_pos, "feature_sweep": features, "path_patching": path})
    print("position sweep\n", np.round((pos - m_corr) / (m_clean - m_corr), 2))
    print("head sweep\n", np.round((heads - m_corr) / (m_clean - m_corr), 3))
    print("noising head sweep\n", np.round((noising - m_corr) / (m_clean - m_corr), 3))
    print("path patching\n", np.round((path - m_corr) / (m_clean - m_corr), 3))

    # attribution patching: gradients at the corrupted run
    grads, acts = {}, {}

    def keep(name):
        def hook(m, i, o):
            o.retain_grad()
            acts[name] = o

        return hook

    handles = [model.get_submodule(MODULE[h]).register_forward_hook(keep(h)) for h in RESID_HOOKS + Z_HOOKS]
    logits = model(corrupted)
    logits[rows, SCORED, targets].double().mean().backward()
    for h in handles:
        h.remove()
    for name, value in acts.items():
        grads[name] = value.grad.detach()
    attr_pos = np.stack([((clean_cache[h] - corrupted_cache[h]) * grads[h]).sum(dim=(0, 2)).numpy() for h in RESID_HOOKS])
    attr_head = np.stack([((clean_cache[h] - corrupted_cache[h]) * grads[h]).sum(dim=(0, 1, 3)).numpy() for h in Z_HOOKS])
    arrays.update({"attribution_position": attr_pos, "attribution_head": attr_head})
    print("attribution head (normalized)\n", np.round(attr_head / (m_clean - m_corr), 3))

    # ablations on the clean prompt, metric: the fixture's loss
    gen = torch.Generator().manual_seed(7)
    reference = gpt.induction_batch(gen, 8, 10)
    resample = torch.tensor([5, 2])
    half = 10

    def loss(logits):
        ce = F.cross_entropy(logits.transpose(1, 2).double(), gpt.next_token_targets(clean), reduction="none")
        return float(ce[:, half + 1 : 2 * half].mean())

    with torch.no_grad():
        _, ref_cache = run(model, reference, record=Z_HOOKS)
        base = loss(run(model, clean)[0])
        zero = lambda v: torch.zeros_like(v)  # noqa: E731
        zero_layer = [loss(run(model, clean, {f"blocks.{l}.attn_out": zero, f"blocks.{l}.mlp_out": zero})[0]) for l in range(2)]
        zero_attn = [loss(run(model, clean, {f"blocks.{l}.attn_out": zero})[0]) for l in range(2)]
        zero_mlp = [loss(run(model, clean, {f"blocks.{l}.mlp_out": zero})[0]) for l in range(2)]
        zh, mh, rh = (np.zeros((2, gpt.N_HEADS)) for _ in range(3))
        for i, hook in enumerate(Z_HOOKS):
            mean = ref_cache[hook].mean(dim=(0, 1))  # [head, d_head]
            for h in range(gpt.N_HEADS):

                def set_head(v, h=h, src=None):
                    out = v.clone()
                    out[:, :, h] = src
                    return out

                zh[i, h] = loss(run(model, clean, {hook: lambda v, h=h: set_head(v, h, 0.0)})[0])
                mh[i, h] = loss(run(model, clean, {hook: lambda v, h=h, m=mean: set_head(v, h, m[h])})[0])
                rh[i, h] = loss(run(model, clean, {hook: lambda v, h=h, r=ref_cache[hook][resample]: set_head(v, h, r[:, :, h])})[0])
    arrays.update(
        {
            "reference.tokens": reference.numpy(),
            "resample.index": resample.numpy(),
            "ablation.loss": np.array(base),
            "ablation.zero_layer": np.array(zero_layer),
            "ablation.zero_attn": np.array(zero_attn),
            "ablation.zero_mlp": np.array(zero_mlp),
            "ablation.zero_head": zh,
            "ablation.mean_head": mh,
            "ablation.resample_head": rh,
        }
    )
    print("ablation loss", base, "zero layer", zero_layer, "attn", zero_attn, "mlp", zero_mlp)
    print("zero head\n", np.round(zh, 3), "\nmean head\n", np.round(mh, 3), "\nresample head\n", np.round(rh, 3))
    os.makedirs(OUT, exist_ok=True)
    out = {k: (v.astype(np.float32) if v.dtype == np.float64 else v) for k, v in arrays.items()}
    np.savez(os.path.join(OUT, "induction.npz"), **out)
    print(f"wrote {os.path.join(OUT, 'induction.npz')}")
    result = acdc_reference(model, clean, corrupted, ACDC_THRESHOLD)
    with open(os.path.join(OUT, "acdc.json"), "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    print(f"wrote {os.path.join(OUT, 'acdc.json')}")


if __name__ == "__main__":
    main()
