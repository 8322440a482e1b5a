/**
 * @mechint/sae: training throughput of a TopK SAE (d_in 512 → d_sae 8192, k 32, batch 4096, Adam,
 * unit-norm decoder) on the CPU provider against a torch training loop doing the same
 * (tools/sae/bench_reference.py, SAELens's TopK training step) — same activations, same initial
 * weights, same thread count, one run. Each timed run is STEPS training steps.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tensor, seededNormal, writeNpy, writeNpz } from '@mechint/core';
import { SAETrainer, SparseAutoencoder } from '@mechint/sae';
import { measure, peakMemoryMiB, runPython, timingOf, type Comparison } from './harness.js';

const root = new URL('../../', import.meta.url).pathname;
const cache = join(root, 'bench/.cache');
const script = join(root, 'tools/sae/bench_reference.py');
const THREADS = 2;
const [D_IN, D_SAE, K, BATCH, STEPS, LR] = [512, 8192, 32, 4096, 4, 4e-4];
const ROWS = 8 * BATCH;

/** Activations with some structure: sparse sums of 2048 random directions plus noise, seeded. */
function activations(): Tensor<'float32'> {
  const randn = seededNormal(42);
  const dirs = Float32Array.from({ length: 2048 * D_IN }, () => randn() / Math.sqrt(D_IN));
  const x = new Float32Array(ROWS * D_IN);
  let state = 7;
  const next = () => (state = (state * 48271) % 2147483647) / 2147483647;
  for (let r = 0; r < ROWS; r++) {
    const row = x.subarray(r * D_IN, (r + 1) * D_IN);
    for (let i = 0; i < D_IN; i++) row[i] = 0.1 * randn();
    for (let j = 0; j < 24; j++) {
      const f = Math.floor(next() * 2048);
      const c = 3 * next();
      for (let i = 0; i < D_IN; i++) row[i]! += c * dirs[f * D_IN + i]!;
    }
  }
  return Tensor.from(x, [ROWS, D_IN]) as Tensor<'float32'>;
}

/** Runs the SAE benchmark and returns its table row. */
export async function benchmark(runs: number): Promise<Comparison[]> {
  mkdirSync(cache, { recursive: true });
  const x = activations();
  const sae = new SparseAutoencoder({ dIn: D_IN, dSae: D_SAE, architecture: 'topk', k: K, seed: 1 });
  const dataPath = join(cache, 'sae-activations.npy');
  const initPath = join(cache, 'sae-init.npz');
  writeFileSync(dataPath, writeNpy(x));
  writeFileSync(initPath, writeNpz({ W_enc: sae.W_enc, b_enc: sae.b_enc, W_dec: sae.W_dec, b_dec: sae.b_dec }));
  const torch = runPython<{ ms: number[]; peakMiB: number; loss: number }>(script, [dataPath, initPath, String(K), String(BATCH), String(STEPS), String(runs), String(THREADS), String(LR)]);

  const trainer = new SAETrainer(sae, { batchSize: BATCH, lr: LR, intraOpNumThreads: THREADS, ep: 'cpu' });
  let loss = NaN;
  const ours = await measure(async () => {
    loss = (await trainer.train(x, { steps: STEPS })).loss;
  }, { runs });
  const perSecond = (ms: number) => ((STEPS * BATCH) / (ms / 1000)).toFixed(0);
  return [
    {
      benchmark: `TopK SAE training, d_in ${D_IN} → d_sae ${D_SAE}, k ${K}, batch ${BATCH}, ${STEPS} steps/run, ${THREADS} threads`,
      ours,
      reference: timingOf(torch.ms),
      referenceName: 'torch 1.13 loop (dense TopK code, autograd, Adam)',
      note: `activations/s: ours ${perSecond(ours.median)}, torch ${perSecond(median(torch.ms))}; peak RSS: ours ${peakMemoryMiB().toFixed(0)} MiB (whole bench process), torch ${torch.peakMiB.toFixed(0)} MiB; last loss: ours ${loss.toFixed(2)}, torch ${torch.loss.toFixed(2)}`,
    },
  ];
}

function median(values: readonly number[]): number {
  return timingOf(values).median;
}
