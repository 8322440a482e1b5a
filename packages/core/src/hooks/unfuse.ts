/**
 * `unfuse`: fused attention operators rewritten into standard ONNX operators, so that the attention
 * pattern, the per-head output and q / k / v become values of the graph (and hook points).
 *
 * Semantics follow onnxruntime's operator documentation (docs/ContribOperators.md) and CPU kernels,
 * and the ONNX `Attention` (opset 23) specification: `q·kᵀ · scale`, plus the additive masks
 * (`mask_filter_value` where a 0/1 mask is 0, the float minimum above the diagonal when causal,
 * `-inf` where a boolean mask is false), `Softmax` over the keys, `· v`.
 */
import { MechintError } from '../errors.js';
import { attr } from '../builder/attributes.js';
import { AttributeProto_AttributeType, type NodeProto } from '../onnx/gen/onnx_pb.js';
import type { Graph } from '../onnx/graph.js';
import type { ModelIR } from '../onnx/model.js';
import { inferShapes, type InferredType } from '../onnx/shape-inference.js';
import { describeTensorType, type Dim } from '../onnx/types.js';
import { Tensor } from '../tensor/tensor.js';
import { UNFUSABLE_ATTENTION, UNFUSED_VALUES, fusedAttentionKind, type FusedAttentionKind } from './fused-attention.js';
import { Splicer } from './splicer.js';
import { OWN_NAME_PREFIX } from '../runtime/own-nodes.js';

const FLOAT = 1;
const BOOL = 9;
const INT64 = 7;
const FLOAT_LOWEST = -3.4028234663852886e38;
const INT64_MAX = 9223372036854775807n;

/**
 * A copy of `model` in which every fused attention node — `com.microsoft` `Attention`, `QAttention`,
 * `MultiHeadAttention`, `GroupQueryAttention`, and opset-23 `Attention` — is replaced by standard
 * ONNX operators valid at the model's opset (≥ 11): `MatMul(q, kᵀ)`, scaling, the masks, `Softmax`,
 * `MatMul(·, v)`, reshapes and transposes. Runs give the fused operators' outputs (to float32
 * rounding; `QAttention`: see below), and {@link HookedModel} then finds `attn.pattern`, `attn.z` and `attn.hook_q/k/v`.
 *
 * Covered: packed `Attention` weights (+ bias, `qkv_hidden_sizes`), `unidirectional`, `mask_index`
 * as a 0/1 mask `[batch, total_seq]` or `[batch, seq, total_seq]` or as end (and start) positions
 * `[batch]` / `[2·batch]`, `attention_bias`, `scale`, `mask_filter_value`; int8 `QAttention` (dynamic
 * quantization's) as that `Attention` on its dequantized input and weights, `(q − zero_point) · scale`
 * in float32 with per-tensor or per-column weight scales and zero points — the exact dequantized
 * attention, which onnxruntime's integer GEMM approximates (it saturates int16 pair sums on CPUs
 * without VNNI); `MultiHeadAttention` with
 * separate query / key / value (+ bias, key padding mask, `present_key` / `present_value`);
 * `GroupQueryAttention` on a prompt (no past key/value: `total_sequence_length` is the query
 * length, as onnxruntime requires of a first prompt), separate or packed q/k/v, `seqlens_k` padding,
 * `do_rotary` (interleaved or not), `causal`; opset-23 `Attention` on 3-D or 4-D inputs, boolean or
 * float `attn_mask`, `is_causal`, `softcap`. A fully masked query row gives zeros in opset-23
 * `Attention` (as the spec says) and a uniform row in the contrib operators' `-10000` fill.
 *
 * Throws `UNSUPPORTED_OP` naming the node and the input or attribute for what it cannot rewrite
 * exactly — past / present key-value caches, packed `MultiHeadAttention` inputs, rotary in
 * `Attention`, 4-D `mask_index`, other fused attention operators (`PackedAttention`, …) — and
 * `UNSUPPORTED_DTYPE` for attention that is not float32. The nodes and values it adds are named
 * `<scope path>/__mechint_unfused_<fused node>_…` (the fused node's module, and `@mechint`’s own-name
 * prefix); `…_q`, `…_k`, `…_v` and `…_pattern` name q / k / v (`[batch, pos, head, d_head]`) and the
 * pattern. The input model is not modified; fused
 * nodes inside `If` / `Loop` / `Scan` bodies are left as they are.
 *
 * @example
 * ```ts
 * import { HookedModel, decodeModel, unfuse } from '@mechint/core';
 * import { readFileSync } from 'node:fs';
 * const fused = decodeModel(readFileSync('packages/core/test/fixtures/fused/gpt2.onnx'));
 * const model = await HookedModel.load(unfuse(fused));
 * console.log(model.hookPoint('transformer.h.0.attn.pattern').value);
 * ```
 */
export function unfuse(model: ModelIR): ModelIR {
  const out = model.clone();
  const graph = out.graph;
  const opset = out.opset('') ?? out.opset('ai.onnx') ?? 1;
  const other = graph.nodes.find((n) => n.domain === 'com.microsoft' && UNFUSABLE_ATTENTION.has(n.opType));
  if (other !== undefined) refuse(other, `${other.opType} is not rewritten by unfuse`, 'export the model without this fusion (onnxruntime.transformers.optimizer with the attention fusion disabled)');
  const fused = graph.nodes.filter((n) => fusedAttentionKind(n, opset) !== undefined);
  if (fused.length === 0) return out;
  if (opset < 11) refuse(fused[0]!, `the model imports opset ${opset}, and the rewrite needs Range / Slice with inputs (opset 11)`, 'convert the model to opset ≥ 11 (onnx.version_converter)');
  // types the file does not record (hub models often carry no value_info) come from static shape inference
  const inferred = inferShapes(out);
  for (const node of fused) rewrite(graph, opset, node, fusedAttentionKind(node, opset)!, inferred);
  graph.proto.node = graph.topologicalOrder();
  graph.invalidate();
  return out;
}

/** Types of the input graph's values from {@link inferShapes}: what the rewrites ask of values the file does not type. */
type Inferred = Map<string, InferredType>;

function rewrite(graph: Graph, opset: number, node: NodeProto, kind: FusedAttentionKind, inferred: Inferred): void {
  const plan = kind === 'Attention' ? planAttention(graph, node, inferred) : kind === 'QAttention' ? planQAttention(graph, node, inferred) : kind === 'MultiHeadAttention' ? planMultiHead(graph, node, inferred) : kind === 'GroupQueryAttention' ? planGroupQuery(graph, node) : planAttention23(graph, node, inferred);
  const index = graph.nodes.indexOf(node);
  graph.proto.node.splice(index, 1);
  graph.invalidate();
  const first = graph.nodes.length;
  // our names (OWN_NAME_PREFIX: onnxruntime errors on them are @mechint's bugs) in the fused node's scope path
  const name = node.name || node.output[0]!;
  const cut = name.lastIndexOf('/') + 1;
  plan(new Emitter(graph, opset, `${name.slice(0, cut)}${OWN_NAME_PREFIX}_unfused_${name.slice(cut)}`));
  for (const added of graph.nodes.slice(first)) if (node.$unknown !== undefined) added.$unknown = [...node.$unknown];
}

type Plan = (e: Emitter) => void;

// ------------------------------------------------------------------------------------------------ operators

function planAttention(graph: Graph, node: NodeProto, inferred: Inferred): Plan {
  const [input, weights, bias, mask, past, attentionBias, pastLength] = inputsOf(node, 7);
  requireFloat(graph, node, input!);
  if (past) refuse(node, "input 'past' (a key/value cache) is set", 'unfuse the prompt model, exported without past state');
  if (pastLength) refuse(node, "input 'past_sequence_length' is set", 'unfuse the prompt model, exported without past state');
  return packedAttention(graph, node, inferred, { weights: weights!, bias, mask, attentionBias, project: (e) => e.op('MatMul', [input!, weights!]) });
}

/**
 * `QAttention`: `Attention` on the dequantized input and weights, `(q − zero_point) · scale` in
 * float32 (per tensor, or per column of the weights), as onnxruntime's kernel defines it — its
 * integer GEMM with the scales applied after. Past state is refused as in `Attention`.
 */
function planQAttention(graph: Graph, node: NodeProto, inferred: Inferred): Plan {
  const [input, weights, bias, inputScale, weightScale, mask, inputZero, weightZero, past] = inputsOf(node, 9);
  for (const [name, set] of [['bias', bias], ['input_scale', inputScale], ['weight_scale', weightScale]] as const) {
    if (!set) refuse(node, `required input '${name}' is empty`, 'fix the model (QAttention needs it)');
  }
  requireFloat(graph, node, bias!);
  if (past) refuse(node, "input 'past' (a key/value cache) is set", 'unfuse the prompt model, exported without past state');
  return packedAttention(graph, node, inferred, {
    weights: weights!,
    bias,
    mask,
    attentionBias: undefined,
    project: (e) => e.op('MatMul', [e.dequantize(input!, inputScale!, inputZero), e.dequantize(weights!, weightScale!, weightZero)]),
  });
}

/** What `Attention` and `QAttention` share: one projection to packed q / k / v, then the heads. */
interface PackedAttention {
  /** The packed weights `[input_hidden, q + k + v]` (their width gives the q / k / v sizes). */
  weights: string;
  bias: string | undefined;
  mask: string | undefined;
  attentionBias: string | undefined;
  /** Emits `input · weights` (float32). */
  project: (e: Emitter) => string;
}

function packedAttention(graph: Graph, node: NodeProto, inferred: Inferred, { weights, bias, mask, attentionBias, project }: PackedAttention): Plan {
  if (node.output[1]) refuse(node, "output 'present' is used", 'unfuse the prompt model, exported without past state');
  if (intAttr(node, 'do_rotary', 0) !== 0) refuse(node, "attribute 'do_rotary' is 1", 'export the model with the rotary embedding outside the Attention fusion');
  if (intAttr(node, 'past_present_share_buffer', 0) !== 0) refuse(node, "attribute 'past_present_share_buffer' is 1", 'unfuse the prompt model, exported without past state');
  const maskRank = mask ? rankOf(graph, inferred, node, mask, 'mask_index') : 0;
  if (maskRank === 4) refuse(node, "input 'mask_index' is 4-D (Megatron's [batch, 1, max_seq, max_seq])", 'use a 2-D 0/1 attention mask [batch, total_seq]');
  const heads = requiredInt(node, 'num_heads');
  const width = shapeOf(graph, weights)?.[1];
  const given = node.attribute.find((a) => a.name === 'qkv_hidden_sizes')?.ints.map(Number);
  const sizes = given !== undefined && given.length === 3 ? given : typeof width === 'number' ? [width / 3, width / 3, width / 3] : undefined;
  const causal = intAttr(node, 'unidirectional', 0) === 1;
  const scale = floatAttr(node, 'scale');
  const filter = floatAttr(node, 'mask_filter_value') ?? -10000;
  return (e) => {
    const projected = project(e);
    const qkv = bias ? e.op('Add', [projected, bias]) : projected;
    let ends: [string, string, string];
    if (sizes !== undefined) {
      ends = [e.ints([sizes[0]!]), e.ints([sizes[0]! + sizes[1]!]), e.ints([sizes[0]! + sizes[1]! + sizes[2]!])];
    } else {
      const width = e.dim(weights, 1);
      const third = e.op('Div', [width, e.ints([3])]);
      ends = [third, e.op('Mul', [third, e.ints([2])]), width];
    }
    const q4 = e.heads(e.slice(qkv, e.ints([0]), ends[0], 2), heads, UNFUSED_VALUES.q);
    const k4 = e.heads(e.slice(qkv, ends[0], ends[1], 2), heads, UNFUSED_VALUES.k);
    const v4 = e.heads(e.slice(qkv, ends[1], ends[2], 2), heads, UNFUSED_VALUES.v);
    const biases = [contribMask(e, mask, maskRank, k4, filter, causal, q4), ...(attentionBias ? [attentionBias] : [])].filter((b): b is string => b !== undefined);
    e.merge(e.attend(q4, k4, v4, { scale, biases }), node.output[0]!);
  };
}

function planMultiHead(graph: Graph, node: NodeProto, inferred: Inferred): Plan {
  const [query, key, value, bias, mask, attentionBias, pastKey, pastValue, pastLength, cacheIndirection] = inputsOf(node, 10);
  requireFloat(graph, node, query!);
  if (!key || !value) refuse(node, `input '${key ? 'value' : 'key'}' is empty (packed QKV / KV)`, 'pass query, key and value separately');
  for (const [name, set] of [['past_key', pastKey], ['past_value', pastValue], ['past_sequence_length', pastLength], ['cache_indirection', cacheIndirection]] as const) {
    if (set) refuse(node, `input '${name}' is set`, 'unfuse the model without its key/value cache (the prompt or encoder model)');
  }
  if (node.output[3]) refuse(node, "output 'qk' is used", 'read the pattern from the unfused graph instead (attn.pattern)');
  if (rankOf(graph, inferred, node, query!, 'query') !== 3) refuse(node, "input 'query' is not 3-D (packed QKV)", 'pass query, key and value separately');
  if (rankOf(graph, inferred, node, key!, 'key') !== 3) refuse(node, "input 'key' is not 3-D (a past key or packed KV)", 'pass key and value as [batch, kv_seq, hidden]');
  const maskRank = mask ? rankOf(graph, inferred, node, mask, 'key_padding_mask') : 0;
  if (maskRank === 4) refuse(node, "input 'key_padding_mask' is 4-D", 'use a 0/1 mask [batch, kv_seq]');
  const heads = requiredInt(node, 'num_heads');
  const causal = intAttr(node, 'unidirectional', 0) === 1;
  const scale = floatAttr(node, 'scale');
  const filter = floatAttr(node, 'mask_filter_value') ?? -10000;
  return (e) => {
    let [q, k, v] = [query!, key!, value!];
    if (bias) {
      const dq = e.dim(q, 2);
      const dk = e.op('Add', [dq, e.dim(k, 2)]);
      q = e.op('Add', [q, e.slice(bias, e.ints([0]), dq, 0)]);
      k = e.op('Add', [k, e.slice(bias, dq, dk, 0)]);
      v = e.op('Add', [v, e.slice(bias, dk, e.ints([INT64_MAX]), 0)]);
    }
    const q4 = e.heads(q, heads, UNFUSED_VALUES.q);
    const k4 = e.heads(k, heads, UNFUSED_VALUES.k);
    const v4 = e.heads(v, heads, UNFUSED_VALUES.v);
    const biases = [contribMask(e, mask, maskRank, k4, filter, causal, q4), ...(attentionBias ? [attentionBias] : [])].filter((b): b is string => b !== undefined);
    e.merge(e.attend(q4, k4, v4, { scale, biases }), node.output[0]!);
    if (node.output[1]) e.op('Identity', [k4], {}, node.output[1]);
    if (node.output[2]) e.op('Identity', [v4], {}, node.output[2]);
  };
}

const GQA_DEFAULTS: Readonly<Record<string, number | string>> = { local_window_size: -1, softcap: 0, smooth_softmax: 0, qk_output: 0, sliding_window_cache: 0, k_quant_type: 'NONE', v_quant_type: 'NONE' };
const GQA_KNOWN = new Set(['num_heads', 'kv_num_heads', 'scale', 'do_rotary', 'rotary_interleaved', 'causal', 'qk_norm_epsilon', ...Object.keys(GQA_DEFAULTS)]);

function planGroupQuery(graph: Graph, node: NodeProto): Plan {
  const names = ['query', 'key', 'value', 'past_key', 'past_value', 'seqlens_k', 'total_sequence_length', 'cos_cache', 'sin_cache', 'position_ids', 'attention_bias', 'head_sink', 'k_scale', 'v_scale', 'q_norm_weight', 'k_norm_weight'];
  const inputs = inputsOf(node, names.length);
  const [query, key, value, , , seqlens, , cos, sin, , attentionBias] = inputs;
  requireFloat(graph, node, query!);
  for (const i of [3, 4, 9, 11, 12, 13, 14, 15]) {
    if (inputs[i]) refuse(node, `input '${names[i]}' is set`, i <= 4 ? 'unfuse the prompt model (no past key/value)' : `export the model without ${names[i]}`);
  }
  for (const a of node.attribute) {
    if (!GQA_KNOWN.has(a.name)) refuse(node, `attribute '${a.name}' is set`, 'export the model without it');
    const fallback = GQA_DEFAULTS[a.name];
    if (fallback === undefined) continue;
    const value = a.type === AttributeProto_AttributeType.STRING ? new TextDecoder().decode(a.s) : a.type === AttributeProto_AttributeType.FLOAT ? a.f : Number(a.i);
    if (value !== fallback) refuse(node, `attribute '${a.name}' is ${String(value)}`, `only ${a.name} = ${String(fallback)} is rewritten`);
  }
  if (!key !== !value) refuse(node, "only one of inputs 'key' and 'value' is set", 'pass both, or neither (packed QKV)');
  const rotary = intAttr(node, 'do_rotary', 0) === 1;
  if (rotary && (!cos || !sin)) refuse(node, "attribute 'do_rotary' is 1 without 'cos_cache' / 'sin_cache'", 'pass the rotary caches as inputs');
  const heads = requiredInt(node, 'num_heads');
  const kvHeads = requiredInt(node, 'kv_num_heads');
  if (heads % kvHeads !== 0) refuse(node, `num_heads ${heads} is not a multiple of kv_num_heads ${kvHeads}`, 'fix the model');
  const interleaved = intAttr(node, 'rotary_interleaved', 0) === 1;
  const causal = intAttr(node, 'causal', 1) === 1;
  const scale = floatAttr(node, 'scale');
  return (e) => {
    let q: string;
    let k: string;
    let v: string;
    if (key) {
      q = e.split(query!, heads, UNFUSED_VALUES.q);
      k = e.split(key, kvHeads, UNFUSED_VALUES.k);
      v = e.split(value!, kvHeads, UNFUSED_VALUES.v);
    } else {
      const split = e.op('Reshape', [query!, e.ints([0, 0, heads + 2 * kvHeads, -1])]);
      const part = (from: number, to: number, suffix: string) => e.op('Slice', [split, e.ints([from]), e.ints([to]), e.ints([2])], {}, e.named(suffix));
      q = part(0, heads, UNFUSED_VALUES.q);
      k = part(heads, heads + kvHeads, UNFUSED_VALUES.k);
      v = part(heads + kvHeads, heads + 2 * kvHeads, UNFUSED_VALUES.v);
    }
    if (rotary) {
      q = e.rotary(q, cos!, sin!, interleaved, UNFUSED_VALUES.rotQ);
      k = e.rotary(k, cos!, sin!, interleaved, UNFUSED_VALUES.rotK);
    }
    const [q4, k4, v4] = [e.toHeads(q), e.toHeads(k), e.toHeads(v)];
    const cols = e.range(e.length(k4, 2));
    const lengths = e.unsqueeze(e.op('Cast', [seqlens!], { to: attr.int(INT64) }), [1]);
    let allowed = e.unsqueeze(e.op('Not', [e.op('Greater', [cols, lengths])]), [1]);
    if (causal) allowed = e.op('And', [allowed, e.causal(q4, k4)]);
    const mask = e.op('Where', [e.unsqueeze(allowed, [1]), e.float(0), e.float(-Infinity)]);
    const biases = [mask, ...(attentionBias ? [attentionBias] : [])];
    const group = heads / kvHeads;
    e.merge(e.attend(q4, e.repeatHeads(k4, group), e.repeatHeads(v4, group), { scale, biases }), node.output[0]!);
    if (node.output[1]) e.op('Identity', [k4], {}, node.output[1]);
    if (node.output[2]) e.op('Identity', [v4], {}, node.output[2]);
  };
}

function planAttention23(graph: Graph, node: NodeProto, inferred: Inferred): Plan {
  const [q, k, v, mask, pastKey, pastValue, ...more] = inputsOf(node, Math.max(node.input.length, 6));
  requireFloat(graph, node, q!);
  if (pastKey || pastValue) refuse(node, `input '${pastKey ? 'past_key' : 'past_value'}' is set`, 'unfuse the prompt model (no past key/value)');
  const extra = more.findIndex((m) => m);
  if (extra >= 0) refuse(node, `input ${6 + extra} is set`, 'export the model without it');
  const output = node.output.findIndex((o, i) => i > 0 && o !== '');
  if (output > 0) refuse(node, `output ${['Y', 'present_key', 'present_value', 'qk_matmul_output'][output]} is used`, 'read present keys / values and the pattern from the unfused graph (attn.hook_k, attn.pattern)');
  const precision = intAttr(node, 'softmax_precision', FLOAT);
  if (precision !== FLOAT) refuse(node, `attribute 'softmax_precision' is ${precision}`, 'only float32 softmax is rewritten');
  const qHeads = intAttr(node, 'q_num_heads', 0);
  const kvHeads = intAttr(node, 'kv_num_heads', 0);
  const threeD = qHeads > 0 && kvHeads > 0;
  const maskType = mask ? elemTypeOf(graph, mask) ?? inferred.get(mask)?.elemType : undefined;
  if (mask && maskType === undefined) refuse(node, "the element type of 'attn_mask' is neither recorded nor inferable", 'record it in the graph (onnx.shape_inference.infer_shapes)');
  const causal = intAttr(node, 'is_causal', 0) === 1;
  const scale = floatAttr(node, 'scale');
  const softcap = floatAttr(node, 'softcap') ?? 0;
  return (e) => {
    // 4-D inputs pass through the [batch, seq, head, d_head] layout too, so that hook_q / k / v have one layout
    const perHead = (x: string, n: number, suffix: string) => (threeD ? e.heads(x, n, suffix) : e.toHeads(e.op('Transpose', [x], { perm: attr.ints([0, 2, 1, 3]) }, e.named(suffix))));
    const q4 = perHead(q!, qHeads, UNFUSED_VALUES.q);
    const k4 = perHead(k!, kvHeads, UNFUSED_VALUES.k);
    const v4 = perHead(v!, kvHeads, UNFUSED_VALUES.v);
    const group = threeD ? qHeads / kvHeads : e.op('Div', [e.dim(q4, 1), e.dim(k4, 1)]);
    const biases: string[] = [];
    if (mask) biases.push(maskType === BOOL ? e.op('Where', [mask, e.float(0), e.float(-Infinity)]) : mask);
    if (causal) biases.push(e.op('Where', [e.causal(q4, k4), e.float(0), e.float(-Infinity)]));
    const z = e.attend(q4, e.repeatHeads(k4, group), e.repeatHeads(v4, group), { scale, biases, softcap, zeroMaskedRows: true }, threeD ? undefined : node.output[0]!);
    if (threeD) e.merge(z, node.output[0]!);
  };
}

/** The additive mask of contrib `Attention` / `MultiHeadAttention` (`[batch, 1, 1 or seq, total_seq]`), causal part included. */
function contribMask(e: Emitter, mask: string | undefined, rank: number, k4: string, filter: number, causal: boolean, q4: string): string | undefined {
  let additive: string | undefined;
  if (mask) {
    const m = e.op('Cast', [mask], { to: attr.int(INT64) });
    let allowed: string;
    if (rank >= 2) {
      allowed = e.op('Greater', [m, e.int64(0)]);
    } else {
      // [batch] end positions, or [2·batch] end then start positions (right / left padding)
      const batch = e.dim(k4, 0);
      const padded = e.op('Concat', [m, e.op('ConstantOfShape', [batch], { value: Tensor.from([0n], [1], 'int64') })], { axis: attr.int(0) });
      const ends = e.unsqueeze(e.slice(padded, e.ints([0]), batch, 0), [1]);
      const starts = e.unsqueeze(e.slice(padded, batch, e.op('Mul', [batch, e.ints([2])]), 0), [1]);
      const cols = e.range(e.length(k4, 2));
      allowed = e.op('And', [e.op('Less', [cols, ends]), e.op('Not', [e.op('Less', [cols, starts])])]);
    }
    additive = e.unsqueeze(e.op('Where', [allowed, e.float(0), e.float(filter)]), rank === 3 ? [1] : [1, 2]);
  }
  if (!causal) return additive;
  return e.op('Where', [e.causal(q4, k4), additive ?? e.float(0), e.float(FLOAT_LOWEST)]);
}

// ------------------------------------------------------------------------------------------------ emitting

interface AttendOptions {
  /** `scale` attribute; `undefined` or 0: 1/√d_head. */
  scale: number | undefined;
  /** Additive terms, each broadcastable to `[batch, head, seq, total_seq]`. */
  biases: readonly string[];
  /** `softcap · tanh(scores / softcap)` before the masks, when > 0. */
  softcap?: number;
  /** Fully masked rows (NaN after Softmax) become zeros. */
  zeroMaskedRows?: boolean;
}

/** Node emission for one fused node, names derived from the node's name. */
class Emitter {
  readonly #splicer: Splicer;
  readonly #graph: Graph;
  readonly #base: string;

  constructor(graph: Graph, opset: number, base: string) {
    this.#graph = graph;
    this.#base = base;
    this.#splicer = new Splicer(graph, opset, base);
  }

  /** A value name `<node name><suffix>`, made unique. */
  named(suffix: string): [string] {
    return [this.#graph.uniqueName(`${this.#base}${suffix}`)];
  }

  op(opType: string, inputs: readonly string[], attributes: Parameters<Splicer['op']>[2] = {}, outputs?: string | readonly string[]): string {
    if (outputs === undefined) return this.#splicer.op(opType, inputs, attributes);
    return this.#splicer.node(opType, inputs, attributes, typeof outputs === 'string' ? [outputs] : outputs)[0]!;
  }

  ints(values: readonly (number | bigint)[]): string {
    return this.#splicer.constant(Tensor.from(values.map((v) => BigInt(v)), [values.length], 'int64'), 'ints');
  }

  int64(value: number): string {
    return this.#splicer.constant(Tensor.from([BigInt(value)], [], 'int64'), 'int');
  }

  /** `(q − zeroPoint) · scale` in float32 (`zeroPoint` absent: 0); a per-column scale / zero point broadcasts over the last axis. */
  dequantize(q: string, scale: string, zeroPoint: string | undefined): string {
    const float = this.op('Cast', [q], { to: attr.int(FLOAT) });
    const centred = zeroPoint === undefined ? float : this.op('Sub', [float, this.op('Cast', [zeroPoint], { to: attr.int(FLOAT) })]);
    return this.op('Mul', [centred, scale]);
  }

  float(value: number): string {
    return this.#splicer.constant(Tensor.from([value], [], 'float32'), 'float');
  }

  unsqueeze(x: string, axes: readonly number[]): string {
    return this.#splicer.unsqueeze(x, axes);
  }

  /** `x[..., start:end, ...]` along `axis` (`start` / `end`: 1-D int64 values). */
  slice(x: string, start: string, end: string, axis: number): string {
    return this.op('Slice', [x, start, end, this.ints([axis])]);
  }

  /** The size of `x` along `axis`, as a 1-D int64 `[1]`. */
  dim(x: string, axis: number): string {
    return this.slice(this.op('Shape', [x]), this.ints([axis]), this.ints([axis + 1]), 0);
  }

  /** The size of `x` along `axis`, as an int64 scalar. */
  length(x: string, axis: number): string {
    return this.op('Gather', [this.op('Shape', [x]), this.int64(axis)], { axis: attr.int(0) });
  }

  /** `0, 1, …, n - 1` (int64) for an int64 scalar `n`. */
  range(n: string): string {
    return this.op('Range', [this.int64(0), n, this.int64(1)]);
  }

  /** `[batch, seq, n·d] → [batch, seq, n, d]` (TransformerLens's per-head layout), named `<node><suffix>`. */
  split(x: string, n: number, suffix: string): string {
    return this.op('Reshape', [x, this.ints([0, 0, n, -1])], {}, this.named(suffix));
  }

  /** `[batch, seq, n, d] ↔ [batch, n, seq, d]`. */
  toHeads(x: string): string {
    return this.op('Transpose', [x], { perm: attr.ints([0, 2, 1, 3]) });
  }

  /** `[batch, seq, n·d] → [batch, n, seq, d]`, the `[batch, seq, n, d]` step named `<node><suffix>`. */
  heads(x: string, n: number, suffix: string): string {
    return this.toHeads(this.split(x, n, suffix));
  }

  /** `[batch, n, seq, d] → [batch, seq, n·d]`, into `output`. */
  merge(z: string, output: string): void {
    const t = this.op('Transpose', [z], { perm: attr.ints([0, 2, 1, 3]) });
    this.op('Reshape', [t, this.ints([0, 0, -1])], {}, output);
  }

  /** Key / value heads repeated `group` times each (a number, or a 1-D int64 value), `[b, kv, t, d] → [b, kv·group, t, d]`. */
  repeatHeads(x: string, group: number | string): string {
    if (group === 1) return x;
    const repeats = typeof group === 'number' ? this.ints([1, 1, group, 1, 1]) : this.op('Concat', [this.ints([1, 1]), group, this.ints([1, 1])], { axis: attr.int(0) });
    const tiled = this.op('Tile', [this.unsqueeze(x, [2]), repeats]);
    const heads = this.op('Mul', [this.dim(x, 1), typeof group === 'number' ? this.ints([group]) : group]);
    const shape = this.op('Concat', [this.dim(x, 0), heads, this.dim(x, 2), this.dim(x, 3)], { axis: attr.int(0) });
    return this.op('Reshape', [tiled, shape]);
  }

  /** Query `i` may attend key `j` iff `j ≤ i`: bool `[seq, total_seq]`. */
  causal(q4: string, k4: string): string {
    const rows = this.unsqueeze(this.range(this.length(q4, 2)), [1]);
    return this.op('Not', [this.op('Greater', [this.range(this.length(k4, 2)), rows])]);
  }

  /** Rotary embedding of `x` `[b, s, n, d]` at positions `0…s-1` from `cos` / `sin` caches `[max_seq, rot/2]`. */
  rotary(x: string, cos: string, sin: string, interleaved: boolean, suffix: string): string {
    const seq = this.dim(x, 1);
    const c = this.slice(cos, this.ints([0]), seq, 0);
    const s = this.slice(sin, this.ints([0]), seq, 0);
    const half = this.dim(cos, 1);
    const rot = this.op('Mul', [half, this.ints([2])]);
    const pass = this.slice(x, rot, this.ints([INT64_MAX]), 3);
    const turn = (a: string, b: string, cc: string, ss: string) => [this.op('Sub', [this.op('Mul', [a, cc]), this.op('Mul', [b, ss])]), this.op('Add', [this.op('Mul', [b, cc]), this.op('Mul', [a, ss])])] as const;
    let rotated: string;
    if (interleaved) {
      const pairs = this.op('Reshape', [this.slice(x, this.ints([0]), rot, 3), this.ints([0, 0, 0, -1, 2])]);
      const [even, odd] = turn(this.slice(pairs, this.ints([0]), this.ints([1]), 4), this.slice(pairs, this.ints([1]), this.ints([2]), 4), this.unsqueeze(c, [1, 3]), this.unsqueeze(s, [1, 3]));
      rotated = this.op('Reshape', [this.op('Concat', [even, odd], { axis: attr.int(4) }), this.ints([0, 0, 0, -1])]);
    } else {
      const [first, second] = turn(this.slice(x, this.ints([0]), half, 3), this.slice(x, half, rot, 3), this.unsqueeze(c, [1]), this.unsqueeze(s, [1]));
      rotated = this.op('Concat', [first, second], { axis: attr.int(3) });
    }
    return this.op('Concat', [rotated, pass], { axis: attr.int(3) }, this.named(suffix));
  }

  /** softmax(q·kᵀ·scale + biases)·v, `[b, n, s, d]`; the pattern is named `<node>_pattern`. */
  attend(q4: string, k4: string, v4: string, options: AttendOptions, output?: string): string {
    const kT = this.op('Transpose', [k4], { perm: attr.ints([0, 1, 3, 2]) });
    const scale = options.scale !== undefined && options.scale !== 0 ? this.float(options.scale) : this.op('Reciprocal', [this.op('Sqrt', [this.op('Cast', [this.dim(q4, 3)], { to: attr.int(FLOAT) })])]);
    let scores = this.op('Mul', [this.op('MatMul', [q4, kT]), scale]);
    const cap = options.softcap ?? 0;
    if (cap > 0) scores = this.op('Mul', [this.op('Tanh', [this.op('Div', [scores, this.float(cap)])]), this.float(cap)]);
    for (const bias of options.biases) scores = this.op('Add', [scores, bias]);
    let pattern = this.op('Softmax', [scores], { axis: attr.int(-1) }, this.named(UNFUSED_VALUES.pattern));
    if (options.zeroMaskedRows === true) pattern = this.op('Where', [this.op('IsNaN', [pattern]), this.float(0), pattern]);
    return this.op('MatMul', [pattern, v4], {}, output);
  }
}

// ------------------------------------------------------------------------------------------------ checks

function inputsOf(node: NodeProto, count: number): (string | undefined)[] {
  return Array.from({ length: count }, (_, i) => (node.input[i] === undefined || node.input[i] === '' ? undefined : node.input[i]));
}

function refuse(node: NodeProto, what: string, todo: string): never {
  const op = node.domain && node.domain !== 'ai.onnx' ? `${node.domain} ${node.opType}` : node.opType;
  throw new MechintError('UNSUPPORTED_OP', `Cannot unfuse ${op} node '${node.name || node.output[0]}': ${what}. To unfuse it, ${todo}.`, {
    details: { node: node.name, opType: node.opType, domain: node.domain, reason: what },
  });
}

function shapeOf(graph: Graph, value: string): Dim[] | undefined {
  const type = graph.typeOf(value);
  return type === undefined ? undefined : describeTensorType(type)?.shape;
}

function elemTypeOf(graph: Graph, value: string): number | undefined {
  const type = graph.typeOf(value);
  return type === undefined ? undefined : describeTensorType(type)?.elemType;
}

function requireFloat(graph: Graph, node: NodeProto, input: string): void {
  const elemType = elemTypeOf(graph, input);
  if (elemType !== undefined && elemType !== FLOAT) {
    throw new MechintError('UNSUPPORTED_DTYPE', `Cannot unfuse ${node.opType} node '${node.name}': its input '${input}' has ONNX element type ${elemType}, and unfuse rewrites float32 attention only. Convert the model to float32 first.`, {
      details: { node: node.name, input, elemType },
    });
  }
}

function rankOf(graph: Graph, inferred: Inferred, node: NodeProto, value: string, role: string): number {
  const rank = inferRank(graph, value) ?? inferred.get(value)?.shape?.length;
  if (rank === undefined) refuse(node, `the rank of input '${role}' ('${value}') is neither recorded nor inferable from the operators that compute it, and the rewrite depends on it`, 'record value types in the graph (onnx.shape_inference.infer_shapes, or onnxruntime.tools.symbolic_shape_infer)');
  return rank;
}

/** Operators whose output has the rank of their first input. */
const SAME_RANK = new Set(['Cast', 'Identity', 'Not', 'Neg', 'Abs', 'Relu', 'Sign', 'Floor', 'Ceil', 'Round']);

/** The rank of `value`: as recorded, or followed back through rank-keeping operators and `ReduceSum`. */
function inferRank(graph: Graph, value: string): number | undefined {
  const shape = shapeOf(graph, value);
  if (shape !== undefined) return shape.length;
  const producer = graph.producerOf(value);
  if (producer === undefined || producer.input[0] === undefined) return undefined;
  const rank = inferRank(graph, producer.input[0]);
  if (rank === undefined || SAME_RANK.has(producer.opType)) return rank;
  if (producer.opType !== 'ReduceSum') return undefined;
  if (intAttr(producer, 'keepdims', 1) === 1) return rank;
  const axesInput = producer.input[1] === undefined || producer.input[1] === '' ? undefined : graph.initializer(producer.input[1]);
  const axesAttr = producer.attribute.find((a) => a.name === 'axes');
  const count = axesAttr !== undefined ? axesAttr.ints.length : axesInput !== undefined ? axesInput.dims.reduce((a, b) => a * Number(b), 1) : producer.input[1] ? undefined : rank;
  return count === undefined ? undefined : rank - count;
}

function intAttr(node: NodeProto, name: string, fallback: number): number {
  const a = node.attribute.find((x) => x.name === name);
  return a === undefined ? fallback : Number(a.i);
}

function floatAttr(node: NodeProto, name: string): number | undefined {
  return node.attribute.find((x) => x.name === name)?.f;
}

function requiredInt(node: NodeProto, name: string): number {
  const value = intAttr(node, name, 0);
  if (value <= 0) refuse(node, `attribute '${name}' is missing or not positive`, `set ${name}`);
  return value;
}
