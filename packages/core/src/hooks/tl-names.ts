/**
 * TransformerLens's hook names for the values a graph has, found by structure around each
 * recognised attention layer: the residual stream (`blocks.L.hook_resid_pre`, …, with the
 * definitions of `residual.ts`), `attn.hook_q/k/v` (per-head, before any rotary embedding),
 * `attn.hook_attn_scores`, `mlp.hook_pre/hook_post`, `ln1/ln2.hook_normalized`, and model-wide
 * `hook_embed`, `hook_pos_embed`. `attn.hook_result` (per-head outputs after W_O) exists only in a
 * model rewritten by `splitHeads` (`HookedModel.load(…, { splitHeads: true })`): exported graphs
 * apply W_O to all heads in one MatMul and never hold per-head results.
 */
import type { Graph } from '../onnx/graph.js';
import type { NodeProto } from '../onnx/gen/onnx_pb.js';
import type { AttentionSite } from './attention.js';
import type { HookAxes } from './hook-points.js';
import { ancestors } from './dataflow.js';
import { NORM_OPS } from './residual.js';

/** A TransformerLens name for a graph value. */
export interface AliasName {
  /** The TransformerLens name (`blocks.0.hook_resid_pre`). */
  readonly name: string;
  /** The ONNX value it reads. */
  readonly value: string;
  /** Axis roles of the value. */
  readonly axes: HookAxes;
}

const RESIDUAL: HookAxes = { batch: 0, position: 1, feature: 2 };
const PER_HEAD: HookAxes = { batch: 0, position: 1, head: 2, feature: 3 };
const SCORES: HookAxes = { batch: 0, head: 1, position: 2, feature: 3 };
/** Operators that move a per-head tensor around without changing its values. */
const LAYOUT_OPS = new Set(['Transpose', 'Reshape', 'Cast', 'Identity']);
const LINEAR_OPS = new Set(['MatMul', 'Gemm']);
/** Operators a path back from q, k or v must not cross to reach its head split. */
const STOP_OPS = new Set(['MatMul', 'Gemm', 'Softmax', 'LayerNormalization', 'SimplifiedLayerNormalization']);
/** Transposes of `[batch, pos, head, d_head]` that put heads ahead of positions (the second: kᵀ at once). */
const HEAD_FIRST = new Set(['0,2,1,3', '0,2,3,1']);

/**
 * TransformerLens names for one attention layer's block (`blocks.<layer>.…`).
 *
 * @example
 * ```ts
 * import { HookedModel } from '@mechint/core';
 * const model = await HookedModel.load('packages/core/test/fixtures/gpt_hf.onnx');
 * console.log(model.hookPoint('blocks.0.attn.hook_q').shape); // ['batch', 'sequence', 4, 8]
 * ```
 */
export function blockNames(site: AttentionSite, graph: Graph, data: ReadonlySet<string>): AliasName[] {
  const tl = `blocks.${site.layer}`;
  const named: AliasName[] = [];
  const add = (name: string, value: string | undefined, axes: HookAxes) => {
    if (value !== undefined) named.push({ name: `${tl}.${name}`, value, axes });
  };
  const [q, k, v] = [site.operands.q, site.operands.k, site.operands.v].map((operand) => headSplit(graph, operand, data));
  // One value for two of them: heads were split before q, k and v were (GPT-NeoX's interleaved qkv).
  if (new Set([q, k, v]).size === 3) {
    add('attn.hook_q', q, PER_HEAD);
    add('attn.hook_k', k, PER_HEAD);
    add('attn.hook_v', v, PER_HEAD);
  }
  add('attn.hook_attn_scores', site.scores, SCORES);
  add('attn.hook_result', headResults(graph, site.z, data), PER_HEAD);
  const r = site.residual;
  if (r === undefined) return named;
  add('hook_resid_pre', r.residPre, RESIDUAL);
  add('hook_attn_out', r.attnOut, RESIDUAL);
  add('hook_resid_mid', r.residMid, RESIDUAL);
  add('hook_mlp_out', r.mlpOut, RESIDUAL);
  add('hook_resid_post', r.residPost, RESIDUAL);
  if (r.layout === 'post-ln') {
    add('ln1.hook_normalized', r.normalizedMid, RESIDUAL);
    add('ln2.hook_normalized', r.normalizedPost, RESIDUAL);
    add('hook_normalized_resid_post', r.normalizedPost, RESIDUAL);
  } else {
    add('ln1.hook_normalized', normOf(graph, r.residPre), RESIDUAL);
    if (r.residMid !== undefined && r.layout === 'pre-ln') add('ln2.hook_normalized', normOf(graph, r.residMid), RESIDUAL);
  }
  if (r.mlpOut !== undefined) {
    const mlp = mlpActivations(graph, r.mlpOut, data);
    add('mlp.hook_pre', mlp?.pre, RESIDUAL);
    add('mlp.hook_post', mlp?.post, RESIDUAL);
  }
  return named;
}

/**
 * Model-wide names: `hook_embed` (the token embedding: a `Gather` of a weight table by the
 * token ids), `hook_pos_embed` (a `Gather` of a table by positions from a `Range`) and, after a
 * pre-LN stack, `ln_final.hook_normalized` (the one normalisation reading the last `resid_post`).
 */
export function modelNames(sites: readonly AttentionSite[], graph: Graph, order: readonly NodeProto[], data: ReadonlySet<string>): AliasName[] {
  const named: AliasName[] = [];
  const tables = order.filter((n) => n.opType === 'Gather' && graph.initializer(n.input[0]!)?.dims.length === 2);
  const tokens = tables.filter((n) => data.has(n.input[1]!));
  if (tokens.length === 1) named.push({ name: 'hook_embed', value: tokens[0]!.output[0]!, axes: RESIDUAL });
  const positions = tables.filter((n) => !data.has(n.input[1]!) && [...ancestors(graph, n.input[1]!)].some((v) => graph.producerOf(v)?.opType === 'Range'));
  if (tokens.length === 1 && positions.length === 1) named.push({ name: 'hook_pos_embed', value: positions[0]!.output[0]!, axes: RESIDUAL });
  const last = sites.at(-1)?.residual;
  if (last?.residPost !== undefined && last.layout !== 'post-ln') {
    const final = normOf(graph, last.residPost);
    if (final !== undefined) named.push({ name: 'ln_final.hook_normalized', value: final, axes: RESIDUAL });
  }
  return named;
}

/**
 * The per-head results `splitHeads` computes: from `z` along its reshapes to the projection's input,
 * a `Reshape` back to `[batch, pos, head, d_head]`, `Transpose(0, 2, 1, 3)`, `MatMul` with parameters
 * `[head, d_head, d_model]`, `Transpose(0, 2, 1, 3)` to `[batch, pos, head, d_model]`.
 */
function headResults(graph: Graph, z: string, data: ReadonlySet<string>): string | undefined {
  const only = (value: string, opType: string) => {
    const readers = graph.consumersOf(value).filter((c) => c.opType === opType && c.input[0] === value);
    return readers.length === 1 ? readers[0] : undefined;
  };
  const resultAfter = (reshaped: string) => {
    const heads = only(reshaped, 'Transpose');
    const matmul = heads === undefined || perm(heads) !== '0,2,1,3' ? undefined : only(heads.output[0]!, 'MatMul');
    const back = matmul === undefined || data.has(matmul.input[1]!) ? undefined : only(matmul.output[0]!, 'Transpose');
    return back !== undefined && perm(back) === '0,2,1,3' ? back.output[0] : undefined;
  };
  let value = z;
  for (let depth = 0; depth < 4; depth++) {
    const reshapes = graph.consumersOf(value).filter((c) => c.opType === 'Reshape' && c.input[0] === value);
    for (const reshape of reshapes) {
      const found = resultAfter(reshape.output[0]!);
      if (found !== undefined) return found;
    }
    if (reshapes.length !== 1) return undefined;
    value = reshapes[0]!.output[0]!;
  }
  return undefined;
}

/** The output of the one single-node normalisation reading `value`, if exactly one does. */
function normOf(graph: Graph, value: string): string | undefined {
  const norms = graph.consumersOf(value).filter((n) => NORM_OPS.has(n.opType));
  return norms.length === 1 ? norms[0]!.output[0] : undefined;
}

/**
 * The `[batch, pos, head, d_head]` value an attention operand was made from: walking back through
 * layout changes and scaling by constants to the `Transpose(0, 2, 1, 3)` (or `(0, 2, 3, 1)`, which
 * also transposes k) that moved the heads ahead of the positions, right after the `Reshape` that
 * split them. `undefined` when anything
 * else (a rotary embedding, repeated key/value heads) stands in between.
 */
function headSplit(graph: Graph, operand: string, data: ReadonlySet<string>): string | undefined {
  let value = operand;
  for (;;) {
    const node = graph.producerOf(value);
    if (node === undefined) return undefined;
    if (isHeadSplit(graph, node)) return unscaled(graph, node.input[0]!, data);
    if (LAYOUT_OPS.has(node.opType)) value = node.input[0]!;
    else if ((node.opType === 'Mul' || node.opType === 'Div') && node.input.length === 2 && !data.has(node.input[1]!)) value = node.input[0]!;
    else if (node.opType === 'Mul' && node.input.length === 2 && !data.has(node.input[0]!)) value = node.input[1]!;
    else return beforeRotary(graph, value, data);
  }
}

/**
 * Through a rotary embedding (`q·cos + rotate_half(q)·sin`, with its slices, negation and
 * concatenation) and repeated key/value heads: the one head split every data path back from
 * `value` reaches before any projection. TransformerLens's `hook_q` / `hook_k` are taken before
 * the rotation too.
 */
function beforeRotary(graph: Graph, value: string, data: ReadonlySet<string>): string | undefined {
  const found = new Set<string>();
  const stack = [value];
  const seen = new Set<string>();
  while (stack.length > 0) {
    const current = stack.pop()!;
    if (seen.has(current) || seen.size > 200) continue;
    seen.add(current);
    const node = graph.producerOf(current);
    if (node === undefined || STOP_OPS.has(node.opType)) return undefined;
    if (isHeadSplit(graph, node)) found.add(node.input[0]!);
    else stack.push(...node.input.filter((i) => data.has(i)));
  }
  return found.size === 1 ? unscaled(graph, [...found][0]!, data) : undefined;
}

/**
 * The head-split value, unless it was scaled before the split (Whisper multiplies q by
 * `d_head^-½` right after its projection): TransformerLens's q is the projection itself, and the
 * graph holds it only with heads merged.
 */
function unscaled(graph: Graph, split: string, data: ReadonlySet<string>): string | undefined {
  const reshape = graph.producerOf(split)!;
  const before = graph.producerOf(reshape.input[0]!);
  const scaled = before !== undefined && (before.opType === 'Mul' || before.opType === 'Div') && before.input.some((i) => !data.has(i));
  return scaled ? undefined : split;
}

function isHeadSplit(graph: Graph, node: NodeProto): boolean {
  return node.opType === 'Transpose' && HEAD_FIRST.has(perm(node) ?? '') && graph.producerOf(node.input[0]!)?.opType === 'Reshape';
}

/**
 * The MLP's hidden activations around its nonlinearity: `post` is what its output projection
 * (the linear layer `mlp_out` comes from) reads, `pre` the output of its one input projection
 * (with bias). A gated MLP has two input projections: `pre` is then not given.
 */
function mlpActivations(graph: Graph, mlpOut: string, data: ReadonlySet<string>): { pre: string | undefined; post: string } | undefined {
  const out = backToLinear(graph, mlpOut, data);
  if (out === undefined) return undefined;
  const post = throughReshapes(graph, dataInput(out, data));
  const inputs = new Set<NodeProto>();
  const stack = [post];
  const seen = new Set<string>();
  while (stack.length > 0) {
    const value = stack.pop()!;
    if (seen.has(value)) continue;
    seen.add(value);
    const node = graph.producerOf(value);
    if (node === undefined) continue;
    if (LINEAR_OPS.has(node.opType)) inputs.add(node);
    else stack.push(...node.input.filter((i) => data.has(i)));
  }
  if (inputs.size !== 1) return { pre: undefined, post };
  let pre = [...inputs][0]!.output[0]!;
  for (;;) {
    const readers = graph.consumersOf(pre);
    const next = readers[0];
    if (readers.length !== 1 || next === undefined || !(next.opType === 'Reshape' || (next.opType === 'Add' && next.input.some((i) => i !== pre && !data.has(i))))) break;
    pre = next.output[0]!;
  }
  return { pre, post };
}

/** The linear layer `value` comes from, through its bias, reshapes and no-op dropout. */
function backToLinear(graph: Graph, value: string, data: ReadonlySet<string>): NodeProto | undefined {
  let current = value;
  for (;;) {
    const node = graph.producerOf(current);
    if (node === undefined) return undefined;
    if (LINEAR_OPS.has(node.opType) && node.input.slice(1).every((i) => !data.has(i))) return node;
    if (['Reshape', 'Dropout', 'Identity', 'Cast'].includes(node.opType)) current = node.input[0]!;
    else if (node.opType === 'Add' && node.input.length === 2) {
      const varying = node.input.filter((i) => data.has(i));
      if (varying.length !== 1) return undefined;
      current = varying[0]!;
    } else return undefined;
  }
}

function dataInput(node: NodeProto, data: ReadonlySet<string>): string {
  return node.input.find((i) => data.has(i)) ?? node.input[0]!;
}

function throughReshapes(graph: Graph, value: string): string {
  let current = value;
  while (graph.producerOf(current)?.opType === 'Reshape') current = graph.producerOf(current)!.input[0]!;
  return current;
}

function perm(node: NodeProto): string | undefined {
  return node.attribute.find((a) => a.name === 'perm')?.ints.map(Number).join(',');
}
