import { Backend, Tensor, seededNormal } from '@mechint/core';
import { buildTrainingGraph, resolveConfig, type Architecture, type ParamName } from '../src/index.js';
import { refForward, refGradient, refJumpReluThresholdGrad, type RefParams, type RefSetup } from './reference.js';

const dIn = 4;
const dSae = 6;
const n = 5;
const k = 2;
let backend: Backend;

beforeAll(async () => {
  backend = await Backend.create({ ep: 'cpu' });
});
afterAll(async () => {
  await backend.dispose();
});

/** Float64 values that are exactly float32, so the graph and the reference start from the same numbers. */
function randomF32(seed: number, length: number, scale: number): Float64Array {
  const r = seededNormal(seed);
  return Float64Array.from(Float32Array.from({ length }, () => r() * scale));
}

function setup(arch: Architecture, aux?: RefSetup['aux']): { s: RefSetup; p: RefParams } {
  const p: RefParams = { W_encT: randomF32(1, dSae * dIn, 0.6), b_enc: randomF32(2, dSae, 0.1), W_dec: randomF32(3, dSae * dIn, 0.6), b_dec: randomF32(4, dIn, 0.1) };
  const s: RefSetup = { arch, dIn, dSae, k, widths: [2, 4, 6], x: randomF32(5, n * dIn, 1), n, l1: 0.7, l0: 0.3, bandwidth: 0.6, ...(aux === undefined ? {} : { aux }) };
  if (arch === 'jumprelu') {
    // thresholds near the middle of the pre-activations, so the straight-through kernel is exercised
    p.log_threshold = Float64Array.from(Float32Array.from({ length: dSae }, (_, j) => Math.log(0.2 + 0.1 * j)));
  }
  return { s, p };
}

function f32(a: Float64Array, shape: number[]): Tensor<'float32'> {
  return Tensor.from(Float32Array.from(a), shape) as Tensor<'float32'>;
}

function feedsOf(s: RefSetup, p: RefParams): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {
    x: f32(s.x, [n, dIn]),
    W_encT: f32(p.W_encT, [dSae, dIn]),
    b_enc: f32(p.b_enc, [dSae]),
    W_dec: f32(p.W_dec, [dSae, dIn]),
    b_dec: f32(p.b_dec, [dIn]),
  };
  if (p.log_threshold !== undefined) feeds['log_threshold'] = f32(p.log_threshold, [dSae]);
  if (s.arch === 'standard') feeds['l1_coefficient'] = f32(Float64Array.of(s.l1), [1]);
  if (s.arch === 'jumprelu') feeds['l0_coefficient'] = f32(Float64Array.of(s.l0), [1]);
  if (s.aux !== undefined) {
    feeds['dead'] = Tensor.from(s.aux.dead.map((d) => (d ? 1 : 0)), [dSae], 'float32');
    feeds['k_aux'] = Tensor.from([BigInt(s.aux.kAux)], [1], 'int64');
    feeds['aux_scale'] = f32(Float64Array.of(s.aux.scale), [1]);
  }
  return feeds;
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number): void {
  expect(actual.length).toBe(expected.length);
  const scale = Math.max(1e-3, ...Array.from(expected, Math.abs));
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThanOrEqual(tol * scale);
}

const cases: [string, Architecture, RefSetup['aux']?][] = [
  ['standard (decoder-norm-weighted L1)', 'standard'],
  ['topk', 'topk'],
  ['topk with AuxK', 'topk', { dead: [false, true, true, false, true, true], kAux: 2, scale: 1 }],
  ['batchtopk', 'batchtopk'],
  ['jumprelu (straight-through threshold)', 'jumprelu'],
  ['matryoshka', 'matryoshka'],
];

describe.each(cases)('%s: forward, loss and gradients equal a float64 reference', (_, arch, aux) => {
  it('matches loss terms, activation counts and every parameter gradient', async () => {
    const { s, p } = setup(arch, aux);
    const cfg = resolveConfig({ dIn, dSae, architecture: arch, k, matryoshkaWidths: s.widths });
    const graph = buildTrainingGraph(cfg, { mode: 'gradients', auxK: aux !== undefined, bandwidth: s.bandwidth });
    const session = await backend.session(graph.model);
    const out = await session.run(feedsOf(s, p));
    const ref = refForward(s, p);
    if (aux !== undefined) s.aux = { ...aux, residual: Float64Array.from(s.x, (v, i) => v - ref.recon[i]!) };
    expect(out['loss']!.data[0]).toBeCloseTo(ref.loss, 4);
    expect(out['mse']!.data[0]).toBeCloseTo(ref.mse, 4);
    expect(out['extra']!.data[0]).toBeCloseTo(ref.extra, 4);
    const fired = Array.from({ length: dSae }, (_, j) => Array.from({ length: n }, (_, r) => (ref.acts[r * dSae + j]! > 0 ? 1 : 0)).reduce<number>((a, b) => a + b, 0));
    expect(Array.from(out['fired']!.data as Float32Array)).toEqual(fired);
    for (const name of graph.params) {
      const expected = name === 'log_threshold' ? refJumpReluThresholdGrad(s, p) : refGradient(s, p, name as keyof RefParams);
      expectClose(out[graph.grads[name as ParamName]!]!.data as Float32Array, expected, 2e-4);
    }
    if (arch === 'jumprelu') expect(refJumpReluThresholdGrad(s, p).some((v) => v !== 0)).toBe(true);
  });
});

const normalized: [string, Architecture, 'constant_norm_rescale' | 'layer_norm', RefSetup['aux']?][] = [
  ['standard, constant_norm_rescale', 'standard', 'constant_norm_rescale'],
  ['topk with AuxK, layer_norm', 'topk', 'layer_norm', { dead: [false, true, true, false, true, true], kAux: 2, scale: 1 }],
  ['topk with AuxK, constant_norm_rescale', 'topk', 'constant_norm_rescale', { dead: [true, true, false, false, true, true], kAux: 3, scale: 0.5 }],
  ['batchtopk, layer_norm', 'batchtopk', 'layer_norm'],
  ['matryoshka, constant_norm_rescale', 'matryoshka', 'constant_norm_rescale'],
];

describe.each(normalized)('%s: SAELens run-time normalisation in training equals the float64 reference', (_, arch, normalize, aux) => {
  it('matches the loss (MSE against the raw input) and every parameter gradient', async () => {
    const { s, p } = setup(arch, aux);
    s.normalize = normalize;
    const cfg = resolveConfig({ dIn, dSae, architecture: arch, k, matryoshkaWidths: s.widths, normalizeActivations: normalize });
    const graph = buildTrainingGraph(cfg, { mode: 'gradients', auxK: aux !== undefined });
    const out = await (await backend.session(graph.model)).run(feedsOf(s, p));
    const ref = refForward(s, p);
    if (aux !== undefined) s.aux = { ...aux, residual: Float64Array.from(s.x, (v, i) => v - ref.recon[i]!) };
    expect(out['loss']!.data[0]).toBeCloseTo(ref.loss, 4);
    expect(out['mse']!.data[0]).toBeCloseTo(ref.mse, 4);
    // without the normalisation the loss differs: the check can fail
    const { normalize: _normalize, aux: _aux, ...plain } = s;
    expect(Math.abs(refForward(plain, p).mse - ref.mse)).toBeGreaterThan(1e-3);
    for (const name of graph.params) expectClose(out[graph.grads[name as ParamName]!]!.data as Float32Array, refGradient(s, p, name as keyof RefParams), 2e-4);
  });
});

describe('Adam step', () => {
  it.each<[Architecture, boolean]>([
    ['topk', true],
    ['standard', false],
  ])('%s: the update equals torch.optim.Adam\'s formula (decoder renormalised: %s)', async (arch, normalize) => {
    const { s, p } = setup(arch);
    const cfg = resolveConfig({ dIn, dSae, architecture: arch, k });
    const gradGraph = buildTrainingGraph(cfg, { mode: 'gradients' });
    const stepGraph = buildTrainingGraph(cfg, { mode: 'step', normalizeDecoder: normalize });
    const feeds = feedsOf(s, p);
    const grads = await (await backend.session(gradGraph.model)).run(feeds);
    const [lr, b1, b2, eps, t] = [1e-2, 0.9, 0.999, 1e-8, 3];
    const moments: Record<string, Tensor> = {};
    stepGraph.params.forEach((name, i) => {
      const len = feeds[name]!.data.length;
      const shape = [...feeds[name]!.shape];
      moments[`m_${name}`] = f32(randomF32(10 + i, len, 0.1), shape);
      moments[`v_${name}`] = f32(Float64Array.from(randomF32(20 + i, len, 0.1), Math.abs), shape);
    });
    const out = await (await backend.session(stepGraph.model)).run({
      ...feeds,
      ...moments,
      step_size: f32(Float64Array.of(lr / (1 - b1 ** t)), [1]),
      sqrt_bc2: f32(Float64Array.of(Math.sqrt(1 - b2 ** t)), [1]),
    });
    for (const name of stepGraph.params) {
      const g = grads[gradGraph.grads[name]!]!.data as Float32Array;
      const p0 = feeds[name]!.data as Float32Array;
      const m0 = moments[`m_${name}`]!.data as Float32Array;
      const v0 = moments[`v_${name}`]!.data as Float32Array;
      const m = Array.from(g, (gi, i) => b1 * m0[i]! + (1 - b1) * gi);
      const v = Array.from(g, (gi, i) => b2 * v0[i]! + (1 - b2) * gi * gi);
      // torch: p -= lr / (1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
      let updated = Array.from(p0, (pi, i) => pi - (lr / (1 - b1 ** t)) * (m[i]! / (Math.sqrt(v[i]!) / Math.sqrt(1 - b2 ** t) + eps)));
      if (name === 'W_dec' && normalize) {
        updated = updated.map((val, i) => {
          const row = Math.floor(i / dIn);
          return val / Math.hypot(...updated.slice(row * dIn, (row + 1) * dIn));
        });
      }
      expectClose(out[`m_${name}__new`]!.data as Float32Array, m, 1e-5);
      expectClose(out[`v_${name}__new`]!.data as Float32Array, v, 1e-5);
      expectClose(out[`${name}__new`]!.data as Float32Array, updated, 1e-5);
    }
  });
});
