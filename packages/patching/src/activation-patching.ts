/**
 * Activation patching (Meng et al. 2022; TransformerLens's `patching` module): run one input with
 * activations taken from another, one hook × position / head / feature at a time, all patches of
 * a sweep batched into few session calls.
 */
import type { HookedModel } from '@mechint/core';
import { checkAborted, checkIndices, checkMetric, checkPromptPair, ensure, hookShape, type Feeds, type ProgressOptions } from './internal.js';
import { referenceRuns, type Metric } from './metrics.js';
import { resultOf, type PatchingResult, type ResultAxis } from './result.js';
import { checkBatchSize, runPatches, type Patch } from './sweep.js';

/** What one patch covers: a whole hook, or one position / head / head × position / feature of it. */
export type Granularity = 'layer' | 'position' | 'head' | 'head-position' | 'feature';

/**
 * `denoising`: run the corrupted input, patch in clean activations (does this restore the
 * behaviour?); `noising`: run the clean input, patch in corrupted activations (does this break it?).
 */
export type Direction = 'denoising' | 'noising';

/** Options of {@link activationPatching}. */
export interface ActivationPatchingOptions extends ProgressOptions {
  /** The model to patch. */
  model: HookedModel;
  /** Feeds of the clean run (by input name). */
  clean: Feeds;
  /** Feeds of the corrupted run, shaped like `clean`. */
  corrupted: Feeds;
  /** Hook points to sweep (e.g. every `blocks.L.hook_resid_pre`). */
  hooks: readonly string[];
  /** Called with the outputs of the original batch under one patch. */
  metric: Metric;
  /** What one patch covers (see {@link Granularity}). */
  granularity: Granularity;
  /** Positions swept (default: all). */
  positions?: readonly number[];
  /** Heads swept (default: all). */
  heads?: readonly number[];
  /** Features swept with granularity `feature` (default: all). */
  features?: readonly number[];
  /** Default `denoising`, as TransformerLens's patching functions (clean activations into the corrupted run). */
  direction?: Direction;
  /** Patches per session call (default: as many as fit in 2²⁴ elements; `1` = one run per patch). */
  batchSize?: number;
}

const ROLES: Record<Granularity, readonly ('position' | 'head' | 'feature')[]> = {
  layer: [],
  position: ['position'],
  head: ['head'],
  'head-position': ['head', 'position'],
  feature: ['feature'],
};

/** Checks direction and granularity. */
export function checkDirection(direction: Direction): void {
  ensure(direction === 'denoising' || direction === 'noising', `direction must be 'denoising' or 'noising'; got '${String(direction)}'.`);
}

/** The swept index lists per role, checked against every hook's axes (before any run). */
export function sweepAxes(model: HookedModel, hooks: readonly string[], feeds: Feeds, options: { granularity: Granularity; positions?: readonly number[] | undefined; heads?: readonly number[] | undefined; features?: readonly number[] | undefined }): { roles: readonly ('position' | 'head' | 'feature')[]; lists: Record<'position' | 'head' | 'feature', number[]>; axes: ResultAxis[] } {
  ensure(options.granularity in ROLES, `granularity must be one of ${Object.keys(ROLES).join(', ')}; got '${String(options.granularity)}'.`);
  ensure(Array.isArray(hooks) && hooks.length > 0, 'hooks must be a non-empty list of hook-point names.');
  const roles = ROLES[options.granularity];
  const given = { position: options.positions, head: options.heads, feature: options.features };
  const lists = { position: [] as number[], head: [] as number[], feature: [] as number[] };
  for (const role of roles) {
    let size: number | undefined;
    for (const hook of hooks) {
      const point = model.hookPoint(hook);
      const axis = point.axes[role];
      ensure(axis !== undefined, `Granularity '${options.granularity}' needs a ${role} axis, and '${hook}' has none (its axes: ${Object.entries(point.axes).map(([r, a]) => `${r} ${a}`).join(', ') || 'unknown'}); ${role === 'head' ? "use the attention hooks 'blocks.L.attn.hook_z' or '.hook_pattern'" : 'choose other hooks or another granularity'}.`);
      const n = hookShape(model, hook, feeds)[axis]!;
      ensure(size === undefined || size === n, `Every hook of a ${role} sweep needs the same number of ${role}s; '${hook}' has ${n}, earlier hooks ${size}.`, 'SHAPE_MISMATCH');
      size = n;
    }
    lists[role] = checkIndices(given[role], size!, `${role}s`);
  }
  for (const hook of hooks) model.hookPoint(hook);
  const axes: ResultAxis[] = [{ name: 'hook', labels: [...hooks] }, ...roles.map((r) => ({ name: r, labels: lists[r] }))];
  return { roles, lists, axes };
}

/**
 * Activation patching over `hooks` at the chosen granularity: for each hook and each position /
 * head / head × position / feature, the metric of the base run (corrupted for `denoising`, clean
 * for `noising`) with that part of the activation taken from the other run. Patches run batched
 * (per-batch-item interventions), `batchSize` patches per session call, with the same numbers as
 * one run per patch.
 *
 * @example
 * ```ts
 * import { HookedModel, Tensor } from '@mechint/core';
 * import { activationPatching, logitOf } from '@mechint/patching';
 * const model = await HookedModel.load('packages/core/test/fixtures/gpt2l.onnx');
 * const clean = { tokens: Tensor.from([[0n, 5n, 6n, 7n, 5n, 6n]]) };
 * const corrupted = { tokens: Tensor.from([[0n, 5n, 9n, 7n, 5n, 6n]]) };
 * const { normalized, axes } = await activationPatching({ model, clean, corrupted, hooks: ['blocks.0.hook_resid_pre'],
 *   metric: logitOf({ position: 4, token: 6 }), granularity: 'position' });
 * console.log(normalized.shape, axes[1]!.labels); // [1, 6] [0, 1, 2, 3, 4, 5]
 * ```
 */
export async function activationPatching(options: ActivationPatchingOptions): Promise<PatchingResult> {
  const { model, clean, corrupted, hooks, metric } = options;
  const direction = options.direction ?? 'denoising';
  checkDirection(direction);
  checkBatchSize(options.batchSize);
  checkMetric(metric);
  checkPromptPair(model, clean, corrupted, 'activationPatching');
  const { roles, lists, axes } = sweepAxes(model, hooks, clean, options);

  checkAborted(options.signal, 'activation patching sweep');
  const unique = [...new Set(hooks)];
  const { cleanRun, corruptedRun, mClean, mCorrupted } = await referenceRuns(model, clean, corrupted, unique, metric);
  const [base, source] = direction === 'denoising' ? [corrupted, cleanRun.cache] : [clean, corruptedRun.cache];

  const patches: Patch[] = [];
  for (const hook of hooks) {
    const combos = roles.reduce<Record<string, number>[]>((acc, role) => acc.flatMap((c) => lists[role].map((i) => ({ ...c, [role]: i }))), [{}]);
    for (const c of combos) {
      patches.push([
        {
          hook,
          source: source.get(hook),
          ...(c['position'] === undefined ? {} : { positions: [c['position']] }),
          ...(c['head'] === undefined ? {} : { heads: [c['head']] }),
          ...(c['feature'] === undefined ? {} : { features: [c['feature']] }),
        },
      ]);
    }
  }
  const { metrics } = await runPatches(model, {
    feeds: base,
    patches,
    metric,
    what: 'activation patching sweep',
    ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  return resultOf(metrics, axes, mClean, mCorrupted);
}
