/**
 * Ablations: zero, mean (over a reference dataset) and resample (another input's activation)
 * replacements of components, each ablation one patch of a batched sweep.
 */
import { seededRandom, Tensor, type HookedModel } from '@mechint/core';
import { checkComponent, componentName, type Component } from './components.js';
import { checkAborted, checkFeeds, ensure, hookShape, type Feeds, type ProgressOptions } from './internal.js';
import { evaluate, type Metric } from './metrics.js';
import { selectionOf } from './path-patching.js';
import { checkBatchSize, runPatches, type Patch } from './sweep.js';

/**
 * `zero`: the activation becomes 0; `mean`: its mean over every batch item and position of the
 * reference dataset (one vector per remaining axes, e.g. per head and d_head); `resample`: the
 * activation of reference item `resampleIndex[b]` for input item `b` (Chan et al. 2022).
 */
export type AblationMethod = 'zero' | 'mean' | 'resample';

/** One ablation: a component, or several ablated together (e.g. a layer's attention and MLP). */
export type AblationTarget = Component | readonly Component[];

/** Options shared by {@link ablate} and `hierarchicalAblation`. */
export interface AblationOptions extends ProgressOptions {
  /** The model to ablate. */
  model: HookedModel;
  /** The inputs the metric is measured on. */
  inputs: Feeds;
  /** Measured on the inputs' outputs with each ablation. */
  metric: Metric;
  /** Default `zero`, as TransformerLens's head-ablation examples. */
  method?: AblationMethod;
  /** The reference dataset for `mean` and `resample` (same inputs; for `resample` the same per-item shape). */
  reference?: Feeds;
  /** For `resample`: the reference item used for each input item (default: drawn with `seed`). */
  resampleIndex?: readonly number[];
  /** Seed of the default resample draw (default 0). */
  seed?: number;
  /** Ablations per session call (default: as many as fit in 2²⁴ elements). */
  batchSize?: number;
}

/** Options of {@link ablate}. */
export interface AblateOptions extends AblationOptions {
  /** Each entry is ablated on its own (an array entry: its components together). */
  targets: readonly AblationTarget[];
}

/** Metric per ablation. */
export interface AblationResult {
  /** Labels of the ablations. */
  names: string[];
  /** The metric with each ablation. */
  scores: number[];
  /** `scores − baseline`. */
  effects: number[];
  /** The metric without ablation. */
  baseline: number;
  /** The ablation used. */
  method: AblationMethod;
}

/** Everything needed to build ablation patches for a set of hooks. */
export interface AblationSources {
  /** The metric without ablation. */
  baseline: number;
  /** The replacement activation of each hook for the inputs' batch. */
  replacement(hook: string): Tensor;
}

/** Checks the ablation options common to both entry points (before any run). */
export function checkAblation(options: AblationOptions): { method: AblationMethod; batch: number } {
  const method = options.method ?? 'zero';
  ensure(method === 'zero' || method === 'mean' || method === 'resample', `method must be 'zero', 'mean' or 'resample'; got '${String(method)}'.`);
  ensure(typeof options.metric === 'function', 'metric must be a function of the outputs returning a number (see crossEntropy, logitDiff, …).');
  checkBatchSize(options.batchSize);
  const batch = checkFeeds(options.model, options.inputs, 'inputs');
  if (method !== 'zero') {
    ensure(options.reference !== undefined, `The ${method} ablation needs a reference dataset: pass reference: { ...feeds }.`);
    const refBatch = checkFeeds(options.model, options.reference, 'reference');
    if (method === 'resample') {
      for (const [name, t] of Object.entries(options.inputs)) {
        const r = options.reference[name]!;
        ensure(r.shape.slice(1).join() === t.shape.slice(1).join(), `Resampling takes whole activations from the reference, so reference '${name}' items must be shaped like the inputs' ([${t.shape.slice(1).join(', ')}]); got [${r.shape.slice(1).join(', ')}].`, 'SHAPE_MISMATCH');
      }
      if (options.resampleIndex !== undefined) {
        ensure(options.resampleIndex.length === batch, `resampleIndex needs one reference item per input item (${batch}); got ${options.resampleIndex.length}.`, 'SHAPE_MISMATCH');
        for (const i of options.resampleIndex) ensure(Number.isInteger(i) && i >= 0 && i < refBatch, `resampleIndex ${i} is out of range for a reference of ${refBatch} items.`);
      }
    }
  }
  return { method, batch };
}

/** Runs the inputs (and the reference) once, caching `hooks`, and returns the replacement for each hook. */
export async function ablationSources(options: AblationOptions, method: AblationMethod, batch: number, hooks: readonly string[]): Promise<AblationSources> {
  const { model, inputs } = options;
  const run = await model.runWithCache(inputs, { hooks: [...hooks] });
  const baseline = evaluate(options.metric, run.outputs);
  const refCache = method === 'zero' ? undefined : (await model.runWithCache(options.reference!, { hooks: [...hooks] })).cache;
  const refBatch = options.reference === undefined ? 0 : Object.values(options.reference)[0]!.shape[0]!;
  const random = seededRandom(options.seed ?? 0);
  const index = options.resampleIndex ?? Array.from({ length: batch }, () => Math.floor(random() * refBatch));
  const memo = new Map<string, Tensor>();
  return {
    baseline,
    replacement(hook) {
      const known = memo.get(hook);
      if (known !== undefined) return known;
      const shape = run.cache.get(hook).shape;
      let value: Tensor;
      if (method === 'zero') value = Tensor.zeros(shape, 'float32');
      else if (method === 'mean') value = meanOver(model, hook, refCache!.get(hook), shape);
      else {
        const ref = refCache!.get(hook);
        const item = ref.size / ref.shape[0]!;
        const out = new Float32Array(batch * item);
        index.forEach((r, b) => out.set((ref.data as Float32Array).subarray(r * item, (r + 1) * item), b * item));
        value = new Tensor('float32', out, shape);
      }
      memo.set(hook, value);
      return value;
    },
  };
}

/** The mean of `ref` over its batch and position axes, broadcast to `shape`. */
function meanOver(model: HookedModel, hook: string, ref: Tensor, shape: readonly number[]): Tensor {
  const axes = model.hookPoint(hook).axes;
  const reduced = new Set([axes.batch ?? 0, ...(axes.position === undefined ? [] : [axes.position])]);
  const keptIndex = (counter: readonly number[], s: readonly number[]) => counter.reduce((j, c, a) => (reduced.has(a) ? j : j * s[a]! + c), 0);
  const keptSize = ref.shape.reduce((n, d, a) => (reduced.has(a) ? n : n * d), 1);
  const sums = new Float64Array(keptSize);
  const count = ref.size / keptSize;
  const src = ref.data as Float32Array;
  const forEach = (s: readonly number[], fn: (flat: number, kept: number) => void) => {
    const counter = new Array<number>(s.length).fill(0);
    const total = s.reduce((a, b) => a * b, 1);
    for (let i = 0; i < total; i++) {
      fn(i, keptIndex(counter, s));
      for (let a = s.length - 1; a >= 0; a--) {
        if (++counter[a]! < s[a]!) break;
        counter[a] = 0;
      }
    }
  };
  forEach(ref.shape, (i, k) => (sums[k]! += src[i]!));
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
  forEach(shape, (i, k) => (out[i] = sums[k]! / count));
  return new Tensor('float32', out, shape);
}

/** The patches of a list of ablation targets. */
export function ablationPatches(targets: readonly (readonly Component[])[], sources: AblationSources): Patch[] {
  return targets.map((group) => group.map((c) => ({ hook: c.hook, source: sources.replacement(c.hook), ...selectionOf(c) })));
}

/**
 * Ablates each target on its own and measures the metric, batched like a patching sweep.
 *
 * @example
 * ```ts
 * import { HookedModel, Tensor } from '@mechint/core';
 * import { ablate, crossEntropy } from '@mechint/patching';
 * const model = await HookedModel.load('packages/core/test/fixtures/gpt2l.onnx');
 * const tokens = Tensor.from([[0n, 5n, 6n, 7n, 8n, 5n, 6n, 7n, 8n]]);
 * const r = await ablate({ model, inputs: { tokens }, metric: crossEntropy({ tokens, positions: [5, 6, 7] }),
 *   targets: [0, 1, 2, 3].map((h) => ({ hook: 'blocks.0.attn.hook_z', heads: [h] })) });
 * console.log(r.effects.length); // 4
 * ```
 */
export async function ablate(options: AblateOptions): Promise<AblationResult> {
  const { method, batch } = checkAblation(options);
  ensure(Array.isArray(options.targets) && options.targets.length > 0, 'targets must be a non-empty list of components (or lists of components).');
  const groups = options.targets.map((t) => (Array.isArray(t) ? (t as readonly Component[]) : [t as Component]).map((c) => checkComponent(options.model, c, options.inputs, 'ablation target')));
  for (const g of groups) ensure(g.length > 0 && new Set(g.map((c) => c.hook)).size === g.length, 'Each ablation target needs at least one component and each hook at most once.');
  checkAborted(options.signal, 'ablation');
  const hooks = [...new Set(groups.flat().map((c) => c.hook))];
  for (const h of hooks) hookShape(options.model, h, options.inputs);
  const sources = await ablationSources(options, method, batch, hooks);
  const { metrics } = await runPatches(options.model, {
    feeds: options.inputs,
    patches: ablationPatches(groups, sources),
    metric: options.metric,
    what: 'ablation',
    ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  return {
    names: groups.map((g) => g.map(componentName).join(' + ')),
    scores: metrics,
    effects: metrics.map((m) => m - sources.baseline),
    baseline: sources.baseline,
    method,
  };
}
