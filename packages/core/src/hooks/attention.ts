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
 * reported as not recognised. Residual aliases need the pre-LN sequential block of GPT-2 and
 * Llama: `resid_mid = resid_pre + attn_out`, `resid_post = resid_mid + mlp_out`.
 */
import type { Graph } from '../onnx/graph.js';
import type { NodeProto } from '../onnx/gen/onnx_pb.js';
import { ancestors, dataValues, descendants } from './dataflow.js';
import { nodeScopes, type ScopeMap } from './scopes.js';

/** Operators allowed between `MatMul(q, kᵀ)` and `Softmax`, and between `Softmax` and `MatMul(·, v)`. */
const SCORE_OPS = new Set(['Div', 'Mul', 'Add', 'Sub', 'Where', 'Cast', 'Clip', 'Tanh']);
const PATTERN_OPS = new Set(['Dropout', 'Cast', 'Where', 'Identity']);
const FUSED_ATTENTION = new Set(['Attention', 'MultiHeadAttention', 'GroupQueryAttention', 'PackedAttention', 'PackedMultiHeadAttention']);

/** One recognised attention layer. */
export interface AttentionSite {
  /** Layer index, in topological order. */
  readonly layer: number;
  /** Module path of the attention (`blocks.0.attn`), or `undefined` without exporter scopes. */
  readonly module: string | undefined;
  /** Post-softmax pattern, `[batch, head, query, key]`. */
  readonly pattern: string;
  /** Per-head output before the output projection, and where its head and position axes are. */
  readonly z: string;
  /** Axis order of `z`. */
  readonly zLayout: 'batch,pos,head,d_head' | 'batch,head,pos,d_head';
  /** The residual stream around the layer, where the block structure allows. */
  readonly residual: ResidualSite | undefined;
}

/** The residual stream of one pre-LN block. */
export interface ResidualSite {
  /** Value entering the block (`hook_resid_pre`). */
  readonly residPre: string;
  /** Attention output added to the stream (`hook_attn_out`). */
  readonly attnOut: string;
  /** Stream after the attention's addition (`hook_resid_mid`). */
  readonly residMid: string;
  /** MLP output added to the stream (`hook_mlp_out`), when the block has an MLP. */
  readonly mlpOut: string | undefined;
  /** Value leaving the block (`hook_resid_post`). */
  readonly residPost: string;
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
  const fused = order.filter((n) => FUSED_ATTENTION.has(n.opType)).map((n) => n.name || n.opType);
  const scopes = nodeScopes(graph, order, dataValues(graph, order));
  for (const softmax of order.filter((n) => n.opType === 'Softmax' && n.domain === '')) {
    const site = matchSite(graph, softmax, sites.length, scopes);
    if (site === undefined) unmatchedSoftmax.push(softmax.name || softmax.output[0]!);
    else sites.push(site);
  }
  return { sites, fused, unmatchedSoftmax };
}

function matchSite(graph: Graph, softmax: NodeProto, layer: number, scopes: ScopeMap): AttentionSite | undefined {
  if (!reachesBackTo(graph, softmax.input[0]!, 'MatMul', SCORE_OPS)) return undefined;
  const pattern = softmax.output[0]!;
  const pv = forwardTo(graph, pattern, 'MatMul', PATTERN_OPS);
  if (pv === undefined || !ancestors(graph, pv.input[0]!).has(pattern)) return undefined;
  const heads = pv.output[0]!;
  const consumers = graph.consumersOf(heads);
  const transpose = consumers.length === 1 && consumers[0]!.opType === 'Transpose' && isPerm0213(consumers[0]!) ? consumers[0]! : undefined;
  const z = transpose?.output[0] ?? heads;
  return {
    layer,
    module: attentionModule(scopes.scope.get(softmax)),
    pattern,
    z,
    zLayout: transpose === undefined ? 'batch,head,pos,d_head' : 'batch,pos,head,d_head',
    residual: matchResidual(graph, softmax, z),
  };
}

function matchResidual(graph: Graph, softmax: NodeProto, z: string): ResidualSite | undefined {
  const fromZ = descendants(graph, z);
  const intoSoftmax = ancestors(graph, softmax.input[0]!);
  const first = firstAdd(graph, z, fromZ, (other) => !fromZ.has(other) && intoSoftmax.has(other));
  if (first === undefined) return undefined;
  const [attnOut, residPre] = fromZ.has(first.input[0]!) ? [first.input[0]!, first.input[1]!] : [first.input[1]!, first.input[0]!];
  const residMid = first.output[0]!;
  const fromMid = descendants(graph, residMid);
  const second = graph.consumersOf(residMid).find((n) => {
    if (n.opType !== 'Add' || n.input.length !== 2) return false;
    const other = n.input[0] === residMid ? n.input[1]! : n.input[0]!;
    return other !== residMid && fromMid.has(other) && !passesSoftmax(graph, other, fromMid);
  });
  if (second === undefined) return { residPre, attnOut, residMid, mlpOut: undefined, residPost: residMid };
  const mlpOut = second.input[0] === residMid ? second.input[1]! : second.input[0]!;
  return { residPre, attnOut, residMid, mlpOut, residPost: second.output[0]! };
}

/** The first `Add` downstream of `start` whose other input satisfies `accept`. */
function firstAdd(graph: Graph, start: string, reachable: ReadonlySet<string>, accept: (other: string) => boolean): NodeProto | undefined {
  const queue = [start];
  const seen = new Set(queue);
  while (queue.length > 0) {
    for (const node of graph.consumersOf(queue.shift()!)) {
      if (node.opType === 'Add' && node.input.length === 2) {
        const other = reachable.has(node.input[0]!) ? node.input[1]! : node.input[0]!;
        if (accept(other)) return node;
      }
      for (const out of node.output) {
        if (out !== '' && !seen.has(out)) {
          seen.add(out);
          queue.push(out);
        }
      }
    }
  }
  return undefined;
}

/** True when `value` is computed through a Softmax downstream of the block (the next attention, not an MLP). */
function passesSoftmax(graph: Graph, value: string, downstream: ReadonlySet<string>): boolean {
  for (const v of ancestors(graph, value)) if (downstream.has(v) && graph.producerOf(v)?.opType === 'Softmax') return true;
  return false;
}

function reachesBackTo(graph: Graph, value: string, opType: string, through: ReadonlySet<string>): boolean {
  const stack = [value];
  const seen = new Set<string>();
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const producer = graph.producerOf(name);
    if (producer === undefined) continue;
    if (producer.opType === opType) return true;
    if (through.has(producer.opType)) stack.push(...producer.input.filter((i) => i !== ''));
  }
  return false;
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

/** The attention's module path; `undefined` when it sits at the root or nothing was recorded. */
function attentionModule(scope: string | undefined): string | undefined {
  return scope === '' ? undefined : scope;
}
