/**
 * HookedModel on a GPT-2-small-shaped model (12 layers, d_model 768, 12 heads, vocab 50257,
 * random weights): a plain run, and `runWithCache` of every residual-stream hook, against torch
 * with forward hooks caching the same values — same weights, inputs and thread count, one run.
 */
import { join } from 'node:path';
import { Backend, HookedModel, Tensor } from '@mechint/core';
import { measure, runPython, timingOf, type Comparison, gpt2Small } from './harness.js';

const root = new URL('../../', import.meta.url).pathname;
const BATCH = 1;
const SEQ = 128;
const THREADS = 2;

interface TorchHooksResult {
  plain_ms: number[];
  cache_resid_ms: number[];
  cache_resid_numpy_ms: number[];
}

/** Runs the hooks benchmark and returns its table rows. */
export async function benchmark(runs: number): Promise<Comparison[]> {
  const { onnx: onnxPath, weights: weightsPath } = gpt2Small();
  const backend = await Backend.create({ ep: 'cpu', intraOpNumThreads: THREADS });
  const model = await HookedModel.load(onnxPath, { backend });
  let seed = 1;
  const ids = Array.from({ length: BATCH * SEQ }, () => BigInt((seed = (seed * 48271) % 2147483647) % 50257));
  const tokens = Tensor.from(ids, [BATCH, SEQ], 'int64');
  const residual = /^blocks\.\d+\.hook_resid_(pre|mid|post)$/;
  const plain = await measure(() => model.run({ tokens }), { runs });
  const cached = await measure(() => model.runWithCache({ tokens }, { hooks: [residual, 'ln_final.output'] }), { runs });
  const torch = runPython<TorchHooksResult>(join(root, 'tools/bench-models/hooks_baseline.py'), [weightsPath, String(BATCH), String(SEQ), String(runs), String(THREADS)]);
  const label = `GPT-2 small, batch ${BATCH} × ${SEQ} tokens, ${THREADS} threads`;
  await model.dispose();
  return [
    { benchmark: `plain run, ${label}`, ours: plain, reference: timingOf(torch.plain_ms), referenceName: 'torch forward' },
    { benchmark: `cache every residual hook (37 tensors), ${label}`, ours: cached, reference: timingOf(torch.cache_resid_ms), referenceName: 'torch forward hooks (.detach)' },
    { benchmark: `same, cache as host arrays`, ours: cached, reference: timingOf(torch.cache_resid_numpy_ms), referenceName: 'torch hooks + .numpy()' },
    { benchmark: `runWithCache / plain run (ours; goal ≤ 1.3)`, ours: cached, reference: plain, referenceName: '@mechint plain run' },
  ];
}
