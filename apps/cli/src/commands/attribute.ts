/**
 * `mechint attribute model.onnx --inputs in.npz --target …`: Captum's attribution methods from
 * the command line — per input element, or per element of a layer's output for token models.
 */
import { deepLift, inputXGradient, integratedGradients, layerIntegratedGradients, saliency, type Target } from '@mechint/attribution';
import { MechintError, Tensor, type HookedModel } from '@mechint/core';
import type { Command } from '../cli/command.js';
import { choiceOption, numberOption, positionals, requiredOption, stringOption } from '../cli/command.js';
import { usageError } from '../cli/exit-codes.js';
import { readFeeds } from '../cli/feeds.js';
import { loadHookedModel } from '../cli/files.js';
import { suggestedLayer } from '../cli/role-hooks.js';
import { heatmapSpec } from '../figures/specs/heatmap.js';
import { renderSvg } from '../figures/render.js';

const METHODS = ['integrated-gradients', 'saliency', 'input-x-gradient', 'deeplift'] as const;

/** `--target` text as a {@link Target}: `3`, `3,1,4` (one per item), `20:7` or `20:7,19:5` (tuples). */
export function parseTarget(text: string, batch: number): Target {
  const parts = text.split(',').map((p) => p.trim());
  const parseIndex = (p: string): number | number[] => {
    const numbers = p.split(':').map(Number);
    if (p === '' || numbers.some((n) => !Number.isInteger(n) || n < 0)) throw usageError(`--target takes output indices: 3, 3,1,4 (one per item) or 20:7 (position:class); got '${text}'.`);
    return numbers.length === 1 ? numbers[0]! : numbers;
  };
  const indices = parts.map(parseIndex);
  if (indices.length === 1) return typeof indices[0] === 'number' ? indices[0] : Array.from({ length: batch }, () => indices[0]!);
  if (indices.length !== batch) throw usageError(`--target lists ${indices.length} indices but the inputs hold ${batch} item(s); give one index for all or one per item.`);
  return indices;
}

function summedTo2d(t: Tensor, perItemAxisSum: boolean): { values: number[][]; rowTitle: string; columnTitle: string } {
  const data = Float64Array.from(t.data as Float32Array);
  const [batch, ...rest] = t.shape as [number, ...number[]];
  if (perItemAxisSum && rest.length >= 1) {
    const last = rest.at(-1)!;
    const middle = rest.slice(0, -1).reduce((a, b) => a * b, 1);
    return {
      values: Array.from({ length: batch }, (_, b) => Array.from({ length: middle }, (_, p) => data.subarray((b * middle + p) * last, (b * middle + p + 1) * last).reduce((s, v) => s + v, 0))),
      rowTitle: 'item',
      columnTitle: 'position',
    };
  }
  const width = rest.at(-1) ?? 1;
  const height = rest.length >= 2 ? rest.at(-2)! : 1;
  const channels = rest.slice(0, -2).reduce((a, b) => a * b, 1);
  const values = Array.from({ length: height }, (_, y) => Array.from({ length: width }, (_, x) => {
    let s = 0;
    for (let c = 0; c < channels; c++) s += data[(c * height + y) * width + x]!;
    return s;
  }));
  return { values, rowTitle: rest.length >= 2 ? 'row' : '', columnTitle: rest.length >= 2 ? 'column' : 'feature' };
}

async function attribute(model: HookedModel, feeds: Record<string, Tensor>, method: (typeof METHODS)[number], options: { target: Target; layer: string | undefined; steps: number; baseline: number; onProgress: (d: number, t: number) => void; signal: AbortSignal }) {
  const { target, layer, steps, baseline } = options;
  if (layer !== undefined) {
    if (method !== 'integrated-gradients') throw usageError(`--layer works with --method integrated-gradients (layer integrated gradients); got --method ${method}.`);
    const names = Object.keys(feeds);
    const r = await layerIntegratedGradients(model, feeds, { layer, target, nSteps: steps, baselines: Object.fromEntries(names.map((n) => [n, baseline])), returnConvergenceDelta: true, onProgress: options.onProgress, signal: options.signal });
    return { attributions: { [layer]: r.attributions }, delta: r.delta };
  }
  if (!Object.values(feeds).some((t) => t.dtype === 'float32')) {
    const layerHint = suggestedLayer(model);
    throw new MechintError('INVALID_ARGUMENT', `The model's inputs (${Object.entries(feeds).map(([n, t]) => `${n}: ${t.dtype}`).join(', ')}) have no float32 input to attribute to; for token inputs attribute a layer${layerHint === undefined ? ' (mechint inspect lists them)' : `, e.g. --layer ${layerHint}`}.`);
  }
  if (method === 'integrated-gradients') return integratedGradients(model, feeds, { target, nSteps: steps, baselines: baseline, returnConvergenceDelta: true, onProgress: options.onProgress, signal: options.signal });
  if (method === 'deeplift') return deepLift(model, feeds, { target, baselines: baseline, returnConvergenceDelta: true });
  if (method === 'saliency') return saliency(model, feeds, { target });
  return inputXGradient(model, feeds, { target });
}

/** `mechint attribute`. */
export const attributeCommand: Command = {
  name: 'attribute',
  summary: 'integrated gradients, saliency, input × gradient, DeepLIFT (Captum definitions)',
  help: `Usage: mechint attribute <model.onnx> --inputs in.npz --target T [--method integrated-gradients]
                         [--layer HOOK] [--steps 50] [--baseline 0] [--output NAME] [--out DIR]

  --inputs FILE  .npz / .safetensors with one array per model input
  --target T     the output index attributed: 3 (every item), 3,1,4 (one per item), or 20:7
                 (position:class for [batch, pos, classes] outputs, e.g. a token's logit)
  --method M     ${METHODS.join(', ')} (default integrated-gradients)
  --layer HOOK   attribute a hook point's output instead of the inputs (layer integrated
                 gradients) — needed for token inputs, e.g. --layer blocks.0.hook_resid_pre
                 (mechint inspect lists a model's hook points)
  --steps N      integration steps (default 50, as Captum)
  --baseline X   baseline value of the inputs (tokens: a token id; default 0, as Captum)
  --out DIR      results.json, <input>.npy attributions, attributions.svg (item 0's, or per
                 position for a layer); default ./mechint-attribute`,
  options: {
    inputs: { type: 'string' },
    target: { type: 'string' },
    method: { type: 'string' },
    layer: { type: 'string' },
    steps: { type: 'string' },
    baseline: { type: 'string' },
    out: { type: 'string' },
  },
  async run(context, args) {
    const [path] = positionals(args, 'attribute', ['model.onnx']);
    const inputs = requiredOption(args.values, 'inputs', 'attribute', 'in.npz');
    const targetText = requiredOption(args.values, 'target', 'attribute', '3');
    const method = choiceOption(args.values, 'method', METHODS, 'integrated-gradients');
    const layer = stringOption(args.values, 'layer');
    const steps = numberOption(args.values, 'steps', 50, { integer: true, min: 1 });
    const baseline = numberOption(args.values, 'baseline', 0);
    const out = stringOption(args.values, 'out', 'mechint-attribute');
    const model = await loadHookedModel(context.cwd, path!, context.globals.ep);
    try {
      const feeds = readFeeds(context.cwd, inputs, model);
      if (layer !== undefined) model.hookPoint(layer);
      const batch = Object.values(feeds)[0]!.shape[0] ?? 1;
      const target = parseTarget(targetText, batch);
      const task = context.progress(method);
      const result = await attribute(model, feeds, method, { target, layer, steps, baseline, onProgress: (d, t) => task.update(d, t), signal: context.signal });
      task.end();
      const files = context.outputs();
      const written: string[] = [];
      const summary: Record<string, { shape: readonly number[]; sumPerItem: number[] }> = {};
      for (const [name, t] of Object.entries(result.attributions)) {
        const file = `${name.replace(/[^\w.-]+/g, '_')}.npy`;
        files.addNpy(`${out}/${file}`, t);
        written.push(file);
        const per = t.size / t.shape[0]!;
        const data = t.data as Float32Array;
        summary[name] = { shape: t.shape, sumPerItem: Array.from({ length: t.shape[0]! }, (_, b) => data.subarray(b * per, (b + 1) * per).reduce((s, v) => s + v, 0)) };
      }
      const [firstName, first] = Object.entries(result.attributions)[0]!;
      const grid = summedTo2d(first, layer !== undefined);
      await files.addFigure(`${out}/attributions.svg`, await renderSvg(heatmapSpec({ ...grid, title: `${method} of ${firstName}${layer === undefined ? ' (item 0)' : ', summed over features'}`, valueTitle: 'attribution', scale: 'diverging' })));
      written.push('attributions.svg');
      const delta = 'delta' in result && result.delta !== undefined ? Array.from(result.delta) : undefined;
      const report = { model: path, inputs, method, layer, target: targetText, steps, baseline, ep: model.backend.ep, attributions: summary, convergenceDelta: delta, files: ['results.json', ...written] };
      files.addJson(`${out}/results.json`, report);
      files.commit();
      for (const [name, s] of Object.entries(summary)) context.say(`${name} [${s.shape.join(', ')}]: attribution sums per item ${s.sumPerItem.map((v) => v.toFixed(4)).join(' ')}`);
      if (delta !== undefined) context.say(`convergence delta (Σ attributions − Δoutput) per item: ${delta.map((v) => v.toExponential(2)).join(' ')}`);
      context.say(`wrote ${report.files.map((f) => `${out}/${f}`).join(', ')}`);
      return report;
    } finally {
      await model.dispose();
    }
  },
};
