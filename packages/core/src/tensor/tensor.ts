/**
 * `Tensor`: a dtype, a shape and a typed array on the host, with an `ndarray` view and zero-copy
 * conversion to and from `onnxruntime`'s tensors. Only cheap host-side work lives here; anything
 * O(n·m) or larger belongs in a graph run by a {@link Backend}.
 */
import ndarray from 'ndarray';
import type { Data as NdData, NdArray } from 'ndarray';
import { Tensor as OrtTensor } from 'onnxruntime-common';
import { MechintError, check } from '../errors.js';
import { float32ToHalf, halfToFloat32 } from './half.js';
import { allocate, dtypeOfArray, isDType, storesDType, type DType, type DTypeStorage, type TypedArray } from './dtype.js';

/** A nested JavaScript array of numbers, bigints or booleans. */
export type NestedArray<T> = T | NestedArray<T>[];

/** Anything {@link Tensor.from} accepts as data. */
export type TensorData = TypedArray | NestedArray<number> | NestedArray<bigint> | NestedArray<boolean>;

/**
 * One axis of a {@link Tensor.slice} request: an index (the axis is dropped), `null` (the whole
 * axis), or `[start, end?, step?]` with Python semantics (negative indices count from the end).
 */
export type SliceSpec = number | null | readonly [(number | null)?, (number | null)?, number?];

/** Element value type stored for a dtype: `bigint` for 64-bit integers, `number` otherwise. */
export type ElementOf<D extends DType> = D extends 'int64' | 'uint64' ? bigint : number;

/** The `ndarray` view of a tensor of dtype `D` (elements are `bigint` for 64-bit integers). */
export type NdView<D extends DType> = NdArray<NdData<ElementOf<D>>>;

/**
 * A host tensor. The data is a flat, C-ordered typed array of `size` elements; `nd` views it as an
 * `ndarray` for strided access.
 *
 * @example
 * ```ts
 * import { Tensor } from '@mechint/core';
 * const t = Tensor.from([[1, 2, 3], [4, 5, 6]]);
 * t.shape;            // [2, 3]
 * t.get(1, 2);        // 6
 * t.slice(null, [1]).toArray(); // [[2, 3], [5, 6]]
 * ```
 */
export class Tensor<D extends DType = DType> {
  /** Element type. */
  readonly dtype: D;
  /** Dimensions, outermost first. A scalar has shape `[]`. */
  readonly shape: readonly number[];
  /** The elements in C (row-major) order. Shared, not copied: writes are visible to all views. */
  readonly data: DTypeStorage[D];
  #nd: NdView<D> | undefined;

  /**
   * Wraps `data` without copying. Prefer {@link Tensor.from}, which infers shape and dtype.
   * Throws `SHAPE_MISMATCH` when the element count does not match `shape`.
   */
  constructor(dtype: D, data: DTypeStorage[D], shape: readonly number[]) {
    check(isDType(dtype), `Unknown dtype ${String(dtype)}.`, 'UNSUPPORTED_DTYPE');
    check(storesDType(data, dtype), `A ${dtype} tensor needs a ${allocate(dtype, 0).constructor.name}, got ${data.constructor.name}.`, 'DTYPE_MISMATCH');
    validateShape(shape);
    const size = shapeSize(shape);
    if (size !== data.length) {
      throw new MechintError('SHAPE_MISMATCH', `Shape [${shape.join(', ')}] holds ${size} elements but the data has ${data.length}.`, {
        details: { shape, length: data.length },
      });
    }
    this.dtype = dtype;
    this.data = data;
    this.shape = Object.freeze([...shape]);
  }

  /**
   * Builds a tensor from a typed array (kept, not copied) or a nested JS array (copied).
   *
   * The shape defaults to the nesting of `data` (or `[data.length]`); the dtype defaults to the
   * typed array's own type, `float32` for numbers, `int64` for bigints and `bool` for booleans.
   *
   * @example
   * ```ts
   * import { Tensor } from '@mechint/core';
   * Tensor.from(new Float32Array(6), [2, 3]);
   * Tensor.from([1n, 2n]);                 // int64
   * Tensor.from([[true, false]]);          // bool, shape [1, 2]
   * Tensor.from([1, 2, 3], [3], 'int32');  // converted to int32
   * ```
   */
  static from<T extends DType = DType>(data: TensorData, shape?: readonly number[], dtype?: T): Tensor<T> {
    if (ArrayBuffer.isView(data)) {
      const typed = data as TypedArray;
      const target = (dtype ?? dtypeOfArray(typed)) as T;
      const values = storesDType(typed, target) ? (typed as DTypeStorage[T]) : convert(typed, target);
      return new Tensor(target, values, shape ?? [typed.length]);
    }
    const { flat, dims } = flatten(data);
    const target = (dtype ?? inferDType(flat)) as T;
    return new Tensor(target, convert(flat, target), shape ?? dims);
  }

  /**
   * A zero-filled tensor.
   *
   * @example
   * ```ts
   * import { Tensor } from '@mechint/core';
   * Tensor.zeros([2, 2], 'float64').toArray(); // [[0, 0], [0, 0]]
   * ```
   */
  static zeros<T extends DType = 'float32'>(shape: readonly number[], dtype: T = 'float32' as T): Tensor<T> {
    validateShape(shape);
    return new Tensor(dtype, allocate(dtype, shapeSize(shape)), shape);
  }

  /**
   * A host tensor sharing memory with an onnxruntime tensor that lives on the CPU. Tensors on a
   * GPU must first be downloaded (`await ortTensor.getData()`), which `Backend.run` does for you.
   *
   * @example
   * ```ts
   * import { Tensor } from '@mechint/core';
   * import { Tensor as OrtTensor } from 'onnxruntime-common';
   * Tensor.fromOrt(new OrtTensor('float32', new Float32Array(4), [2, 2])).shape; // [2, 2]
   * ```
   */
  static fromOrt(tensor: OrtTensor): Tensor {
    if (tensor.location !== 'cpu' && tensor.location !== 'cpu-pinned') {
      throw new MechintError('INVALID_ARGUMENT', `The onnxruntime tensor lives on '${tensor.location}'; download it with await tensor.getData() first.`);
    }
    const dtype = tensor.type;
    if (!isDType(dtype)) {
      throw new MechintError('UNSUPPORTED_DTYPE', `onnxruntime tensor type '${dtype}' has no host tensor type here.`);
    }
    return new Tensor(dtype, tensor.data as DTypeStorage[typeof dtype], tensor.dims.map(Number));
  }

  /** Number of elements. */
  get size(): number {
    return this.data.length;
  }

  /** Number of dimensions. */
  get rank(): number {
    return this.shape.length;
  }

  /** A strided `ndarray` view over {@link Tensor.data} (created once, shares memory). */
  get nd(): NdView<D> {
    this.#nd ??= ndarray(this.data as unknown as NdData<ElementOf<D>>, [...this.shape]);
    return this.#nd;
  }

  /**
   * The onnxruntime tensor sharing this tensor's memory, for feeding a session directly.
   *
   * @example
   * ```ts
   * import { Tensor } from '@mechint/core';
   * Tensor.from([1, 2]).toOrt().dims; // [2]
   * ```
   */
  toOrt(): OrtTensor {
    return new OrtTensor(this.dtype, this.data as never, [...this.shape]);
  }

  /**
   * The element at `index` (one coordinate per axis; negative counts from the end).
   *
   * @example
   * ```ts
   * import { Tensor } from '@mechint/core';
   * Tensor.from([[1, 2], [3, 4]]).get(-1, 0); // 3
   * ```
   */
  get(...index: number[]): ElementOf<D> {
    return this.data[this.offsetOf(index)] as ElementOf<D>;
  }

  /** Writes `value` at `index` in place. @example `t.set(5, 0, 1)` writes 5 at [0, 1]. */
  set(value: ElementOf<D>, ...index: number[]): void {
    (this.data as unknown as Record<number, ElementOf<D>>)[this.offsetOf(index)] = value;
  }

  /**
   * A tensor with the same data in a new shape (no copy). One entry may be `-1` and is inferred.
   *
   * @example
   * ```ts
   * import { Tensor } from '@mechint/core';
   * Tensor.from([1, 2, 3, 4, 5, 6]).reshape([2, -1]).shape; // [2, 3]
   * ```
   */
  reshape(shape: readonly number[]): Tensor<D> {
    const inferred = shape.filter((d) => d === -1).length;
    check(inferred <= 1, `reshape takes at most one -1; got [${shape.join(', ')}].`);
    const known = shape.reduce((p, d) => (d === -1 ? p : p * d), 1);
    const resolved = shape.map((d) => (d === -1 ? this.size / known : d));
    if (!resolved.every(Number.isInteger) || shapeSize(resolved) !== this.size) {
      throw new MechintError('SHAPE_MISMATCH', `Cannot reshape [${this.shape.join(', ')}] (${this.size} elements) to [${shape.join(', ')}].`);
    }
    return new Tensor(this.dtype, this.data, resolved);
  }

  /**
   * The sub-tensor at `i` along the first axis, sharing memory (no copy).
   *
   * @example
   * ```ts
   * import { Tensor } from '@mechint/core';
   * Tensor.from([[1, 2], [3, 4]]).index(1).toArray(); // [3, 4]
   * ```
   */
  index(i: number): Tensor<D> {
    check(this.rank > 0, 'Cannot index a scalar tensor.');
    const n = this.shape[0]!;
    const k = normalizeIndex(i, n, 0);
    const inner = this.size / n;
    const view = this.data.subarray(k * inner, (k + 1) * inner) as DTypeStorage[D];
    return new Tensor(this.dtype, view, this.shape.slice(1));
  }

  /**
   * A contiguous copy of a strided selection: one {@link SliceSpec} per leading axis, the rest kept
   * whole. A number picks one index and drops the axis; `[start, end, step]` follows Python.
   *
   * @example
   * ```ts
   * import { Tensor } from '@mechint/core';
   * const t = Tensor.from([[1, 2, 3], [4, 5, 6]]);
   * t.slice(0).toArray();            // [1, 2, 3]
   * t.slice(null, [0, null, 2]).toArray(); // [[1, 3], [4, 6]]
   * t.slice(null, [-1]).toArray();   // [[3], [6]]
   * ```
   */
  slice(...specs: SliceSpec[]): Tensor<D> {
    check(specs.length <= this.rank, `slice got ${specs.length} axes for a rank-${this.rank} tensor.`);
    const stride = this.nd.stride;
    let offset = 0;
    const shape: number[] = [];
    const strides: number[] = [];
    this.shape.forEach((n, axis) => {
      const spec = specs[axis] ?? null;
      if (typeof spec === 'number') {
        offset += normalizeIndex(spec, n, axis) * stride[axis]!;
        return;
      }
      const [start, stop, step = 1] = spec ?? [undefined, undefined, 1];
      check(Number.isInteger(step) && step !== 0, `slice step must be a non-zero integer; got ${step} on axis ${axis}.`);
      const range = pythonRange(n, start ?? undefined, stop ?? undefined, step);
      offset += range.first * stride[axis]!;
      shape.push(range.count);
      strides.push(step * stride[axis]!);
    });
    return Tensor.fromView(this.dtype, ndarray(this.data as unknown as NdData<ElementOf<D>>, shape, strides, offset));
  }

  /**
   * The elements as a nested JavaScript array (bigints for 64-bit integers, booleans for `bool`).
   *
   * @example
   * ```ts
   * import { Tensor } from '@mechint/core';
   * Tensor.from([[1, 2]], undefined, 'int32').toArray(); // [[1, 2]]
   * ```
   */
  toArray(): NestedArray<ElementOf<D> | boolean> {
    const values: (ElementOf<D> | boolean)[] =
      this.dtype === 'bool' ? Array.from(this.data as Uint8Array, (v) => v !== 0) : Array.from(this.data as unknown as ArrayLike<ElementOf<D>>);
    if (this.rank === 0) return values[0]!;
    return nest(values, this.shape, 0, 0);
  }

  /**
   * The single element of a one-element tensor.
   *
   * @example
   * ```ts
   * import { Tensor } from '@mechint/core';
   * Tensor.from([7]).item(); // 7
   * ```
   */
  item(): ElementOf<D> {
    check(this.size === 1, `item() needs a one-element tensor; shape is [${this.shape.join(', ')}].`, 'SHAPE_MISMATCH');
    return this.data[0] as ElementOf<D>;
  }

  /**
   * A tensor with its own copy of the data, optionally converted to another dtype. Conversions
   * go by value: float16 bits are decoded on the way out and encoded (round to nearest even) on
   * the way in.
   *
   * @example
   * ```ts
   * import { Tensor } from '@mechint/core';
   * Tensor.from([1.7, -2]).clone('int32').toArray(); // [1, -2]
   * Tensor.from([0.5, 3]).clone('float16').clone('float32').toArray(); // [0.5, 3]
   * ```
   */
  clone<T extends DType = D>(dtype?: T): Tensor<T> {
    const target = (dtype ?? this.dtype) as T;
    if (target === (this.dtype as DType)) return new Tensor(target, this.data.slice() as DTypeStorage[T], this.shape);
    const values = this.dtype === 'float16' ? halfToFloat32(this.data as Uint16Array) : this.data;
    const converted = target === 'float16' ? float32ToHalf(Float32Array.from(values as ArrayLike<number>, Number)) : convert(values, target);
    return new Tensor(target, converted as DTypeStorage[T], this.shape);
  }

  private offsetOf(index: number[]): number {
    check(index.length === this.rank, `Need ${this.rank} indices, got ${index.length}.`);
    let offset = 0;
    for (let axis = 0; axis < index.length; axis++) {
      offset = offset * this.shape[axis]! + normalizeIndex(index[axis]!, this.shape[axis]!, axis);
    }
    return offset;
  }

  private static fromView<T extends DType>(dtype: T, view: NdView<T>): Tensor<T> {
    const out = allocate(dtype, view.size);
    const shape = view.shape;
    const rank = shape.length;
    const counter = new Array<number>(rank).fill(0);
    const source = view.data as unknown as ArrayLike<ElementOf<T>>;
    const target = out as unknown as Record<number, ElementOf<T>>;
    for (let i = 0; i < view.size; i++) {
      let offset = view.offset;
      for (let a = 0; a < rank; a++) offset += counter[a]! * view.stride[a]!;
      target[i] = source[offset]!;
      for (let a = rank - 1; a >= 0; a--) {
        if (++counter[a]! < shape[a]!) break;
        counter[a] = 0;
      }
    }
    return new Tensor(dtype, out, shape);
  }
}

/**
 * Number of elements of a shape (1 for a scalar).
 *
 * @example
 * ```ts
 * import { shapeSize } from '@mechint/core';
 * shapeSize([2, 3, 4]); // 24
 * ```
 */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function validateShape(shape: readonly number[]): void {
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new MechintError('SHAPE_MISMATCH', `Shape dimensions must be non-negative integers; got [${shape.join(', ')}].`);
    }
  }
}

function normalizeIndex(i: number, n: number, axis: number): number {
  const k = i < 0 ? i + n : i;
  if (!Number.isInteger(i) || k < 0 || k >= n) {
    throw new MechintError('INVALID_ARGUMENT', `Index ${i} is out of range for axis ${axis} of size ${n}.`);
  }
  return k;
}

function pythonRange(n: number, start: number | undefined, stop: number | undefined, step: number): { first: number; count: number } {
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  const resolve = (v: number | undefined, fallback: number, lo: number, hi: number) => (v === undefined ? fallback : clamp(v < 0 ? v + n : v, lo, hi));
  if (step > 0) {
    const first = resolve(start, 0, 0, n);
    const end = resolve(stop, n, 0, n);
    return { first, count: Math.max(0, Math.ceil((end - first) / step)) };
  }
  const first = resolve(start, n - 1, -1, n - 1);
  const end = resolve(stop, -1, -1, n - 1);
  return { first, count: Math.max(0, Math.ceil((end - first) / step)) };
}

function flatten(data: NestedArray<number> | NestedArray<bigint> | NestedArray<boolean>): { flat: (number | bigint | boolean)[]; dims: number[] } {
  const dims: number[] = [];
  let probe: unknown = data;
  while (Array.isArray(probe)) {
    dims.push(probe.length);
    probe = probe[0];
  }
  const flat: (number | bigint | boolean)[] = [];
  const collect = (value: unknown): void => {
    if (Array.isArray(value)) for (const v of value) collect(v);
    else flat.push(value as number | bigint | boolean);
  };
  collect(data);
  if (flat.length !== shapeSize(dims)) {
    throw new MechintError('SHAPE_MISMATCH', `Nested array is ragged: expected ${shapeSize(dims)} elements for [${dims.join(', ')}], found ${flat.length}.`);
  }
  return { flat, dims };
}

function inferDType(values: readonly (number | bigint | boolean)[]): DType {
  const first = values[0];
  if (typeof first === 'bigint') return 'int64';
  if (typeof first === 'boolean') return 'bool';
  return 'float32';
}

function convert<T extends DType>(values: ArrayLike<number | bigint | boolean>, dtype: T): DTypeStorage[T] {
  const out = allocate(dtype, values.length);
  const wide = dtype === 'int64' || dtype === 'uint64';
  const target = out as unknown as Record<number, number | bigint>;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (wide) {
      target[i] = typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v)));
    } else if (dtype === 'bool') {
      target[i] = v ? 1 : 0;
    } else {
      target[i] = typeof v === 'number' ? v : Number(v);
    }
  }
  return out;
}

function nest<T>(values: T[], shape: readonly number[], axis: number, offset: number): NestedArray<T> {
  const n = shape[axis]!;
  if (axis === shape.length - 1) return values.slice(offset, offset + n);
  const inner = shapeSize(shape.slice(axis + 1));
  const out: NestedArray<T>[] = [];
  for (let i = 0; i < n; i++) out.push(nest(values, shape, axis + 1, offset + i * inner));
  return out;
}
