/**
 * The residual stream around one attention layer, with TransformerLens's definitions:
 *
 * - pre-LN (`HookedTransformer`'s `TransformerBlock`: GPT-2, Llama): `resid_mid = resid_pre +
 *   attn_out`, `resid_post = resid_mid + mlp_out`, and `resid_post(L) = resid_pre(L+1)`;
 * - post-LN (`HookedEncoder`'s `BertBlock`: BERT, RoBERTa, the original Transformer):
 *   `resid_mid = resid_pre + attn_out`, `normalized_resid_mid = ln1(resid_mid)`,
 *   `resid_post = normalized_resid_mid + mlp_out`, `normalized_resid_post = ln2(resid_post)`, and
 *   `normalized_resid_post(L) = resid_pre(L+1)`;
 * - parallel attention and MLP (`parallel_attn_mlp`: GPT-NeoX, GPT-J): `resid_post = resid_pre +
 *   attn_out + mlp_out`, no `resid_mid`.
 *
 * The normalisation of post-LN blocks must be one operator (`LayerNormalization`,
 * `SimplifiedLayerNormalization`, `SkipLayerNormalization`'s plain form `RMSNormalization`), as
 * both torch exporters write it from opset 17; a decomposed one is not followed.
 */
import type { Graph } from '../onnx/graph.js';
import type { NodeProto } from '../onnx/gen/onnx_pb.js';
import { ancestors, descendants } from './dataflow.js';

/** Operators that normalise a whole vector in one node. */
export const NORM_OPS = new Set(['LayerNormalization', 'SimplifiedLayerNormalization', 'RMSNormalization']);

/** onnxruntime's fusions of a residual addition with the normalisation after it. */
const FUSED_RESIDUAL = new Set(['SkipLayerNormalization', 'SkipSimplifiedLayerNormalization']);

/** Which TransformerLens block the residual stream follows. */
export type ResidualLayout = 'pre-ln' | 'post-ln' | 'parallel';

/** The residual stream of one block. */
export interface ResidualSite {
  /** Block structure, and so which TransformerLens definitions apply. */
  readonly layout: ResidualLayout;
  /** Value entering the block (`hook_resid_pre`). */
  readonly residPre: string;
  /** Attention output added to the stream (`hook_attn_out`). */
  readonly attnOut: string;
  /** `resid_pre + attn_out` (`hook_resid_mid`); none in parallel blocks. */
  readonly residMid: string | undefined;
  /** Post-LN: `ln1(resid_mid)`, the MLP's input (`ln1.hook_normalized`). */
  readonly normalizedMid: string | undefined;
  /** MLP output added to the stream (`hook_mlp_out`), when the block has an MLP. */
  readonly mlpOut: string | undefined;
  /** Pre-LN and parallel: the value leaving the block; post-LN: the sum before `ln2` (`hook_resid_post`). */
  readonly residPost: string | undefined;
  /** Post-LN: `ln2(resid_post)`, the value leaving the block (`hook_normalized_resid_post`). */
  readonly normalizedPost: string | undefined;
}

/**
 * The residual stream around the attention whose per-head output is `z` and whose scores enter
 * `softmax`, or why there is none (a sentence).
 */
export function matchResidual(graph: Graph, softmax: NodeProto, z: string, data: ReadonlySet<string>): ResidualSite | string {
  const fromZ = descendants(graph, z);
  const intoSoftmax = ancestors(graph, softmax.input[0]!);
  const first = firstAdd(graph, z, fromZ, (other) => data.has(other) && !fromZ.has(other) && intoSoftmax.has(other));
  if (first === undefined) {
    const fused = [...fromZ].flatMap((v) => graph.consumersOf(v)).find((n) => FUSED_RESIDUAL.has(n.opType));
    if (fused !== undefined) return `the residual addition is fused into ${fused.opType}: resid_mid is not a value of the graph`;
    return 'no addition of the attention output to a value the attention reads (not a residual block)';
  }
  const [zSide, copy] = fromZ.has(first.input[0]!) ? [first.input[0]!, first.input[1]!] : [first.input[1]!, first.input[0]!];
  const residPre = original(graph, copy);
  const attention = new Set([...ancestors(graph, z), ...fromZ]);
  const pure = (value: string) => [...ancestors(graph, value)].every((v) => !data.has(v) || attention.has(v));
  const none = { residMid: undefined, normalizedMid: undefined, normalizedPost: undefined } as const;
  if (!pure(zSide)) {
    const sum = graph.producerOf(zSide);
    if (sum?.opType !== 'Add' || sum.input.length !== 2) return 'the attention output reaches the residual stream mixed with another branch';
    const [attnOut, mlpOut] = fromZ.has(sum.input[0]!) ? [sum.input[0]!, sum.input[1]!] : [sum.input[1]!, sum.input[0]!];
    if (!pure(attnOut) || fromZ.has(mlpOut)) return 'the attention output reaches the residual stream mixed with another branch';
    return { layout: 'parallel', residPre, attnOut, mlpOut, residPost: first.output[0]!, ...none };
  }
  const attnOut = zSide;
  const residMid = first.output[0]!;
  const second = residualAdd(graph, residMid, data);
  if (second !== undefined) {
    if (!descendants(graph, residMid).has(second.other)) return { layout: 'parallel', residPre, attnOut, mlpOut: second.other, residPost: second.node.output[0]!, ...none };
    return { layout: 'pre-ln', residPre, attnOut, residMid, mlpOut: second.other, residPost: second.node.output[0]!, normalizedMid: undefined, normalizedPost: undefined };
  }
  const ln1 = onlyNorm(graph, residMid, data);
  if (ln1 === undefined) return { layout: 'pre-ln', residPre, attnOut, residMid, mlpOut: undefined, residPost: residMid, normalizedMid: undefined, normalizedPost: undefined };
  const normalizedMid = ln1.output[0]!;
  const mlp = residualAdd(graph, normalizedMid, data);
  if (mlp === undefined || !descendants(graph, normalizedMid).has(mlp.other)) {
    return { layout: 'post-ln', residPre, attnOut, residMid, normalizedMid, mlpOut: undefined, residPost: undefined, normalizedPost: undefined };
  }
  const residPost = mlp.node.output[0]!;
  const ln2 = onlyNorm(graph, residPost, data);
  return { layout: 'post-ln', residPre, attnOut, residMid, normalizedMid, mlpOut: mlp.other, residPost, normalizedPost: ln2?.output[0] };
}

/**
 * The `Add` that adds a branch to `stream`: its other input carries data and is not computed
 * through another attention's Softmax downstream of `stream` (that would be the next block).
 */
function residualAdd(graph: Graph, stream: string, data: ReadonlySet<string>): { node: NodeProto; other: string } | undefined {
  const downstream = descendants(graph, stream);
  for (const value of sameValues(graph, stream)) {
    for (const node of graph.consumersOf(value)) {
      if (node.opType !== 'Add' || node.input.length !== 2) continue;
      const other = node.input[0] === value ? node.input[1]! : node.input[0]!;
      if (other === value || !data.has(other) || passesSoftmax(graph, other, downstream)) continue;
      return { node, other };
    }
  }
  return undefined;
}

/** `value` and the copies of it that `Identity` and same-type `Cast` (TorchScript's `.to(float32)`) make. */
function sameValues(graph: Graph, value: string): string[] {
  const values = [value];
  for (let i = 0; i < values.length; i++) for (const node of graph.consumersOf(values[i]!)) if (isCopy(graph, node)) values.push(node.output[0]!);
  return values;
}

/** The value `value` copies (through `Identity` and same-type `Cast`), or itself. */
function original(graph: Graph, value: string): string {
  let current = value;
  for (let node = graph.producerOf(current); node !== undefined && isCopy(graph, node); node = graph.producerOf(current)) current = node.input[0]!;
  return current;
}

function isCopy(graph: Graph, node: NodeProto): boolean {
  if (node.opType === 'Identity') return true;
  if (node.opType !== 'Cast') return false;
  const from = graph.typeOf(node.input[0]!);
  const to = node.attribute.find((a) => a.name === 'to')?.i;
  return from?.value.case === 'tensorType' && to !== undefined && BigInt(from.value.value.elemType) === BigInt(to);
}

/** The single normalisation node reading `value`, when it is the only node reading it as data. */
function onlyNorm(graph: Graph, value: string, data: ReadonlySet<string>): NodeProto | undefined {
  const readers = graph.consumersOf(value).filter((n) => n.output.some((o) => data.has(o)));
  return readers.length === 1 && NORM_OPS.has(readers[0]!.opType) ? readers[0] : undefined;
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
