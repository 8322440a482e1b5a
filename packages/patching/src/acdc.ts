/**
 * ACDC (Conmy et al. 2023, "Towards Automated Circuit Discovery for Mechanistic
 * Interpretability"): visit the receivers from the output back; for each incoming edge, corrupt
 * it on top of the edges already removed, and remove it for good when the metric (default: KL
 * divergence from the clean run's outputs) grows by less than τ.
 */
import type { HookedModel, Tensor } from '@mechint/core';
import { edgeKey, runHypotheses, type HypothesisRunner, type ReceiverInput } from './acdc-runs.js';
import { CausalGraph, type CausalEdge } from './causal-graph.js';
import { circuitOrder, transformerNodes, type CircuitNode } from './circuit.js';
import { checkComponent } from './components.js';
import { checkAborted, checkPromptPair, ensure, type Feeds, type ProgressOptions } from './internal.js';
import { evaluate, klDivergence, type Metric } from './metrics.js';
import { checkBatchSize } from './sweep.js';

/** Options of {@link acdc}. */
export interface AcdcOptions extends ProgressOptions {
  /** The model. */
  model: HookedModel;
  /** Feeds of the clean run. */
  clean: Feeds;
  /** Feeds of the corrupted run, shaped like `clean`; a removed edge carries its sender's output on them. */
  corrupted: Feeds;
  /**
   * The components: circuit nodes, or ids picked from {@link transformerNodes} (default: all of
   * them). Exact when the senders' outputs add up to each receiver's input (as the default
   * nodes do); components outside the nodes are recomputed.
   */
  nodes?: readonly CircuitNode[] | readonly string[];
  /**
   * Called with the outputs of the original batch; ACDC minimizes it. Default (as ACDC): KL
   * divergence of the next-token distributions from the clean run's, over every position.
   */
  metric?: Metric;
  /** τ ≥ 0: an edge is removed when removing it raises the metric by less than τ. */
  threshold: number;
  /** Hypotheses tried per batch of session calls (default 16); results do not depend on it. */
  speculate?: number;
  /** Patches per session call (default: as many as fit in 2²⁴ elements). */
  batchSize?: number;
}

/** One ACDC decision. */
export interface AcdcDecision {
  /** Sender node id. */
  from: string;
  /** Receiver node id. */
  to: string;
  /** The receiver input (`q`, `k`, `v`), for receivers with several. */
  via?: string;
  /** The metric with the edges removed so far. */
  before: number;
  /** The metric with this edge removed too. */
  after: number;
  /** `after − before ≥ τ`: the edge stays. */
  kept: boolean;
}

/** What {@link acdc} found. */
export interface AcdcResult {
  /** The kept edges (effect: `after − before` when it was tried), pruned to nodes on an input → output path. */
  graph: CausalGraph;
  /** Every decision, in the order taken. */
  log: AcdcDecision[];
  /** The metric of the clean run (0 for the default KL). */
  cleanMetric: number;
  /** The metric of the circuit: every removed edge corrupted. */
  metric: number;
}

function resolveNodes(model: HookedModel, clean: Feeds, nodes: AcdcOptions['nodes']): CircuitNode[] {
  if (nodes === undefined) return transformerNodes(model, clean);
  ensure(Array.isArray(nodes) && nodes.length > 1, 'nodes must list at least a sender and a receiver (circuit nodes, or ids of transformerNodes).');
  if (nodes.every((n) => typeof n === 'string')) {
    const all = transformerNodes(model, clean);
    return (nodes as readonly string[]).map((id) => {
      const n = all.find((x) => x.id === id);
      ensure(n !== undefined, `Unknown node '${id}'; transformerNodes of this model are ${all.map((x) => x.id).join(', ')}.`, 'INVALID_ARGUMENT', { node: id });
      return n;
    });
  }
  ensure(nodes.every((n) => typeof n === 'object' && n !== null), 'nodes must be all circuit nodes or all node ids.');
  return [...(nodes as readonly CircuitNode[])];
}

function checkNodes(model: HookedModel, clean: Feeds, nodes: readonly CircuitNode[]): void {
  const ids = new Set<string>();
  for (const n of nodes) {
    ensure(typeof n.id === 'string' && n.id.length > 0 && !ids.has(n.id), `Node ids must be unique non-empty strings; got '${String(n.id)}' twice or empty.`);
    ids.add(n.id);
    if (n.output !== undefined) checkComponent(model, n.output, clean, `node '${n.id}' output`);
    for (const c of n.inputs ?? []) checkComponent(model, c, clean, `node '${n.id}' input`);
  }
}

/** Receiver inputs and their senders, in ACDC's visiting order and grouped in topological stages. */
function layout(nodes: readonly CircuitNode[]): { visits: ReceiverInput[]; stages: ReceiverInput[][] } {
  const all: ReceiverInput[] = [];
  for (const node of nodes) {
    const senders = nodes.filter((s) => s.output !== undefined && circuitOrder(s) < circuitOrder(node)).reverse();
    (node.inputs ?? []).forEach((_, input) => senders.length > 0 && all.push({ node, input, senders }));
  }
  ensure(all.length > 0, 'No edge to test: give nodes with outputs (senders) before nodes with inputs (receivers).');
  const orders = [...new Set(all.map((r) => circuitOrder(r.node)))].sort((a, b) => a - b);
  return { visits: [...all].reverse(), stages: orders.map((o) => all.filter((r) => circuitOrder(r.node) === o)) };
}

/**
 * Automatic circuit discovery (ACDC, Conmy et al. 2023). Receivers are visited from the output
 * back (reverse topological order; a head's inputs `v`, `k`, `q`), and each receiver input's
 * senders from the latest back. Each edge is tentatively corrupted on top of the edges already
 * removed: the receiver input gets the current run's outputs of its other senders and the
 * corrupted run's output of this one. When the metric rises by less than `threshold`
 * (`after − before < τ`, as ACDC's default "minimize" mode) the edge is removed for good. A node
 * that no kept edge connects to the output can no longer change the metric; its incoming edges are
 * removed without a run (logged with `after = before`). Candidate edges of one receiver input are
 * run together, each with all earlier candidates removed: exact up to the first kept edge, where
 * the batch restarts — so every decision sees the earlier ones, as the sequential algorithm.
 *
 * @example
 * ```ts
 * import { HookedModel, Tensor } from '@mechint/core';
 * import { acdc } from '@mechint/patching';
 * const model = await HookedModel.load('packages/core/test/fixtures/gpt2l.onnx');
 * const seq = [10n, 15n, 14n, 20n, 19n, 5n, 4n, 8n];
 * const clean = { tokens: Tensor.from([[0n, ...seq, ...seq]]) };
 * const corrupted = { tokens: clean.tokens.clone() };
 * corrupted.tokens.set(1n, 0, 3);
 * const { graph, log } = await acdc({ model, clean, corrupted, threshold: 0.05, nodes: ['embed', 'L0H2', 'L1H0', 'L1H1', 'logits'] });
 * console.log(log.length, graph.edge('L0H2', 'L1H0', 'k') !== undefined); // 19 true
 * ```
 */
export async function acdc(options: AcdcOptions): Promise<AcdcResult> {
  const { model, clean, corrupted } = options;
  const tau = options.threshold;
  ensure(typeof tau === 'number' && Number.isFinite(tau) && tau >= 0, `threshold must be a finite number ≥ 0 (τ: remove an edge when the metric rises by less); got ${String(tau)}.`);
  const speculate = options.speculate ?? 16;
  ensure(Number.isInteger(speculate) && speculate >= 1, `speculate must be a positive integer; got ${speculate}.`);
  checkBatchSize(options.batchSize);
  checkPromptPair(model, clean, corrupted, 'acdc');
  ensure(options.metric === undefined || typeof options.metric === 'function', 'metric must be a function of the outputs returning a number (default: KL divergence from the clean run).');
  const nodes = resolveNodes(model, clean, options.nodes);
  checkNodes(model, clean, nodes);
  const { visits, stages } = layout(nodes);
  checkAborted(options.signal, 'ACDC');

  const senderHooks = [...new Set(nodes.filter((n) => n.output !== undefined).map((n) => n.output!.hook))];
  const readHooks = [...new Set(visits.map((r) => r.node.inputs![r.input]!.hook))];
  const hooks = [...new Set([...senderHooks, ...readHooks])];
  const cleanRun = await model.runWithCache(clean, { hooks });
  const corruptedRun = await model.runWithCache(corrupted, { hooks: senderHooks });
  const metric = options.metric ?? klDivergence({ reference: cleanRun.outputs[model.model.graph.outputs[0]!.name]! as Tensor<'float32'> });
  const cleanMetric = evaluate(metric, cleanRun.outputs);
  const runner: HypothesisRunner = {
    model,
    clean,
    metric,
    cleanValues: new Map(hooks.map((h) => [h, cleanRun.cache.get(h)])),
    corruptedValues: new Map(senderHooks.map((h) => [h, corruptedRun.cache.get(h)])),
    cleanMetric,
    stages,
    hooks,
    ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  };

  const total = visits.reduce((s, r) => s + r.senders.length, 0);
  const removed = new Set<string>();
  const kept: CausalEdge[] = [];
  const log: AcdcDecision[] = [];
  let current = cleanMetric;
  const viaOf = (r: ReceiverInput) => ((r.node.inputs?.length ?? 0) > 1 ? { via: r.node.inputs![r.input]!.name ?? String(r.input) } : {});
  const decide = (r: ReceiverInput, s: CircuitNode, after: number, unused = false) => {
    const isKept = !unused && !(after - current < tau);
    log.push({ from: s.id, to: r.node.id, ...viaOf(r), before: current, after, kept: isKept });
    if (isKept) kept.push({ from: s.id, to: r.node.id, ...viaOf(r), effect: after - current });
    else (removed.add(edgeKey(s.id, r.node.id, r.input)), (current = after));
    options.onProgress?.(log.length, total);
    return isKept;
  };
  for (const r of visits) {
    checkAborted(options.signal, 'ACDC');
    if (r.node.kind !== 'output' && !kept.some((e) => e.from === r.node.id)) {
      for (const s of r.senders) decide(r, s, current, true);
      continue;
    }
    let pending = [...r.senders];
    while (pending.length > 0) {
      const tried = pending.slice(0, speculate);
      const hypotheses = tried.map((_, j) => new Set([...removed, ...tried.slice(0, j + 1).map((s) => edgeKey(s.id, r.node.id, r.input))]));
      const metrics = await runHypotheses(runner, hypotheses);
      let used = 0;
      while (used < tried.length) if (decide(r, tried[used]!, metrics[used++]!)) break;
      pending = pending.slice(used);
    }
  }
  const graph = new CausalGraph({ nodes: nodes.map((n) => ({ id: n.id, kind: n.kind, ...(n.layer === undefined ? {} : { layer: n.layer }) })), edges: kept.reverse() }).prune();
  return { graph, log, cleanMetric, metric: current };
}
