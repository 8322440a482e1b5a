import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tensor, seededNormal } from '@mechint/core';
import { SAETrainer, SparseAutoencoder, loadSae, saveSae } from '../src/index.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mechint-sae-norm-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const d = 8;
const n = 256;
const batchSize = 64;

/** n rows in R^d far from unit scale: an offset plus Gaussian noise of varying size, times 10. */
function rows(seed: number): Tensor<'float32'> {
  const r = seededNormal(seed);
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const size = 0.5 + (i % 7) / 3;
    for (let j = 0; j < d; j++) x[i * d + j] = 10 * (0.3 * j + size * r());
  }
  return Tensor.from(x, [n, d]) as Tensor<'float32'>;
}

/** Mean Euclidean row norm of `data` times `scale`, in float64. */
function meanNorm(data: Float32Array, scale = 1): number {
  let total = 0;
  for (let i = 0; i < data.length / d; i++) total += Math.hypot(...Array.from(data.subarray(i * d, (i + 1) * d), (v) => v * scale));
  return (total * d) / data.length;
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number): void {
  expect(actual.length).toBe(expected.length);
  const scale = Math.max(1e-3, ...Array.from(expected, Math.abs));
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThanOrEqual(tol * scale);
}

const make = () => new SparseAutoencoder({ dIn: d, dSae: 24, architecture: 'topk', k: 3, seed: 2, hookName: 'blocks.0.hook_resid_post' });

describe("expected_average_only_in (SAELens's estimate_norm_scaling_factor and fold_activation_norm_scaling_factor)", () => {
  const x = rows(7);
  // normEstimateBatches × batchSize = n: the estimate reads the first epoch, every row once.
  const options = { batchSize, lr: 3e-3, normalizeActivations: 'expected_average_only_in' as const, normEstimateBatches: n / batchSize };

  it('estimates s = √d_in / mean‖x‖, so the scaled data have mean norm √d_in', async () => {
    const result = await new SAETrainer(make(), options).train(x, { steps: 3 });
    const s = result.normScalingFactor!;
    expect(meanNorm(x.data)).toBeGreaterThan(10 * Math.sqrt(d)); // far from √d: s matters
    expect(Math.abs(s - Math.sqrt(d) / meanNorm(x.data)) / s).toBeLessThan(1e-5);
    expect(Math.abs(meanNorm(x.data, s) - Math.sqrt(d))).toBeLessThan(1e-5 * Math.sqrt(d));
  });

  it('the saved SAE is folded: on raw activations it gives the unfolded SAE\'s codes for s·x and 1/s its reconstruction', async () => {
    const sae = make();
    const result = await new SAETrainer(sae, options).train(x, { steps: 20, checkpoint: { dir: join(dir, 'fold'), every: 20 } });
    const s = result.normScalingFactor!;
    // the checkpoint keeps the unfolded weights, which read scaled activations
    const unfolded = await loadSae(result.checkpoint!);
    expect(unfolded.cfg.normalizeActivations).toBe('expected_average_only_in');
    expect(sae.cfg.normalizeActivations).toBe('none');
    await saveSae(sae, join(dir, 'folded'));
    expect(JSON.parse(readFileSync(join(dir, 'folded', 'cfg.json'), 'utf8'))).toMatchObject({ normalize_activations: 'none' });
    const folded = await loadSae(join(dir, 'folded'));

    // closed form of the fold: W_enc·s, W_dec/s, b_dec/s, b_enc unchanged
    expectClose(folded.W_enc.data, Array.from(unfolded.W_enc.data, (v) => v * s), 1e-6);
    expectClose(folded.W_dec.data, Array.from(unfolded.W_dec.data, (v) => v / s), 1e-6);
    expectClose(folded.b_dec.data, Array.from(unfolded.b_dec.data, (v) => v / s), 1e-6);
    expect(Array.from(folded.b_enc.data)).toEqual(Array.from(unfolded.b_enc.data));

    const scaled = Tensor.from(Float32Array.from(x.data, (v) => v * s), [n, d]);
    const raw = await folded.forward(x);
    const ref = await unfolded.forward(scaled);
    expectClose(raw.acts.data, ref.acts.data, 1e-4);
    expectClose(raw.reconstruction.data, Array.from(ref.reconstruction.data, (v) => v / s), 1e-4);
    // and the fold is no identity: the unfolded SAE reads raw activations differently
    const wrong = await unfolded.forward(x);
    expect(Math.max(...Array.from(wrong.reconstruction.data, (v, i) => Math.abs(v - raw.reconstruction.data[i]!)))).toBeGreaterThan(1);
  });

  it('trains on s·x: equal to training on pre-scaled data with normalisation none, then folding', async () => {
    // a stream: the estimate uses up the first pass (n rows), training reads the second
    async function* twice(data: Tensor<'float32'>) {
      yield data;
      yield data;
    }
    const viaOption = make();
    const result = await new SAETrainer(viaOption, { ...options, lr: 1e-2 }).train(twice(x), { steps: 4 });
    const s = result.normScalingFactor!;
    const scaled = Tensor.from(Float32Array.from(x.data, (v) => Math.fround(v * Math.fround(s))), [n, d]) as Tensor<'float32'>;
    async function* once() {
      yield scaled;
    }
    const byHand = make();
    await new SAETrainer(byHand, { batchSize, lr: 1e-2 }).train(once(), { steps: 4 });
    await byHand.foldActivationNormScalingFactor(s);
    for (const key of ['W_enc', 'b_enc', 'W_dec', 'b_dec'] as const) expectClose(viaOption[key].data, byHand[key].data, 1e-5);
  });

  it('resumes with the factor from the checkpoint, without estimating again', async () => {
    const straight = make();
    const full = await new SAETrainer(straight, options).train(x, { steps: 6, checkpoint: { dir: join(dir, 'resume'), every: 3, keep: 5 } });
    const resumed = make();
    const again = await new SAETrainer(resumed, options).train(x, { steps: 6, resumeFrom: join(dir, 'resume', 'step_000000003') });
    expect(again.normScalingFactor).toBe(full.normScalingFactor);
    expect(again.rows).toBe(full.rows);
    for (const key of ['W_enc', 'b_enc', 'W_dec', 'b_dec'] as const) expect(Array.from(resumed[key].data)).toEqual(Array.from(straight[key].data));
  });
});

describe('run-time normalisation in training', () => {
  it.each(['constant_norm_rescale', 'layer_norm'] as const)('%s: the trainer records it in the SAE and the reconstruction error falls', async (mode) => {
    const sae = make();
    const mses: number[] = [];
    await new SAETrainer(sae, { batchSize, lr: 1e-2, normalizeActivations: mode }).train(rows(3), { steps: 60, onProgress: (p) => mses.push(p.mse) });
    expect(sae.cfg.normalizeActivations).toBe(mode);
    expect(mses[59]!).toBeLessThan(0.5 * mses[0]!);
  });
});

describe('bad options', () => {
  it('an unknown normalizeActivations or a bad normEstimateBatches → INVALID_ARGUMENT listing what is accepted', () => {
    expect(() => new SAETrainer(make(), { normalizeActivations: 'unit_norm' as never })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/'unit_norm'.*none, expected_average_only_in, constant_norm_rescale, layer_norm/) }),
    );
    expect(() => new SAETrainer(make(), { normEstimateBatches: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => new SAETrainer(make(), { normEstimateBatches: 1.5 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('a non-positive scaling factor to fold → INVALID_ARGUMENT', async () => {
    await expect(make().foldActivationNormScalingFactor(0)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(make().foldActivationNormScalingFactor(Number.NaN)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('no data to estimate the factor from → INVALID_ARGUMENT', async () => {
    async function* empty(): AsyncIterable<Tensor> {}
    await expect(new SAETrainer(make(), { batchSize, normalizeActivations: 'expected_average_only_in' }).train(empty(), { steps: 1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
