/**
 * Shared machinery: argument checks, feed handling, hook shapes resolved from the feeds, and the
 * host-side element selection used to compose replacement activations.
 */
import { MechintError, Tensor, type HookAxes, type HookedModel } from '@mechint/core';

/** The model's feeds by input name (token ids, images, …). */
export type Feeds = Readonly<Record<string, Tensor>>;

/** Long work reports progress and can be cancelled. */
export interface ProgressOptions {
  /** Called after each session call with the patches (or runs) done and the total. */
  onProgress?: (done: number, total: number) => void;
  /** Stops between session calls with `ABORTED`. */
  signal?: AbortSignal;
}

/** Throws `INVALID_ARGUMENT` (or `code`) unless `condition` holds. */
export function ensure(condition: boolean, message: string, code: 'INVALID_ARGUMENT' | 'SHAPE_MISMATCH' = 'INVALID_ARGUMENT', details: Record<string, unknown> = {}): asserts condition {
  if (!condition) throw new MechintError(code, message, { details });
}

/** Throws `ABORTED` when `signal` has fired. */
export function checkAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted === true) throw new MechintError('ABORTED', `The ${what} was aborted.`, { cause: signal.reason });
}

/** Checks that `feeds` are exactly the model's inputs with one batch size; returns it. */
export function checkFeeds(model: HookedModel, feeds: Feeds, what: string): number {
  ensure(typeof feeds === 'object' && feeds !== null, `${what} must be the model's feeds by input name, e.g. { tokens }.`);
  const names = model.model.graph.feedNames;
  const missing = names.filter((n) => !(n in feeds));
  const extra = Object.keys(feeds).filter((n) => !names.includes(n));
  ensure(missing.length === 0 && extra.length === 0, `${what} must be exactly the model's inputs [${names.join(', ')}]${missing.length ? `; missing ${missing.join(', ')}` : ''}${extra.length ? `; unknown ${extra.join(', ')}` : ''}.`);
  const batch = feeds[names[0]!]!.shape[0];
  ensure(batch !== undefined && batch > 0, `${what} need a non-empty batch axis first.`);
  for (const n of names) ensure(feeds[n]!.shape[0] === batch, `Every input of ${what} needs the batch size ${batch}; '${n}' has shape [${feeds[n]!.shape.join(', ')}].`, 'SHAPE_MISMATCH');
  return batch;
}

/** Checks the clean / corrupted pair every causal method starts from: both fit the model and each other. */
export function checkPromptPair(model: HookedModel, clean: Feeds, corrupted: Feeds, what: string): void {
  checkFeeds(model, clean, 'clean');
  checkFeeds(model, corrupted, 'corrupted');
  checkSameShapes(clean, corrupted, what);
}

/** Checks that `metric` is a function of the outputs. */
export function checkMetric(metric: unknown): void {
  ensure(typeof metric === 'function', 'metric must be a function of the outputs returning a number (see logitDiff, logitOf, …).');
}

/** Checks that two sets of feeds have the same shapes (patching swaps activations element for element). */
export function checkSameShapes(a: Feeds, b: Feeds, what: string): void {
  for (const [name, t] of Object.entries(a)) {
    const other = b[name]!;
    ensure(
      t.shape.length === other.shape.length && t.shape.every((d, i) => d === other.shape[i]),
      `${what}: clean '${name}' has shape [${t.shape.join(', ')}] and corrupted '${name}' [${other.shape.join(', ')}]; patching swaps activations element for element, so give both the same shape (pad the shorter prompt).`,
      'SHAPE_MISMATCH',
      { clean: t.shape, corrupted: other.shape },
    );
  }
}

/** The concrete shape of a hook's value for these feeds (symbolic dims read off the inputs). */
export function hookShape(model: HookedModel, hook: string, feeds: Feeds): number[] {
  const point = model.hookPoint(hook);
  const dims = new Map<string, number>();
  for (const name of model.model.graph.feedNames) {
    model.hookPoint(name).shape?.forEach((d, i) => {
      const size = feeds[name]?.shape[i];
      if (typeof d === 'string' && size !== undefined) dims.set(d, size);
    });
  }
  const shape = point.shape?.map((d) => (typeof d === 'number' ? d : typeof d === 'string' ? dims.get(d) : undefined));
  ensure(shape !== undefined && shape.every((d) => d !== undefined), `The shape of '${hook}' for these inputs is unknown (load the model with probing on), so it cannot be patched.`);
  return shape as number[];
}

/** Indices `0..n-1`. */
export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** Checks a list of indices into an axis of `size`; returns them with negatives resolved. */
export function checkIndices(indices: readonly number[] | undefined, size: number, what: string): number[] {
  if (indices === undefined) return range(size);
  ensure(Array.isArray(indices) && indices.length > 0, `${what} must be a non-empty list of indices.`);
  return indices.map((i) => {
    ensure(Number.isInteger(i) && i >= -size && i < size, `${what}: index ${i} is out of range for an axis of size ${size}.`, 'INVALID_ARGUMENT', { index: i, size });
    return i < 0 ? i + size : i;
  });
}

/** A selection of a hook's elements: the intersection of the listed indices per axis role. */
export interface ElementSelection {
  /** Indices on the position axis (query positions for attention patterns). */
  positions?: readonly number[];
  /** Indices on the head axis. */
  heads?: readonly number[];
  /** Indices on the feature axis (the last: d_model, d_head, neurons). */
  features?: readonly number[];
}

/** Per-axis membership of a selection, for a hook with these axes and shape (null: every index). */
function masksOf(axes: HookAxes, shape: readonly number[], sel: ElementSelection): (Uint8Array | null)[] {
  const masks: (Uint8Array | null)[] = shape.map(() => null);
  const put = (axis: number | undefined, list: readonly number[] | undefined) => {
    if (axis === undefined || list === undefined) return;
    const m = new Uint8Array(shape[axis]!);
    for (const i of list) m[i] = 1;
    masks[axis] = m;
  };
  put(axes.position, sel.positions);
  put(axes.head, sel.heads);
  put(axes.feature, sel.features);
  return masks;
}

/** `base` with the selected elements taken from `source` (same shape), as a new float32 tensor. */
export function compose(base: Tensor, source: Tensor, axes: HookAxes, sel: ElementSelection): Tensor {
  const shape = base.shape;
  const out = Float32Array.from(base.data as Float32Array);
  const src = source.data as Float32Array;
  const masks = masksOf(axes, shape, sel);
  const counter = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < out.length; i++) {
    if (masks.every((m, a) => m === null || m[counter[a]!] === 1)) out[i] = src[i]!;
    for (let a = shape.length - 1; a >= 0; a--) {
      if (++counter[a]! < shape[a]!) break;
      counter[a] = 0;
    }
  }
  return new Tensor('float32', out, shape);
}

/** Sums of `values` (shaped `shape`) grouped by the indices along `keep` axes, as a flat row-major array. */
export function sumOver(values: Float64Array, shape: readonly number[], keep: readonly number[]): Float64Array {
  const keptShape = keep.map((a) => shape[a]!);
  const out = new Float64Array(keptShape.reduce((a, b) => a * b, 1));
  const counter = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < values.length; i++) {
    let j = 0;
    for (const a of keep) j = j * shape[a]! + counter[a]!;
    out[j]! += values[i]!;
    for (let a = shape.length - 1; a >= 0; a--) {
      if (++counter[a]! < shape[a]!) break;
      counter[a] = 0;
    }
  }
  return out;
}

/** `t` repeated `times` along its first axis. */
export function repeatBatch(t: Tensor, times: number): Tensor {
  if (times === 1) return t;
  const data = t.data as unknown as ArrayLike<number | bigint> & { length: number };
  const Ctor = (t.data as unknown as { constructor: new (n: number) => { set(a: ArrayLike<number | bigint>, o: number): void } }).constructor;
  const out = new Ctor(data.length * times);
  for (let r = 0; r < times; r++) out.set(data, r * data.length);
  return new Tensor(t.dtype, out as never, [t.shape[0]! * times, ...t.shape.slice(1)]);
}

/** Items `[start, start + count)` of `t` along its first axis, as a contiguous tensor. */
export function items(t: Tensor, start: number, count: number): Tensor {
  const size = t.size / t.shape[0]!;
  const data = (t.data as unknown as { subarray(a: number, b: number): unknown }).subarray(start * size, (start + count) * size);
  return new Tensor(t.dtype, data as never, [count, ...t.shape.slice(1)]);
}
