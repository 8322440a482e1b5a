/**
 * What a gradient rule sees of its node, and the helpers it emits the backward nodes with.
 */
import { MechintError } from '../errors.js';
import type { AttributeProto, NodeProto } from '../onnx/gen/onnx_pb.js';
import type { Graph } from '../onnx/graph.js';
import type { Dim } from '../onnx/types.js';
import { Tensor } from '../tensor/tensor.js';
import { dtypeFromOnnx, type DType } from '../tensor/dtype.js';
import { attributeProto, type Attributes } from '../builder/attributes.js';
import { Splicer } from '../hooks/splicer.js';

/**
 * A backward rule: given the node and the gradients of its outputs, emits the gradients of its
 * inputs (one entry per input; `undefined` where no gradient flows or none is needed).
 *
 * @example
 * ```ts
 * import type { GradRule } from '@mechint/core';
 * // DeepLIFT-style rescale for Relu would go here; this one passes gradients straight through:
 * const straightThrough: GradRule = (ctx) => [ctx.grad(0)];
 * ```
 */
export type GradRule = (ctx: GradContext) => readonly (string | undefined)[];

/** Operators whose output has their first input's shape. */
const SHAPE_PRESERVING = new Set(['Identity', 'Cast', 'Neg', 'Relu', 'Sigmoid', 'Tanh', 'Exp', 'Abs', 'Dropout']);

/** Emits backward nodes for one forward node. */
export class GradContext {
  /** The forward node. */
  readonly node: NodeProto;
  /** The model's default-domain opset. */
  readonly opset: number;
  readonly #splicer: Splicer;
  readonly #graph: Graph;
  readonly #outputGrads: readonly (string | undefined)[];
  readonly #needs: readonly boolean[];
  readonly #shapes: ReadonlyMap<string, readonly Dim[]>;

  /** @internal `gradients` builds one per forward node and hands it to the node's rule. */
  constructor(graph: Graph, splicer: Splicer, node: NodeProto, opset: number, outputGrads: readonly (string | undefined)[], needs: readonly boolean[], shapes: ReadonlyMap<string, readonly Dim[]>) {
    this.#graph = graph;
    this.#splicer = splicer;
    this.node = node;
    this.opset = opset;
    this.#outputGrads = outputGrads;
    this.#needs = needs;
    this.#shapes = shapes;
  }

  /** Name of input `i` (`''` when an optional input is absent). */
  input(i: number): string {
    return this.node.input[i] ?? '';
  }

  /** Name of output `i`. */
  output(i = 0): string {
    return this.node.output[i] ?? '';
  }

  /** The gradient flowing into output `i`, if any. */
  grad(i = 0): string | undefined {
    return this.#outputGrads[i];
  }

  /** The gradient of output `i`, or zeros shaped like the output when none flows. */
  gradOrZeros(i: number): string {
    return this.grad(i) ?? this.zerosLike(this.output(i));
  }

  /** Whether input `i` needs a gradient. */
  needs(i: number): boolean {
    return this.#needs[i] ?? false;
  }

  /** Adds a one-output node. */
  op(opType: string, inputs: readonly string[], attributes: Attributes = {}): string {
    return this.#splicer.op(opType, inputs, attributes);
  }

  /** Adds a node with `count` outputs. */
  ops(opType: string, inputs: readonly string[], attributes: Attributes, count: number): string[] {
    return this.#splicer.node(opType, inputs, attributes, Array.from({ length: count }, () => this.#splicer.name(opType)));
  }

  /** The forward operator again, with its attributes (those in `overrides` replaced), on new inputs and with `count` outputs. */
  replay(inputs: readonly string[], count: number, overrides: Attributes = {}): string[] {
    const outputs = Array.from({ length: count }, () => this.#splicer.name(this.node.opType));
    const kept = this.node.attribute.filter((a) => !(a.name in overrides));
    const replaced = Object.entries(overrides).flatMap(([name, value]) => (value === undefined ? [] : [attributeProto(name, value)]));
    this.#graph.addNode({ opType: this.node.opType, domain: this.node.domain, inputs, outputs, name: this.#splicer.name(`${this.node.opType}_replay`), attributes: [...kept, ...replaced] });
    return outputs;
  }

  /** An initializer. */
  constant(tensor: Tensor): string {
    return this.#splicer.constant(tensor);
  }

  /** A scalar of the element type of `like` (the node's first output by default). */
  scalar(value: number, like = this.output(0)): string {
    const dtype = this.dtypeOf(like);
    return this.constant(dtype === 'float64' ? Tensor.from(new Float64Array([value]), []) : Tensor.from(new Float32Array([value]), []));
  }

  /** An int64 scalar constant. */
  int(value: number): string {
    return this.constant(Tensor.from([BigInt(value)], [], 'int64'));
  }

  /** An int64 vector constant. */
  ints(values: readonly number[]): string {
    return this.constant(Tensor.from(values.map(BigInt), [values.length], 'int64'));
  }

  /** Integer attribute `name`, or `fallback`. */
  attrInt(name: string, fallback: number): number {
    const a = this.attribute(name);
    return a === undefined ? fallback : Number(a.i);
  }

  /** Float attribute `name`, or `fallback`. */
  attrFloat(name: string, fallback: number): number {
    const a = this.attribute(name);
    return a === undefined ? fallback : a.f;
  }

  /** Integer-list attribute `name`, or `undefined`. */
  attrInts(name: string): number[] | undefined {
    const a = this.attribute(name);
    return a === undefined ? undefined : a.ints.map(Number);
  }

  /** String attribute `name`, or `fallback`. */
  attrString(name: string, fallback: string): string {
    const a = this.attribute(name);
    return a === undefined ? fallback : new TextDecoder().decode(a.s);
  }

  /** The int64 values of a constant input (an initializer or a `Constant` node), if it is one. */
  constantInts(name: string): number[] | undefined {
    if (name === '') return undefined;
    const init = this.#graph.initializer(name);
    const producer = this.#graph.producerOf(name);
    const tensorProto = init ?? (producer?.opType === 'Constant' ? producer.attribute.find((a) => a.name === 'value')?.t : undefined);
    if (tensorProto === undefined) return undefined;
    if (tensorProto.rawData.byteLength > 0) {
      const view = new DataView(tensorProto.rawData.buffer, tensorProto.rawData.byteOffset, tensorProto.rawData.byteLength);
      return Array.from({ length: tensorProto.rawData.byteLength / 8 }, (_, i) => Number(view.getBigInt64(i * 8, true)));
    }
    return tensorProto.int64Data.map(Number);
  }

  /** The node that computes `value`, if any (none for graph inputs and initializers). */
  producerOf(value: string): NodeProto | undefined {
    return this.#graph.producerOf(value);
  }

  /** The rank of `value` when it is known (from recorded or probed shapes, or an initializer). */
  rankOf(value: string): number | undefined {
    return this.shapeOf(value)?.length;
  }

  /**
   * The static shape of `value` when known: recorded or probed, a constant's, an initializer's, or
   * followed through shape-preserving and transposing nodes (weights reach MatMul as `Transpose(W)`).
   */
  shapeOf(value: string): readonly Dim[] | undefined {
    const known = this.#shapes.get(value);
    if (known !== undefined) return known;
    const producer = this.#graph.producerOf(value);
    const constant = producer?.opType === 'Constant' ? producer.attribute.find((a) => a.name === 'value')?.t : undefined;
    if (constant !== undefined) return constant.dims.map(Number);
    const type = this.#graph.typeOf(value);
    const tensor = type?.value.case === 'tensorType' ? type.value.value : undefined;
    const recorded = tensor?.shape?.dim.map((d): Dim => (d.value.case === 'dimValue' ? Number(d.value.value) : d.value.case === 'dimParam' ? d.value.value : null));
    if (recorded !== undefined || producer === undefined) return recorded;
    if (SHAPE_PRESERVING.has(producer.opType)) return this.shapeOf(producer.input[0]!);
    if (producer.opType === 'Transpose') {
      const input = this.shapeOf(producer.input[0]!);
      const perm = producer.attribute.find((a) => a.name === 'perm')?.ints.map(Number);
      if (input === undefined) return undefined;
      return perm === undefined ? [...input].reverse() : perm.map((p) => input[p] ?? null);
    }
    return undefined;
  }

  /** `Shape(x)`. */
  shape(x: string): string {
    return this.op('Shape', [x]);
  }

  /** Zeros shaped like `x`, of its element type. */
  zerosLike(x: string): string {
    return this.op('Mul', [x, this.scalar(0, x)]);
  }

  /** `Unsqueeze` in the opset's form. */
  unsqueeze(x: string, axes: readonly number[]): string {
    return this.#splicer.unsqueeze(x, axes);
  }

  /** `ReduceSum` over `axes` keeping (or dropping) them. */
  reduceSum(x: string, axes: readonly number[] | undefined, keepdims: boolean): string {
    return this.reduce('ReduceSum', x, axes, keepdims);
  }

  /** A Reduce* operator over `axes` (all when `undefined`), in the opset's form (axes as input or attribute). */
  reduce(opType: string, x: string, axes: readonly number[] | undefined, keepdims: boolean): string {
    const attributes = { keepdims: keepdims ? 1n : 0n };
    if (axes === undefined) return this.op(opType, [x], attributes);
    const axesAsInput = opType === 'ReduceSum' ? this.opset >= 13 : this.opset >= 18;
    return axesAsInput ? this.op(opType, [x, this.ints(axes)], attributes) : this.op(opType, [x], { ...attributes, axes: axes.map(BigInt) });
  }

  /**
   * `g` summed over the axes along which `like` was broadcast, then shaped like `like` — the
   * gradient of a broadcasting input. `g` has the shape of `gShapeOf` (by default the node's
   * output): when both shapes are statically known the axes are fixed at build time (nothing at
   * all when they are equal; dynamic dims stay free either way), else they are computed in the graph.
   */
  reduceLike(g: string, like: string, gShapeOf: string | undefined = this.output(0)): string {
    const a = this.shapeOf(like);
    const b = gShapeOf === undefined ? undefined : this.shapeOf(gShapeOf);
    if (a !== undefined && b !== undefined && a.length === b.length && a.every((d, i) => d !== null && d === b[i])) return g;
    if (a !== undefined && b !== undefined && b.length >= a.length && a.every((d) => d !== null)) {
      const extra = b.length - a.length;
      const axes = [...Array.from({ length: extra }, (_, i) => i), ...a.flatMap((d, i) => (d === 1 ? [extra + i] : []))];
      return axes.length === 0 ? g : this.op('Reshape', [this.reduceSum(g, axes, true), this.shape(like)]);
    }
    const gShape = this.shape(g);
    const likeShape = this.shape(like);
    const extra = this.op('Sub', [this.op('Shape', [gShape]), this.op('Shape', [likeShape])]);
    const ones = this.op('ConstantOfShape', [extra], { value: Tensor.from([1n], [1], 'int64') });
    const padded = this.op('Concat', [ones, likeShape], { axis: 0n });
    const one = this.ints([1]);
    const broadcast = this.op('And', [this.op('Equal', [padded, one]), this.op('Not', [this.op('Equal', [gShape, one])])]);
    const axes = this.op('Reshape', [this.op('NonZero', [broadcast]), this.ints([-1])]);
    const summed = this.op('ReduceSum', [g, axes], { keepdims: 1n, noop_with_empty_axes: 1n });
    return this.op('Reshape', [summed, likeShape]);
  }

  /** `x` cast to the element type of `like`. */
  castLike(x: string, like: string): string {
    return this.op('Cast', [x], { to: BigInt(this.elemTypeOf(like)) });
  }

  /** Fails this rule with `UNSUPPORTED_OP`, saying what is not supported. */
  unsupported(what: string): never {
    throw new MechintError('UNSUPPORTED_OP', `No gradient for ${this.node.opType} node '${this.node.name}': ${what}.`, {
      details: { opType: this.node.opType, node: this.node.name },
    });
  }

  private elemTypeOf(value: string): number {
    const type = this.#graph.typeOf(value);
    return type?.value.case === 'tensorType' ? type.value.value.elemType : 1;
  }

  /** The element type of `value`, as far as the graph tells (float32 when it does not). */
  dtypeOf(value: string): DType {
    return dtypeFromOnnx(this.elemTypeOf(value));
  }

  private attribute(name: string): AttributeProto | undefined {
    return this.node.attribute.find((a) => a.name === name);
  }
}
