/**
 * The batched patch runner every sweep uses: a list of patches (each a set of edits of the base
 * run) becomes one batch of copies of the base inputs, copy `j` edited by patch `j` through
 * per-batch-item interventions compiled into the graph — so a whole chunk of patches is one
 * session call, with the same numbers as one run per patch.
 */
import { Tensor, type HookedModel, type Intervention } from '@mechint/core';
import { checkAborted, ensure, hookShape, items, range, repeatBatch, type ElementSelection, type Feeds, type ProgressOptions } from './internal.js';
import { evaluate, type Metric, type Outputs } from './metrics.js';

/** One edit of a patch: the selected elements of `hook` take their values from `source`. */
export interface Edit extends ElementSelection {
  /** Hook-point name. */
  hook: string;
  /** The replacement activation for the base batch, shaped like the hook's value (`[batch, …]`). */
  source: Tensor;
}

/** One patch: edits applied together to one copy of the base batch (at most one edit per hook). */
export type Patch = readonly Edit[];

/** Options of {@link runPatches}. */
export interface RunPatchesOptions extends ProgressOptions {
  /** The base run's feeds (batch `B`). */
  feeds: Feeds;
  /** One copy of the base batch per patch. */
  patches: readonly Patch[];
  /** Evaluated on each patch's `B` output rows. */
  metric?: Metric;
  /** Hooks to record in each patched run (sliced per patch). */
  record?: readonly string[];
  /** Patches per session call (default: as many as fit in 2²⁴ elements of outputs and replacement values). */
  batchSize?: number;
  /** What is running, for messages. */
  what: string;
}

/** Per patch: the metric (NaN without one) and the recorded activations. */
export interface PatchRuns {
  /** Per patch: the metric. */
  metrics: number[];
  /** Per patch: the recorded activations for its batch. */
  recorded: Record<string, Tensor>[];
}

const KEYS = [
  ['positions', 'position'],
  ['heads', 'head'],
  ['features', 'feature'],
] as const;

/** Checks a user-given batch size. */
export function checkBatchSize(batchSize: number | undefined): void {
  ensure(batchSize === undefined || (Number.isInteger(batchSize) && batchSize >= 1), `batchSize must be a positive integer (patches per session call); got ${batchSize}.`);
}

/** Patches per session call under the default memory budget. */
function defaultBatchSize(model: HookedModel, feeds: Feeds, patches: readonly Patch[], batch: number): number {
  const hooks = new Map<string, number>();
  for (const p of patches) for (const e of p) hooks.set(e.hook, e.source.size / batch);
  const outputs = model.model.graph.outputs.reduce((s, o) => s + hookShape(model, o.name, feeds).slice(1).reduce((a, b) => a * b, 1), 0);
  const perPatch = batch * ([...hooks.values()].reduce((a, b) => a + b, 0) + outputs);
  return Math.max(1, Math.min(patches.length, Math.floor(2 ** 24 / Math.max(1, perPatch))));
}

/** Runs every patch, `batchSize` patches per session call. */
export async function runPatches(model: HookedModel, options: RunPatchesOptions): Promise<PatchRuns> {
  const { feeds, patches } = options;
  const batch = Object.values(feeds)[0]!.shape[0]!;
  const per = options.batchSize ?? defaultBatchSize(model, feeds, patches, batch);
  const layout = layoutOf(patches, batch);
  const metrics: number[] = [];
  const recorded: Record<string, Tensor>[] = [];
  for (let start = 0; start < patches.length; start += per) {
    checkAborted(options.signal, options.what);
    const chunk = patches.slice(start, start + per);
    const k = chunk.length;
    const chunkFeeds = Object.fromEntries(Object.entries(feeds).map(([n, t]) => [n, repeatBatch(t, k)]));
    const interventions = interventionsOf(model, layout, chunk, batch);
    let outputs: Record<string, Tensor>;
    if (options.record !== undefined && options.record.length > 0) {
      const run = await model.runWithCache(chunkFeeds, { hooks: [...options.record], interventions });
      outputs = run.outputs;
      for (let j = 0; j < k; j++) recorded.push(Object.fromEntries(options.record.map((h) => [h, items(run.cache.get(h), j * batch, batch)])));
    } else {
      outputs = await model.run(chunkFeeds, { interventions });
    }
    for (let j = 0; j < k; j++) {
      const slice: Outputs = Object.fromEntries(Object.entries(outputs).map(([n, t]) => [n, items(t, j * batch, batch)]));
      metrics.push(options.metric === undefined ? Number.NaN : evaluate(options.metric, slice));
    }
    options.onProgress?.(start + k, patches.length);
  }
  return { metrics, recorded };
}

/** The structure of a sweep's interventions: its hooks and the selection axes each needs. */
interface Layout {
  /** Each patched hook, the selection keys it needs and its per-item shape. */
  hooks: { hook: string; keys: ('positions' | 'heads' | 'features')[]; rest: readonly number[] }[];
}

/** One layout for the whole sweep, so every chunk (any batch size) runs the same compiled variant. */
function layoutOf(patches: readonly Patch[], batch: number): Layout {
  const hooks = new Map<string, { keys: Set<'positions' | 'heads' | 'features'>; rest: readonly number[] }>();
  for (const p of patches) {
    const seen = new Set<string>();
    for (const e of p) {
      ensure(!seen.has(e.hook), `A patch edits '${e.hook}' twice; compose the two edits into one source.`);
      seen.add(e.hook);
      let entry = hooks.get(e.hook);
      if (entry === undefined) hooks.set(e.hook, (entry = { keys: new Set(), rest: e.source.shape.slice(1) }));
      ensure(e.source.shape[0] === batch && e.source.shape.slice(1).join() === entry.rest.join(), `Sources for '${e.hook}' must be shaped [${batch}, ${entry.rest.join(', ')}]; got [${e.source.shape.join(', ')}].`, 'SHAPE_MISMATCH');
      for (const [key] of KEYS) if (e[key] !== undefined) entry.keys.add(key);
    }
  }
  return { hooks: [...hooks].map(([hook, { keys, rest }]) => ({ hook, keys: KEYS.map(([k]) => k).filter((k) => keys.has(k)), rest })) };
}

/** One intervention per hook of the layout: per-item selections address each patch's copy of the batch. */
function interventionsOf(model: HookedModel, layout: Layout, chunk: readonly Patch[], batch: number): Intervention[] {
  const rows = chunk.length * batch;
  return layout.hooks.map(({ hook, keys, rest }) => {
    const edits = chunk.map((p) => p.find((e) => e.hook === hook));
    const item = rest.reduce((a, b) => a * b, 1);
    const any = edits.some((e) => e !== undefined);
    const value = new Float32Array((any ? rows : 1) * item);
    const edited: number[] = [];
    edits.forEach((e, j) => {
      if (e === undefined) return;
      value.set(e.source.data as Float32Array, j * batch * item);
      for (let b = 0; b < batch; b++) edited.push(j * batch + b);
    });
    const axes = model.hookPoint(hook).axes;
    const selections: Partial<Record<'positions' | 'heads' | 'features', number[][]>> = {};
    for (const key of keys) {
      const role = KEYS.find(([k]) => k === key)![1];
      const size = rest[axes[role]! - 1]!;
      selections[key] = edits.flatMap((e) => {
        const list = e === undefined ? [] : [...(e[key] ?? range(size))];
        return Array.from({ length: batch }, () => list);
      });
    }
    return { hook, op: 'patch', value: new Tensor('float32', value, [any ? rows : 1, ...rest]), batch: edited, ...selections };
  });
}
