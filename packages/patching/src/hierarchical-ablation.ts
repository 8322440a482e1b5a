/**
 * Hierarchical ablation studies: ablate whole layers, then — only inside the layers that
 * mattered — their attention and MLP, then the heads of attention that mattered and the neurons
 * of MLPs that mattered; `summarize` prints the tree as a table.
 */
import type { HookedModel } from '@mechint/core';
import { ablationPatches, ablationSources, checkAblation, type AblationMethod, type AblationOptions, type AblationResult } from './ablation.js';
import type { Component } from './components.js';
import { checkAborted, ensure, hookShape, range } from './internal.js';
import { runPatches } from './sweep.js';

/** The hooks of one layer that the study ablates. */
export interface LayerHooks {
  /** The attention block's output added to the residual stream. */
  attention: string;
  /** The MLP's output added to the residual stream. */
  mlp: string;
  /** Per-head outputs (a hook with a head axis). */
  heads: string;
  /** MLP neurons (a hook whose feature axis is the hidden layer), needed for `neurons`. */
  neurons?: string;
}

/** Options of {@link hierarchicalAblation}. */
export interface HierarchicalAblationOptions extends AblationOptions {
  /** Layers to study (default: every `blocks.L` with TransformerLens-style aliases). */
  layers?: readonly number[];
  /** Descend into attention / MLP and heads (default `true`). */
  components?: boolean;
  /** Keep the top-K neurons (by |effect|) of each MLP that mattered (default 0: no neuron level). */
  neurons?: number;
  /**
   * A part matters when |effect| ≥ threshold × the largest |effect| of a layer (default 0.1).
   */
  threshold?: number;
  /**
   * Hook names of a layer (default: `blocks.L.hook_attn_out`, `blocks.L.hook_mlp_out`,
   * `blocks.L.attn.hook_z`, and for neurons the first of `blocks.L.mlp.hook_post`,
   * `blocks.L.mlp.W_out.input`, `blocks.L.mlp.act.output`, `blocks.L.mlp.c_proj.input` that exists).
   */
  hooks?: (layer: number) => LayerHooks;
}

/** One node of the study's tree. */
export interface AblationEntry {
  /** Depth in the study. */
  level: 'layer' | 'component' | 'head' | 'neuron';
  /** `blocks.1`, `blocks.1.attn`, `blocks.1.mlp`, `blocks.1.attn head 2`, `blocks.0.mlp neuron 17`. */
  name: string;
  /** The layer it belongs to. */
  layer: number;
  /** What was ablated. */
  ablated: readonly Component[];
  /** The metric with the ablation. */
  score: number;
  /** `score − baseline`. */
  effect: number;
  /** Whether |effect| reached the threshold (only these are descended into). */
  mattered: boolean;
  /** The parts studied below it (top-K only, for neurons). */
  children: AblationEntry[];
}

/** The result of {@link hierarchicalAblation}. */
export interface AblationStudy {
  /** The ablation used. */
  method: AblationMethod;
  /** The metric without ablation. */
  baseline: number;
  /** The absolute threshold used: `threshold × max |layer effect|`. */
  threshold: number;
  /** One entry per layer, with the parts studied below it. */
  layers: AblationEntry[];
}

function defaultHooks(model: HookedModel, layer: number): LayerHooks {
  const names = new Set(model.hookPoints.map((h) => h.name));
  const b = `blocks.${layer}`;
  const neurons = [`${b}.mlp.hook_post`, `${b}.mlp.W_out.input`, `${b}.mlp.act.output`, `${b}.mlp.c_proj.input`].find((n) => names.has(n));
  return { attention: `${b}.hook_attn_out`, mlp: `${b}.hook_mlp_out`, heads: `${b}.attn.hook_z`, ...(neurons === undefined ? {} : { neurons }) };
}

function defaultLayers(model: HookedModel): number[] {
  return [...new Set(model.hookPoints.map((h) => /^blocks\.(\d+)\.hook_attn_out$/.exec(h.name)?.[1]).filter((x) => x !== undefined).map(Number))].sort((a, b) => a - b);
}

/**
 * A hierarchical ablation study: layer → component (attention, MLP) → heads and neurons,
 * descending only into the parts whose effect reached the threshold. Each level is one batched
 * sweep.
 *
 * @example
 * ```ts
 * import { HookedModel, Tensor } from '@mechint/core';
 * import { crossEntropy, hierarchicalAblation, summarize } from '@mechint/patching';
 * const model = await HookedModel.load('packages/core/test/fixtures/gpt2l.onnx');
 * const tokens = Tensor.from([[0n, 5n, 6n, 7n, 8n, 5n, 6n, 7n, 8n]]);
 * const study = await hierarchicalAblation({ model, inputs: { tokens }, metric: crossEntropy({ tokens, positions: [5, 6, 7] }), neurons: 3 });
 * console.log(study.layers.map((l) => l.name)); // ['blocks.0', 'blocks.1']
 * ```
 */
export async function hierarchicalAblation(options: HierarchicalAblationOptions): Promise<AblationStudy> {
  const { model, inputs } = options;
  const { method, batch } = checkAblation(options);
  const threshold = options.threshold ?? 0.1;
  ensure(Number.isFinite(threshold) && threshold >= 0, `threshold must be a non-negative number (a fraction of the largest layer effect); got ${threshold}.`);
  const topK = options.neurons ?? 0;
  ensure(Number.isInteger(topK) && topK >= 0, `neurons must be a non-negative integer (top-K neurons per MLP); got ${topK}.`);
  const layers = options.layers === undefined ? defaultLayers(model) : [...options.layers];
  ensure(layers.length > 0, 'No layers to study: the model has no blocks.L.hook_attn_out aliases; pass layers and hooks.');
  const hooksOf = new Map(layers.map((l) => [l, options.hooks?.(l) ?? defaultHooks(model, l)] as const));
  const components = options.components ?? true;
  const neuronSize = new Map<number, number>();
  for (const [l, h] of hooksOf) {
    for (const name of [h.attention, h.mlp, ...(components ? [h.heads] : [])]) hookShape(model, name, inputs);
    ensure(!components || model.hookPoint(h.heads).axes.head !== undefined, `'${h.heads}' has no head axis; pass hooks with per-head outputs (blocks.L.attn.hook_z).`);
    if (topK > 0) {
      ensure(h.neurons !== undefined, `Layer ${l} has no neuron hook (tried blocks.${l}.mlp.hook_post, .W_out.input, .act.output, .c_proj.input); pass hooks with neurons.`);
      const point = model.hookPoint(h.neurons);
      ensure(point.axes.feature !== undefined, `'${h.neurons}' has no feature axis to pick neurons from.`);
      neuronSize.set(l, hookShape(model, h.neurons, inputs)[point.axes.feature]!);
    }
  }
  checkAborted(options.signal, 'hierarchical ablation');
  const allHooks = [...hooksOf.values()].flatMap((h) => [h.attention, h.mlp, ...(components ? [h.heads] : []), ...(topK > 0 ? [h.neurons!] : [])]);
  const sources = await ablationSources(options, method, batch, [...new Set(allHooks)]);
  let done = 0;
  const sweep = async (entries: AblationEntry[], total: number) => {
    if (entries.length === 0) return;
    const { metrics } = await runPatches(model, {
      feeds: inputs,
      patches: ablationPatches(entries.map((e) => e.ablated), sources),
      metric: options.metric,
      what: 'hierarchical ablation',
      ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      onProgress: (d) => options.onProgress?.(done + d, total),
    });
    entries.forEach((e, i) => {
      e.score = metrics[i]!;
      e.effect = metrics[i]! - sources.baseline;
    });
    done += entries.length;
  };
  const entry = (level: AblationEntry['level'], name: string, layer: number, ablated: Component[]): AblationEntry => ({ level, name, layer, ablated, score: Number.NaN, effect: Number.NaN, mattered: false, children: [] });

  const top = layers.map((l) => entry('layer', `blocks.${l}`, l, [{ hook: hooksOf.get(l)!.attention }, { hook: hooksOf.get(l)!.mlp }]));
  await sweep(top, layers.length);
  const cut = threshold * Math.max(...top.map((e) => Math.abs(e.effect)));
  const mark = (es: AblationEntry[]) => es.forEach((e) => (e.mattered = Math.abs(e.effect) >= cut && cut > 0));
  mark(top);
  if (components) {
    const second = top.filter((e) => e.mattered).flatMap((e) => {
      const h = hooksOf.get(e.layer)!;
      e.children = [entry('component', `blocks.${e.layer}.attn`, e.layer, [{ hook: h.attention }]), entry('component', `blocks.${e.layer}.mlp`, e.layer, [{ hook: h.mlp }])];
      return e.children;
    });
    await sweep(second, layers.length + second.length);
    mark(second);
    const third = second.filter((e) => e.mattered).flatMap((e) => {
      const h = hooksOf.get(e.layer)!;
      if (e.name.endsWith('.attn')) {
        const heads = hookShape(model, h.heads, inputs)[model.hookPoint(h.heads).axes.head!]!;
        e.children = range(heads).map((i) => entry('head', `blocks.${e.layer}.attn head ${i}`, e.layer, [{ hook: h.heads, heads: [i] }]));
      } else if (topK > 0) {
        e.children = range(neuronSize.get(e.layer)!).map((i) => entry('neuron', `blocks.${e.layer}.mlp neuron ${i}`, e.layer, [{ hook: h.neurons!, features: [i] }]));
      }
      return e.children;
    });
    await sweep(third, layers.length + second.length + third.length);
    mark(third);
    for (const e of second) {
      if (e.children[0]?.level === 'neuron') e.children = [...e.children].sort((a, b) => Math.abs(b.effect) - Math.abs(a.effect)).slice(0, topK);
    }
  }
  return { method, baseline: sources.baseline, threshold: cut, layers: top };
}

/**
 * A readable table of an ablation study (indented by level) or of an {@link ablate} result.
 *
 * @example
 * ```ts
 * import { summarize } from '@mechint/patching';
 * const table = summarize({ names: ['blocks.0.attn.hook_z head 2'], scores: [2.47], effects: [2.468], baseline: 0.002, method: 'zero' });
 * console.log(table.split('\n')[2]); // 'blocks.0.attn.hook_z head 2      2.4700     +2.4680'
 * ```
 */
export function summarize(result: AblationStudy | AblationResult): string {
  const rows: [string, number, number, string][] = [];
  let head: string;
  if ('layers' in result) {
    head = `${result.method} ablation; baseline metric ${fmt(result.baseline)}; parts with |effect| ≥ ${fmt(result.threshold)} are marked * and descended into`;
    const walk = (e: AblationEntry, depth: number) => {
      rows.push([`${'  '.repeat(depth)}${e.name}`, e.score, e.effect, e.mattered ? '*' : '']);
      e.children.forEach((c) => walk(c, depth + 1));
    };
    result.layers.forEach((e) => walk(e, 0));
  } else {
    head = `${result.method} ablation; baseline metric ${fmt(result.baseline)}`;
    result.names.forEach((n, i) => rows.push([n, result.scores[i]!, result.effects[i]!, '']));
  }
  const width = Math.max(9, ...rows.map((r) => r[0].length));
  const lines = [head, `${'component'.padEnd(width)}  ${'metric'.padStart(10)}  ${'effect'.padStart(10)}`];
  for (const [name, score, effect, mark] of rows) lines.push(`${name.padEnd(width)}  ${fmt(score).padStart(10)}  ${signed(effect).padStart(10)} ${mark}`.trimEnd());
  return lines.join('\n');
}

function fmt(x: number): string {
  return Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(3) : x.toFixed(4);
}

function signed(x: number): string {
  return `${x >= 0 ? '+' : ''}${fmt(x)}`;
}

