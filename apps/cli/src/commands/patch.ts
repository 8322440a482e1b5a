/**
 * `mechint patch model.onnx --clean a.npz --corrupted b.npz --granularity … --metric …`:
 * activation patching from the command line, with the result as JSON, `.npy` and a heatmap.
 */
import { activationPatching, logitDiff, logitOf, probOf, type Granularity, type Metric } from '@mechint/patching';
import { MechintError, type HookPoint } from '@mechint/core';
import type { Command } from '../cli/command.js';
import { choiceOption, listOption, numberOption, positionals, requiredOption, stringOption } from '../cli/command.js';
import { usageError } from '../cli/exit-codes.js';
import { readFeeds } from '../cli/feeds.js';
import { loadHookedModel } from '../cli/files.js';
import { hookSelectors } from '../cli/hooks.js';
import { roleHooks, type HookRole } from '../cli/role-hooks.js';
import { heatmapSpec } from '../figures/specs/heatmap.js';
import { renderSvg } from '../figures/render.js';

const GRANULARITIES = ['layer', 'position', 'head', 'head-position'] as const;
const DIRECTIONS = ['denoising', 'noising'] as const;
const DEFAULT_ROLES: Record<(typeof GRANULARITIES)[number], HookRole> = {
  layer: 'resid_pre',
  position: 'resid_pre',
  head: 'z',
  'head-position': 'z',
};

/** `--metric` text as a patching metric: `logit-diff:A,B`, `logit:T` or `prob:T`, read at `position`. */
export function parseMetric(text: string, position: number): Metric {
  const match = /^(logit-diff|logit|prob):(.+)$/.exec(text);
  const tokens = match?.[2]?.split(',').map((t) => Number(t.trim()));
  const valid = match !== null && tokens !== undefined && tokens.every((t) => Number.isInteger(t) && t >= 0);
  if (!valid || (match[1] === 'logit-diff' ? tokens.length !== 2 : tokens.length !== 1)) {
    throw usageError(`--metric takes logit-diff:CORRECT,INCORRECT (token ids), logit:TOKEN or prob:TOKEN; got '${text}'.`);
  }
  if (match[1] === 'logit-diff') return logitDiff({ correct: tokens[0]!, incorrect: tokens[1]!, position });
  if (match[1] === 'logit') return logitOf({ token: tokens[0]!, position });
  return probOf({ token: tokens[0]!, position });
}

/** The patching result's rows for a heatmap: the first axis, or the first two joined for a 3-axis result. */
function grid(values: Float64Array, shape: readonly number[], labels: readonly (readonly (string | number)[])[]): { values: number[][]; rows: string[]; columns: string[] } {
  const columns = shape.at(-1)!;
  const rows = values.length / columns;
  const rowLabels = shape.length === 3 ? labels[0]!.flatMap((h) => labels[1]!.map((x) => `${h} · ${x}`)) : shape.length === 2 ? labels[0]!.map(String) : ['metric'];
  return {
    values: Array.from({ length: rows }, (_, i) => Array.from(values.subarray(i * columns, (i + 1) * columns))),
    rows: rowLabels,
    columns: labels.at(-1)!.map(String),
  };
}

/** `mechint patch`. */
export const patchCommand: Command = {
  name: 'patch',
  summary: 'activation patching: which activations carry the clean behaviour',
  help: `Usage: mechint patch <model.onnx> --clean a.npz --corrupted b.npz --metric logit-diff:A,B
                     [--granularity position|head|layer|head-position] [--hooks PATTERN]
                     [--position -1] [--direction denoising|noising] --out result.json
                     [--figure patch.svg] [--npy scores.npy]

  --clean, --corrupted  .npz / .safetensors with one array per model input (same shapes)
  --metric M            logit-diff:CORRECT,INCORRECT, logit:TOKEN or prob:TOKEN (token ids), read
                        at --position (default -1, the last, as TransformerLens) and averaged over items
  --granularity G       layer (whole activation), position, head, head-position (default position)
  --hooks PATTERN       hook names or globs (default, found by role in each recognised attention
                        layer: the residual stream before the block (hook_resid_pre) for layer /
                        position, the per-head attention output (z) for head / head-position,
                        whatever the model's module names); repeat or separate with commas
  --direction D         denoising (default, as TransformerLens: clean activations into the corrupted
                        run) or noising (corrupted into clean)
  --out FILE            the result as JSON: raw and normalised scores (1 = clean, 0 = corrupted), axes
  --figure FILE         a heatmap of the normalised scores (SVG)
  --npy FILE            the normalised scores as .npy, shaped by the axes`,
  options: {
    clean: { type: 'string' },
    corrupted: { type: 'string' },
    metric: { type: 'string' },
    granularity: { type: 'string' },
    hooks: { type: 'string', multiple: true },
    position: { type: 'string' },
    direction: { type: 'string' },
    out: { type: 'string' },
    figure: { type: 'string' },
    npy: { type: 'string' },
  },
  async run(context, args) {
    const [path] = positionals(args, 'patch', ['model.onnx']);
    const cleanPath = requiredOption(args.values, 'clean', 'patch', 'clean.npz');
    const corruptedPath = requiredOption(args.values, 'corrupted', 'patch', 'corrupted.npz');
    const metricText = requiredOption(args.values, 'metric', 'patch', 'logit-diff:5,7');
    const out = requiredOption(args.values, 'out', 'patch', 'result.json');
    const figure = stringOption(args.values, 'figure');
    const npy = stringOption(args.values, 'npy');
    const granularity: Granularity = choiceOption(args.values, 'granularity', GRANULARITIES, 'position');
    const direction = choiceOption(args.values, 'direction', DIRECTIONS, 'denoising');
    const position = numberOption(args.values, 'position', -1, { integer: true });
    const metric = parseMetric(metricText, position);
    const patterns = listOption(args.values, 'hooks');
    const model = await loadHookedModel(context.cwd, path!, context.globals.ep);
    try {
      const clean = readFeeds(context.cwd, cleanPath, model);
      const corrupted = readFeeds(context.cwd, corruptedPath, model);
      for (const [name, t] of Object.entries(clean)) {
        if (t.shape.join() !== corrupted[name]!.shape.join()) {
          throw new MechintError('SHAPE_MISMATCH', `Clean and corrupted '${name}' differ in shape ([${t.shape.join(', ')}] vs [${corrupted[name]!.shape.join(', ')}]); patching needs matching runs.`);
        }
      }
      const requested = patterns.length > 0 ? patterns : roleHooks(model, DEFAULT_ROLES[granularity]);
      const selectors = hookSelectors(requested, model.hookPoints);
      for (const s of selectors) if (typeof s === 'string') model.hookPoint(s);
      const hooks = model.hookPoints.filter((h: HookPoint) => selectors.some((s) => (typeof s === 'string' ? s === h.name : s instanceof RegExp ? s.test(h.name) : false))).map((h) => h.name);
      if (hooks.length === 0) throw new MechintError('UNKNOWN_HOOK', `No hook point matches ${requested.join(', ')}; pass --hooks (see mechint inspect ${path}).`);
      const task = context.progress('patching');
      const result = await activationPatching({ model, clean, corrupted, hooks, metric, granularity, direction, signal: context.signal, onProgress: (d, t) => task.update(d, t) });
      task.end();
      const labels = result.axes.map((a) => a.labels);
      const normalized = result.normalized.data as Float64Array;
      const files = context.outputs();
      const report = {
        model: path,
        clean: cleanPath,
        corrupted: corruptedPath,
        metric: metricText,
        position,
        granularity,
        direction,
        ep: model.backend.ep,
        cleanMetric: result.clean,
        corruptedMetric: result.corrupted,
        axes: result.axes,
        shape: result.scores.shape,
        scores: Array.from(result.scores.data as Float64Array),
        normalized: Array.from(normalized),
      };
      files.addJson(out, report);
      if (npy !== undefined) files.addNpy(npy, result.normalized);
      if (figure !== undefined) {
        const g = grid(normalized, result.normalized.shape, labels);
        await files.addFigure(figure, await renderSvg(heatmapSpec({ ...g, title: `Activation patching (${direction}), ${metricText}`, columnTitle: result.axes.at(-1)!.name, valueTitle: 'restored', scale: 'diverging' })));
      }
      files.commit();
      const best = Array.from(normalized.keys()).sort((a, b) => Math.abs(normalized[b]!) - Math.abs(normalized[a]!)).slice(0, 5);
      const strides = result.normalized.shape.map((_, i) => result.normalized.shape.slice(i + 1).reduce((p, d) => p * d, 1));
      context.say(`metric clean ${result.clean.toFixed(4)}, corrupted ${result.corrupted.toFixed(4)}; strongest patches:`);
      for (const flat of best) {
        const where = strides.map((s, i) => `${result.axes[i]!.name} ${labels[i]![Math.floor(flat / s) % result.normalized.shape[i]!]}`).join(', ');
        context.say(`  ${where}: ${normalized[flat]!.toFixed(3)}`);
      }
      context.say(`wrote ${[out, npy, figure].filter((f) => f !== undefined).join(', ')}`);
      return report;
    } finally {
      await model.dispose();
    }
  },
};
