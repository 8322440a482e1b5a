import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MechintError, Tensor, seededNormal, seededRandom } from '@mechint/core';
import { SAETrainer, SparseAutoencoder, latestCheckpoint, type Architecture } from '../src/index.js';
import { refForward } from './reference.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mechint-sae-train-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** n rows, each a sum of `k` of `f` random unit directions in R^d with coefficients in [0.5, 1.5). */
function planted(d: number, f: number, k: number, n: number): { x: Tensor<'float32'>; dirs: Float64Array } {
  const rn = seededNormal(11);
  const ru = seededRandom(12);
  const dirs = new Float64Array(f * d);
  for (let j = 0; j < f; j++) {
    let s = 0;
    for (let i = 0; i < d; i++) s += (dirs[j * d + i] = rn()) ** 2;
    for (let i = 0; i < d; i++) dirs[j * d + i]! /= Math.sqrt(s);
  }
  const x = new Float32Array(n * d);
  for (let r = 0; r < n; r++) {
    const used = new Set<number>();
    while (used.size < k) used.add(Math.floor(ru() * f));
    for (const j of used) {
      const c = 0.5 + ru();
      for (let i = 0; i < d; i++) x[r * d + i]! += c * dirs[j * d + i]!;
    }
  }
  return { x: Tensor.from(x, [n, d]) as Tensor<'float32'>, dirs };
}

/** For each planted direction, the best |cosine| with a decoder row; their mean. */
function meanMaxCosine(W: Float32Array, dSae: number, dirs: Float64Array, d: number): number {
  const f = dirs.length / d;
  let total = 0;
  for (let j = 0; j < f; j++) {
    let best = -1;
    for (let r = 0; r < dSae; r++) {
      let dot = 0;
      let sq = 0;
      for (let i = 0; i < d; i++) {
        dot += W[r * d + i]! * dirs[j * d + i]!;
        sq += W[r * d + i]! ** 2;
      }
      best = Math.max(best, dot / Math.sqrt(sq));
    }
    total += best;
  }
  return total / f;
}

describe('planted features', () => {
  it.each<[Architecture, number, number]>([
    ['topk', 600, 3e-3],
    ['batchtopk', 600, 3e-3],
  ])('%s recovers 48 planted directions in R^32 (mean max cosine ≥ 0.9)', async (architecture, steps, lr) => {
    const { x, dirs } = planted(32, 48, 3, 16384);
    const sae = new SparseAutoencoder({ dIn: 32, dSae: 96, architecture, k: 3, seed: 3 });
    const before = meanMaxCosine(sae.W_dec.data, 96, dirs, 32);
    const result = await new SAETrainer(sae, { batchSize: 256, lr }).train(x, { steps });
    expect(result.steps).toBe(steps);
    expect(before).toBeLessThan(0.7);
    expect(meanMaxCosine(sae.W_dec.data, 96, dirs, 32)).toBeGreaterThanOrEqual(0.9);
  });
});

describe('checkpoints', () => {
  const data = planted(8, 12, 2, 512).x;
  const make = () => new SparseAutoencoder({ dIn: 8, dSae: 24, architecture: 'topk', k: 2, seed: 1 });
  const options = { batchSize: 64, lr: 1e-2, lrWarmUpSteps: 3, lrDecaySteps: 4, deadFeatureWindow: 2 };

  it('an aborted run throws ABORTED, leaves its last checkpoint intact, and resumes exactly (bit for bit)', async () => {
    const straight = make();
    await new SAETrainer(straight, options).train(data, { steps: 12, checkpoint: { dir: join(dir, 'straight'), every: 4, keep: 5 } });
    expect(readdirSync(join(dir, 'straight'))).toEqual(['step_000000004', 'step_000000008', 'step_000000012']);

    const folder = join(dir, 'interrupted');
    const controller = new AbortController();
    const run = new SAETrainer(make(), options).train(data, {
      steps: 12,
      signal: controller.signal,
      checkpoint: { dir: folder, every: 4 },
      onProgress: (p) => {
        if (p.step === 6) controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ code: 'ABORTED' });
    mkdirSync(join(folder, '.tmp-step_000000008-1')); // what a crash while writing would leave
    const last = await latestCheckpoint(folder);
    expect(last).toMatch(/step_000000004$/);
    for (const file of ['cfg.json', 'sae_weights.safetensors', 'trainer_state.safetensors', 'trainer_state.json']) {
      expect(readFileSync(join(last!, file))).toEqual(readFileSync(join(dir, 'straight', 'step_000000004', file)));
    }

    const resumed = make();
    const result = await new SAETrainer(resumed, options).train(data, { steps: 12, resumeFrom: last! });
    expect(result.steps).toBe(12);
    expect(result.rows).toBe(12 * 64);
    for (const key of ['W_enc', 'b_enc', 'W_dec', 'b_dec'] as const) expect(Array.from(resumed[key].data)).toEqual(Array.from(straight[key].data));
  });
});

describe('training behaviour', () => {
  it('keeps TopK decoder rows at unit norm and reports progress every step', async () => {
    const sae = new SparseAutoencoder({ dIn: 8, dSae: 16, architecture: 'topk', k: 2 });
    const seen: number[] = [];
    await new SAETrainer(sae, { batchSize: 32, lr: 1e-2 }).train(planted(8, 10, 2, 256).x, { steps: 5, onProgress: (p) => seen.push(p.step) });
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    for (let r = 0; r < 16; r++) expect(Math.hypot(...sae.W_dec.data.slice(r * 8, r * 8 + 8))).toBeCloseTo(1, 5);
  });

  it('learning rate: linear warm-up, then linear decay to lr / 10 over the last steps', async () => {
    const lrs: number[] = [];
    const sae = new SparseAutoencoder({ dIn: 8, dSae: 16, architecture: 'topk', k: 2 });
    await new SAETrainer(sae, { batchSize: 32, lr: 0.01, lrWarmUpSteps: 4, lrDecaySteps: 5 }).train(planted(8, 10, 2, 64).x, { steps: 12, onProgress: (p) => lrs.push(p.lr) });
    const expected = [0.0025, 0.005, 0.0075, 0.01, 0.01, 0.01, 0.01, 0.01 - 0.009 / 5, 0.01 - 0.018 / 5, 0.01 - 0.027 / 5, 0.01 - 0.036 / 5, 0.001];
    lrs.forEach((lr, i) => expect(lr).toBeCloseTo(expected[i]!, 12));
  });

  it('resamples a dead latent towards a badly reconstructed input (Anthropic 2023)', async () => {
    const x = planted(8, 10, 2, 64).x;
    const start = new SparseAutoencoder({ dIn: 8, dSae: 16, architecture: 'standard', seed: 5 });
    const p = start.parameters();
    const bEnc = new Float32Array(p.b_enc.data);
    bEnc[3] = -1000; // latent 3 can never fire
    const sae = new SparseAutoencoder({ dIn: 8, dSae: 16, architecture: 'standard', seed: 5 }, { ...p, b_enc: Tensor.from(bEnc, [16]) as Tensor<'float32'> });
    const resampled: number[] = [];
    await new SAETrainer(sae, { batchSize: 64, lr: 1e-3, resampleDeadEvery: 5 }).train(x, { steps: 5, onProgress: (q) => resampled.push(q.resampled) });
    expect(resampled.slice(0, 4)).toEqual([0, 0, 0, 0]);
    expect(resampled[4]).toBeGreaterThanOrEqual(1);
    expect(sae.b_enc.data[3]).toBe(0);
    const row = sae.W_dec.data.slice(3 * 8, 4 * 8);
    expect(Math.hypot(...row)).toBeCloseTo(1, 5);
    // the new direction is one of the inputs minus b_dec
    const best = Math.max(
      ...Array.from({ length: 64 }, (_, r) => {
        const v = Array.from({ length: 8 }, (_, i) => x.data[r * 8 + i]! - sae.b_dec.data[i]!);
        return v.reduce((a, vi, i) => a + vi * row[i]!, 0) / Math.hypot(...v);
      }),
    );
    expect(best).toBeCloseTo(1, 5);
    const enc = Array.from({ length: 8 }, (_, i) => sae.W_enc.data[i * 16 + 3]!);
    expect(enc.reduce((a, e, i) => a + e * row[i]!, 0) / Math.hypot(...enc)).toBeCloseTo(1, 5);
  });

  it('L1 warm-up: the first step uses l1Coefficient / l1WarmUpSteps (standard SAE, float64 reference)', async () => {
    const x = planted(6, 8, 2, 32).x;
    const sae = new SparseAutoencoder({ dIn: 6, dSae: 12, architecture: 'standard', seed: 9 });
    const p = sae.parameters();
    const encT = new Float64Array(12 * 6);
    for (let i = 0; i < 6; i++) for (let j = 0; j < 12; j++) encT[j * 6 + i] = p.W_enc.data[i * 12 + j]!;
    const setup = { arch: 'standard' as const, dIn: 6, dSae: 12, k: 1, widths: [12], x: Float64Array.from(x.data), n: 32, l1: 2 / 4, l0: 0, bandwidth: 0 };
    const ref = refForward(setup, { W_encT: encT, b_enc: Float64Array.from(p.b_enc.data), W_dec: Float64Array.from(p.W_dec.data), b_dec: Float64Array.from(p.b_dec.data) });
    const extras: number[] = [];
    // one batch = every row (in a shuffled order: the loss is a mean over rows, so the order does not matter)
    await new SAETrainer(sae, { batchSize: 32, lr: 1e-3, l1Coefficient: 2, l1WarmUpSteps: 4 }).train(x, { steps: 1, onProgress: (q) => extras.push(q.extra) });
    expect(extras[0]).toBeCloseTo(ref.extra, 4);
  });

  it('mean and geometric-median b_dec initialisation', async () => {
    const x = Tensor.from([[0, 0], [1, 0], [0, 1], [10, 10]], [4, 2], 'float32');
    const mean = new SparseAutoencoder({ dIn: 2, dSae: 4, architecture: 'topk', k: 1 });
    await new SAETrainer(mean, { batchSize: 4, lr: 1e-12, bDecInit: 'mean' }).train(x, { steps: 1 });
    expect(Array.from(mean.b_dec.data).map((v) => +v.toFixed(4))).toEqual([2.75, 2.75]);
    const median = new SparseAutoencoder({ dIn: 2, dSae: 4, architecture: 'topk', k: 1 });
    await new SAETrainer(median, { batchSize: 4, lr: 1e-12, bDecInit: 'geometric_median' }).train(x, { steps: 1 });
    // The geometric median minimises Σ‖xᵢ − y‖ (a convex cost); by symmetry it lies on the diagonal,
    // so it must beat its neighbours along the diagonal.
    const [a, b] = Array.from(median.b_dec.data);
    expect(a).toBeCloseTo(b!, 4);
    const cost = (t: number) => Math.hypot(t, t) + 2 * Math.hypot(t - 1, t) + Math.hypot(10 - t, 10 - t);
    for (const t of [a! - 0.01, a! + 0.01]) expect(cost(t)).toBeGreaterThan(cost(a!));
  });

  it('streams: an AsyncIterable of chunks trains like the same rows in order', async () => {
    const rows = planted(8, 10, 2, 64).x;
    async function* chunks() {
      for (let i = 0; i < 64; i += 24) yield Tensor.from(rows.data.slice(i * 8, Math.min(64, i + 24) * 8), [Math.min(24, 64 - i), 8]);
    }
    const sae = new SparseAutoencoder({ dIn: 8, dSae: 16, architecture: 'topk', k: 2 });
    const result = await new SAETrainer(sae, { batchSize: 16 }).train(chunks(), { steps: 100 });
    expect(result.steps).toBe(4);
    expect(result.rows).toBe(64);
  });
});

describe('bad input', () => {
  const sae = () => new SparseAutoencoder({ dIn: 4, dSae: 8, architecture: 'topk', k: 2 });
  const codeOf = async (p: Promise<unknown>): Promise<string> => p.then(() => 'resolved', (e: unknown) => (MechintError.isInstance(e) ? e.code : String(e)));

  it('activations of the wrong width → SHAPE_MISMATCH; NaN → INVALID_ARGUMENT naming the row', async () => {
    await expect(codeOf(new SAETrainer(sae()).train(Tensor.zeros([10, 5]), { steps: 1 }))).resolves.toBe('SHAPE_MISMATCH');
    const bad = Tensor.zeros([10, 4]);
    bad.data[13] = NaN;
    await expect(new SAETrainer(sae()).train(bad, { steps: 1 })).rejects.toThrow(/NaN or infinite value at row 3/);
    async function* stream() {
      yield Tensor.zeros([4, 4]);
      yield bad;
    }
    await expect(codeOf(new SAETrainer(sae(), { batchSize: 8 }).train(stream(), { steps: 2 }))).resolves.toBe('INVALID_ARGUMENT');
  });

  it('bad options and configurations → INVALID_ARGUMENT before any work', async () => {
    await expect(codeOf(new SAETrainer(sae()).train(Tensor.zeros([4, 4]), { steps: -1 }))).resolves.toBe('INVALID_ARGUMENT');
    expect(() => new SAETrainer(sae(), { lr: -1 })).toThrow(MechintError);
    expect(() => new SparseAutoencoder({ dIn: 4, dSae: 8, architecture: 'topk', k: 9 })).toThrow(/k \(9\) cannot exceed dSae/);
    expect(() => new SparseAutoencoder({ dIn: 0, dSae: 8 })).toThrow(/dIn must be a positive integer/);
    expect(() => new SparseAutoencoder({ dIn: 4, dSae: 8, architecture: 'gated' as Architecture })).toThrow(/Unknown architecture/);
    expect(() => new SparseAutoencoder({ dIn: 4, dSae: 8, architecture: 'matryoshka', matryoshkaWidths: [4, 2, 8] })).toThrow(/must increase/);
    const aborted = new AbortController();
    aborted.abort();
    await expect(codeOf(new SAETrainer(sae()).train(Tensor.zeros([4, 4]), { steps: 1, signal: aborted.signal }))).resolves.toBe('ABORTED');
  });

  it('encode with the wrong width → SHAPE_MISMATCH', async () => {
    await expect(codeOf(sae().encode(Tensor.zeros([2, 3])))).resolves.toBe('SHAPE_MISMATCH');
  });
});
