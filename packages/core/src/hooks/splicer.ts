/**
 * Emits nodes into an existing graph with fresh names, in the form the model's opset expects:
 * every helper here writes operators that exist, with the same meaning, in every default-domain
 * opset from 9 (where `Where`, `NonZero` and `ConstantOfShape` appear) through 23.
 */
import { create } from '@bufbuild/protobuf';
import { MechintError } from '../errors.js';
import { OperatorSetIdProtoSchema } from '../onnx/gen/onnx_pb.js';
import type { Graph } from '../onnx/graph.js';
import type { ModelIR } from '../onnx/model.js';
import { tensorToProto } from '../onnx/tensor-proto.js';
import { Tensor } from '../tensor/tensor.js';
import { attributeProto, attr, type Attributes } from '../builder/attributes.js';

/** The oldest default-domain opset whose operators the splicer's forms need (`Where`, `NonZero`, `ConstantOfShape`). */
export const MIN_SPLICE_OPSET = 9;

/**
 * The default-domain opset to splice at in `model`: the one it imports, or {@link MIN_SPLICE_OPSET}
 * after adding that import when the model has none (a graph of custom-domain operators only).
 * Throws `UNSUPPORTED_OP` for a model below opset 9, naming the conversion that fixes it.
 * (Internal: interventions call it before splicing; gpt2l.onnx gives 17, PaddleOCR's recogniser 9.)
 */
export function spliceOpset(model: ModelIR): number {
  const opset = model.opset();
  if (opset === undefined) {
    model.proto.opsetImport.push(create(OperatorSetIdProtoSchema, { domain: '', version: BigInt(MIN_SPLICE_OPSET) }));
    return MIN_SPLICE_OPSET;
  }
  if (opset < MIN_SPLICE_OPSET) {
    throw new MechintError(
      'UNSUPPORTED_OP',
      `The model imports ONNX opset ${opset}; graph edits need opset ${MIN_SPLICE_OPSET} or later (Where, NonZero). Convert it first, e.g. in Python: onnx.version_converter.convert_version(model, ${MIN_SPLICE_OPSET}).`,
      { details: { opset } },
    );
  }
  return opset;
}

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

  /**
   * `[0, 1, …, n − 1]` (int64) as a `[1, n]` row, where `n` is a 1-D `[n]` int64 value:
   * `NonZero(ConstantOfShape(n, 1))` — valid from opset 9, where `Range` needs opset 11.
   */
  indices(n: string): string {
    return this.op('NonZero', [this.op('ConstantOfShape', [n], { value: Tensor.from([1n], [1], 'int64') })]);
  }

  /** `ReduceSum` over `axes`, keepdims 0, in the opset's form. */
  reduceSum(x: string, axes: readonly number[]): string {
    if (this.#opset < 13) return this.op('ReduceSum', [x], { axes: attr.ints(axes), keepdims: attr.int(0) });
    return this.op('ReduceSum', [x, this.constant(Tensor.from(axes.map(BigInt), [axes.length], 'int64'), 'axes')], { keepdims: attr.int(0) });
  }
}
