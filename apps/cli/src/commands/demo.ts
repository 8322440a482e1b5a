/**
 * `mechint demo`: the whole toolbox on the bundled 2-layer transformer trained on induction —
 * inspect, cache, score heads, find the circuit by activation patching, train a small SAE — and
 * a self-contained HTML report.
 */
import { HookedModel, Tensor, type ExecutionProvider } from '@mechint/core';
import { activationPatching, type PatchingResult } from '@mechint/patching';
import { SAETrainer, SparseAutoencoder, type TrainProgress } from '@mechint/sae';
import type { Command } from '../cli/command.js';
import { positionals, stringOption } from '../cli/command.js';
import type { CommandContext } from '../cli/context.js';
import { accuracy, correctLogit, headScores, inductionBatch, type HeadScores } from '../demo/induction.js';
import { demoModelPath } from '../demo/fixture.js';
import { renderReport, type ReportSection } from '../demo/report.js';
import { evaluateSae, topFeatures } from '../summaries/sae.js';
import { renderSvg } from '../figures/render.js';
import { heatmapSpec } from '../figures/specs/heatmap.js';
import { linePlotSpec } from '../figures/specs/line.js';
import { describeModel } from './inspect-model.js';

const HALF = 10;
const VOCAB = 24;
const PATCH_BATCH = 8;
const SCORE_BATCH = 32;
const SAE_BATCH = 64;
const SAE_HOOK = 'blocks.1.hook_resid_pre';
const SAE_STEPS = 400;
/** A head belongs to the circuit when patching it alone restores at least this share of the clean metric. */
export const CIRCUIT_THRESHOLD = 0.1;
/** A head is an induction (previous-token) head when its score is above this. */
export const HEAD_SCORE_THRESHOLD = 0.5;

function rowsOf(t: Tensor): number[][] {
  const [n, m] = t.shape as [number, number];
  const d = t.data as Float64Array;
  return Array.from({ length: n }, (_, i) => Array.from(d.subarray(i * m, (i + 1) * m)));
}

async function patchingSweeps(context: CommandContext, model: HookedModel, layers: number[]) {
  const batch = inductionBatch(PATCH_BATCH, HALF, VOCAB, 11);
  const metric = correctLogit(batch);
  const common = { model, clean: { tokens: batch.clean }, corrupted: { tokens: batch.corrupted }, metric, signal: context.signal };
  const task = context.progress('patching');
  const heads = await activationPatching({ ...common, hooks: layers.map((l) => `blocks.${l}.attn.z`), granularity: 'head', onProgress: (d, t) => task.update(d, t) });
  const positions = await activationPatching({ ...common, hooks: layers.map((l) => `blocks.${l}.hook_resid_pre`), granularity: 'position', onProgress: (d, t) => task.update(d, t) });
  task.end();
  return { batch, heads, positions };
}

async function trainSae(context: CommandContext, model: HookedModel, ep: ExecutionProvider) {
  const batch = inductionBatch(SAE_BATCH, HALF, VOCAB, 23);
  const { cache } = await model.runWithCache({ tokens: batch.clean }, { hooks: [SAE_HOOK] });
  const acts = cache.get(SAE_HOOK);
  const [items, length, width] = acts.shape as [number, number, number];
  const x = new Tensor('float32', acts.data as Float32Array, [items * length, width]);
  const sae = new SparseAutoencoder({ dIn: width, dSae: 4 * width, architecture: 'topk', k: 8, hookName: SAE_HOOK, seed: 0 });
  const curve: TrainProgress[] = [];
  const task = context.progress('SAE training');
  const trained = await new SAETrainer(sae, { lr: 2e-3, batchSize: 256, ep, seed: 0, deadFeatureWindow: 200 }).train(x, {
    steps: SAE_STEPS,
    signal: context.signal,
    onProgress: (p) => {
      curve.push(p);
      task.update(p.step, p.steps);
    },
  });
  task.end();
  const { evaluation, acts: latents } = await evaluateSae(sae, x);
  const label = (row: number) => {
    const item = Math.floor(row / length);
    const pos = row % length;
    const half = pos === 0 ? 'BOS' : pos <= HALF ? '1st half' : '2nd half';
    return `token ${batch.tokens[item]![pos]} at ${pos} (${half})`;
  };
  const features = topFeatures(latents, evaluation.frequency, 6, 4, label);
  return { sae, trained, curve, evaluation, features, rows: items * length };
}

function headTable(scores: readonly HeadScores[]): (string | number)[][] {
  return scores.flatMap((s, layer) =>
    s.induction.map((ind, h) => [`${layer}.${h}`, s.previousToken[h]!.toFixed(3), ind.toFixed(3), ind > HEAD_SCORE_THRESHOLD ? 'induction' : s.previousToken[h]! > HEAD_SCORE_THRESHOLD ? 'previous-token' : '']),
  );
}

/** `mechint demo`. */
export const demoCommand: Command = {
  name: 'demo',
  summary: 'the toolbox end to end on the bundled induction transformer; writes an HTML report',
  help: `Usage: mechint demo [--out DIR]

On the bundled 2-layer transformer that torch trained on induction (no network, no arguments):
inspects it, caches its activations on repeated random sequences, scores every head, runs
activation-patching sweeps (per head and per position) that recover the induction circuit, trains
a small TopK sparse autoencoder on ${SAE_HOOK}, and writes report.html (figures inline) and
results.json.

  --out DIR   where to write (default ./mechint-demo)`,
  options: { out: { type: 'string' } },
  async run(context, args) {
    positionals(args, 'demo', []);
    const out = stringOption(args.values, 'out', 'mechint-demo');
    const started = Date.now();
    const path = demoModelPath();
    context.say('[1/5] inspecting the bundled induction transformer (gpt2l.onnx)');
    const model = await HookedModel.load(path, { ep: context.globals.ep });
    try {
      const described = describeModel('gpt2l.onnx', model);
      const layers = model.attention.sites.map((s) => s.layer);
      context.say(`      ${described.parameters.toLocaleString('en')} parameters, ${described.nodes} nodes; ${described.attention.summary}`);

      context.say('[2/5] caching attention patterns on repeated random sequences');
      const prompts = inductionBatch(SCORE_BATCH, HALF, VOCAB, 7);
      const { outputs, cache } = await model.runWithCache({ tokens: prompts.clean }, { hooks: [/^blocks\.\d+\.attn\.pattern$/] });
      const acc = accuracy(outputs['logits']!, prompts);
      const scores = layers.map((l) => headScores(cache.get(`blocks.${l}.attn.pattern`), HALF));
      const inductionHeads = scores.flatMap((s, l) => s.induction.flatMap((v, h) => (v > HEAD_SCORE_THRESHOLD ? [`${l}.${h}`] : [])));
      const previousTokenHeads = scores.flatMap((s, l) => s.previousToken.flatMap((v, h) => (v > HEAD_SCORE_THRESHOLD ? [`${l}.${h}`] : [])));
      context.say(`      next-token accuracy on the repeated half ${(acc * 100).toFixed(1)}%; induction heads ${inductionHeads.join(', ') || 'none'}`);

      context.say('[3/5] activation patching: clean [BOS, A, A] into corrupted [BOS, A′, A]');
      const { heads, positions } = await patchingSweeps(context, model, layers);
      const normalizedHeads = rowsOf(heads.normalized);
      const circuit = normalizedHeads.flatMap((row, l) => row.flatMap((v, h) => (v >= CIRCUIT_THRESHOLD ? [{ head: `${layers[l]}.${h}`, restored: v }] : [])));
      circuit.sort((a, b) => b.restored - a.restored);
      context.say(`      circuit (heads restoring ≥ ${CIRCUIT_THRESHOLD * 100}% alone): ${circuit.map((c) => `${c.head} ${(c.restored * 100).toFixed(0)}%`).join(', ') || 'none'}`);

      context.say(`[4/5] training a TopK sparse autoencoder on ${SAE_HOOK}`);
      const sae = await trainSae(context, model, context.globals.ep);
      context.say(`      explained variance ${(sae.evaluation.explainedVariance * 100).toFixed(1)}%, L0 ${sae.evaluation.l0.toFixed(1)}, dead latents ${sae.evaluation.deadFeatures}/${sae.sae.cfg.dSae}`);

      context.say('[5/5] writing the report');
      const best = scores.flatMap((s, l) => s.induction.map((v, h) => ({ l, h, v }))).sort((a, b) => b.v - a.v)[0]!;
      const tokenLabels = prompts.tokens[0]!.map((t, p) => `${p}:${t}`);
      const pattern = cache.get(`blocks.${best.l}.attn.pattern`);
      const [, , q, k] = pattern.shape as [number, number, number, number];
      const patternRows = Array.from({ length: q }, (_, i) => Array.from((pattern.data as Float32Array).subarray((best.h * q + i) * k, (best.h * q + i + 1) * k)));
      const headLabels = scores[0]!.induction.map((_, h) => String(h));
      const layerLabels = layers.map((l) => `layer ${l}`);
      const figures = {
        scores: await renderSvg(heatmapSpec({ title: 'Induction score per head', values: scores.map((s) => s.induction), rows: layerLabels, columns: headLabels, columnTitle: 'head', valueTitle: 'score' })),
        previous: await renderSvg(heatmapSpec({ title: 'Previous-token score per head', values: scores.map((s) => s.previousToken), rows: layerLabels, columns: headLabels, columnTitle: 'head', valueTitle: 'score' })),
        pattern: await renderSvg(heatmapSpec({ title: `Attention of head ${best.l}.${best.h}, sequence 0`, values: patternRows, rows: tokenLabels, columns: tokenLabels, rowTitle: 'query (position:token)', columnTitle: 'key', valueTitle: 'attention', labels: false, cellSize: 16 })),
        heads: await renderSvg(heatmapSpec({ title: 'Patching per head (share of clean metric restored)', values: normalizedHeads, rows: layerLabels, columns: headLabels, columnTitle: 'head', valueTitle: 'restored', scale: 'diverging' })),
        positions: await renderSvg(heatmapSpec({ title: 'Patching the residual stream per position', values: rowsOf(positions.normalized), rows: positions.axes[0]!.labels.map(String), columns: positions.axes[1]!.labels.map(String), columnTitle: 'position', valueTitle: 'restored', scale: 'diverging', labels: false, cellSize: 18 })),
        mse: await renderSvg(linePlotSpec({ title: 'SAE training: reconstruction error', series: [{ name: 'MSE', x: sae.curve.map((p) => p.step), y: sae.curve.map((p) => p.mse) }], xTitle: 'step', yTitle: 'MSE', logY: true })),
        density: await renderSvg(linePlotSpec({ title: 'SAE latent firing frequency', series: [{ name: 'frequency', x: [...sae.evaluation.frequency].sort((a, b) => b - a).map((_, i) => i + 1), y: [...sae.evaluation.frequency].sort((a, b) => b - a), mark: 'line+point' }], xTitle: 'latent rank', yTitle: 'share of rows it fires on', logY: true })),
      };
      const seconds = (Date.now() - started) / 1000;
      const patchingJson = (r: PatchingResult) => ({ axes: r.axes, clean: r.clean, corrupted: r.corrupted, scores: rowsOf(r.scores), normalized: rowsOf(r.normalized) });
      const results = {
        model: { file: 'gpt2l.onnx', parameters: described.parameters, nodes: described.nodes, inputs: described.inputs, outputs: described.outputs, attention: described.attention },
        ep: model.backend.ep,
        task: { sequences: SCORE_BATCH, half: HALF, accuracy: acc },
        headScores: Object.fromEntries(scores.map((s, l) => [`blocks.${layers[l]}`, { previous_token: s.previousToken, induction: s.induction }])),
        inductionHeads,
        previousTokenHeads,
        patching: { metric: 'mean logit of the correct next token over the repeated half', direction: 'denoising', heads: patchingJson(heads), positions: patchingJson(positions) },
        circuit: { threshold: CIRCUIT_THRESHOLD, heads: circuit },
        sae: {
          hook: SAE_HOOK,
          architecture: 'topk',
          dIn: sae.sae.cfg.dIn,
          dSae: sae.sae.cfg.dSae,
          k: sae.sae.cfg.k,
          steps: sae.trained.steps,
          rows: sae.rows,
          curve: sae.curve.map((p) => ({ step: p.step, loss: p.loss, mse: p.mse, l0: p.l0, deadFeatures: p.deadFeatures })),
          evaluation: { mse: sae.evaluation.mse, explainedVariance: sae.evaluation.explainedVariance, l0: sae.evaluation.l0, deadFeatures: sae.evaluation.deadFeatures },
          features: sae.features,
        },
        seconds,
        files: ['report.html', 'results.json'],
      };
      const sections: ReportSection[] = [
        {
          title: '1. The model',
          text: [`${described.parameters.toLocaleString('en')} parameters in ${described.nodes} ONNX nodes (opset ${described.opsets.map((o) => o.version).join(', ')}); inputs ${described.inputs.map((i) => `${i.name} ${i.dtype} [${i.shape?.join(', ')}]`).join(', ')}; outputs ${described.outputs.map((o) => `${o.name} [${o.shape?.join(', ')}]`).join(', ')}.`, described.attention.summary],
          table: { header: ['alias', 'shape', 'ONNX value'], rows: described.aliases.filter((a) => !a.name.includes('hook_pattern') && !a.name.includes('hook_z')).map((a) => [a.name, `[${a.shape?.join(', ')}]`, a.value]) },
        },
        {
          title: '2. Attention on repeated sequences',
          text: [`${SCORE_BATCH} sequences [BOS, A, A] with A ${HALF} distinct random tokens; the model predicts the repeated half with ${(acc * 100).toFixed(1)}% accuracy. Induction score: attention from a repeated token to the token after its first occurrence; previous-token score: attention to the position before.`],
          table: { header: ['head', 'previous-token', 'induction', 'role'], rows: headTable(scores) },
          figures: [
            { svg: figures.scores, caption: 'Induction score of every head.' },
            { svg: figures.previous, caption: 'Previous-token score of every head.' },
            { svg: figures.pattern, caption: `Head ${best.l}.${best.h} on sequence 0: the off-diagonal stripe in the second half is induction.` },
          ],
        },
        {
          title: '3. The circuit, by activation patching',
          text: [
            `Clean prompts [BOS, A, A], corrupted [BOS, A′, A] (first half replaced, so nothing repeats). Metric: mean logit of the correct next token over the repeated half — clean ${heads.clean.toFixed(3)}, corrupted ${heads.corrupted.toFixed(3)}. Each cell patches one activation from the clean run into the corrupted run; 1 restores the clean metric, 0 leaves it corrupted.`,
            `Recovered circuit (heads restoring at least ${CIRCUIT_THRESHOLD * 100}% alone): ${circuit.map((c) => `${c.head} (${(c.restored * 100).toFixed(0)}%)`).join(', ') || 'none'}.`,
          ],
          figures: [
            { svg: figures.heads, caption: 'Per head (attn.z): the induction heads carry the behaviour.' },
            { svg: figures.positions, caption: 'Per residual-stream position: before layer 1 the information sits at the repeated tokens.' },
          ],
        },
        {
          title: `4. A sparse autoencoder on ${SAE_HOOK}`,
          text: [
            `TopK SAE, ${sae.sae.cfg.dIn} → ${sae.sae.cfg.dSae} latents, k = ${sae.sae.cfg.k}, ${sae.trained.steps} Adam steps on ${sae.rows} activations (${SAE_BATCH} sequences). Explained variance ${(sae.evaluation.explainedVariance * 100).toFixed(1)}%, MSE ${sae.evaluation.mse.toExponential(2)}, L0 ${sae.evaluation.l0.toFixed(2)}, dead latents ${sae.evaluation.deadFeatures}.`,
          ],
          table: { header: ['latent', 'frequency', 'strongest examples'], rows: sae.features.map((f) => [f.feature, f.frequency.toFixed(3), f.top.map((t) => `${t.label}: ${t.activation.toFixed(2)}`).join('; ')]) },
          figures: [
            { svg: figures.mse, caption: 'Reconstruction error per training step.' },
            { svg: figures.density, caption: 'How often each latent fires, most frequent first (dead latents are left out of the log scale).' },
          ],
        },
      ];
      const summary = [
        `Induction heads found from attention: ${inductionHeads.join(', ') || 'none'}; previous-token heads: ${previousTokenHeads.join(', ') || 'none'}.`,
        `Circuit recovered by activation patching: ${circuit.map((c) => c.head).join(', ') || 'none'}.`,
        `Run on ${model.backend.ep} in ${seconds.toFixed(1)} s by mechint demo.`,
      ];
      const files = context.outputs();
      files.addIn(out, 'report.html', renderReport('mechint demo: the induction circuit of a 2-layer transformer', summary, sections));
      files.addJson(`${out}/results.json`, results);
      files.commit();
      context.say(`wrote ${out}/report.html and ${out}/results.json (${seconds.toFixed(1)} s)`);
      return results;
    } finally {
      await model.dispose();
    }
  },
};
