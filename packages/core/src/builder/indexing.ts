/**
 * Indexing operators: `Gather`, `GatherElements`, `ScatterElements`, `ScatterND`, `Slice`.
 */
import { MechintError, check } from '../errors.js';
import type { DType } from '../tensor/dtype.js';
import { Tensor, type NestedArray } from '../tensor/tensor.js';
import { LayoutOps, type ShapeLike } from './layout.js';
import { formatShape, normalizeAxes, normalizeAxis, sliceLength, type Shape } from './shapes.js';
import { Value, type Operand } from './value.js';

/**
 * Indices: an int64 / int32 value or tensor, a number (a rank-0 index) or a (nested) list of
 * numbers (an int64 constant of that shape). Negative indices count from the end.
 *
 * @example `g.gather(x, [0, -1])`, `g.gather(x, 2)`, `g.gather(x, ids)`
 */
export type IndicesLike = Value | Tensor | NestedArray<number>;

/** How `scatterElements` / `scatterND` combine an update with the element it lands on. @example `g.scatterND(x, idx, u, { reduction: 'add' })` */
export type ScatterReduction = 'none' | 'add' | 'mul' | 'max' | 'min';

/** Options of `GraphBuilder.gather` and `GraphBuilder.gatherElements`. @example `g.gather(x, ids, { axis: 1 })` */
export interface GatherOptions {
  /** The axis indexed. Defaults to 0, as in ONNX. */
  axis?: number;
}

/** Options of `GraphBuilder.scatterElements`. @example `g.scatterElements(x, idx, u, { axis: 1, reduction: 'max' })` */
export interface ScatterElementsOptions {
  /** The axis indexed. Defaults to 0, as in ONNX. */
  axis?: number;
  /** `'none'` (default) overwrites; `'add'` / `'mul'` need opset ≥ 16, `'max'` / `'min'` opset ≥ 18. */
  reduction?: ScatterReduction;
}

/** Options of `GraphBuilder.scatterND`. @example `g.scatterND(x, idx, u, { reduction: 'mul' })` */
export interface ScatterNDOptions {
  /** `'none'` (default) overwrites; `'add'` / `'mul'` need opset ≥ 16, `'max'` / `'min'` opset ≥ 18. */
  reduction?: ScatterReduction;
}

/**
 * Options of `GraphBuilder.slice`: per sliced axis a start, an end (exclusive) and a step, as in
 * Python (`x[start:end:step]`). Out-of-range bounds clamp; `±Infinity` means "to the end".
 *
 * @example `{ starts: [0], ends: [Infinity], axes: [1], steps: [2] }` (`x[:, ::2]`)
 */
export interface SliceOptions {
  /** First index on each sliced axis (negative counts from the end). */
  starts: ShapeLike;
  /** End index (exclusive) on each sliced axis (negative counts from the end). */
  ends: ShapeLike;
  /** The axes sliced. Defaults to the first `starts.length` axes. */
  axes?: readonly number[];
  /** Steps, negative to walk backwards. Defaults to 1 on every axis. */
  steps?: ShapeLike;
}

/** @internal Indexing operators of `GraphBuilder`. @example `new GraphBuilder().gather` */
export abstract class IndexingOps extends LayoutOps {
  /**
   * Entries of `data` at `indices` along `axis` (numpy `take`): the axis is replaced by the
   * indices' shape.
   *
   * @example `g.gather(embeddings, tokenIds)`
   */
  gather<D extends DType>(data: Value<D>, indices: IndicesLike, options: GatherOptions = {}): Value<D> {
    this.own([data], 'Gather');
    const idx = this.indices(indices, 'gather');
    const axis = normalizeAxis(options.axis ?? 0, data.rank, 'gather');
    const shape = data.shape === undefined || idx.shape === undefined || axis < 0 ? undefined : [...data.shape.slice(0, axis), ...idx.shape, ...data.shape.slice(axis + 1)];
    return this.emit1('Gather', [data, idx], data.dtype, shape, { axis: BigInt(axis) });
  }

  /**
   * `out[i][j] = data[indices[i][j]][j]` for `axis` 0 (and likewise for other axes; numpy
   * `take_along_axis`). `indices` has the rank of `data`; the result has the indices' shape.
   *
   * @example `g.gatherElements(scores, g.argMax(scores, { axis: 1 }), { axis: 1 })`
   */
  gatherElements<D extends DType>(data: Value<D>, indices: IndicesLike, options: GatherOptions = {}): Value<D> {
    this.own([data], 'GatherElements');
    const idx = this.indices(indices, 'gatherElements');
    sameRank(data, idx, 'gatherElements');
    const axis = normalizeAxis(options.axis ?? 0, data.rank, 'gatherElements');
    return this.emit1('GatherElements', [data, idx], data.dtype, idx.shape, { axis: BigInt(axis) });
  }

  /**
   * A copy of `data` with `updates` written at `indices` along `axis`: for `axis` 0,
   * `out[indices[i][j]][j] = updates[i][j]` (combined by `reduction`).
   *
   * @example `g.scatterElements(zeros, idx, ones, { axis: 1, reduction: 'add' })`
   */
  scatterElements<D extends DType>(data: Value<D>, indices: IndicesLike, updates: Operand<D>, options: ScatterElementsOptions = {}): Value<D> {
    this.own([data], 'ScatterElements');
    const idx = this.indices(indices, 'scatterElements');
    const upd = this.unify([data, updates], 'scatterElements')[1]!;
    sameRank(data, idx, 'scatterElements');
    const axis = normalizeAxis(options.axis ?? 0, data.rank, 'scatterElements');
    return this.emit1('ScatterElements', [data, idx, upd], data.dtype, data.shape, { axis: BigInt(axis), reduction: this.reduction(options.reduction) });
  }

  /**
   * A copy of `data` with slices replaced: each row of the last axis of `indices` addresses an
   * element (or a sub-tensor) of `data`, which takes the matching entry of `updates`.
   *
   * @example `g.scatterND(x, [[0], [2]], rows)` (overwrite rows 0 and 2)
   */
  scatterND<D extends DType>(data: Value<D>, indices: IndicesLike, updates: Operand<D>, options: ScatterNDOptions = {}): Value<D> {
    this.own([data], 'ScatterND');
    const idx = this.indices(indices, 'scatterND');
    const upd = this.unify([data, updates], 'scatterND')[1]!;
    return this.emit1('ScatterND', [data, idx, upd], data.dtype, data.shape, { reduction: this.reduction(options.reduction) });
  }

  /**
   * `x[start:end:step]` on the chosen axes (Python semantics, negative steps included).
   *
   * @example `g.slice(x, { starts: [-1], ends: [-Infinity], axes: [1], steps: [-1] })` (reverse axis 1)
   */
  slice<D extends DType>(x: Value<D>, options: SliceOptions): Value<D> {
    this.own([x], 'Slice');
    const { starts, ends, steps } = options;
    const lengths = [starts, ends, ...(steps === undefined ? [] : [steps])].flatMap((s) => (s instanceof Value ? [] : [s.length]));
    if (new Set(lengths).size > 1 || (options.axes !== undefined && lengths.length > 0 && lengths[0] !== options.axes.length)) {
      throw new MechintError('INVALID_ARGUMENT', 'slice: starts, ends, steps and axes must have one entry per sliced axis.');
    }
    const count = lengths[0] ?? options.axes?.length;
    const axes = options.axes === undefined ? (count === undefined ? undefined : Array.from({ length: count }, (_, i) => i)) : normalizeAxes(options.axes, x.rank, 'slice');
    if (axes !== undefined && x.rank !== undefined) normalizeAxes(axes, x.rank, 'slice');
    if (!(steps instanceof Value)) for (const s of steps ?? []) check(Number.isInteger(s) && s !== 0, `slice: steps must be non-zero integers; got [${(steps ?? []).join(', ')}].`);
    const bound = (v: ShapeLike) => (v instanceof Value ? v : v.map((n) => (n === Infinity ? Number.MAX_SAFE_INTEGER : n === -Infinity ? Number.MIN_SAFE_INTEGER : n)));
    const inputs: (Value | null)[] = [x, this.shapeInput(bound(starts), 'slice starts'), this.shapeInput(bound(ends), 'slice ends')];
    if (options.axes !== undefined || steps !== undefined) inputs.push(axes === undefined ? null : this.int64s(axes));
    if (steps !== undefined) inputs.push(this.shapeInput(steps, 'slice steps'));
    return this.emit1('Slice', inputs, x.dtype, sliceShape(x.shape, axes, bound(starts), bound(ends), steps ?? axes?.map(() => 1)));
  }

  private indices(indices: IndicesLike, what: string): Value {
    let value: Value;
    if (indices instanceof Value) value = indices;
    else if (indices instanceof Tensor) value = this.constant(indices);
    else if (typeof indices === 'number') value = this.scalar(indices, 'int64');
    else if (indices.every((i): i is number => typeof i === 'number')) value = this.int64s(indices);
    else value = this.constant(Tensor.from(indices, undefined, 'int64'));
    this.own([value], what);
    this.requireDType(value, ['int64', 'int32'], `${what} indices`);
    return value;
  }

  private reduction(reduction: ScatterReduction | undefined): string | undefined {
    if (reduction === undefined || reduction === 'none') return undefined;
    check(['add', 'mul', 'max', 'min'].includes(reduction), `scatter reduction must be 'none', 'add', 'mul', 'max' or 'min'; got '${String(reduction)}'.`);
    this.requireOpset(reduction === 'add' || reduction === 'mul' ? 16 : 18, `scatter reduction '${reduction}'`);
    return reduction;
  }
}

function sameRank(data: Value, indices: Value, what: string): void {
  if (data.rank !== undefined && indices.rank !== undefined && data.rank !== indices.rank) {
    throw new MechintError('SHAPE_MISMATCH', `${what}: indices ${formatShape(indices.shape)} must have the rank of data ${formatShape(data.shape)}.`);
  }
}

function sliceShape(shape: Shape, axes: readonly number[] | undefined, starts: ShapeLike, ends: ShapeLike, steps: ShapeLike | undefined): Shape {
  if (shape === undefined) return undefined;
  if (axes === undefined || axes.some((a) => a < 0) || starts instanceof Value || ends instanceof Value || steps === undefined || steps instanceof Value) {
    const sliced = axes === undefined ? undefined : new Set(axes);
    return shape.map((d, i) => (sliced === undefined || sliced.has(i) ? null : d));
  }
  const out = [...shape];
  axes.forEach((axis, k) => {
    const n = shape[axis];
    out[axis] = typeof n === 'number' ? sliceLength(n, starts[k]!, ends[k]!, steps[k]!) : null;
  });
  return out;
}
