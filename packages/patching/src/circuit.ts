/**
 * Edge-level causal graphs by path patching: every edge sender → receiver is scored by
 * path-patching the sender into the receiver's inputs (Wang et al. 2022), giving a
 * {@link CausalGraph} to threshold and prune as ACDC does (Conmy et al. 2023).
 */
import type { HookedModel } from '@mechint/core';
import type { Direction } from './activation-patching.js';
import { CausalGraph, type CausalEdge, type CausalNodeKind } from './causal-graph.js';
import type { Component } from './components.js';
import { checkAborted, ensure, hookShape, range, type Feeds, type ProgressOptions } from './internal.js';
import type { Metric } from './metrics.js';
import { pathPatching } from './path-patching.js';

/** A node of a circuit: what it sends (its output) and where it receives (its inputs). */
export interface CircuitNode {
  /** Unique name, used as the graph node's id. */
  id: string;
  /** What the node stands for; `input` nodes only send, `output` nodes only receive. */
  kind: CausalNodeKind;
  /** Layer index; within a layer, `attention` / `head` nodes come before `mlp` nodes. */
  layer?: number;
  /** The component whose value this node sends (absent for outputs). */
  output?: Component;
  /** The components through which this node receives (absent for inputs). */
  inputs?: readonly Component[];
}

/** Options of {@link causalGraph}. */
export interface CausalGraphOptions extends ProgressOptions {
  /** The model to patch. */
  model: HookedModel;
  /** Feeds of the clean run. */
  clean: Feeds;
  /** Feeds of the corrupted run, shaped like `clean`. */
  corrupted: Feeds;
  /** Called with the outputs of the original batch under one patch. */
  metric: Metric;
  /** The components (see {@link transformerNodes}). */
  nodes: readonly CircuitNode[];
  /** Hooks frozen in path patching (default: every head's `z`). */
  freeze?: readonly string[];
  /** Default `noising`, as Wang et al. and ACDC (edges are corrupted one at a time). */
  direction?: Direction;
  /** Senders per session call in each path-patching run (default: as many as fit in 2²⁴ elements). */
  batchSize?: number;
}

/** A node's place in the forward pass: inputs first, then by layer (heads before the MLP), outputs last. */
export function circuitOrder(n: CircuitNode): number {
  if (n.kind === 'input') return Number.NEGATIVE_INFINITY;
  if (n.kind === 'output') return Number.POSITIVE_INFINITY;
  return (n.layer ?? 0) + (n.kind === 'mlp' || n.kind === 'neuron' ? 0.5 : 0);
}

/**
 * Scores every edge sender → receiver (sender earlier than receiver) by path patching; the edge's
 * effect is the fraction of the clean–corrupted metric gap it carries: `(m_clean − m) / (m_clean −
 * m_corrupted)` when noising, `(m − m_corrupted) / (m_clean − m_corrupted)` when denoising. Each
 * edge is scored alone against the full model (for ACDC's iterative removal see `acdc`); call
 * `.threshold(τ).prune()` on the result for the circuit.
 *
 * @example
 * ```ts
 * import { HookedModel, Tensor } from '@mechint/core';
 * import { causalGraph, logitOf, transformerNodes } from '@mechint/patching';
 * const model = await HookedModel.load('packages/core/test/fixtures/gpt2l.onnx');
 * const clean = { tokens: Tensor.from([[0n, 5n, 6n, 7n, 5n, 6n]]) };
 * const corrupted = { tokens: Tensor.from([[0n, 5n, 9n, 7n, 5n, 6n]]) };
 * const graph = await causalGraph({ model, clean, corrupted, metric: logitOf({ position: 4, token: 6 }), nodes: transformerNodes(model, clean) });
 * console.log(graph.threshold(0.1).prune().toDot().startsWith('digraph')); // true
 * ```
 */
export async function causalGraph(options: CausalGraphOptions): Promise<CausalGraph> {
  const nodes = options.nodes;
  ensure(Array.isArray(nodes) && nodes.length > 1, 'nodes must list at least a sender and a receiver.');
  const receivers = nodes.filter((n) => n.inputs !== undefined && n.inputs.length > 0);
  const plans = receivers.map((r) => ({ r, senders: nodes.filter((s) => s.output !== undefined && circuitOrder(s) < circuitOrder(r)) })).filter((p) => p.senders.length > 0);
  ensure(plans.length > 0, 'No edge to score: give nodes with outputs (senders) before nodes with inputs (receivers).');
  const direction = options.direction ?? 'noising';
  const graph = new CausalGraph({ nodes: nodes.map((n) => ({ id: n.id, kind: n.kind, ...(n.layer === undefined ? {} : { layer: n.layer }) })), edges: [] });
  const total = plans.reduce((s, p) => s + p.senders.length, 0);
  let done = 0;
  const edges: CausalEdge[] = [];
  for (const { r, senders } of plans) {
    checkAborted(options.signal, 'causal graph');
    const result = await pathPatching({
      model: options.model,
      clean: options.clean,
      corrupted: options.corrupted,
      metric: options.metric,
      senders: senders.map((s) => s.output!),
      receivers: r.inputs!,
      direction,
      ...(options.freeze === undefined ? {} : { freeze: options.freeze }),
      ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    const normalized = Array.from(result.normalized.data);
    senders.forEach((s, i) => edges.push({ from: s.id, to: r.id, effect: direction === 'noising' ? 1 - normalized[i]! : normalized[i]! }));
    done += senders.length;
    options.onProgress?.(done, total);
  }
  return new CausalGraph({ nodes: [...graph.nodes], edges });
}

/**
 * The circuit nodes of a TransformerLens-style transformer whose attention projections are
 * separate modules (`blocks.L.attn.W_Q` / `W_K` / `W_V`, as the fixture `gpt2l.onnx`): an `embed`
 * input (sending `blocks.0.hook_resid_pre`), a node per head `L{l}H{h}` (sending its `z`, receiving
 * its query, key and value: inputs named `q`, `k`, `v`), a node per MLP `MLP{l}` (sending `hook_mlp_out`, receiving
 * `blocks.L.mlp.input`) and a `logits` output (receiving the last `hook_resid_post`).
 *
 * @example
 * ```ts
 * import { HookedModel, Tensor } from '@mechint/core';
 * import { transformerNodes } from '@mechint/patching';
 * const model = await HookedModel.load('packages/core/test/fixtures/gpt2l.onnx');
 * console.log(transformerNodes(model, { tokens: Tensor.from([[0n, 1n]]) }).length); // 12
 * ```
 */
export function transformerNodes(model: HookedModel, feeds: Feeds, options: { mlps?: boolean } = {}): CircuitNode[] {
  const names = new Set(model.hookPoints.map((h) => h.name));
  const layers = [...names].map((n) => /^blocks\.(\d+)\.attn\.hook_z$/.exec(n)?.[1]).filter((x) => x !== undefined).map(Number).sort((a, b) => a - b);
  ensure(layers.length > 0, 'transformerNodes needs TransformerLens-style aliases (blocks.L.attn.hook_z); build the nodes by hand for this model.');
  const need = (name: string) => {
    ensure(names.has(name), `transformerNodes needs the hook '${name}' (separate W_Q / W_K / W_V modules and blocks.L.mlp); build the nodes by hand for this model.`);
    return name;
  };
  const nodes: CircuitNode[] = [{ id: 'embed', kind: 'input', output: { hook: need('blocks.0.hook_resid_pre') } }];
  for (const l of layers) {
    const z = `blocks.${l}.attn.hook_z`;
    const point = model.hookPoint(z);
    const shape = hookShape(model, z, feeds);
    const heads = shape[point.axes.head!]!;
    const dHead = shape[point.axes.feature!]!;
    for (const h of range(heads)) {
      const features = range(dHead).map((i) => h * dHead + i);
      nodes.push({
        id: `L${l}H${h}`,
        kind: 'head',
        layer: l,
        output: { hook: z, heads: [h], name: `L${l}H${h}` },
        inputs: ['W_Q', 'W_K', 'W_V'].map((m) => ({ hook: need(`blocks.${l}.attn.${m}.output`), features, name: m.slice(2).toLowerCase() })),
      });
    }
    if (options.mlps ?? true) nodes.push({ id: `MLP${l}`, kind: 'mlp', layer: l, output: { hook: need(`blocks.${l}.hook_mlp_out`), name: `MLP${l}` }, inputs: [{ hook: need(`blocks.${l}.mlp.input`) }] });
  }
  nodes.push({ id: 'logits', kind: 'output', inputs: [{ hook: need(`blocks.${layers.at(-1)!}.hook_resid_post`) }] });
  return nodes;
}
