/**
 * Path patching (Wang et al. 2022, "Interpretability in the Wild"): the effect of a sender
 * component on the metric through receiver components only. Step 1 runs the base input with the
 * sender taken from the source run and every frozen component (by default every attention head's
 * output `z`) held at its base value, and records the receivers; step 2 runs the base input with
 * only the receivers replaced by those records. Both steps are batched over senders.
 */
import type { HookedModel, HookPoint, Tensor } from '@mechint/core';
import { checkDirection, type Direction } from './activation-patching.js';
import { checkComponent, componentName, type Component } from './components.js';
import { checkAborted, checkMetric, checkPromptPair, compose, ensure, type Feeds, type ProgressOptions } from './internal.js';
import { referenceRuns, type Metric } from './metrics.js';
import { resultOf, type PatchingResult } from './result.js';
import { checkBatchSize, runPatches, type Edit, type Patch } from './sweep.js';

/** Options of {@link pathPatching}. */
export interface PathPatchingOptions extends ProgressOptions {
  /** The model to patch. */
  model: HookedModel;
  /** Feeds of the clean run. */
  clean: Feeds;
  /** Feeds of the corrupted run, shaped like `clean`. */
  corrupted: Feeds;
  /** Each sender is path-patched on its own; the result has one score per sender. */
  senders: readonly Component[];
  /** The components the effect must flow into (e.g. the key inputs of later heads); patched together. */
  receivers: readonly Component[];
  /** Called with the outputs of the original batch under one patch. */
  metric: Metric;
  /**
   * Hooks held at their base value in step 1, except where a sender sits (default: every
   * `blocks.L.attn.hook_z`, i.e. all heads, as Wang et al.; MLPs are recomputed). Receivers must
   * not be frozen.
   */
  freeze?: readonly string[];
  /**
   * `noising` (default, as Wang et al.): base = clean run, senders from the corrupted run;
   * `denoising`: base = corrupted, senders from the clean run.
   */
  direction?: Direction;
  /** Senders per session call (default: as many as fit in 2²⁴ elements). */
  batchSize?: number;
}

/** The default frozen hooks: every attention layer's `z`. */
function defaultFreeze(model: HookedModel): string[] {
  return model.hookPoints.filter((h: HookPoint) => /^blocks\.\d+\.attn\.hook_z$/.test(h.name)).map((h) => h.name);
}

/**
 * Path patching from each sender to the receivers. `scores[s]` is the metric after step 2 for
 * sender `s`; `normalized` as for activation patching (near 1: no effect through this path in a
 * noising run; near 0: the path carries the whole effect).
 *
 * @example
 * ```ts
 * import { HookedModel, Tensor } from '@mechint/core';
 * import { logitOf, pathPatching } from '@mechint/patching';
 * const model = await HookedModel.load('packages/core/test/fixtures/gpt2l.onnx');
 * const clean = { tokens: Tensor.from([[0n, 5n, 6n, 7n, 5n, 6n]]) };
 * const corrupted = { tokens: Tensor.from([[0n, 5n, 9n, 7n, 5n, 6n]]) };
 * const r = await pathPatching({ model, clean, corrupted, metric: logitOf({ position: 4, token: 6 }),
 *   senders: [0, 1, 2, 3].map((h) => ({ hook: 'blocks.0.attn.hook_z', heads: [h] })),
 *   receivers: [{ hook: 'blocks.1.attn.W_K.output' }] });
 * console.log(r.scores.shape); // [4]
 * ```
 */
export async function pathPatching(options: PathPatchingOptions): Promise<PatchingResult> {
  const { model, clean, corrupted, metric } = options;
  const direction = options.direction ?? 'noising';
  checkDirection(direction);
  checkBatchSize(options.batchSize);
  checkMetric(metric);
  checkPromptPair(model, clean, corrupted, 'pathPatching');
  ensure(Array.isArray(options.senders) && options.senders.length > 0, 'senders must be a non-empty list of components.');
  ensure(Array.isArray(options.receivers) && options.receivers.length > 0, 'receivers must be a non-empty list of components.');
  const senders = options.senders.map((c) => checkComponent(model, c, clean, 'sender'));
  const receivers = options.receivers.map((c) => checkComponent(model, c, clean, 'receiver'));
  const freeze = [...new Set(options.freeze ?? defaultFreeze(model))];
  freeze.forEach((h) => model.hookPoint(h));
  const frozenValues = new Set(freeze.map((h) => model.hookPoint(h).value));
  for (const r of receivers) {
    ensure(!frozenValues.has(model.hookPoint(r.hook).value), `Receiver '${componentName(r)}' is frozen in step 1, so no effect could reach it; remove '${r.hook}' from freeze or choose its inputs (e.g. the W_Q / W_K / W_V outputs) as receivers.`);
  }
  const receiverHooks = [...new Set(receivers.map((r) => r.hook))];
  ensure(receivers.length === receiverHooks.length, 'Give each receiver hook once; put several heads or positions in one receiver.');
  checkAborted(options.signal, 'path patching');

  const hooks = [...new Set([...freeze, ...senders.map((s) => s.hook)])];
  const { cleanRun, corruptedRun, mClean, mCorrupted } = await referenceRuns(model, clean, corrupted, hooks, metric);
  const [baseFeeds, base, source] = direction === 'noising' ? [clean, cleanRun.cache, corruptedRun.cache] : [corrupted, corruptedRun.cache, cleanRun.cache];
  const progress = (offset: number) => (done: number) => options.onProgress?.(offset + done, 2 * senders.length);
  const batching = {
    ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  };

  const step1: Patch[] = senders.map((s) => {
    const senderValue = model.hookPoint(s.hook).value;
    const edits: Edit[] = freeze.map((h) => {
      const point = model.hookPoint(h);
      const value: Tensor = point.value === senderValue ? compose(base.get(h), source.get(h), point.axes, s) : base.get(h);
      return { hook: h, source: value };
    });
    if (!frozenValues.has(senderValue)) edits.push({ hook: s.hook, source: source.get(s.hook), ...selectionOf(s) });
    return edits;
  });
  const { recorded } = await runPatches(model, { feeds: baseFeeds, patches: step1, record: receiverHooks, what: 'path patching', onProgress: progress(0), ...batching });
  const step2: Patch[] = recorded.map((rec) => receivers.map((r) => ({ hook: r.hook, source: rec[r.hook]!, ...selectionOf(r) })));
  const { metrics } = await runPatches(model, { feeds: baseFeeds, patches: step2, metric, what: 'path patching', onProgress: progress(senders.length), ...batching });
  return resultOf(metrics, [{ name: 'sender', labels: senders.map(componentName) }], mClean, mCorrupted);
}

/** The element selection of a component, without its name. */
export function selectionOf(c: Component): Pick<Component, 'positions' | 'heads' | 'features'> {
  return {
    ...(c.positions === undefined ? {} : { positions: c.positions }),
    ...(c.heads === undefined ? {} : { heads: c.heads }),
    ...(c.features === undefined ? {} : { features: c.features }),
  };
}
