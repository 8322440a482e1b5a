/**
 * The state of a graph under construction: names, inputs, parameters, constants, nodes and
 * outputs, plus the generic `op` escape hatch and `build`. Operator families extend this class.
 */
import { create } from '@bufbuild/protobuf';
import { MechintError, check } from '../errors.js';
import { ModelProtoSchema, NodeProtoSchema, ValueInfoProtoSchema, type NodeProto, type TensorProto, type ValueInfoProto } from '../onnx/gen/onnx_pb.js';
import { ModelIR } from '../onnx/model.js';
import { tensorToProto } from '../onnx/tensor-proto.js';
import { tensorType, type Dim } from '../onnx/types.js';
import { isDType, type DType } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { attributeProto, type Attributes } from './attributes.js';
import { int64Tensor, isFloatDType, scalarTensor } from './constants.js';
import { formatShape, type Shape } from './shapes.js';
import { Value, type Operand, type Scalar } from './value.js';

/** Oldest opset the builder emits: every op form it uses (e.g. `Squeeze` axes as an input) exists from 13 on. @example `new GraphBuilder({ opset: MIN_OPSET })` */
export const MIN_OPSET = 13;
/** Newest opset the builder emits (ONNX 1.18, IR version 11); onnxruntime 1.29 runs it. @example `new GraphBuilder({ opset: MAX_OPSET })` */
export const MAX_OPSET = 23;

/** Options of the `GraphBuilder` constructor. @example `new GraphBuilder({ name: 'gram', opset: 18 })` */
export interface GraphBuilderOptions {
  /** The graph's name. Defaults to `'graph'`. */
  name?: string;
  /**
   * The default-domain opset to emit, from 13 to 23. Defaults to 17. Ops whose form changed
   * between opsets (e.g. the `axes` of `ReduceMean`, an attribute before 18 and an input from 18
   * on) are emitted in the form this opset defines.
   */
  opset?: number;
  /** Opsets of other domains used through `op` (e.g. `{ 'com.microsoft': 1 }`); a domain first used without one is imported at version 1. */
  domains?: Readonly<Record<string, number>>;
}

/** Options of the generic `GraphBuilder.op`. @example `g.op('Unique', [x], {}, { outputs: 4, dtypes: ['float32', 'int64', 'int64', 'int64'] })` */
export interface OpOptions {
  /** Number of outputs. When given, `op` returns an array of that many values; when omitted, the single output. */
  outputs?: number;
  /** The output dtype, or one per output. Defaults to the dtype of the first input. */
  dtypes?: DType | readonly DType[];
  /** The operator's domain. Defaults to `''`, the default ONNX domain. */
  domain?: string;
}

/** What `emit` needs to know about one output. @internal @example `{ dtype: 'float32', shape: ['n', 4] }` */
export interface OutputSpec {
  readonly dtype: DType;
  readonly shape: Shape;
}

/** @internal The shared machinery of `GraphBuilder`; use `GraphBuilder`. @example `new GraphBuilder().input('x', 'float32', [2])` */
export abstract class BuilderCore {
  /** The graph's name. */
  readonly name: string;
  /** The default-domain opset this builder emits. */
  readonly opset: number;
  readonly #nodes: NodeProto[] = [];
  /** Types (and tracked shapes) of every node output, so later passes (autodiff) know ranks. */
  readonly #valueInfo: ValueInfoProto[] = [];
  readonly #inputs: ValueInfoProto[] = [];
  readonly #initializers: TensorProto[] = [];
  readonly #outputs: ValueInfoProto[] = [];
  readonly #names = new Set<string>();
  readonly #sources = new Set<string>();
  readonly #counters = new Map<string, number>();
  readonly #constants = new Map<string, Value>();
  readonly #domains = new Map<string, number>();
  #built = false;

  constructor(options: GraphBuilderOptions = {}) {
    const opset = options.opset ?? 17;
    check(
      Number.isInteger(opset) && opset >= MIN_OPSET && opset <= MAX_OPSET,
      `GraphBuilder emits opsets ${MIN_OPSET} to ${MAX_OPSET}; got opset ${opset}.`,
    );
    this.name = options.name ?? 'graph';
    this.opset = opset;
    for (const [domain, version] of Object.entries(options.domains ?? {})) {
      check(domain !== '' && domain !== 'ai.onnx', `Set the default domain's version with { opset }, not domains['${domain}'].`);
      check(Number.isInteger(version) && version >= 1, `Opset version of domain '${domain}' must be a positive integer; got ${version}.`);
      this.#domains.set(domain, version);
    }
  }

  /**
   * Declares a graph input. Dimensions are sizes, symbolic names shared between inputs (`'n'`), or
   * `null`; omit `shape` for an input of unknown rank.
   *
   * @example
   * ```ts
   * import { GraphBuilder } from '@mechint/core';
   * const g = new GraphBuilder();
   * const x = g.input('x', 'float32', ['batch', 16]);
   * ```
   */
  input<D extends DType>(name: string, dtype: D, shape?: readonly Dim[]): Value<D> {
    this.alive();
    check(isDType(dtype), `input '${name}': unknown dtype ${String(dtype)}.`, 'UNSUPPORTED_DTYPE');
    if (shape !== undefined) {
      for (const d of shape) check(d === null || typeof d === 'string' || (Number.isSafeInteger(d) && d >= 0), `input '${name}': dimension ${String(d)} is neither a size, a name nor null.`);
    }
    this.claim(name);
    this.#sources.add(name);
    this.#inputs.push(create(ValueInfoProtoSchema, { name, type: tensorType(dtype, shape) }));
    return new Value(this, name, dtype, shape);
  }

  /**
   * Declares a parameter: an initializer named `name` holding `tensor` (memory shared, not
   * copied: do not write into the tensor afterwards). Gradient code can later differentiate with
   * respect to it by name.
   *
   * @example
   * ```ts
   * import { GraphBuilder, Tensor } from '@mechint/core';
   * const g = new GraphBuilder();
   * const w = g.param('w', Tensor.from([[1, 0], [0, 1]]));
   * ```
   */
  param<D extends DType>(name: string, tensor: Tensor<D>): Value<D> {
    this.alive();
    check(tensor instanceof Tensor, `param '${name}' takes a Tensor; got ${typeof tensor}.`);
    this.claim(name);
    this.#sources.add(name);
    this.#initializers.push(tensorToProto(name, tensor));
    return new Value(this, name, tensor.dtype, tensor.shape);
  }

  /**
   * A constant tensor (a `Constant` node; memory shared with `tensor`, not copied).
   *
   * @example
   * ```ts
   * import { GraphBuilder, Tensor } from '@mechint/core';
   * const g = new GraphBuilder();
   * const c = g.constant(Tensor.from([1, 2, 3]));
   * ```
   */
  constant<D extends DType>(tensor: Tensor<D>, name?: string): Value<D> {
    this.alive();
    check(tensor instanceof Tensor, `constant takes a Tensor; got ${typeof tensor}. For a number use g.scalar(value, dtype).`);
    const output = name === undefined ? this.fresh('const') : this.claim(name);
    this.#nodes.push(create(NodeProtoSchema, { opType: 'Constant', name: output, input: [], output: [output], attribute: [attributeProto('value', tensor)] }));
    return new Value(this, output, tensor.dtype, tensor.shape);
  }

  /**
   * A rank-0 constant of `dtype` (default `float32`). Equal scalars are made once and shared.
   *
   * @example
   * ```ts
   * import { GraphBuilder } from '@mechint/core';
   * const g = new GraphBuilder();
   * const two = g.scalar(2, 'float32');
   * const big = g.scalar(2n ** 40n, 'int64');
   * ```
   */
  scalar<D extends DType = 'float32'>(value: Scalar, dtype: D = 'float32' as D): Value<D> {
    this.alive();
    check(isDType(dtype), `scalar: unknown dtype ${String(dtype)}.`, 'UNSUPPORTED_DTYPE');
    return this.cachedConstant(`${dtype}:${Object.is(value, -0) ? '-0' : String(value)}`, () => scalarTensor(value, dtype));
  }

  /**
   * Makes `value` a graph output named `name` (default: the value's own name) and returns the
   * output's value. A new name adds an `Identity` node, which onnxruntime removes when it
   * optimises the graph. Throws `INVALID_ARGUMENT` for a name already used.
   *
   * @example
   * ```ts
   * import { GraphBuilder } from '@mechint/core';
   * const g = new GraphBuilder();
   * const x = g.input('x', 'float32', [3]);
   * g.output(g.exp(x), 'y');
   * ```
   */
  output<D extends DType>(value: Value<D>, name: string = value.name): Value<D> {
    this.own([value], 'output');
    if (this.#outputs.some((o) => o.name === name)) {
      throw new MechintError('INVALID_ARGUMENT', `output: '${name}' is already a graph output; give each output its own name.`, { details: { name } });
    }
    let out: Value<D> = value;
    if (name !== value.name) {
      this.claim(name);
      out = new Value(this, name, value.dtype, value.shape);
      this.#nodes.push(create(NodeProtoSchema, { opType: 'Identity', name, input: [value.name], output: [name] }));
    } else if (this.#sources.has(name)) {
      throw new MechintError('INVALID_ARGUMENT', `output: '${name}' is a graph input or parameter; return it under another name, e.g. g.output(${name}, '${name}_out').`);
    }
    this.#outputs.push(create(ValueInfoProtoSchema, { name, type: tensorType(out.dtype, out.shape) }));
    return out;
  }

  /**
   * Finishes the graph and returns the model (IR version matching the opset, producer
   * `@mechint/core`). A builder builds once: afterwards every call throws `INVALID_ARGUMENT`.
   *
   * @example
   * ```ts
   * import { Backend, GraphBuilder, Tensor } from '@mechint/core';
   * const g = new GraphBuilder({ name: 'double' });
   * g.output(g.mul(g.input('x', 'float32', [2]), 2), 'y');
   * const session = await (await Backend.create()).session(g.build());
   * (await session.run({ x: Tensor.from([1, 2]) })).y!.toArray(); // [2, 4]
   * ```
   */
  build(): ModelIR {
    this.alive();
    check(this.#outputs.length > 0, `Graph '${this.name}' has no outputs; mark results with g.output(value, name) before build().`);
    this.#built = true;
    const domains = [...this.#domains].map(([domain, version]) => ({ domain, version: BigInt(version) }));
    return new ModelIR(
      create(ModelProtoSchema, {
        irVersion: irVersionFor(this.opset),
        producerName: '@mechint/core',
        opsetImport: [{ domain: '', version: BigInt(this.opset) }, ...domains],
        graph: {
          name: this.name,
          node: this.#nodes,
          input: this.#inputs,
          initializer: this.#initializers,
          output: this.#outputs,
          valueInfo: this.#valueInfo.filter((v) => !this.#outputs.some((o) => o.name === v.name)),
        },
      }),
    );
  }

  /**
   * Any ONNX operator: `inputs` (a `null` leaves an optional input out; a {@link Tensor} becomes a
   * constant), `attributes` (numbers tagged with `attr.int()` / `attr.float()`), and the outputs' count,
   * dtypes (default: the first input's dtype) and domain. Output shapes are not tracked.
   *
   * @example
   * ```ts
   * import { GraphBuilder, attr } from '@mechint/core';
   * const g = new GraphBuilder({ opset: 18 });
   * const x = g.input('x', 'float32', [2, 8]);
   * const y = g.op('LeakyRelu', [x], { alpha: attr.float(0.01) });
   * const [a, b] = g.op('Split', [x, null], { axis: attr.int(1), num_outputs: attr.int(2) }, { outputs: 2 });
   * ```
   */
  op(opType: string, inputs: readonly (Value | Tensor | null)[], attributes?: Attributes, options?: OpOptions & { outputs?: undefined }): Value;
  op(opType: string, inputs: readonly (Value | Tensor | null)[], attributes: Attributes | undefined, options: OpOptions & { outputs: number }): Value[];
  op(opType: string, inputs: readonly (Value | Tensor | null)[], attributes: Attributes = {}, options: OpOptions = {}): Value | Value[] {
    this.alive();
    check(typeof opType === 'string' && opType !== '', 'op: name the ONNX operator, e.g. g.op("LeakyRelu", [x]).');
    const count = options.outputs ?? 1;
    check(Number.isInteger(count) && count >= 1, `op '${opType}': outputs must be a positive integer; got ${count}.`);
    const values = inputs.map((x) => (x instanceof Tensor ? this.constant(x) : x));
    const first = values.find((v): v is Value => v !== null);
    const dtypes = typeof options.dtypes === 'string' ? new Array<DType>(count).fill(options.dtypes) : (options.dtypes ?? (first === undefined ? [] : new Array<DType>(count).fill(first.dtype)));
    if (dtypes.length !== count) {
      throw new MechintError('INVALID_ARGUMENT', `op '${opType}': give one dtype per output (${count}) in options.dtypes${first === undefined ? '; with no inputs there is none to copy' : ''}.`);
    }
    for (const d of dtypes) check(isDType(d), `op '${opType}': unknown dtype ${String(d)}.`, 'UNSUPPORTED_DTYPE');
    const domain = options.domain === undefined || options.domain === 'ai.onnx' ? '' : options.domain;
    if (domain !== '' && !this.#domains.has(domain)) this.#domains.set(domain, 1);
    const outputs = this.emit(opType, values, dtypes.map((dtype) => ({ dtype, shape: undefined })), attributes, domain);
    return options.outputs === undefined ? outputs[0]! : outputs;
  }

  /** Adds a node reading `inputs` and returns its outputs. @internal */
  protected emit(opType: string, inputs: readonly (Value | null)[], outputs: readonly OutputSpec[], attributes: Attributes = {}, domain = ''): Value[] {
    this.own(inputs.filter((v): v is Value => v !== null), opType);
    const base = opType.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
    const values = outputs.map((o) => new Value(this, this.fresh(base), o.dtype, o.shape));
    for (const v of values) this.#valueInfo.push(create(ValueInfoProtoSchema, { name: v.name, type: tensorType(v.dtype, v.shape) }));
    const attribute = Object.entries(attributes).flatMap(([key, v]) => (v === undefined ? [] : [attributeProto(key, v)]));
    this.#nodes.push(
      create(NodeProtoSchema, {
        opType,
        domain,
        name: values[0]?.name ?? this.fresh(base),
        input: inputs.map((v) => v?.name ?? ''),
        output: values.map((v) => v.name),
        attribute,
      }),
    );
    return values;
  }

  /** Adds a one-output node. @internal */
  protected emit1<D extends DType>(opType: string, inputs: readonly (Value | null)[], dtype: D, shape: Shape, attributes: Attributes = {}): Value<D> {
    return this.emit(opType, inputs, [{ dtype, shape }], attributes)[0] as Value<D>;
  }

  /** `operand` as a value: a value is checked, a tensor or scalar becomes a constant (a scalar of `dtype`). @internal */
  protected value<D extends DType>(operand: Operand<D>, dtype: D): Value<D> {
    if (operand instanceof Value) {
      this.own([operand], 'operand');
      return operand;
    }
    if (operand instanceof Tensor) return this.constant(operand);
    return this.scalar(operand, dtype);
  }

  /**
   * Values of `operands` sharing one dtype: the first value's (or else the first tensor's).
   * Throws `DTYPE_MISMATCH` when they disagree. @internal
   */
  protected unify<D extends DType>(operands: readonly Operand<D>[], what: string): Value<D>[] {
    this.alive();
    const model = operands.find((o): o is Value<D> => o instanceof Value) ?? operands.find((o): o is Tensor<D> => o instanceof Tensor);
    if (model === undefined) {
      throw new MechintError('INVALID_ARGUMENT', `${what}: at least one operand must be a Value or a Tensor, so the constant's dtype is known; use g.scalar(value, dtype).`);
    }
    const values = operands.map((o) => this.value(o, model.dtype));
    const other = values.find((v) => v.dtype !== model.dtype);
    if (other !== undefined) {
      throw new MechintError(
        'DTYPE_MISMATCH',
        `${what}: operands are ${model.dtype} and ${other.dtype} ('${other.name}'); ONNX does not promote types, so cast one first, e.g. g.cast(${other.name}, '${model.dtype}').`,
        { details: { dtypes: values.map((v) => v.dtype) } },
      );
    }
    return values;
  }

  /** A cached 1-D int64 constant (axes, shapes, indices). @internal */
  protected int64s(values: readonly number[]): Value<'int64'> {
    return this.cachedConstant(`int64[${values.join(',')}]`, () => int64Tensor(values));
  }

  /** Throws `INVALID_ARGUMENT` unless this builder's opset is at least `min`. @internal */
  protected requireOpset(min: number, what: string): void {
    check(this.opset >= min, `${what} needs opset ≥ ${min}; this builder emits opset ${this.opset}. Create it with new GraphBuilder({ opset: ${min} }).`);
  }

  /** Throws `DTYPE_MISMATCH` unless `value` holds floating-point numbers. @internal */
  protected requireFloat(value: Value, what: string): void {
    if (!isFloatDType(value.dtype)) {
      throw new MechintError('DTYPE_MISMATCH', `${what} takes float16, float32 or float64; '${value.name}' is ${value.dtype}. Cast it first: g.cast(${value.name}, 'float32').`);
    }
  }

  /** Throws `DTYPE_MISMATCH` unless `value` is `dtype`. @internal */
  protected requireDType(value: Value, dtypes: readonly DType[], what: string): void {
    if (!dtypes.includes(value.dtype)) {
      throw new MechintError('DTYPE_MISMATCH', `${what} takes ${dtypes.join(' or ')}; '${value.name}' is ${value.dtype}. Cast it first: g.cast(${value.name}, '${dtypes[0]}').`);
    }
  }

  /** Throws unless this builder is still open and made every one of `values`. @internal */
  protected own(values: readonly Value[], what: string): void {
    this.alive();
    for (const v of values) {
      if (!(v instanceof Value)) throw new MechintError('INVALID_ARGUMENT', `${what}: expected a Value from this builder; got ${typeof v}.`);
      if (!v.belongsTo(this)) {
        throw new MechintError('INVALID_ARGUMENT', `${what}: '${v.name}' ${formatShape(v.shape)} was made by another GraphBuilder; a graph can only use its own values (declare it here with g.input).`, {
          details: { value: v.name },
        });
      }
    }
  }

  private cachedConstant<D extends DType>(key: string, make: () => Tensor<D>): Value<D> {
    const cached = this.#constants.get(key);
    if (cached !== undefined) return cached as Value<D>;
    const value = this.constant(make());
    this.#constants.set(key, value);
    return value;
  }

  private alive(): void {
    check(!this.#built, `GraphBuilder '${this.name}' has already built its model; start a new GraphBuilder for another graph.`);
  }

  private claim(name: string): string {
    check(typeof name === 'string' && name !== '', 'Value names must be non-empty strings.');
    if (this.#names.has(name)) throw new MechintError('INVALID_ARGUMENT', `The name '${name}' is already used in graph '${this.name}'; pick another.`, { details: { name } });
    this.#names.add(name);
    return name;
  }

  private fresh(base: string): string {
    let i = this.#counters.get(base) ?? 0;
    while (this.#names.has(`${base}_${i}`)) i++;
    this.#counters.set(base, i + 1);
    return this.claim(`${base}_${i}`);
  }
}

/** The ONNX IR version released with `opset` (onnx's versioning table). */
function irVersionFor(opset: number): bigint {
  if (opset <= 14) return 7n;
  if (opset <= 18) return 8n;
  if (opset <= 20) return 9n;
  if (opset <= 22) return 10n;
  return 11n;
}
