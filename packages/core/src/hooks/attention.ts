/**
 * Finds the attention layers of a graph by their structure, not their names, and the residual
 * stream around each one.
 *
 * Recognised: scaled dot-product attention written out as operators — `MatMul(q, kᵀ)`, optional
 * scaling / masking (`Div`, `Mul`, `Add`, `Where`, `Sub`, `Cast`), `Softmax`, optional `Dropout`,
 * `MatMul(pattern, v)` — which covers hand-written attention (TransformerLens-style models),
 * Hugging Face GPT-2 / Llama-style exports and the decomposition of
 * `scaled_dot_product_attention`. Fused contrib operators (`com.microsoft` `Attention`,
 * `MultiHeadAttention`, `GroupQueryAttention`) keep their pattern inside one kernel and are
 * reported as not recognised. The residual stream around each layer is matched by
 * `residual.ts` (pre-LN, post-LN and parallel blocks, with TransformerLens's definitions).
 */
import type { Graph } from '../onnx/graph.js';
import type { NodeProto } from '../onnx/gen/onnx_pb.js';
import { ancestors, dataValues } from './dataflow.js';
import { UNFUSABLE_ATTENTION } from './fused-attention.js';
import { matchResidual, type ResidualSite } from './residual.js';
import { moduleOf, nodeScopes, type ScopeMap } from './scopes.js';
import { OWN_NAME_PREFIX } from '../runtime/own-nodes.js';

/** Operators allowed between `MatMul(q, kᵀ)` and `Softmax`, and between `Softmax` and `MatMul(·, v)`. */
const SCORE_OPS = new Set(['Div', 'Mul', 'Add', 'Sub', 'Where', 'Cast', 'Clip', 'Tanh']);
const PATTERN_OPS = new Set(['Dropout', 'Cast', 'Where', 'Identity']);
const FUSED_ATTENTION = new Set(['Attention', 'QAttention', 'MultiHeadAttention', 'GroupQueryAttention', 'PackedAttention', 'PackedMultiHeadAttention']);

/** One recognised attention layer. */
export interface AttentionSite {
  /** Layer index, in topological order. */
  readonly layer: number;
  /** Module path of the attention (`blocks.0.attn`), or `undefined` without exporter scopes. */
  readonly module: string | undefined;
  /** Post-softmax pattern, `[batch, head, query, key]`. */
  readonly pattern: string;
  /** Scaled, masked scores entering the Softmax, `[batch, head, query, key]`. */
  readonly scores: string;
  /** The operands of `MatMul(q, kᵀ)` and the `v` of `MatMul(pattern, v)`, as the graph has them. */
  readonly operands: { readonly q: string; readonly k: string; readonly v: string };
  /** Per-head output before the output projection, and where its head and position axes are. */
  readonly z: string;
  /** Axis order of `z`. */
  readonly zLayout: 'batch,pos,head,d_head' | 'batch,head,pos,d_head';
  /** The residual stream around the layer, where the block structure allows. */
  readonly residual: ResidualSite | undefined;
  /** Why there is no residual stream (`undefined` when there is one). */
  readonly residualReason: string | undefined;
}

/** What attention recognition found. */
export interface AttentionReport {
  /** Each recognised attention layer, in topological order. */
  readonly sites: readonly AttentionSite[];
  /** Fused attention nodes whose pattern is not exposed by the graph. */
  readonly fused: readonly string[];
  /** Softmax nodes that did not match the attention structure. */
  readonly unmatchedSoftmax: readonly string[];
}

/** Recognises the attention layers of `graph` (`order`: its topological order). */
export function findAttention(graph: Graph, order: readonly NodeProto[]): AttentionReport {
  const sites: AttentionSite[] = [];
  const unmatchedSoftmax: string[] = [];
  const fused = order.filter((n) => FUSED_ATTENTION.has(n.opType) || (n.domain === 'com.microsoft' && UNFUSABLE_ATTENTION.has(n.opType))).map((n) => n.name || n.opType);
  const data = dataValues(graph, order);
  const scopes = nodeScopes(graph, order, data);
  for (const softmax of order.filter((n) => n.opType === 'Softmax' && n.domain === '')) {
    const site = matchSite(graph, softmax, sites.length, scopes, data);
    if (site === undefined) unmatchedSoftmax.push(softmax.name || softmax.output[0]!);
    else sites.push(site);
  }
  return { sites, fused, unmatchedSoftmax };
}

function matchSite(graph: Graph, softmax: NodeProto, layer: number, scopes: ScopeMap, data: ReadonlySet<string>): AttentionSite | undefined {
  const qk = reachesBackTo(graph, softmax.input[0]!, 'MatMul', SCORE_OPS);
  if (qk === undefined) return undefined;
  const pattern = softmax.output[0]!;
  const pv = forwardTo(graph, pattern, 'MatMul', PATTERN_OPS);
  if (pv === undefined || !ancestors(graph, pv.input[0]!).has(pattern)) return undefined;
  const heads = pv.output[0]!;
  const consumers = graph.consumersOf(heads);
  const transpose = consumers.length === 1 && consumers[0]!.opType === 'Transpose' && isPerm0213(consumers[0]!) ? consumers[0]! : undefined;
  const z = transpose?.output[0] ?? heads;
  const residual = matchResidual(graph, softmax, z, data);
  return {
    layer,
    module: attentionModule(softmax.name.includes(`${OWN_NAME_PREFIX}_unfused_`) ? moduleOf(softmax) : scopes.scope.get(softmax)),
    pattern,
    scores: softmax.input[0]!,
    operands: { q: qk.input[0]!, k: qk.input[1]!, v: pv.input[1]! },
    z,
    zLayout: transpose === undefined ? 'batch,head,pos,d_head' : 'batch,pos,head,d_head',
    residual: typeof residual === 'string' ? undefined : residual,
    residualReason: typeof residual === 'string' ? residual : undefined,
  };
}

function reachesBackTo(graph: Graph, value: string, opType: string, through: ReadonlySet<string>): NodeProto | undefined {
  const stack = [value];
  const seen = new Set<string>();
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const producer = graph.producerOf(name);
    if (producer === undefined) continue;
    if (producer.opType === opType) return producer;
    if (through.has(producer.opType)) stack.push(...producer.input.filter((i) => i !== ''));
  }
  return undefined;
}

function forwardTo(graph: Graph, value: string, opType: string, through: ReadonlySet<string>): NodeProto | undefined {
  const stack = [value];
  const seen = new Set<string>();
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    for (const consumer of graph.consumersOf(name)) {
      if (consumer.opType === opType) return consumer;
      if (through.has(consumer.opType)) stack.push(...consumer.output.filter((o) => o !== ''));
    }
  }
  return undefined;
}

function isPerm0213(node: NodeProto): boolean {
  const perm = node.attribute.find((a) => a.name === 'perm')?.ints.map(Number);
  return perm !== undefined && perm.join(',') === '0,2,1,3';
}

/**
 * The attention's module path; `undefined` when it sits at the root or nothing was recorded. For
 * the nodes `unfuse` wrote, only the fused node's own recorded scope counts: the q / k / v
 * projections went into the fused node, so the scope its neighbours share (the model's root
 * module, between an embedding and a block) is not the attention's.
 */
function attentionModule(scope: string | undefined): string | undefined {
  return scope === '' ? undefined : scope;
}

export type { ResidualLayout, ResidualSite } from './residual.js';
