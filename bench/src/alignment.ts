/**
 * @mechint/alignment on model-sized activations, against numpy / scipy on the same float32 data in
 * one run: linear CKA and CCA between two 10 000 × 768 matrices, and correlation RDMs of 1 000
 * conditions × 768 channels compared by Spearman RSA. Both sides use the same thread count.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cca, cka, rdm, rsa, type CcaResult } from '@mechint/alignment';
import { Backend, Tensor, writeNpy } from '@mechint/core';
import { measure, peakMemoryMiB, runPython, timingOf, type Comparison } from './harness.js';

const root = new URL('../../', import.meta.url).pathname;
const folder = join(root, 'bench/.cache/alignment');
const SAMPLES = 10_000;
const FEATURES = 768;
const CONDITIONS = 1_000;
const THREADS = 2;

interface ReferenceResult {
  cka_ms: number[];
  cka: number;
  cca_ms: number[];
  cca_mean: number;
  cca_first: number;
  /** ‖first column of weightsX‖, a sign-free check that the weights agree. */
  cca_weight_norm: number;
  rsa_ms: number[];
  rsa: number;
}

/** Seeded activations with shared structure: y mixes x through a random map, plus noise. */
function activations(): { x: Tensor<'float32'>; y: Tensor<'float32'>; px: Tensor<'float32'>; py: Tensor<'float32'> } {
  let seed = 12345;
  const next = () => (seed = (seed * 48271) % 2147483647) / 2147483647 - 0.5;
  const make = (rows: number) => {
    const x = new Float32Array(rows * FEATURES).map(next);
    const y = new Float32Array(rows * FEATURES);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < FEATURES; j++) y[i * FEATURES + j] = x[i * FEATURES + ((j * 7) % FEATURES)]! * 0.8 + x[i * FEATURES + ((j + 1) % FEATURES)]! * 0.3 + next();
    }
    return [new Tensor('float32', x, [rows, FEATURES]), new Tensor('float32', y, [rows, FEATURES])] as const;
  };
  const [x, y] = make(SAMPLES);
  const [px, py] = make(CONDITIONS);
  return { x, y, px, py };
}

/** Runs the alignment benchmark and returns its table rows. */
export async function benchmark(runs: number): Promise<Comparison[]> {
  const { x, y, px, py } = activations();
  mkdirSync(folder, { recursive: true });
  for (const [name, t] of Object.entries({ x, y, px, py })) writeFileSync(join(folder, `${name}.npy`), writeNpy(t));
  const backend = await Backend.create({ ep: 'cpu', intraOpNumThreads: THREADS });

  let ckaValue = 0;
  const ckaTiming = await measure(async () => (ckaValue = await cka(x, y, { backend })), { runs });
  let ccaValue: CcaResult | undefined;
  const ccaTiming = await measure(async () => (ccaValue = await cca(x, y, { backend })), { runs });
  let rsaValue = 0;
  const rsaTiming = await measure(async () => (rsaValue = rsa(await rdm(px, { backend }), await rdm(py, { backend }))), { runs });
  const memory = peakMemoryMiB();

  const reference = runPython<ReferenceResult>(join(root, 'tools/alignment/bench_reference.py'), [folder, String(runs), String(THREADS)]);
  const { correlations, weightsX } = ccaValue!;
  const ccaMean = correlations.reduce((s, v) => s + v, 0) / correlations.length;
  let weightNorm = 0;
  for (let i = 0; i < FEATURES; i++) weightNorm += weightsX.data[i * FEATURES]! ** 2;
  const gap = (a: number, b: number) => Math.abs(a - b).toExponential(1);
  const label = `${SAMPLES} × ${FEATURES} float32, ${THREADS} threads`;
  return [
    {
      benchmark: `linear CKA, ${label}`,
      ours: ckaTiming,
      reference: timingOf(reference.cka_ms),
      referenceName: 'numpy (Kornblith feature_space_linear_cka)',
      note: `CKA ${ckaValue.toFixed(6)}, |Δ| ${gap(ckaValue, reference.cka)}`,
    },
    {
      benchmark: `CCA (all ${FEATURES} correlations + weights), ${label}`,
      ours: ccaTiming,
      reference: timingOf(reference.cca_ms),
      referenceName: 'numpy QR + SVD + triangular solves (correlations + weights)',
      note: `mean ρ ${ccaMean.toFixed(6)}, |Δ mean| ${gap(ccaMean, reference.cca_mean)}, |Δ ρ₁| ${gap(correlations[0]!, reference.cca_first)}, ‖w₁‖ rel. |Δ| ${gap(Math.sqrt(weightNorm) / reference.cca_weight_norm, 1)}`,
    },
    {
      benchmark: `2 correlation RDMs (${CONDITIONS} conditions × ${FEATURES}) + Spearman RSA`,
      ours: rsaTiming,
      reference: timingOf(reference.rsa_ms),
      referenceName: 'scipy pdist + spearmanr',
      note: `ρ ${rsaValue.toFixed(6)}, |Δ| ${gap(rsaValue, reference.rsa)}; our peak RSS ${memory.toFixed(0)} MiB`,
    },
  ];
}
