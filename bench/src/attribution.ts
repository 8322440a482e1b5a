/**
 * @mechint/attribution: integrated gradients with 50 Gauss–Legendre steps (Captum's default)
 * against a torch loop computing the same (tools/attribution/bench_reference.py) — same weights,
 * inputs, targets and thread count, one run:
 *  - the CNN fixture, 8 digits, attributions to the input pixels;
 *  - the GPT-2-small-shaped model, layer integrated gradients at `blocks.0.hook_resid_pre` for the
 *    last position's logit of one token (baseline: token 0 everywhere).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Backend, HookedModel, Tensor, readNpz } from '@mechint/core';
import { integratedGradients, layerIntegratedGradients } from '@mechint/attribution';
import { measure, runPython, timingOf, type Comparison, gpt2Small } from './harness.js';

const root = new URL('../../', import.meta.url).pathname;
const script = join(root, 'tools/attribution/bench_reference.py');
const THREADS = 2;
const SEQ = 8;
const TOKEN = 42;

/** Runs the attribution benchmark and returns its table rows. */
export async function benchmark(runs: number): Promise<Comparison[]> {
  const { onnx: onnxPath, weights: weightsPath } = gpt2Small();
  const backend = await Backend.create({ ep: 'cpu', intraOpNumThreads: THREADS });

  const cnn = await HookedModel.load(join(root, 'packages/core/test/fixtures/cnn.onnx'), { backend });
  const ref = readNpz(readFileSync(join(root, 'packages/core/test/fixtures/cnn.reference.npz')));
  const images = ref['input.images']!;
  const labels = Array.from(ref['input.labels']!.data as BigInt64Array, Number);
  const oursCnn = await measure(() => integratedGradients(cnn, { images }, { target: labels, nSteps: 50 }), { runs });
  const torchCnn = runPython<{ ms: number[] }>(script, ['cnn', String(runs), String(THREADS)]);

  const gpt2 = await HookedModel.load(onnxPath, { backend });
  let seed = 1;
  const ids = Array.from({ length: SEQ }, () => BigInt((seed = (seed * 48271) % 2147483647) % 50257));
  const tokens = Tensor.from(ids, [1, SEQ], 'int64');
  const oursGpt = await measure(() => layerIntegratedGradients(gpt2, { tokens }, { target: [[SEQ - 1, TOKEN]], layer: 'blocks.0.hook_resid_pre', baselines: { tokens: 0 }, nSteps: 50 }), { runs });
  const torchGpt = runPython<{ ms: number[] }>(script, ['gpt2', weightsPath, String(SEQ), String(TOKEN), String(runs), String(THREADS)]);
  await backend.dispose();
  return [
    { benchmark: `IG, 50 Gauss–Legendre steps, CNN fixture, 8 images, ${THREADS} threads`, ours: oursCnn, reference: timingOf(torchCnn.ms), referenceName: 'torch, 400-row batch + autograd' },
    { benchmark: `layer IG at blocks.0.hook_resid_pre, 50 steps, GPT-2 small, 1 × ${SEQ} tokens, ${THREADS} threads`, ours: oursGpt, reference: timingOf(torchGpt.ms), referenceName: 'torch, forward hook + autograd' },
  ];
}
