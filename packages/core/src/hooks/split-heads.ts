/**
 * `splitHeads`: each recognised attention's output projection rewritten into per-head results, so
 * that TransformerLens's `blocks.L.attn.hook_result` (`use_attn_result=True`) is a value of the
 * graph: `result[b, p, h, :] = z[b, p, h, :] · W_O[h]` and `attn_out = Σ_h result + b_O`.
 */
import { MechintError } from '../errors.js';
import { attr } from '../builder/attributes.js';
import type { NodeProto } from '../onnx/gen/onnx_pb.js';
import type { Graph } from '../onnx/graph.js';
import type { ModelIR } from '../onnx/model.js';
import { inferShapes, type InferredType } from '../onnx/shape-inference.js';
import type { Dim } from '../onnx/types.js';
import { Tensor } from '../tensor/tensor.js';
import { OWN_NAME_PREFIX } from '../runtime/own-nodes.js';
import { findAttention, type AttentionSite } from './attention.js';
import { dataValues } from './dataflow.js';
import { Splicer, spliceOpset } from './splicer.js';

/** One output projection to split: `linear` reads `input`, `z` merged to `[…, H·d]` by reshapes only. */
interface Projection {
  readonly site: AttentionSite;
  readonly linear: NodeProto;
  /** The linear's data input: `z` reshaped (`[b, p, H·d]`, or `[b·p, H·d]` in Gemm's form). */
  readonly input: string;
  /** Its rank. */
  readonly rank: number;
}

/**
 * A copy of `model` in which the output projection of every recognised attention layer (see
 * `findAttention`) is computed per head — TransformerLens's `use_attn_result=True` — so that
 * {@link HookedModel} names `blocks.L.attn.hook_result` (`[batch, pos, head, d_model]`, without
 * the bias). `W_O [H·d, D]` is reshaped to `[H, d, D]`; the projection's input, reshaped back to
 * z's `[b, p, H, d]` and transposed to `[b, H, p, d]`, is multiplied by it (`MatMul`, broadcast
 * over heads) and transposed to `[b, p, H, D]` — the per-head results; their `ReduceSum` over heads,
 * reshaped to the projection's output shape, replaces the projection's output, and the bias `Add`
 * that follows, if any, stays. `H` and `d` are read from `z` at run time (the `Reshape` of `W_O`
 * fails unless `H·d` is its row count), so exports whose shapes static inference leaves unknown
 * work too. Editing `hook_result` (zeroing a head) then changes the output exactly as
 * TransformerLens's edit does; runs without edits equal the original model's to float32 rounding
 * (the heads are summed in another order). Module names and other aliases keep their values.
 *
 * Recognised projections: `MatMul(z', W)` with `W [H·d, D]` (a parameter or a transposed one, as
 * the TorchScript exporter writes `nn.Linear`) and `Gemm(z', W, C?)` with `transB` 0 (GPT-2's
 * `Conv1D`) or 1 (`nn.Linear`), any `alpha` / `beta`, where `z'` is `z` reshaped so that its last
 * axis is `H·d` (`[b, p, H·d]`, `[b·p, H·d]`). Every node added is valid at the model's opset
 * (9–23) and named `<scope path>/__mechint_split_<node>_…`, in the projection's scope (those
 * reading z's shape in z's). The input model is not modified.
 *
 * Throws `UNSUPPORTED_OP`, naming the layer and what it found, where a projection is not one
 * linear map of `z` (int8 `MatMulInteger` after `DynamicQuantizeLinear`, `z` read by anything but
 * reshapes on its way, `z` stored head-first, weights computed from the inputs); nothing is
 * rewritten then.
 *
 * @example
 * ```ts
 * import { HookedModel, decodeModel, splitHeads } from '@mechint/core';
 * import { readFileSync } from 'node:fs';
 * const split = splitHeads(decodeModel(readFileSync('packages/core/test/fixtures/gpt2l.onnx')));
 * const model = await HookedModel.load(split); // or HookedModel.load(path, { splitHeads: true })
 * console.log(model.hookPoint('blocks.0.attn.hook_result').shape); // ['batch', 'pos', 4, 64]
 * ```
 */
export function splitHeads(model: ModelIR): ModelIR {
  const out = model.clone();
  const graph = out.graph;
  const order = graph.topologicalOrder();
  const { sites } = findAttention(graph, order);
  if (sites.length === 0) return out;
  const opset = spliceOpset(out);
  const data = dataValues(graph, order);
  const inferred = inferShapes(out);
  const projections = sites.map((site) => findProjection(graph, site, data, inferred));
  for (const projection of projections) rewrite(graph, opset, projection);
  graph.proto.node = graph.topologicalOrder();
  graph.invalidate();
  return out;
}

function findProjection(graph: Graph, site: AttentionSite, data: ReadonlySet<string>, inferred: ReadonlyMap<string, InferredType>): Projection {
  const layer = `blocks.${site.layer}${site.module === undefined ? '' : ` (${site.module})`}`;
  const fail = (what: string): never => {
    throw new MechintError('UNSUPPORTED_OP', `Cannot split the output projection of attention layer ${layer} into per-head results: ${what}. Load the model without splitHeads; blocks.${site.layer}.attn.hook_z stays available.`, {
      details: { layer: site.layer, module: site.module ?? null, reason: what },
    });
  };
  if (site.zLayout !== 'batch,pos,head,d_head') fail(`its z '${site.z}' is stored [batch, head, pos, d_head], with no Transpose(0, 2, 1, 3) merging the heads per position`);
  const zShape = inferred.get(site.z)?.shape;
  const [heads, dHead] = [zShape?.[2], zShape?.[3]];
  const width = typeof heads === 'number' && typeof dHead === 'number' ? heads * dHead : undefined;
  let value = site.z;
  for (;;) {
    const readers = graph.consumersOf(value).filter((c) => c.output.some((o) => data.has(o)));
    if (readers.length !== 1) fail(`its z '${value}' is read as data by ${readers.length} nodes (${readers.map((r) => `${r.opType} '${r.name}'`).join(', ')}), not by one projection`);
    const reader = readers[0]!;
    if (reader.opType === 'Reshape' && reader.input[0] === value) {
      value = reader.output[0]!;
      continue;
    }
    if ((reader.opType !== 'MatMul' && reader.opType !== 'Gemm') || reader.domain !== '' || reader.input[0] !== value) {
      fail(`z reaches ${reader.domain ? `${reader.domain} ` : ''}${reader.opType} '${reader.name}', not a MatMul / Gemm of z with a parameter`);
    }
    if (reader.input.slice(1).some((w) => w !== '' && data.has(w))) fail(`its projection ${reader.opType} '${reader.name}' multiplies z by a value computed from the inputs, not by a parameter`);
    if (reader.opType === 'Gemm' && intAttr(reader, 'transA') !== 0) fail(`its projection Gemm '${reader.name}' has transA = 1`);
    const wShape = inferred.get(reader.input[1]!)?.shape;
    const k = reader.opType === 'Gemm' && intAttr(reader, 'transB') === 1 ? wShape?.[1] : wShape?.[0];
    if (wShape !== undefined && (wShape.length !== 2 || (width !== undefined && typeof k === 'number' && k !== width))) {
      fail(`its projection ${reader.opType} '${reader.name}' has weights of shape ${describe(wShape)}, not [heads · d_head = ${width ?? 'H·d'}, d_model]`);
    }
    const rank = inferred.get(value)?.shape?.length;
    if (rank === undefined || rank < 2) fail(`its projection ${reader.opType} '${reader.name}' reads z reshaped to ${rank === undefined ? 'a value of unknown rank' : `rank ${rank}`}, not [positions…, heads · d_head]`);
    return { site, linear: reader, input: value, rank: rank! };
  }
}

function rewrite(graph: Graph, opset: number, p: Projection): void {
  const { linear, site } = p;
  graph.proto.node.splice(graph.nodes.indexOf(linear), 1);
  graph.invalidate();
  // z's dims are read in the attention's scope, so that the projection's module still reads only its own input
  const zNode = graph.producerOf(site.z);
  const zs = splicer(graph, opset, zNode ?? linear);
  const int64 = (values: readonly number[]) => zs.constant(Tensor.from(values.map(BigInt), [values.length], 'int64'), 'indices');
  const gather = (e: Splicer, shape: string, axes: readonly number[]) => e.op('Gather', [shape, int64(axes)], { axis: attr.int(0) });
  const first = graph.nodes.length;
  const zShape = zs.op('Shape', [site.z]);
  const headDims = gather(zs, zShape, [2, 3]);
  tagNodes(graph, first, zNode ?? linear);
  const s = splicer(graph, opset, linear);
  const middle = graph.nodes.length;
  const gemm = linear.opType === 'Gemm';
  const w = gemm && intAttr(linear, 'transB') === 1 ? s.op('Transpose', [linear.input[1]!], { perm: attr.ints([1, 0]) }) : linear.input[1]!;
  // [H·d, D] → [H, d, D], with H and d read from z at run time: the Reshape fails unless H·d is W's row count
  const dModel = gather(s, s.op('Shape', [w]), [1]);
  let perHead = s.op('Reshape', [w, s.op('Concat', [headDims, dModel], { axis: attr.int(0) })]);
  const alpha = gemm ? floatAttr(linear, 'alpha', 1) : 1;
  if (alpha !== 1) perHead = s.op('Mul', [perHead, s.constant(Tensor.from([alpha], [], 'float32'), 'alpha')]);
  // the projection's input back in z's shape [b, p, H, d] (its rows are z's positions, its columns z's heads)
  const zHeads = s.op('Transpose', [s.op('Reshape', [p.input, zShape])], { perm: attr.ints([0, 2, 1, 3]) });
  const result = s.op('Transpose', [s.op('MatMul', [zHeads, perHead])], { perm: attr.ints([0, 2, 1, 3]) });
  // Σ over heads is [b, p, D]; the projection's output has its input's leading dims
  const leading = gather(s, s.op('Shape', [p.input]), Array.from({ length: p.rank - 1 }, (_, i) => i));
  let sum = s.op('Reshape', [s.reduceSum(result, [2]), s.op('Concat', [leading, dModel], { axis: attr.int(0) })]);
  const c = gemm ? linear.input[2] : undefined;
  if (c !== undefined && c !== '') {
    const beta = floatAttr(linear, 'beta', 1);
    sum = s.op('Add', [sum, beta === 1 ? c : s.op('Mul', [c, s.constant(Tensor.from([beta], [], 'float32'), 'beta')])]);
  }
  s.node('Identity', [sum], {}, [linear.output[0]!]);
  tagNodes(graph, middle, linear);
}

/** A splicer naming its nodes `<scope path of node>/__mechint_split_<node>_…`. */
function splicer(graph: Graph, opset: number, node: NodeProto): Splicer {
  const name = node.name || node.output[0]!;
  const cut = name.lastIndexOf('/') + 1;
  return new Splicer(graph, opset, `${name.slice(0, cut)}${OWN_NAME_PREFIX}_split_${name.slice(cut)}`);
}

/** Gives the nodes added since `from` the exporter metadata (dynamo's module scopes) of `node`. */
function tagNodes(graph: Graph, from: number, node: NodeProto): void {
  for (const added of graph.nodes.slice(from)) if (node.$unknown !== undefined) added.$unknown = [...node.$unknown];
}

function intAttr(node: NodeProto, key: string): number {
  return Number(node.attribute.find((a) => a.name === key)?.i ?? 0n);
}

function floatAttr(node: NodeProto, key: string, fallback: number): number {
  return node.attribute.find((a) => a.name === key)?.f ?? fallback;
}

function describe(shape: readonly Dim[] | undefined): string {
  return shape === undefined ? 'unknown' : `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}
