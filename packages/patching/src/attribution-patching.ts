/**
 * Attribution patching (Nanda 2023; Syed et al. 2023): the first-order estimate of every patch of
 * an activation-patching sweep from one gradient — `∇metric(base) · (source − base)` summed over
 * each patch's elements — from one backward pass of the base run, whatever the sweep's size (plus
 * one cached forward of each input: the metric's gradient may depend on the base run's outputs).
 */
import { MechintError, type HookedModel } from '@mechint/core';
import { checkDirection, sweepAxes, type ActivationPatchingOptions } from './activation-patching.js';
import { checkAborted, checkMetric, checkPromptPair, ensure, sumOver } from './internal.js';
import { metricLabel, referenceRuns } from './metrics.js';
import { resultOf, type PatchingResult } from './result.js';

/** Options of {@link attributionPatching}: those of activation patching, without batching. */
export type AttributionPatchingOptions = Omit<ActivationPatchingOptions, 'batchSize'>;

/**
 * Attribution-patching estimates shaped like {@link activationPatching}'s result: `scores` are the
 * estimated patched metric `m_base + Σ ∇m · (source − base)` over each patch's elements, where the
 * base run is the corrupted one for `denoising` (gradient at the corrupted input) and the clean
 * one for `noising`; `normalized` as for activation patching. The metric needs a `gradient` (every
 * helper but `accuracy` has one).
 *
 * @example
 * ```ts
 * import { HookedModel, Tensor } from '@mechint/core';
 * import { attributionPatching, logitOf } from '@mechint/patching';
 * const model = await HookedModel.load('packages/core/test/fixtures/gpt2l.onnx');
 * const clean = { tokens: Tensor.from([[0n, 5n, 6n, 7n, 5n, 6n]]) };
 * const corrupted = { tokens: Tensor.from([[0n, 5n, 9n, 7n, 5n, 6n]]) };
 * const { normalized } = await attributionPatching({ model, clean, corrupted, hooks: ['blocks.0.attn.hook_z'],
 *   metric: logitOf({ position: 4, token: 6 }), granularity: 'head' });
 * console.log(normalized.shape); // [1, 4]
 * ```
 */
export async function attributionPatching(options: AttributionPatchingOptions): Promise<PatchingResult> {
  const { model, clean, corrupted, hooks, metric } = options;
  const direction = options.direction ?? 'denoising';
  checkDirection(direction);
  checkMetric(metric);
  if (metric.gradient === undefined) {
    throw new MechintError('INVALID_ARGUMENT', `The metric '${metricLabel(metric)}' has no gradient, which attribution patching needs; use a helper (logitDiff, logitOf, probOf, crossEntropy, klDivergence) or attach gradient(outputs) → { output, seed }.`);
  }
  checkPromptPair(model, clean, corrupted, 'attributionPatching');
  const { roles, lists, axes } = sweepAxes(model, hooks, clean, options);
  checkAborted(options.signal, 'attribution patching');

  const unique = [...new Set(hooks)];
  const { cleanRun, corruptedRun, mClean, mCorrupted } = await referenceRuns(model, clean, corrupted, unique, metric);
  const [baseFeeds, baseRun, sourceRun, mBase] = direction === 'denoising' ? [corrupted, corruptedRun, cleanRun, mCorrupted] : [clean, cleanRun, corruptedRun, mClean];
  options.onProgress?.(2, 3);
  checkAborted(options.signal, 'attribution patching');
  const { output, seed } = metric.gradient(baseRun.outputs);
  const { grads } = await model.runWithGrad(baseFeeds, { of: output, wrt: unique, seed });
  options.onProgress?.(3, 3);

  const values: number[] = [];
  for (const hook of hooks) {
    const point = model.hookPoint(hook);
    const g = grads[hook]!.data as Float32Array;
    const src = sourceRun.cache.get(hook);
    const base = baseRun.cache.get(hook).data as Float32Array;
    const s = src.data as Float32Array;
    const product = new Float64Array(g.length);
    for (let i = 0; i < g.length; i++) product[i] = g[i]! * (s[i]! - base[i]!);
    const keep = roles.map((r) => point.axes[r]!);
    const sums = sumOver(product, src.shape, keep);
    const keptShape = keep.map((a) => src.shape[a]!);
    const combos = roles.reduce<number[][]>((acc, role) => acc.flatMap((c) => lists[role].map((i) => [...c, i])), [[]]);
    for (const c of combos) {
      let j = 0;
      c.forEach((i, k) => (j = j * keptShape[k]! + i));
      values.push(mBase + sums[j]!);
    }
  }
  return resultOf(values, axes, mClean, mCorrupted);
}

/** How well attribution-patching estimates track real activation patching. */
export interface PatchingComparison {
  /** Pearson correlation of the normalized scores. */
  correlation: number;
  /** Largest |estimate − actual| of the normalized scores. */
  maxAbsError: number;
  /** Mean |estimate − actual| of the normalized scores. */
  meanAbsError: number;
  /** Fraction of entries whose normalized scores have the same sign. */
  signAgreement: number;
  /** How many of the `top` largest |actual| entries are also among the `top` largest |estimate| entries. */
  topOverlap: number;
}

/**
 * Compares attribution-patching estimates with the activation-patching result of the same sweep
 * (same hooks, granularity and indices), on normalized scores.
 *
 * @example
 * ```ts
 * import { Tensor } from '@mechint/core';
 * import { comparePatching, type PatchingResult } from '@mechint/patching';
 * const r = (v: number[]): PatchingResult => ({ scores: new Tensor('float64', Float64Array.from(v), [v.length]),
 *   normalized: new Tensor('float64', Float64Array.from(v), [v.length]), axes: [], clean: 1, corrupted: 0 });
 * console.log(comparePatching(r([0.1, 0.9, 0]), r([0, 1, 0]), { top: 1 }).topOverlap); // 1
 * ```
 */
export function comparePatching(estimate: PatchingResult, actual: PatchingResult, options: { top?: number } = {}): PatchingComparison {
  const a = Array.from(estimate.normalized.data);
  const b = Array.from(actual.normalized.data);
  ensure(a.length === b.length && estimate.normalized.shape.every((d, i) => d === actual.normalized.shape[i]), `The two results have different shapes [${estimate.normalized.shape.join(', ')}] and [${actual.normalized.shape.join(', ')}]; compare the same sweep.`, 'SHAPE_MISMATCH');
  const n = a.length;
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / n;
  const ma = mean(a);
  const mb = mean(b);
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  const errors = a.map((x, i) => Math.abs(x - b[i]!));
  const top = options.top ?? Math.max(1, Math.ceil(n / 10));
  const order = (v: number[]) => v.map((x, i) => [Math.abs(x), i] as const).sort((p, q) => q[0] - p[0]).slice(0, top).map(([, i]) => i);
  const topA = new Set(order(a));
  return {
    correlation: sab / Math.sqrt(saa * sbb),
    maxAbsError: Math.max(...errors),
    meanAbsError: errors.reduce((s, x) => s + x, 0) / n,
    signAgreement: a.filter((x, i) => Math.sign(x) === Math.sign(b[i]!)).length / n,
    topOverlap: order(b).filter((i) => topA.has(i)).length,
  };
}
