/**
 * Shared machinery: argument checks, baselines, targets as gradient seeds, and batched, chunked
 * session calls over expanded batches (interpolation steps, samples, coalitions).
 */
import { MechintError, Tensor, type GradRule, type HookedModel } from '@mechint/core';

/** Inputs of an attribution call: the model's feeds by input name. */
export type Inputs = Readonly<Record<string, Tensor>>;

/**
 * What to attribute: one output index per batch item (an index into the output's non-batch
 * dims, a number for `[batch, classes]` outputs, a tuple such as `[position, token]` otherwise),
 * one index for every item, or a metric: a function of the model's output at the inputs that
 * returns weights shaped like it — the attributed scalar is then `Σ weights ⊙ output` (a linear
 * metric such as a logit difference; put a nonlinear metric in the graph and name it `output`).
 */
export type Target = number | readonly number[] | readonly (number | readonly number[])[] | ((output: Tensor) => Tensor);

/** A baseline: a number, or a tensor that broadcasts (numpy rules) to the input's shape. */
export type Baseline = number | Tensor;

/** Options shared by every method that runs the model. */
export interface AttributionOptions {
  /** What to attribute (see {@link Target}); required, as in Captum for multi-output models. */
  target: Target;
  /** The graph output or hook point to differentiate (default: the model's first output). */
  output?: string;
}

/** Options of the methods that expand the batch (steps, samples): how many rows per session call. */
export interface BatchingOptions {
  /**
   * Rows (input copies) per session call, as Captum's `internal_batch_size`. Default: as many as
   * fit in 2²⁴ input elements per call (64 MiB of float32), so all steps go in one call when small.
   */
  internalBatchSize?: number;
  /** Called after each session call with the rows done and the rows in all (steps × items, samples × items, …). */
  onProgress?: (done: number, total: number) => void;
  /** Stops between session calls with `ABORTED`. */
  signal?: AbortSignal;
}

/** Throws `ABORTED` when `signal` has fired. */
export function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new MechintError('ABORTED', 'The attribution was aborted.', { cause: signal.reason });
}

/** Throws `INVALID_ARGUMENT` (or `code`) unless `condition` holds. */
export function ensure(condition: boolean, message: string, code: 'INVALID_ARGUMENT' | 'SHAPE_MISMATCH' = 'INVALID_ARGUMENT', details: Record<string, unknown> = {}): asserts condition {
  if (!condition) throw new MechintError(code, message, { details });
}

/** The float inputs (attributed) and their shared batch size; checks the feeds. */
export function checkInputs(model: HookedModel, inputs: Inputs): { names: string[]; batch: number } {
  const feeds = model.model.graph.feedNames;
  const missing = feeds.filter((n) => !(n in inputs));
  const extra = Object.keys(inputs).filter((n) => !feeds.includes(n));
  ensure(missing.length === 0 && extra.length === 0, `Inputs must be exactly the model's inputs [${feeds.join(', ')}]${missing.length ? `; missing ${missing.join(', ')}` : ''}${extra.length ? `; unknown ${extra.join(', ')}` : ''}.`);
  const names = feeds.filter((n) => inputs[n]!.dtype === 'float32');
  ensure(names.length > 0, `No float32 input to attribute to; inputs are ${feeds.map((n) => `${n}: ${inputs[n]!.dtype}`).join(', ')}. For token inputs use a layer method on the embedding (layerIntegratedGradients).`);
  const batch = inputs[feeds[0]!]!.shape[0];
  ensure(batch !== undefined && batch > 0, 'Inputs need a non-empty batch axis first.');
  for (const n of feeds) ensure(inputs[n]!.shape[0] === batch, `Every input needs the same batch size ${batch}; '${n}' has shape [${inputs[n]!.shape.join(', ')}].`, 'SHAPE_MISMATCH');
  return { names, batch };
}

/** `t` broadcast (numpy rules) to `shape`, as float32; `SHAPE_MISMATCH` when it does not broadcast. */
export function broadcastTo(t: Tensor, shape: readonly number[], what: string): Float32Array {
  const fail = () => {
    throw new MechintError('SHAPE_MISMATCH', `${what} of shape [${t.shape.join(', ')}] does not broadcast to the input's shape [${shape.join(', ')}].`, { details: { shape: t.shape, expected: shape } });
  };
  if (t.rank > shape.length) fail();
  const padded = [...new Array<number>(shape.length - t.rank).fill(1), ...t.shape];
  padded.forEach((d, i) => d !== 1 && d !== shape[i] && fail());
  const src = Float32Array.from(t.clone('float32').data as Float32Array);
  const size = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(size);
  const srcStrides = stridesOf(padded).map((s, i) => (padded[i] === 1 ? 0 : s));
  const dstStrides = stridesOf(shape);
  for (let i = 0; i < size; i++) {
    let rest = i;
    let j = 0;
    for (let a = 0; a < shape.length; a++) {
      const idx = Math.floor(rest / dstStrides[a]!);
      rest -= idx * dstStrides[a]!;
      j += idx * srcStrides[a]!;
    }
    out[i] = src[j]!;
  }
  return out;
}

function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) strides[i] = strides[i + 1]! * shape[i + 1]!;
  return strides;
}

/** Baselines of every attributed input, broadcast to its shape (default 0, as Captum). */
export function resolveBaselines(inputs: Inputs, names: readonly string[], baselines: Readonly<Record<string, Baseline>> | Baseline | undefined): Record<string, Float32Array> {
  const of = (name: string): Baseline => (baselines === undefined ? 0 : typeof baselines === 'number' || baselines instanceof Tensor ? baselines : (baselines[name] ?? 0));
  if (baselines !== undefined && typeof baselines === 'object' && !(baselines instanceof Tensor)) {
    const unknown = Object.keys(baselines).filter((n) => !names.includes(n));
    ensure(unknown.length === 0, `Baselines for inputs that are not attributed: ${unknown.join(', ')}; attributed inputs are ${names.join(', ')}.`);
  }
  return Object.fromEntries(
    names.map((name) => {
      const b = of(name);
      const shape = inputs[name]!.shape;
      if (typeof b === 'number') {
        ensure(Number.isFinite(b), `Baseline for '${name}' must be finite; got ${b}.`);
        return [name, new Float32Array(shape.reduce((x, y) => x * y, 1)).fill(b)];
      }
      return [name, broadcastTo(b, shape, `Baseline for '${name}'`)];
    }),
  );
}

/** The float32 data of an input. */
export function dataOf(t: Tensor): Float32Array {
  return t.data as Float32Array;
}

/** Per-item size of an input (elements after the batch axis). */
export function itemSize(t: Tensor): number {
  return t.shape.slice(1).reduce((a, b) => a * b, 1);
}

/** The name of the output to differentiate (default: the first graph output). */
export function outputOf(model: HookedModel, output: string | undefined): string {
  const name = output ?? model.model.graph.outputs[0]!.name;
  model.hookPoint(name);
  return name;
}

/** The non-batch shape of `output` for these inputs: from the probed hook shape, else from a forward run. */
async function outputRest(model: HookedModel, output: string, inputs: Inputs): Promise<number[]> {
  const symbols = new Map<string, number>();
  for (const [name, t] of Object.entries(inputs)) model.hookPoint(name).shape?.forEach((d, i) => typeof d === 'string' && symbols.set(d, t.shape[i]!));
  const dims = model.hookPoint(output).shape?.slice(1).map((d) => (typeof d === 'number' ? d : typeof d === 'string' ? symbols.get(d) : undefined));
  if (dims !== undefined && dims.every((d) => d !== undefined)) return dims as number[];
  const first = Object.fromEntries(Object.entries(inputs).map(([n, t]) => [n, t.slice([0, 1])]));
  const { cache } = await model.runWithCache(first, { hooks: [output] });
  return cache.get(output).shape.slice(1);
}

/** Target weights: one row of output weights per batch item. */
export interface Seeds {
  /** Non-batch shape of the output. */
  rest: number[];
  /** `batch × prod(rest)` weights. */
  weights: Float32Array;
}

/** Checks `target` against the output's shape and turns it into per-item output weights. */
export async function resolveTarget(model: HookedModel, output: string, inputs: Inputs, batch: number, target: Target): Promise<Seeds> {
  if (typeof target === 'function') {
    const { cache } = await model.runWithCache(inputs, { hooks: [output] });
    const out = cache.get(output);
    const w = target(out);
    ensure(w.shape.length === out.shape.length && w.shape.every((d, i) => d === out.shape[i]), `The target function must return weights shaped like the output [${out.shape.join(', ')}]; got [${w.shape.join(', ')}].`, 'SHAPE_MISMATCH');
    return { rest: out.shape.slice(1), weights: Float32Array.from(w.clone('float32').data as Float32Array) };
  }
  const rest = await outputRest(model, output, inputs);
  const size = rest.reduce((a, b) => a * b, 1);
  const perItem: readonly (number | readonly number[])[] = typeof target === 'number' ? new Array<number>(batch).fill(target) : target;
  ensure(perItem.length === batch, `Give one target per batch item: ${batch} items, ${perItem.length} targets.`);
  const weights = new Float32Array(batch * size);
  perItem.forEach((t, b) => {
    const index = typeof t === 'number' ? [t] : t;
    const ok = index.length === rest.length && index.every((v, a) => Number.isInteger(v) && v >= 0 && v < rest[a]!);
    ensure(ok, `Target ${JSON.stringify(t)} of item ${b} is out of range for output '${output}' of per-item shape [${rest.join(', ')}].`, 'INVALID_ARGUMENT', { target: t, item: b, shape: rest });
    let flat = 0;
    index.forEach((v, a) => (flat = flat * rest[a]! + v));
    weights[b * size + flat] = 1;
  });
  return { rest, weights };
}

/** One expanded batch: `rows` copies, row `r` built by `fill` and seeded with the weights of item `itemOf(r)` (none when −1). */
export interface Expansion {
  rows: number;
  /** Writes row `r` of input `name` into `dst` (length: the item size). */
  fill: (name: string, r: number, dst: Float32Array) => void;
  itemOf: (r: number) => number;
  /** The batch item whose non-attributed feeds (token ids) row `r` repeats (default: `itemOf`). */
  feedItemOf?: (r: number) => number;
}

/** Rows per call under the memory cap. */
function chunkRows(inputs: Inputs, options: BatchingOptions, rows: number): number {
  if (options.internalBatchSize !== undefined) return options.internalBatchSize;
  const perRow = Object.values(inputs).reduce((s, t) => s + itemSize(t), 0);
  return Math.max(1, Math.min(rows, Math.floor(2 ** 24 / Math.max(1, perRow))));
}

/** Checks `internalBatchSize`. */
export function checkBatching(options: BatchingOptions): void {
  const n = options.internalBatchSize;
  ensure(n === undefined || (Number.isInteger(n) && n >= 1), `internalBatchSize must be a positive integer; got ${n}.`);
}

/** Feeds of rows [start, start + count) of an expansion; non-float inputs repeat their item. */
function feedsOf(inputs: Inputs, names: readonly string[], exp: Expansion, start: number, count: number, itemOfRow: (r: number) => number): Record<string, Tensor> {
  return Object.fromEntries(
    Object.entries(inputs).map(([name, t]) => {
      const size = itemSize(t);
      if (names.includes(name)) {
        const data = new Float32Array(count * size);
        for (let r = 0; r < count; r++) exp.fill(name, start + r, data.subarray(r * size, (r + 1) * size));
        return [name, new Tensor('float32', data, [count, ...t.shape.slice(1)])];
      }
      const parts = Array.from({ length: count }, (_, r) => t.slice([itemOfRow(start + r), itemOfRow(start + r) + 1]));
      return [name, concat(parts)];
    }),
  );
}

function concat(parts: readonly Tensor[]): Tensor {
  const first = parts[0]!;
  const size = first.size;
  const Ctor = (first.data as unknown as { constructor: new (n: number) => ArrayLike<unknown> & { set(a: ArrayLike<unknown>, o: number): void } }).constructor;
  const data = new Ctor(size * parts.length);
  parts.forEach((p, i) => data.set(p.clone().data as ArrayLike<unknown>, i * size));
  return new Tensor(first.dtype, data as never, [parts.length, ...first.shape.slice(1)]);
}

/** Gradients of the seeded output w.r.t. `wrt` over every row of an expansion, in chunked batched calls. */
export async function expandedGradients(
  model: HookedModel,
  inputs: Inputs,
  names: readonly string[],
  batch: number,
  seeds: Seeds,
  exp: Expansion,
  options: BatchingOptions & { output: string; wrt?: readonly string[]; overrides?: Readonly<Record<string, GradRule>>; nodeOverrides?: Readonly<Record<string, GradRule>>; rowsPerCall?: number },
): Promise<{ grads: Record<string, Float32Array>; values: Float32Array }> {
  const wrt = options.wrt ?? names;
  const per = options.rowsPerCall ?? chunkRows(inputs, options, exp.rows);
  const size = seeds.weights.length / batch;
  const grads: Record<string, Float32Array> = {};
  const values = new Float32Array(exp.rows);
  for (let start = 0; start < exp.rows; start += per) {
    checkAborted(options.signal);
    const count = Math.min(per, exp.rows - start);
    const seed = new Float32Array(count * size);
    for (let r = 0; r < count; r++) {
      const item = exp.itemOf(start + r);
      if (item >= 0) seed.set(seeds.weights.subarray(item * size, (item + 1) * size), r * size);
    }
    const feeds = feedsOf(inputs, names, exp, start, count, exp.feedItemOf ?? exp.itemOf);
    const { outputs, grads: g } = await model.runWithGrad(feeds, {
      of: options.output,
      wrt,
      seed: new Tensor('float32', seed, [count, ...seeds.rest]),
      ...(options.overrides === undefined ? {} : { overrides: options.overrides }),
      ...(options.nodeOverrides === undefined ? {} : { nodeOverrides: options.nodeOverrides }),
    });
    const out = outputs[options.output];
    if (out !== undefined) {
      const o = out.data as Float32Array;
      for (let r = 0; r < count; r++) {
        let v = 0;
        for (let k = 0; k < size; k++) v += o[r * size + k]! * seed[r * size + k]!;
        values[start + r] = v;
      }
    }
    for (const w of wrt) {
      const gt = g[w]!;
      const rowSize = gt.size / count;
      const dst = (grads[w] ??= new Float32Array(exp.rows * rowSize));
      dst.set(gt.data as Float32Array, start * rowSize);
    }
    options.onProgress?.(start + count, exp.rows);
  }
  return { grads, values };
}

/** The attributed scalar (Σ weights ⊙ output) of every row of an expansion, forward only, chunked. */
export async function expandedValues(model: HookedModel, inputs: Inputs, names: readonly string[], batch: number, seeds: Seeds, exp: Expansion, options: BatchingOptions & { output: string }): Promise<Float32Array> {
  const per = chunkRows(inputs, options, exp.rows);
  const size = seeds.weights.length / batch;
  const values = new Float32Array(exp.rows);
  const graphOutput = model.model.graph.outputs.some((o) => o.name === options.output);
  for (let start = 0; start < exp.rows; start += per) {
    checkAborted(options.signal);
    const count = Math.min(per, exp.rows - start);
    const feeds = feedsOf(inputs, names, exp, start, count, exp.feedItemOf ?? exp.itemOf);
    const out = graphOutput ? (await model.run(feeds, { outputs: [options.output] }))[options.output]! : (await model.runWithCache(feeds, { hooks: [options.output] })).cache.get(options.output);
    const o = out.data as Float32Array;
    for (let r = 0; r < count; r++) {
      const item = exp.itemOf(start + r);
      let v = 0;
      for (let k = 0; k < size; k++) v += o[r * size + k]! * seeds.weights[item * size + k]!;
      values[start + r] = v;
    }
    options.onProgress?.(start + count, exp.rows);
  }
  return values;
}

/** A float32 tensor shaped like `like`. */
export function shapedLike(data: Float32Array, like: Tensor): Tensor<'float32'> {
  return new Tensor('float32', data, like.shape);
}
