/**
 * `Value`: a handle on one tensor-valued edge of a graph under construction, with its dtype and,
 * where cheaply known, its shape.
 */
import type { Dim } from '../onnx/types.js';
import type { DType } from '../tensor/dtype.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * A value of a graph being built by a `GraphBuilder`: a graph input, a parameter, a constant or
 * the output of a node. Handles belong to the builder that made them; passing one to another
 * builder throws `INVALID_ARGUMENT`.
 *
 * The dtype is always known (it follows each operator's type rule); the shape is tracked where
 * it is cheap to know and is `undefined` when even the rank is unknown. A dimension is a number,
 * a symbolic name (`'n'`) or `null` (unknown).
 *
 * @example
 * ```ts
 * import { GraphBuilder } from '@mechint/core';
 * const g = new GraphBuilder();
 * const x = g.input('x', 'float32', ['n', 3]);
 * const s = g.reduceSum(x, { axes: [1], keepdims: false });
 * s.dtype; // 'float32'
 * s.shape; // ['n']
 * s.rank;  // 1
 * ```
 */
export class Value<D extends DType = DType> {
  /** The value's name in the ONNX graph. */
  readonly name: string;
  /** Element type. */
  readonly dtype: D;
  /** Dimensions where known; `undefined` when the rank is unknown. */
  readonly shape: readonly Dim[] | undefined;
  readonly #owner: object;

  /** Made by `GraphBuilder`; not constructed directly. @internal */
  constructor(owner: object, name: string, dtype: D, shape: readonly Dim[] | undefined) {
    this.#owner = owner;
    this.name = name;
    this.dtype = dtype;
    this.shape = shape === undefined ? undefined : Object.freeze([...shape]);
  }

  /** Number of dimensions, or `undefined` when unknown. */
  get rank(): number | undefined {
    return this.shape?.length;
  }

  /** True when `owner` made this value. @internal */
  belongsTo(owner: object): boolean {
    return this.#owner === owner;
  }

  /** The name, so values interpolate readably into messages. */
  toString(): string {
    return `${this.name}: ${this.dtype}${this.shape === undefined ? '[?]' : `[${this.shape.map((d) => d ?? '?').join(', ')}]`}`;
  }
}

/** A plain JavaScript scalar that becomes a constant of the dtype of the value it meets. @example `g.add(x, 1)`, `g.add(ids, 1n)`, `g.and(mask, true)` */
export type Scalar = number | bigint | boolean;

/**
 * What an operator accepts where a tensor is expected: a {@link Value}, a plain scalar (it becomes
 * a rank-0 constant of the other operand's dtype, so `g.mul(x, 2)` doubles `x` whatever its float
 * type), or a host {@link Tensor} (it becomes a constant of its own dtype).
 *
 * @example `g.mul(x, y)`, `g.mul(x, 2)`, `g.mul(x, Tensor.from([1, 2, 3]))`
 */
export type Operand<D extends DType = DType> = Value<D> | Scalar | Tensor<D>;
