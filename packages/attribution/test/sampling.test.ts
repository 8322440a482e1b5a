import { Tensor } from '@mechint/core';
import { gradientShap, saliency, smoothGrad } from '../src/index.js';
import { W, cnnReference, codeOf, loadCnn, loadLinear, maxAbsDiff } from './helpers.js';

const model = await loadCnn();
const { images, labels } = cnnReference();

describe('SmoothGrad (noise tunnel)', () => {
  it('is saliency when the noise is zero, and vargrad is then zero', async () => {
    const plain = await saliency(model, { images }, { target: labels });
    const smooth = await smoothGrad(model, { images }, { target: labels, stdevs: 0, nSamples: 3 });
    expect(maxAbsDiff(smooth.attributions['images']!, plain.attributions['images']!)).toBeLessThan(1e-6);
    const varGrad = await smoothGrad(model, { images }, { target: labels, stdevs: 0, nSamples: 3, ntType: 'vargrad' });
    expect(Math.max(...(varGrad.attributions['images']!.data as Float32Array).map(Math.abs))).toBeLessThan(1e-6);
  });

  it('averages the gradients of noisy copies (linear model: the weights)', async () => {
    const linear = await loadLinear();
    const x = Tensor.from([[1, 2, 3, 4, 5, 6]], [1, 6], 'float32');
    const { attributions } = await smoothGrad(linear, { x }, { target: [2], abs: false, nSamples: 7, stdevs: 0.5 });
    (attributions['x']!.toArray() as number[][])[0]!.forEach((v, j) => expect(v).toBeCloseTo(W[2]![j]!, 5));
    expect(await codeOf(smoothGrad(linear, { x }, { target: [2], nSamples: 0 }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(smoothGrad(linear, { x }, { target: [2], stdevs: -1 }))).toBe('INVALID_ARGUMENT');
  });
});

describe('GradientSHAP', () => {
  it('is W ⊙ (x − x′) on a linear model with one baseline', async () => {
    const linear = await loadLinear();
    const x = Tensor.from([[1, 2, 3, 4, 5, 6]], [1, 6], 'float32');
    const base = Tensor.from([[0.5, 0, -1, 0, 1, 0]], [1, 6], 'float32');
    const { attributions } = await gradientShap(linear, { x }, { target: [0], baselines: { x: base }, nSamples: 9 });
    (attributions['x']!.toArray() as number[][])[0]!.forEach((v, j) => expect(v).toBeCloseTo(W[0]![j]! * ((j + 1) - (base.get(0, j) as number)), 4));
  });

  it('approaches the integrated gradients of the mean baseline on the CNN (expected gradients)', async () => {
    const { attributions } = await gradientShap(model, { images: images.slice([0, 2]) }, { target: labels.slice(0, 2), baselines: { images: Tensor.zeros([1, 1, 8, 8]) }, nSamples: 400 });
    const sums = [0, 1].map((b) => (attributions['images']!.data as Float32Array).subarray(b * 64, (b + 1) * 64).reduce((s, v) => s + v, 0));
    const { ref } = cnnReference();
    // Monte Carlo over α: completeness holds in expectation (within a few percent at 400 samples).
    sums.forEach((s, b) => {
      const gap = (ref['f_input']!.data[b] as number) - (ref['f_baseline']!.data[b] as number);
      expect(Math.abs(s - gap)).toBeLessThan(0.1 * Math.abs(gap));
    });
  });
});
