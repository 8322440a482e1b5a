/**
 * @mechint/patching: a full layer × position residual-stream sweep (activation patching of every
 * `blocks.L.hook_resid_pre` at every position, denoising, logit-difference metric) on the
 * GPT-2-small-shaped model, in one run:
 *  - batched: every patch of the sweep as per-batch-item interventions, default batch size;
 *  - one session call per patch (`batchSize: 1`), the same compiled variant;
 *  - the torch loop of TransformerLens's `get_act_patch_resid_pre` (one hooked forward per patch),
 *    tools/patching/bench_reference.py, on the same weights, prompt and thread count.
 * The note gives the largest difference between our scores and torch's.
 */
import { join } from 'node:path';
import { Backend, HookedModel, Tensor } from '@mechint/core';
import { activationPatching, logitDiff } from '@mechint/patching';
import { measure, runPython, timingOf, type Comparison, gpt2Small } from './harness.js';

const root = new URL('../../', import.meta.url).pathname;
const script = join(root, 'tools/patching/bench_reference.py');
const THREADS = 2;
const SEQ = 4;
const LAYERS = 12;

/** Runs the patching benchmark and returns its table rows. */
export async function benchmark(runs: number): Promise<Comparison[]> {
  const { onnx: onnxPath, weights: weightsPath } = gpt2Small();
  const backend = await Backend.create({ ep: 'cpu', intraOpNumThreads: THREADS });
  const model = await HookedModel.load(onnxPath, { backend });
  let seed = 1;
  const ids = Array.from({ length: SEQ }, () => BigInt((seed = (seed * 48271) % 2147483647) % 50257));
  const clean = { tokens: Tensor.from(ids, [1, SEQ], 'int64') };
  const corrupted = { tokens: clean.tokens.clone() };
  corrupted.tokens.set(0n, 0, SEQ >> 1);
  const metric = logitDiff({ correct: Number(ids[0]), incorrect: Number(ids[1]) });
  const hooks = Array.from({ length: LAYERS }, (_, l) => `blocks.${l}.hook_resid_pre`);
  const sweep = (batchSize?: number) => activationPatching({ model, clean, corrupted, hooks, metric, granularity: 'position', ...(batchSize === undefined ? {} : { batchSize }) });

  const result = await sweep();
  const batched = await measure(() => sweep(), { runs });
  const single = await measure(() => sweep(1), { runs });
  const torch = runPython<{ ms: number[]; scores: number[][] }>(script, [weightsPath, String(SEQ), String(runs), String(THREADS)]);
  const ours = Array.from(result.scores.data);
  const diff = Math.max(...torch.scores.flat().map((t, i) => Math.abs(t - ours[i]!)));
  await backend.dispose();
  const what = `resid_pre sweep, ${LAYERS} layers × ${SEQ} positions (${LAYERS * SEQ} patches), GPT-2 small, ${THREADS} threads`;
  const note = `largest score difference from torch ${diff.toExponential(1)}`;
  return [
    { benchmark: `${what}, batched`, ours: batched, reference: timingOf(torch.ms), referenceName: 'torch hooks, one forward per patch', note },
    { benchmark: `${what}, one session call per patch`, ours: single, reference: timingOf(torch.ms), referenceName: 'torch hooks, one forward per patch', note },
  ];
}
