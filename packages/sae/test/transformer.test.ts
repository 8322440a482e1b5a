import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HookedModel, MechintError, Tensor, seededRandom } from '@mechint/core';
import {
  ActivationStore,
  MultiLayerSAETrainer,
  SAETrainer,
  SparseAutoencoder,
  ceLossRecovered,
  clampFeatureHook,
  evaluateSae,
  featureActivations,
  readShards,
  steeringIntervention,
  topActivatingExamples,
} from '../src/index.js';

const HOOK = 'blocks.0.hook_resid_post';
let model: HookedModel;
let sae: SparseAutoencoder;
let trainSeconds: number;
let dir: string;
let xTrain: Tensor<'float32'>;
const rand = seededRandom(7);

/** Induction sequences as the fixture was trained on: BOS, 10 distinct tokens from 1..23, the same 10 again. */
function sequences(count: number): Tensor {
  const out: bigint[] = [];
  for (let b = 0; b < count; b++) {
    const toks: number[] = [];
    while (toks.length < 10) {
      const t = 1 + Math.floor(rand() * 23);
      if (!toks.includes(t)) toks.push(t);
    }
    out.push(...[0, ...toks, ...toks].map(BigInt));
  }
  return Tensor.from(out, [count, 21], 'int64');
}

async function collect(stream: AsyncIterable<Tensor>): Promise<Tensor<'float32'>> {
  const parts: Tensor[] = [];
  for await (const c of stream) parts.push(c);
  const all = new Float32Array(parts.reduce((s, c) => s + c.data.length, 0));
  let offset = 0;
  for (const c of parts) {
    all.set(c.data as Float32Array, offset);
    offset += c.data.length;
  }
  return Tensor.from(all, [all.length / 64, 64]) as Tensor<'float32'>;
}

/** Mean next-token cross-entropy of logits [b, s, v] against tokens [b, s], in float64 JavaScript. */
function crossEntropy(logits: Tensor, tokens: Tensor): number {
  const [b, s, v] = logits.shape as [number, number, number];
  let total = 0;
  for (let i = 0; i < b; i++) {
    for (let p = 0; p < s - 1; p++) {
      const row = Array.from(logits.data.slice((i * s + p) * v, (i * s + p + 1) * v) as Float32Array);
      const max = Math.max(...row);
      const lse = max + Math.log(row.reduce((a, x) => a + Math.exp(x - max), 0));
      total += lse - row[Number(tokens.data[i * s + p + 1])]!;
    }
  }
  return total / (b * (s - 1));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mechint-sae-tf-'));
  model = await HookedModel.load(new URL('../../core/test/fixtures/gpt2l.onnx', import.meta.url).pathname);
  const dataset = Array.from({ length: 64 }, () => ({ tokens: sequences(16) }));
  const store = new ActivationStore(model, { hooks: [HOOK], dataset, bufferRows: 4096, chunkRows: 1024, cacheDir: join(dir, 'acts'), dIn: { [HOOK]: 64 } });
  const x = await collect(store.hook(HOOK));
  xTrain = x;
  expect(x.shape).toEqual([64 * 16 * 21, 64]);
  sae = new SparseAutoencoder({ dIn: 64, dSae: 256, architecture: 'topk', k: 8, hookName: HOOK });
  const start = performance.now();
  await new SAETrainer(sae, { batchSize: 256, lr: 3e-3 }).train(x, { steps: 300 });
  trainSeconds = (performance.now() - start) / 1000;
}, 120_000);
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await model.dispose();
});

describe('TopK SAE on the fixture transformer (blocks.0.hook_resid_post, 21 504 activations)', () => {
  it('reaches FVE ≥ 0.9 on held-out sequences with L0 = 8 in 300 steps, within 60 s', async () => {
    const { cache } = await model.runWithCache({ tokens: sequences(32) }, { hooks: [HOOK] });
    const metrics = await evaluateSae(sae, cache.get(HOOK).reshape([-1, 64]));
    expect(metrics.fractionVarianceExplained).toBeGreaterThanOrEqual(0.9);
    expect(metrics.l0).toBeGreaterThan(7.9);
    expect(metrics.l0).toBeLessThanOrEqual(8);
    expect(trainSeconds).toBeLessThan(60);
    expect(metrics.densityHistogram.counts.reduce((a, b) => a + b, 0)).toBe(256);
  });

  it('CE loss recovered: spliced / clean / zero-ablated cross-entropies equal a JavaScript recomputation', async () => {
    const tokens = sequences(8);
    const result = await ceLossRecovered(model, sae, { tokens });
    const clean = crossEntropy((await model.run({ tokens }))['logits']!, tokens);
    const { cache } = await model.runWithCache({ tokens }, { hooks: [HOOK] });
    const recon = (await sae.forward(cache.get(HOOK).reshape([-1, 64]))).reconstruction.reshape([8, 21, 64]);
    const spliced = crossEntropy((await model.run({ tokens }, { interventions: [{ hook: HOOK, op: 'set', value: recon }] }))['logits']!, tokens);
    const zero = crossEntropy((await model.run({ tokens }, { interventions: [{ hook: HOOK, op: 'set', value: Tensor.zeros([8, 21, 64]) }] }))['logits']!, tokens);
    expect(result.clean).toBeCloseTo(clean, 4);
    expect(result.spliced).toBeCloseTo(spliced, 4);
    expect(result.zeroAblated).toBeCloseTo(zero, 4);
    expect(result.recovered).toBeCloseTo((zero - spliced) / (zero - clean), 4);
    expect(result.recovered).toBeGreaterThan(0.8);
  });

  it('feature activations, top examples, steering and clamping act on the hook as defined', async () => {
    const tokens = sequences(4);
    const acts = await featureActivations(model, sae, { tokens });
    expect(acts.shape).toEqual([4, 21, 256]);
    let best = { f: 0, a: -1 };
    for (let i = 0; i < acts.data.length; i++) if (acts.data[i]! > best.a) best = { f: i % 256, a: acts.data[i]! };
    const examples = await topActivatingExamples(model, sae, [{ tokens }], { feature: best.f, k: 3, context: 2 });
    expect(examples[0]!.activation).toBeCloseTo(best.a, 5);
    expect(examples.map((e) => e.activation)).toEqual([...examples.map((e) => e.activation)].sort((a, b) => b - a));

    const clean = (await model.runWithCache({ tokens }, { hooks: [HOOK] })).cache.get(HOOK).data as Float32Array;
    const steered = (await model.runWithCache({ tokens }, { hooks: [HOOK], interventions: [steeringIntervention(sae, best.f, 3)] })).cache.get(HOOK);
    const dir = sae.W_dec.data.slice(best.f * 64, best.f * 64 + 64);
    for (let i = 0; i < 64 * 3; i++) expect(steered.data[i]).toBeCloseTo(clean[i]! + 3 * dir[i % 64]!, 4);

    const clamped = (await model.runWithCache({ tokens }, { hooks: [HOOK], functions: { [HOOK]: clampFeatureHook(sae, best.f, 5) } })).cache.get(HOOK);
    for (let r = 0; r < 6; r++) {
      const a = acts.data[r * 256 + best.f]!;
      for (let i = 0; i < 64; i++) expect(clamped.data[r * 64 + i]).toBeCloseTo(clean[r * 64 + i]! + (5 - a) * dir[i]!, 3);
    }
  });

  it('wrote every forward pass as .npy shards that read back to the same rows', async () => {
    const shards = await collect(readShards(join(dir, 'acts'), HOOK));
    expect(shards.shape).toEqual([64 * 16 * 21, 64]);
    // the shards are in forward-pass order; the store's output is the same rows shuffled
    const sum = (t: Tensor) => Array.from(t.data as Float32Array).reduce((a, b) => a + b, 0);
    expect(sum(shards)).toBeCloseTo(sum(xTrain), 0);
  });
});

describe('several hooks from the same forward passes', () => {
  it('MultiLayerSAETrainer trains one SAE per hook', async () => {
    const multi = new MultiLayerSAETrainer({ model, hooks: [HOOK, 'blocks.1.hook_resid_post'], dSae: 128, architecture: 'topk', k: 8, trainer: { batchSize: 128, lr: 3e-3 } });
    const dataset = Array.from({ length: 16 }, () => ({ tokens: sequences(8) }));
    const first: Record<string, number> = {};
    const results = await multi.train(dataset, { steps: 10, onProgress: (hook, p) => void (first[hook] ??= p.mse) });
    expect(results[HOOK]!.steps).toBe(10);
    expect(results['blocks.1.hook_resid_post']!.steps).toBe(10);
    expect(multi.saes['blocks.1.hook_resid_post']!.cfg.hookName).toBe('blocks.1.hook_resid_post');
    for (const hook of [HOOK, 'blocks.1.hook_resid_post']) expect(results[hook]!.mse).toBeLessThan(first[hook]!);
  });
});

describe('bad input at the model', () => {
  it('an SAE whose dIn does not match the hook width → SHAPE_MISMATCH; an unknown hook → UNKNOWN_HOOK', async () => {
    const narrow = new SparseAutoencoder({ dIn: 32, dSae: 64, hookName: HOOK });
    await expect(ceLossRecovered(model, narrow, { tokens: sequences(1) })).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
    expect(() => new ActivationStore(model, { hooks: [HOOK], dataset: [], dIn: { [HOOK]: 32 } })).toThrow(MechintError);
    const lost = new SparseAutoencoder({ dIn: 64, dSae: 64, hookName: 'blocks.7.hook_resid_post' });
    await expect(featureActivations(model, lost, { tokens: sequences(1) })).rejects.toMatchObject({ code: 'UNKNOWN_HOOK' });
  });
});
