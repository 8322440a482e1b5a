/**
 * Reductions along axes: `Reduce*`, `ArgMax` / `ArgMin`, `Softmax` / `LogSoftmax`, `TopK`,
 * `CumSum`.
 */
import { MechintError } from '../errors.js';
import type { DType } from '../tensor/dtype.js';
import { ints } from './attributes.js';
import { LinalgOps } from './linalg.js';
import { normalizeAxes, normalizeAxis, reducedShape } from './shapes.js';
import type { Value } from './value.js';

/** Options of the `reduce*` operators. @example `g.reduceMean(x, { axes: [-1], keepdims: false })` */
export interface ReduceOptions {
  /** Axes to reduce (negative counts from the end). Omit to reduce over every axis. */
  axes?: readonly number[];
  /** Keep reduced axes as size 1. Defaults to true, as in ONNX (numpy's default is false). */
  keepdims?: boolean;
}

/** Options of `argMax` / `argMin`, with ONNX's defaults. @example `g.argMax(x, { axis: -1, keepdims: false })` */
export interface ArgReduceOptions {
  /** The axis to search. Defaults to 0, as in ONNX. */
  axis?: number;
  /** Keep the searched axis as size 1. Defaults to true, as in ONNX. */
  keepdims?: boolean;
  /** On ties, return the last index instead of the first. Defaults to false. */
  selectLastIndex?: boolean;
}

/** Options of `softmax` / `logSoftmax`. @example `g.softmax(x, { axis: 1 })` */
export interface SoftmaxOptions {
  /** The axis to normalise over. Defaults to -1, as in ONNX (opset ≥ 13). */
  axis?: number;
}

/** Options of `topK`, with ONNX's defaults. @example `g.topK(x, 3, { axis: 0, largest: false })` */
export interface TopKOptions {
  /** The axis to search. Defaults to -1. */
  axis?: number;
  /** The largest (true) or smallest (false) elements. Defaults to true. */
  largest?: boolean;
  /** Return them in order (largest first when `largest`). Defaults to true. */
  sorted?: boolean;
}

/** Options of `cumSum`, with ONNX's defaults. @example `g.cumSum(x, 0, { reverse: true })` */
export interface CumSumOptions {
  /** Leave each element out of its own sum (the first sum is 0). Defaults to false. */
  exclusive?: boolean;
  /** Sum from the end of the axis backwards. Defaults to false. */
  reverse?: boolean;
}

/** @internal Reduction operators of `GraphBuilder`. @example `new GraphBuilder().reduceSum` */
export abstract class ReduceOps extends LinalgOps {
  /** Sum over `axes` (all by default). @example `g.reduceSum(x, { axes: [1], keepdims: false })` */
  reduceSum<D extends DType>(x: Value<D>, options: ReduceOptions = {}): Value<D> {
    return this.reduce('ReduceSum', x, options);
  }

  /** Mean over `axes` (all by default). @example `g.reduceMean(x, { axes: [0] })` */
  reduceMean<D extends DType>(x: Value<D>, options: ReduceOptions = {}): Value<D> {
    return this.reduce('ReduceMean', x, options);
  }

  /** Maximum over `axes` (all by default). @example `g.reduceMax(x, { axes: [-1] })` */
  reduceMax<D extends DType>(x: Value<D>, options: ReduceOptions = {}): Value<D> {
    return this.reduce('ReduceMax', x, options);
  }

  /** Minimum over `axes` (all by default). @example `g.reduceMin(x, { axes: [-1] })` */
  reduceMin<D extends DType>(x: Value<D>, options: ReduceOptions = {}): Value<D> {
    return this.reduce('ReduceMin', x, options);
  }

  /** Product over `axes` (all by default). @example `g.reduceProd(x, { axes: [1] })` */
  reduceProd<D extends DType>(x: Value<D>, options: ReduceOptions = {}): Value<D> {
    return this.reduce('ReduceProd', x, options);
  }

  /** Euclidean norm `sqrt(Σ x²)` over `axes` (all by default). @example `g.reduceL2(x, { axes: [1], keepdims: false })` */
  reduceL2<D extends DType>(x: Value<D>, options: ReduceOptions = {}): Value<D> {
    return this.reduce('ReduceL2', x, options);
  }

  /** `log Σ e^x` over `axes` (all by default), computed stably. @example `g.reduceLogSumExp(logits, { axes: [-1] })` */
  reduceLogSumExp<D extends DType>(x: Value<D>, options: ReduceOptions = {}): Value<D> {
    return this.reduce('ReduceLogSumExp', x, options);
  }

  /** Index of the largest element along `axis`, as int64. @example `g.argMax(logits, { axis: -1, keepdims: false })` */
  argMax(x: Value, options: ArgReduceOptions = {}): Value<'int64'> {
    return this.argReduce('ArgMax', x, options);
  }

  /** Index of the smallest element along `axis`, as int64. @example `g.argMin(distances, { axis: 1, keepdims: false })` */
  argMin(x: Value, options: ArgReduceOptions = {}): Value<'int64'> {
    return this.argReduce('ArgMin', x, options);
  }

  /** `e^x / Σ e^x` along `axis` (floats). @example `g.softmax(scores, { axis: -1 })` */
  softmax<D extends DType>(x: Value<D>, options: SoftmaxOptions = {}): Value<D> {
    return this.normalize('Softmax', x, options);
  }

  /** `x - log Σ e^x` along `axis` (floats). @example `g.logSoftmax(logits)` */
  logSoftmax<D extends DType>(x: Value<D>, options: SoftmaxOptions = {}): Value<D> {
    return this.normalize('LogSoftmax', x, options);
  }

  /**
   * The `k` largest (or smallest) elements along `axis` and their int64 indices. `k` is a number
   * or an int64 value of shape `[1]` or `[]`.
   *
   * @example `const [values, indices] = g.topK(scores, 5, { axis: -1 })`
   */
  topK<D extends DType>(x: Value<D>, k: number | Value<'int64'>, options: TopKOptions = {}): [Value<D>, Value<'int64'>] {
    this.own([x], 'TopK');
    const axis = normalizeAxis(options.axis ?? -1, x.rank, 'topK');
    let kValue: Value<'int64'>;
    if (typeof k === 'number') {
      if (!Number.isSafeInteger(k) || k < 0) throw new MechintError('INVALID_ARGUMENT', `topK: k must be a non-negative integer; got ${k}.`);
      const size = x.shape?.[axis];
      if (typeof size === 'number' && k > size) throw new MechintError('SHAPE_MISMATCH', `topK: k = ${k} exceeds the ${size} elements of axis ${axis}.`);
      kValue = this.int64s([k]);
    } else {
      this.own([k], 'TopK');
      this.requireDType(k, ['int64'], 'topK k');
      kValue = k.rank === 1 ? k : this.emit1('Reshape', [k, this.int64s([1])], 'int64', [1]);
    }
    const shape = x.shape?.map((d, i) => (i === axis ? (typeof k === 'number' ? k : null) : d));
    const [values, indices] = this.emit(
      'TopK',
      [x, kValue],
      [
        { dtype: x.dtype, shape },
        { dtype: 'int64', shape },
      ],
      { axis: BigInt(axis), largest: options.largest, sorted: options.sorted },
    );
    return [values as Value<D>, indices as Value<'int64'>];
  }

  /**
   * Running sum along `axis`.
   *
   * @example `g.cumSum(x, 1, { exclusive: true })`
   */
  cumSum<D extends DType>(x: Value<D>, axis: number, options: CumSumOptions = {}): Value<D> {
    this.own([x], 'CumSum');
    const a = normalizeAxis(axis, x.rank, 'cumSum');
    return this.emit1('CumSum', [x, this.scalar(a, 'int64')], x.dtype, x.shape, { exclusive: options.exclusive, reverse: options.reverse });
  }

  private reduce<D extends DType>(opType: string, x: Value<D>, options: ReduceOptions): Value<D> {
    this.own([x], opType);
    const keepdims = options.keepdims ?? true;
    if (options.axes !== undefined && options.axes.length === 0) {
      throw new MechintError('INVALID_ARGUMENT', `${opType}: axes is empty; omit axes to reduce over every axis.`);
    }
    const axes = options.axes === undefined ? undefined : normalizeAxes(options.axes, x.rank, opType);
    const shape = reducedShape(x.shape, axes, keepdims);
    const axesAsInput = this.opset >= (opType === 'ReduceSum' ? 13 : 18);
    if (axes === undefined) return this.emit1(opType, [x], x.dtype, shape, { keepdims });
    if (axesAsInput) return this.emit1(opType, [x, this.int64s(axes)], x.dtype, shape, { keepdims });
    return this.emit1(opType, [x], x.dtype, shape, { axes: ints(axes), keepdims });
  }

  private argReduce(opType: string, x: Value, options: ArgReduceOptions): Value<'int64'> {
    this.own([x], opType);
    const axis = normalizeAxis(options.axis ?? 0, x.rank, opType);
    const keepdims = options.keepdims ?? true;
    return this.emit1(opType, [x], 'int64', reducedShape(x.shape, [axis], keepdims), {
      axis: BigInt(axis),
      keepdims,
      select_last_index: options.selectLastIndex,
    });
  }

  private normalize<D extends DType>(opType: string, x: Value<D>, options: SoftmaxOptions): Value<D> {
    this.own([x], opType);
    this.requireFloat(x, opType);
    const axis = normalizeAxis(options.axis ?? -1, x.rank, opType);
    return this.emit1(opType, [x], x.dtype, x.shape, { axis: BigInt(axis) });
  }
}
