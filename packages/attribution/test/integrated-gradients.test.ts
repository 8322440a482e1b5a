import { Tensor } from '@mechint/core';
import { approximation, integratedGradients, type IntegrationMethod } from '../src/index.js';
import { W, cnnReference, codeOf, itemSums, loadCnn, loadLinear, relativeError } from './helpers.js';

const model = await loadCnn();
const { images, labels, ref } = cnnReference();

describe('integrated gradients on the CNN fixture', () => {
  it('gausslegendre, 50 steps: completeness within 1% and the 2000-step torch integral within 2%', async () => {
    const { attributions, delta } = await integratedGradients(model, { images }, { target: labels, baselines: { images: 0 }, nSteps: 50, method: 'gausslegendre', returnConvergenceDelta: true });
    const fx = ref['f_input']!.data as Float32Array;
    const fb = ref['f_baseline']!.data as Float32Array;
    itemSums(attributions['images']!).forEach((s, b) => expect(Math.abs(s - (fx[b]! - fb[b]!))).toBeLessThan(0.01 * Math.abs(fx[b]! - fb[b]!)));
    delta!.forEach((d, b) => expect(Math.abs(d - (itemSums(attributions['images']!)[b]! - (fx[b]! - fb[b]!)))).toBeLessThan(1e-3));
    expect(relativeError(attributions['images']!, ref['ig_riemann2000']!)).toBeLessThan(0.02);
    // The same quadrature in torch agrees to float error.
    expect(relativeError(attributions['images']!, ref['ig_gl50']!)).toBeLessThan(1e-4);
  });

  it('chunks steps by internalBatchSize without changing the result', async () => {
    const whole = await integratedGradients(model, { images }, { target: labels, nSteps: 8 });
    const chunked = await integratedGradients(model, { images }, { target: labels, nSteps: 8, internalBatchSize: 5 });
    expect(relativeError(chunked.attributions['images']!, whole.attributions['images']!)).toBeLessThan(1e-6);
  });

  it('broadcasts a per-item baseline of shape [1, 8, 8]', async () => {
    const half = Tensor.from(new Float32Array(64).fill(0.5), [1, 8, 8]);
    const { attributions, delta } = await integratedGradients(model, { images }, { target: labels, baselines: half, nSteps: 50, returnConvergenceDelta: true });
    const sums = itemSums(attributions['images']!);
    delta!.forEach((d, b) => expect(Math.abs(d)).toBeLessThan(0.01 * Math.max(1, Math.abs(sums[b]!))));
  });
});

describe('integration methods', () => {
  it.each(['riemann_left', 'riemann_right', 'riemann_middle', 'riemann_trapezoid', 'gausslegendre'] as IntegrationMethod[])('%s integrates a linear model exactly', async (method) => {
    const linear = await loadLinear();
    const x = Tensor.from([[1, 2, 3, 4, 5, 6], [-1, 0.5, 0, 2, -2, 1]], [2, 6], 'float32');
    const base = Tensor.from([[0.5, 0, -1, 0, 1, 0]], [1, 6], 'float32');
    const { attributions } = await integratedGradients(linear, { x }, { target: [0, 2], baselines: { x: base }, nSteps: 7, method });
    const got = attributions['x']!.toArray() as number[][];
    [0, 2].forEach((t, b) => W[t]!.forEach((w, j) => expect(got[b]![j]).toBeCloseTo(w * ((x.get(b, j) as number) - (base.get(0, j) as number)), 4)));
  });

  it('uses Captum\'s nodes and weights', () => {
    const left = approximation('riemann_left', 4);
    expect(left.alphas).toEqual([0, 0.25, 0.5, 0.75]);
    const trap = approximation('riemann_trapezoid', 3);
    expect(trap.alphas).toEqual([0, 0.5, 1]);
    expect(trap.weights).toEqual([0.25, 0.5, 0.25]);
    const gl = approximation('gausslegendre', 3);
    // numpy.polynomial.legendre.leggauss(3): nodes ∓√(3/5), 0; weights 5/9, 8/9, 5/9.
    [0.5 * (1 - Math.sqrt(0.6)), 0.5, 0.5 * (1 + Math.sqrt(0.6))].forEach((a, i) => expect(gl.alphas[i]).toBeCloseTo(a, 12));
    [5 / 18, 8 / 18, 5 / 18].forEach((w, i) => expect(gl.weights[i]).toBeCloseTo(w, 12));
    const gl50 = approximation('gausslegendre', 50);
    expect(gl50.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    // ∫₀¹ α⁹⁹ dα = 1/100 exactly for a 50-node rule.
    expect(gl50.alphas.reduce((s, a, i) => s + gl50.weights[i]! * a ** 99, 0)).toBeCloseTo(0.01, 12);
  });

  it('refuses bad arguments before any work', async () => {
    expect(await codeOf(integratedGradients(model, { images }, { target: labels, nSteps: 0 }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(integratedGradients(model, { images }, { target: labels, nSteps: 1, method: 'riemann_trapezoid' }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(integratedGradients(model, { images }, { target: labels, baselines: { images: Tensor.zeros([3, 1, 8, 8]) } }))).toBe('SHAPE_MISMATCH');
    expect(await codeOf(integratedGradients(model, { images }, { target: labels, baselines: { images: Tensor.zeros([8, 8, 8]) } }))).toBe('SHAPE_MISMATCH');
    expect(await codeOf(integratedGradients(model, { images }, { target: labels, internalBatchSize: 0 }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(integratedGradients(model, { images }, { target: labels, baselines: Number.NaN }))).toBe('INVALID_ARGUMENT');
  });
});

describe('progress and cancellation', () => {
  it('reports rows done per session call and stops on an aborted signal', async () => {
    const seen: [number, number][] = [];
    await integratedGradients(model, { images }, { target: labels, nSteps: 4, internalBatchSize: 12, onProgress: (done, total) => seen.push([done, total]) });
    expect(seen).toEqual([[12, 32], [24, 32], [32, 32]]);
    const controller = new AbortController();
    controller.abort();
    expect(await codeOf(integratedGradients(model, { images }, { target: labels, signal: controller.signal }))).toBe('ABORTED');
  });
});
