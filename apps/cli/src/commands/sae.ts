/**
 * `mechint sae train | eval | features`: sparse autoencoders on cached activations, saved in
 * SAELens's folder format.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ARCHITECTURES, SAETrainer, SparseAutoencoder, loadSae, saeToFiles, type Architecture, type TrainProgress } from '@mechint/sae';
import { MechintError, Tensor } from '@mechint/core';
import type { Command, ParsedArgs } from '../cli/command.js';
import { choiceOption, numberOption, stringOption } from '../cli/command.js';
import type { CommandContext } from '../cli/context.js';
import { float64Of } from '../cli/arrays.js';
import { usageError } from '../cli/exit-codes.js';
import { readArray } from '../cli/files.js';
import { evaluateSae, topFeatures, type SaeEvaluation } from '../summaries/sae.js';
import { linePlotSpec } from '../figures/specs/line.js';
import { heatmapSpec } from '../figures/specs/heatmap.js';
import { renderSvg } from '../figures/render.js';

/** Activations `[rows, width]` (float32) from a file: more axes are flattened into rows. */
function activations(context: CommandContext, spec: string): { x: Tensor<'float32'>; key: string; shape: readonly number[] } {
  const { tensor, key } = readArray(context.cwd, spec, 'Activations');
  if (tensor.rank < 2) throw new MechintError('SHAPE_MISMATCH', `Activations '${spec}' must be [rows, width] (or more axes, flattened into rows); got [${tensor.shape.join(', ')}].`);
  const width = tensor.shape.at(-1)!;
  return { x: new Tensor('float32', Float32Array.from(float64Of(tensor)), [tensor.size / width, width]), key, shape: tensor.shape };
}

async function loadSaeFolder(context: CommandContext, dir: string): Promise<SparseAutoencoder> {
  const full = resolve(context.cwd, dir);
  if (!existsSync(full) || !statSync(full).isDirectory()) {
    throw new MechintError('INVALID_FILE', `SAE folder '${dir}' does not exist; pass the folder mechint sae train wrote (it holds cfg.json and sae_weights.safetensors).`);
  }
  return loadSae(full);
}

function evaluationJson(e: SaeEvaluation) {
  return { rows: e.rows, mse: e.mse, explainedVariance: e.explainedVariance, l0: e.l0, deadFeatures: e.deadFeatures };
}

async function densityFigure(frequency: Float64Array): Promise<string> {
  const sorted = [...frequency].sort((a, b) => b - a);
  return renderSvg(linePlotSpec({ title: 'Latent firing frequency', series: [{ name: 'frequency', x: sorted.map((_, i) => i + 1), y: sorted, mark: 'line' }], xTitle: 'latent rank', yTitle: 'share of rows it fires on', logY: true }));
}

async function train(context: CommandContext, args: ParsedArgs, spec: string) {
  const out = stringOption(args.values, 'out', 'mechint-sae');
  const architecture = choiceOption(args.values, 'architecture', ARCHITECTURES as readonly Architecture[], 'topk');
  const steps = numberOption(args.values, 'steps', 1000, { integer: true, min: 1 });
  const lr = numberOption(args.values, 'lr', 3e-4, { min: Number.MIN_VALUE });
  const batchSize = numberOption(args.values, 'batch-size', 4096, { integer: true, min: 1 });
  const seed = numberOption(args.values, 'seed', 0, { integer: true });
  const hook = stringOption(args.values, 'hook', '');
  const { x, key, shape } = activations(context, spec);
  const width = x.shape[1]!;
  const dSae = numberOption(args.values, 'd-sae', 8 * width, { integer: true, min: 1 });
  const k = numberOption(args.values, 'k', Math.min(100, dSae), { integer: true, min: 1, max: dSae });
  const sae = new SparseAutoencoder({ dIn: width, dSae, architecture, k, hookName: hook, seed });
  const curve: TrainProgress[] = [];
  const task = context.progress('SAE training');
  const result = await new SAETrainer(sae, { lr, batchSize, seed, ep: context.globals.ep }).train(x, {
    steps,
    signal: context.signal,
    onProgress: (p) => {
      curve.push(p);
      task.update(p.step, p.steps);
    },
  });
  task.end();
  const { evaluation } = await evaluateSae(sae, x);
  const files = context.outputs();
  for (const [name, contents] of Object.entries(saeToFiles(sae))) if (contents !== undefined) files.addIn(out, name, contents);
  await files.addFigure(`${out}/training.svg`, await renderSvg(linePlotSpec({ title: `${architecture} SAE training`, series: [{ name: 'MSE', x: curve.map((p) => p.step), y: curve.map((p) => p.mse) }, { name: 'loss', x: curve.map((p) => p.step), y: curve.map((p) => p.loss), dashed: true }], xTitle: 'step', yTitle: 'loss', logY: true })));
  const report = {
    activations: spec,
    key,
    shape,
    config: { architecture, dIn: width, dSae, k, lr, batchSize, steps, seed, hook },
    training: { steps: result.steps, rows: result.rows, loss: result.loss, mse: result.mse, l0: result.l0, deadFeatures: result.deadFeatures },
    curve: curve.map((p) => ({ step: p.step, loss: p.loss, mse: p.mse, l0: p.l0, deadFeatures: p.deadFeatures })),
    evaluation: evaluationJson(evaluation),
    files: [...Object.keys(saeToFiles(sae)), 'training.svg', 'results.json'],
  };
  files.addJson(`${out}/results.json`, report);
  files.commit();
  context.say(`trained ${architecture} SAE ${width} → ${dSae} for ${result.steps} steps: explained variance ${(evaluation.explainedVariance * 100).toFixed(1)}%, L0 ${evaluation.l0.toFixed(2)}, dead latents ${evaluation.deadFeatures}`);
  context.say(`wrote ${report.files.map((f) => `${out}/${f}`).join(', ')} (SAELens format)`);
  return report;
}

async function evaluate(context: CommandContext, args: ParsedArgs, dir: string, spec: string) {
  const out = stringOption(args.values, 'out', 'mechint-sae-eval');
  const sae = await loadSaeFolder(context, dir);
  const { x, key } = activations(context, spec);
  const { evaluation } = await evaluateSae(sae, x);
  const files = context.outputs();
  files.addNpy(`${out}/frequency.npy`, new Tensor('float64', evaluation.frequency, [evaluation.frequency.length]));
  await files.addFigure(`${out}/frequency.svg`, await densityFigure(evaluation.frequency));
  const report = { sae: dir, activations: spec, key, config: { architecture: sae.cfg.architecture, dIn: sae.cfg.dIn, dSae: sae.cfg.dSae, k: sae.cfg.k }, evaluation: evaluationJson(evaluation), files: ['results.json', 'frequency.npy', 'frequency.svg'] };
  files.addJson(`${out}/results.json`, report);
  files.commit();
  context.say(`${evaluation.rows} rows: MSE ${evaluation.mse.toExponential(3)}, explained variance ${(evaluation.explainedVariance * 100).toFixed(2)}%, L0 ${evaluation.l0.toFixed(2)}, dead latents ${evaluation.deadFeatures}/${sae.cfg.dSae}`);
  context.say(`wrote ${report.files.map((f) => `${out}/${f}`).join(', ')}`);
  return report;
}

async function features(context: CommandContext, args: ParsedArgs, dir: string, spec: string) {
  const out = stringOption(args.values, 'out', 'mechint-sae-features');
  const count = numberOption(args.values, 'top', 10, { integer: true, min: 1 });
  const examples = numberOption(args.values, 'examples', 5, { integer: true, min: 1 });
  const sae = await loadSaeFolder(context, dir);
  const { x, key, shape } = activations(context, spec);
  const { evaluation, acts } = await evaluateSae(sae, x);
  const inner = shape.slice(0, -1);
  const label = (row: number) => {
    const index: number[] = [];
    let rest = row;
    for (let i = inner.length - 1; i >= 0; i--) {
      index.unshift(rest % inner[i]!);
      rest = Math.floor(rest / inner[i]!);
    }
    return `[${index.join(', ')}]`;
  };
  const top = topFeatures(acts, evaluation.frequency, count, examples, label);
  const rows = x.shape[0]!;
  const dSae = acts.shape[1]!;
  const a = acts.data as Float32Array;
  const selected = new Float32Array(rows * top.length);
  for (let r = 0; r < rows; r++) top.forEach((f, j) => (selected[r * top.length + j] = a[r * dSae + f.feature]!));
  const files = context.outputs();
  files.addNpy(`${out}/feature-acts.npy`, new Tensor('float32', selected, [rows, top.length]));
  const shown = Math.min(rows, 64);
  await files.addFigure(`${out}/features.svg`, await renderSvg(heatmapSpec({ title: `Top ${top.length} latents on the first ${shown} rows`, values: top.map((f) => Array.from({ length: shown }, (_, r) => a[r * dSae + f.feature]!)), rows: top.map((f) => `latent ${f.feature}`), columns: Array.from({ length: shown }, (_, r) => label(r)), columnTitle: 'row', valueTitle: 'activation', labels: false })));
  const report = { sae: dir, activations: spec, key, features: top, files: ['results.json', 'feature-acts.npy', 'features.svg'] };
  files.addJson(`${out}/results.json`, report);
  files.commit();
  for (const f of top) context.say(`latent ${String(f.feature).padStart(5)}  fires on ${(f.frequency * 100).toFixed(1)}% of rows; strongest ${f.top.map((t) => `${t.label} ${t.activation.toFixed(2)}`).join(', ')}`);
  context.say(`wrote ${report.files.map((f) => `${out}/${f}`).join(', ')}`);
  return report;
}

/** `mechint sae`. */
export const saeCommand: Command = {
  name: 'sae',
  summary: 'train, evaluate and inspect sparse autoencoders (SAELens format)',
  help: `Usage: mechint sae train <acts.npz:key | acts.npy> [--architecture topk] [--d-sae N] [--k N]
                         [--steps 1000] [--lr 3e-4] [--batch-size 4096] [--hook NAME] [--out DIR]
       mechint sae eval <sae-dir> <acts.npz:key | acts.npy> [--out DIR]
       mechint sae features <sae-dir> <acts.npz:key | acts.npy> [--top 10] [--examples 5] [--out DIR]

Activations are [rows, width] (more axes are flattened into rows), e.g. one hook of mechint cache.

train     writes an SAELens folder (cfg.json, sae_weights.safetensors), training.svg and
          results.json; --architecture ${ARCHITECTURES.join(', ')}; --d-sae defaults to 8 × width,
          --k to 100 (SAELens's TopK default, capped at d-sae); lr, batch size as SAELens
eval      reconstruction (MSE, explained variance), L0 and dead latents; frequency.npy / .svg
features  the most frequent latents with the rows that drive them most; feature-acts.npy,
          features.svg`,
  options: {
    architecture: { type: 'string' },
    'd-sae': { type: 'string' },
    k: { type: 'string' },
    steps: { type: 'string' },
    lr: { type: 'string' },
    'batch-size': { type: 'string' },
    seed: { type: 'string' },
    hook: { type: 'string' },
    top: { type: 'string' },
    examples: { type: 'string' },
    out: { type: 'string' },
  },
  async run(context, args) {
    const [action, ...rest] = args.positionals;
    if (action === 'train') {
      if (rest.length !== 1) throw usageError('mechint sae train takes one activations file, e.g. mechint sae train acts.npz:blocks.0.hook_resid_post.');
      return train(context, args, rest[0]!);
    }
    if (action === 'eval' || action === 'features') {
      if (rest.length !== 2) throw usageError(`mechint sae ${action} takes an SAE folder and an activations file, e.g. mechint sae ${action} mechint-sae acts.npz:blocks.0.hook_resid_post.`);
      return action === 'eval' ? evaluate(context, args, rest[0]!, rest[1]!) : features(context, args, rest[0]!, rest[1]!);
    }
    throw usageError(`mechint sae needs an action: train, eval or features${action === undefined ? '' : `; got '${action}'`}. See mechint sae --help.`);
  },
};
