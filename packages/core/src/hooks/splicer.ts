/**
 * Emits nodes into an existing graph with fresh names, in the form the model's opset expects.
 */
import type { Graph } from '../onnx/graph.js';
import { tensorToProto } from '../onnx/tensor-proto.js';
import { Tensor } from '../tensor/tensor.js';
import { attributeProto, attr, type Attributes } from '../builder/attributes.js';

/** Appends nodes to `graph`; every name it makes starts with `prefix`. */
export class Splicer {
  readonly #graph: Graph;
  readonly #opset: number;
  readonly #prefix: string;
  #count = 0;

  constructor(graph: Graph, opset: number, prefix: string) {
    this.#graph = graph;
    this.#opset = opset;
    this.#prefix = prefix;
  }

  /** A fresh value name. */
  name(hint: string): string {
    return this.#graph.uniqueName(`${this.#prefix}_${hint}_${this.#count++}`);
  }

  /** Adds one node; returns its output names (one unless `outputs` says otherwise). */
  node(opType: string, inputs: readonly string[], attributes: Attributes = {}, outputs: readonly string[] = [this.name(opType)]): string[] {
    const protos = Object.entries(attributes)
      .filter((e): e is [string, NonNullable<Attributes[string]>] => e[1] !== undefined)
      .map(([key, value]) => attributeProto(key, value));
    this.#graph.addNode({ opType, inputs, outputs, name: this.name(`${opType}_node`), attributes: protos });
    return [...outputs];
  }

  /** One-output shorthand of {@link Splicer.node}. */
  op(opType: string, inputs: readonly string[], attributes: Attributes = {}): string {
    return this.node(opType, inputs, attributes)[0]!;
  }

  /** An initializer holding `tensor`. */
  constant(tensor: Tensor, hint = 'const'): string {
    const name = this.name(hint);
    this.#graph.addInitializer(tensorToProto(name, tensor));
    return name;
  }

  /** `Unsqueeze` with `axes` as an attribute (opset < 13) or an input. */
  unsqueeze(x: string, axes: readonly number[]): string {
    if (axes.length === 0) return x;
    if (this.#opset < 13) return this.op('Unsqueeze', [x], { axes: attr.ints(axes) });
    return this.op('Unsqueeze', [x, this.constant(Tensor.from(axes.map(BigInt), [axes.length], 'int64'), 'axes')]);
  }

  /** `ReduceSum` over `axes`, keepdims 0, in the opset's form. */
  reduceSum(x: string, axes: readonly number[]): string {
    if (this.#opset < 13) return this.op('ReduceSum', [x], { axes: attr.ints(axes), keepdims: attr.int(0) });
    return this.op('ReduceSum', [x, this.constant(Tensor.from(axes.map(BigInt), [axes.length], 'int64'), 'axes')], { keepdims: attr.int(0) });
  }
}
