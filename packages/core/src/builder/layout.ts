/**
 * Layout operators: reshaping, permuting, joining and repeating tensors, and reading shapes.
 */
import { MechintError, check } from '../errors.js';
import type { Dim } from '../onnx/types.js';
import type { DType } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { ints } from './attributes.js';
import { ReduceOps } from './reduce.js';
import { broadcastShapes, dimProduct, formatShape, normalizeAxes, normalizeAxis, sameDim, type Shape } from './shapes.js';
import { Value, type Operand, type Scalar } from './value.js';

/** A shape argument: constant sizes, or a 1-D int64 value computed in the graph. @example `[2, -1]` or `g.shape(y)` */
export type ShapeLike = readonly number[] | Value<'int64'>;

/** Options of `GraphBuilder.reshape`. @example `g.reshape(x, [0, 3], { allowZero: true })` */
export interface ReshapeOptions {
  /** A 0 in the shape means size 0, not "copy the input's size" (opset ≥ 14). Defaults to false, as in ONNX. */
  allowZero?: boolean;
}

/** Options of `GraphBuilder.shape` (opset ≥ 15 for either bound). @example `g.shape(x, { start: -1 })` */
export interface ShapeOptions {
  /** First axis to report (negative counts from the end). Defaults to 0. */
  start?: number;
  /** Axis after the last to report. Defaults to the rank. */
  end?: number;
}

/** Options of `GraphBuilder.range`. @example `g.range(0, 1, { delta: 0.1, dtype: 'float64' })` */
export interface RangeOptions {
  /** Step between elements. Defaults to 1. */
  delta?: Operand;
  /**
   * Element type when no bound is a value or tensor. Defaults to the values' dtype, else int64
   * for integer bounds and float32 otherwise.
   */
  dtype?: DType;
}

/** @internal Layout operators of `GraphBuilder`. @example `new GraphBuilder().reshape` */
export abstract class LayoutOps extends ReduceOps {
  /**
   * `x` with a new shape: a -1 is inferred, a 0 copies the input's size at that position (unless
   * `allowZero`).
   *
   * @example `g.reshape(x, [-1, 4])`
   */
  reshape<D extends DType>(x: Value<D>, shape: ShapeLike, options: ReshapeOptions = {}): Value<D> {
    this.own([x], 'Reshape');
    if (options.allowZero === true) this.requireOpset(14, 'reshape allowZero');
    const target = this.shapeInput(shape, 'reshape');
    const out = Array.isArray(shape) ? reshapeShape(x.shape, shape as readonly number[], options.allowZero === true) : shapeFromValue(target);
    return this.emit1('Reshape', [x, target], x.dtype, out, { allowzero: options.allowZero === true ? true : undefined });
  }

  /**
   * Axes permuted: output axis `i` is input axis `perm[i]`; reversed when `perm` is omitted.
   *
   * @example `g.transpose(x, [0, 2, 1])`
   */
  transpose<D extends DType>(x: Value<D>, perm?: readonly number[]): Value<D> {
    this.own([x], 'Transpose');
    if (perm === undefined) return this.emit1('Transpose', [x], x.dtype, x.shape === undefined ? undefined : [...x.shape].reverse());
    const axes = normalizeAxes(perm, x.rank, 'transpose');
    if ((x.rank !== undefined && axes.length !== x.rank) || axes.some((a) => a < 0 || a >= axes.length)) {
      throw new MechintError('INVALID_ARGUMENT', `transpose: perm [${perm.join(', ')}] is not a permutation of the axes of ${formatShape(x.shape)}.`);
    }
    return this.emit1('Transpose', [x], x.dtype, x.shape === undefined ? undefined : axes.map((a) => x.shape![a]!), { perm: ints(axes) });
  }

  /**
   * The operands joined along `axis`; they share a dtype and every other size.
   *
   * @example `g.concat([a, b], 0)`
   */
  concat<D extends DType>(operands: readonly Operand<D>[], axis: number): Value<D> {
    check(operands.length > 0, 'concat needs at least one operand.');
    const values = this.unify(operands, 'concat') as Value<D>[];
    const ranks = new Set(values.flatMap((v) => (v.rank === undefined ? [] : [v.rank])));
    if (ranks.size > 1) throw new MechintError('SHAPE_MISMATCH', `concat: operands have different ranks (${values.map((v) => formatShape(v.shape)).join(', ')}).`);
    const rank = [...ranks][0];
    const a = normalizeAxis(axis, rank, 'concat');
    let shape: Shape;
    if (values.every((v) => v.shape !== undefined)) {
      const shapes = values.map((v) => v.shape!);
      shape = shapes[0]!.map((_, i) => {
        if (i !== a) return shapes.reduce<Dim>((d, s) => sameDim(d, s[i], `concat: axis ${i}`), null);
        let sum = 0;
        for (const s of shapes) {
          const d = s[i];
          if (typeof d !== 'number') return null;
          sum += d;
        }
        return sum;
      });
    }
    return this.emit1('Concat', values, values[0]!.dtype, shape, { axis: BigInt(a) });
  }

  /**
   * `x` without the size-1 `axes` (every size-1 axis when omitted).
   *
   * @example `g.squeeze(x, [1])`
   */
  squeeze<D extends DType>(x: Value<D>, axes?: readonly number[]): Value<D> {
    this.own([x], 'Squeeze');
    if (axes === undefined) {
      const known = x.shape !== undefined && x.shape.every((d) => typeof d === 'number');
      return this.emit1('Squeeze', [x], x.dtype, known ? x.shape!.filter((d) => d !== 1) : undefined);
    }
    const a = normalizeAxes(axes, x.rank, 'squeeze');
    for (const i of a) {
      const d = x.shape?.[i];
      if (typeof d === 'number' && d !== 1) throw new MechintError('SHAPE_MISMATCH', `squeeze: axis ${i} of ${formatShape(x.shape)} has size ${d}, not 1.`);
    }
    const shape = x.shape === undefined || a.some((i) => i < 0) ? undefined : x.shape.filter((_, i) => !a.includes(i));
    return this.emit1('Squeeze', [x, this.int64s(a)], x.dtype, shape);
  }

  /**
   * `x` with size-1 axes inserted so that they sit at `axes` of the result.
   *
   * @example `g.unsqueeze(x, [0])`
   */
  unsqueeze<D extends DType>(x: Value<D>, axes: readonly number[]): Value<D> {
    this.own([x], 'Unsqueeze');
    check(axes.length > 0, 'unsqueeze needs at least one axis.');
    const rank = x.rank === undefined ? undefined : x.rank + axes.length;
    const a = normalizeAxes(axes, rank, 'unsqueeze');
    let shape: Dim[] | undefined;
    if (x.shape !== undefined && rank !== undefined) {
      const rest = [...x.shape];
      shape = Array.from({ length: rank }, (_, i) => (a.includes(i) ? 1 : rest.shift()!));
    }
    return this.emit1('Unsqueeze', [x, this.int64s(a)], x.dtype, shape);
  }

  /**
   * `x` broadcast to `shape` (numpy rules: sizes of 1 stretch, the result may be larger).
   *
   * @example `g.expand(bias, [4, 3])`
   */
  expand<D extends DType>(x: Value<D>, shape: ShapeLike): Value<D> {
    this.own([x], 'Expand');
    const target = this.shapeInput(shape, 'expand');
    const out = Array.isArray(shape) ? broadcastShapes([x.shape, shape as readonly number[]], 'expand') : broadcastShapes([x.shape, shapeFromValue(target)], 'expand');
    return this.emit1('Expand', [x, target], x.dtype, out);
  }

  /**
   * `x` repeated `repeats[i]` times along each axis `i`.
   *
   * @example `g.tile(x, [2, 1])`
   */
  tile<D extends DType>(x: Value<D>, repeats: ShapeLike): Value<D> {
    this.own([x], 'Tile');
    const target = this.shapeInput(repeats, 'tile');
    let shape: Shape;
    if (Array.isArray(repeats)) {
      const r = repeats as readonly number[];
      if (x.rank !== undefined && r.length !== x.rank) throw new MechintError('SHAPE_MISMATCH', `tile: give one repeat per axis of ${formatShape(x.shape)}; got [${r.join(', ')}].`);
      shape = x.shape?.map((d, i) => (r[i] === 1 ? d : typeof d === 'number' ? d * r[i]! : null));
    } else {
      shape = x.shape?.map(() => null);
    }
    return this.emit1('Tile', [x, target], x.dtype, shape);
  }

  /**
   * `x` as a matrix: axes before `axis` become rows, the rest columns.
   *
   * @example `g.flatten(images, 1)`
   */
  flatten<D extends DType>(x: Value<D>, axis = 1): Value<D> {
    this.own([x], 'Flatten');
    const rank = x.rank;
    check(Number.isInteger(axis) && (rank === undefined || (axis >= -rank && axis <= rank)), `flatten: axis ${axis} must lie in [-rank, rank] = [${-(rank ?? 0)}, ${rank ?? 0}].`);
    const a = axis < 0 && rank !== undefined ? axis + rank : axis;
    const shape = x.shape === undefined || a < 0 ? undefined : [dimProduct(x.shape.slice(0, a)), dimProduct(x.shape.slice(a))];
    return this.emit1('Flatten', [x], x.dtype, shape, { axis: BigInt(a) });
  }

  /**
   * The shape of `x` as a 1-D int64 value (optionally only axes `start` to `end`).
   *
   * @example `g.shape(x, { start: 0, end: 1 })`
   */
  shape(x: Value, options: ShapeOptions = {}): Value<'int64'> {
    this.own([x], 'Shape');
    if (options.start !== undefined || options.end !== undefined) this.requireOpset(15, 'shape start / end');
    let length: Dim = null;
    if (x.rank !== undefined) {
      const r = x.rank;
      const clampAxis = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
      length = Math.max(0, clampAxis(options.end ?? r) - clampAxis(options.start ?? 0));
    }
    return this.emit1('Shape', [x], 'int64', [length], { start: options.start === undefined ? undefined : BigInt(options.start), end: options.end === undefined ? undefined : BigInt(options.end) });
  }

  /** The number of elements of `x`, as a rank-0 int64 value. @example `g.size(x)` */
  size(x: Value): Value<'int64'> {
    this.own([x], 'Size');
    return this.emit1('Size', [x], 'int64', []);
  }

  /** A copy of `x` under a new name. @example `g.identity(x)` */
  identity<D extends DType>(x: Value<D>): Value<D> {
    this.own([x], 'Identity');
    return this.emit1('Identity', [x], x.dtype, x.shape);
  }

  /**
   * `start, start + delta, …` up to but excluding `limit`, as `numpy.arange`. Bounds are rank-0
   * values or numbers.
   *
   * @example `g.range(0, g.size(x))`
   */
  range(start: Operand, limit: Operand, options: RangeOptions = {}): Value {
    const delta = options.delta ?? 1;
    const operands = [start, limit, delta];
    const numbers = operands.filter((o): o is Scalar => !(o instanceof Value) && !(o instanceof Tensor));
    const dtype = options.dtype ?? (numbers.length === 3 ? (numbers.every((n) => Number.isInteger(Number(n))) ? 'int64' : 'float32') : undefined);
    const [s, l, d] = dtype === undefined ? this.unify(operands, 'range') : this.unify(operands.map((o) => (o instanceof Value || o instanceof Tensor ? o : this.scalar(o, dtype))), 'range');
    for (const v of [s!, l!, d!]) {
      if (v.rank !== undefined && v.rank !== 0) throw new MechintError('SHAPE_MISMATCH', `range: bounds must be scalars (rank 0); '${v.name}' is ${formatShape(v.shape)}.`);
    }
    let length: Dim = null;
    if (numbers.length === 3) {
      const [a, b, c] = operands.map(Number) as [number, number, number];
      check(c !== 0, 'range: delta must not be 0.');
      length = Math.max(0, Math.ceil((b - a) / c));
    }
    return this.emit1('Range', [s!, l!, d!], s!.dtype, [length]);
  }

  /** A shape-like argument as a 1-D int64 value. @internal */
  protected shapeInput(shape: ShapeLike, what: string): Value<'int64'> {
    if (shape instanceof Value) {
      this.own([shape], what);
      this.requireDType(shape, ['int64'], `${what} shape`);
      if (shape.rank !== undefined && shape.rank !== 1) throw new MechintError('SHAPE_MISMATCH', `${what}: the shape must be 1-D; '${shape.name}' is ${formatShape(shape.shape)}.`);
      return shape;
    }
    return this.int64s(shape);
  }
}

function shapeFromValue(shape: Value<'int64'>): Shape {
  const n = shape.shape?.[0];
  return typeof n === 'number' ? new Array<Dim>(n).fill(null) : undefined;
}

function reshapeShape(input: Shape, target: readonly number[], allowZero: boolean): Shape {
  if (target.filter((d) => d === -1).length > 1) throw new MechintError('INVALID_ARGUMENT', `reshape: at most one -1 in [${target.join(', ')}].`);
  for (const d of target) check(Number.isSafeInteger(d) && d >= -1, `reshape: sizes are integers ≥ -1; got [${target.join(', ')}].`);
  const out: Dim[] = target.map((d, i) => (d === 0 && !allowZero ? (input?.[i] ?? null) : d === -1 ? null : d));
  const total = input === undefined ? null : dimProduct(input);
  const known = dimProduct(out.filter((_, i) => target[i] !== -1));
  const hole = target.indexOf(-1);
  if (typeof total === 'number' && typeof known === 'number') {
    if (hole >= 0) {
      if (known === 0 || total % known !== 0) throw new MechintError('SHAPE_MISMATCH', `reshape: cannot reshape ${formatShape(input)} (${total} elements) to [${target.join(', ')}].`);
      out[hole] = total / known;
    } else if (known !== total) {
      throw new MechintError('SHAPE_MISMATCH', `reshape: cannot reshape ${formatShape(input)} (${total} elements) to [${target.join(', ')}] (${known}).`);
    }
  }
  return out;
}
