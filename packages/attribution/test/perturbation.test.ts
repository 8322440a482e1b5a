import { Tensor } from '@mechint/core';
import { featureAblation, kernelShap, occlusion } from '../src/index.js';
import { W, cnnReference, codeOf, loadCnn, loadLinear } from './helpers.js';

const linear = await loadLinear();
const x = Tensor.from([[1, 2, 3, 4, 5, 6], [-1, 0.5, 0, 2, -2, 1]], [2, 6], 'float32');
const base = Tensor.from([[0.5, 0, -1, 0, 1, 0]], [1, 6], 'float32');
/** Shapley value of feature j for target t on the linear model: W[t][j] (x_j − x′_j). */
const shapley = (b: number, t: number, j: number) => W[t]![j]! * ((x.get(b, j) as number) - (base.get(0, j) as number));

describe('Kernel SHAP', () => {
  it('recovers the exact Shapley values of a linear model (every coalition)', async () => {
    const { attributions } = await kernelShap(linear, { x }, { target: [0, 2], baselines: { x: base }, nSamples: 64 });
    const got = attributions['x']!.toArray() as number[][];
    [0, 2].forEach((t, b) => W[t]!.forEach((_, j) => expect(got[b]![j]).toBeCloseTo(shapley(b, t, j), 4)));
  });

  it('recovers them from Captum-style sampled coalitions too, with feature groups', async () => {
    const mask = Tensor.from([[0, 0, 1, 1, 2, 3]], [1, 6], 'int64');
    const { attributions } = await kernelShap(linear, { x }, { target: [1, 1], baselines: { x: base }, featureMask: { x: mask }, nSamples: 12, seed: 3 });
    const got = attributions['x']!.toArray() as number[][];
    const groups = [[0, 1], [2, 3], [4], [5]];
    for (let b = 0; b < 2; b++) groups.forEach((g) => g.forEach((j) => expect(got[b]![j]).toBeCloseTo(g.reduce((s, k) => s + shapley(b, 1, k), 0), 4)));
  });

  it('refuses empty masks and tiny budgets', async () => {
    expect(await codeOf(kernelShap(linear, { x }, { target: 0, featureMask: { x: Tensor.zeros([0]) } }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(kernelShap(linear, { x }, { target: 0, nSamples: 1 }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(kernelShap(linear, { x }, { target: 0, featureMask: { x: Tensor.zeros([2, 6], 'int64') } }))).toBe('SHAPE_MISMATCH');
  });
});

describe('feature ablation and occlusion', () => {
  it('feature ablation is f(x) − f(x with the feature at baseline)', async () => {
    const { attributions } = await featureAblation(linear, { x }, { target: [0, 2], baselines: { x: base } });
    const got = attributions['x']!.toArray() as number[][];
    [0, 2].forEach((t, b) => W[t]!.forEach((_, j) => expect(got[b]![j]).toBeCloseTo(shapley(b, t, j), 4)));
  });

  it('occlusion averages the windows covering each element', async () => {
    const { attributions } = await occlusion(linear, { x }, { target: [0, 0], slidingWindowShapes: { x: [2] } });
    const got = attributions['x']!.toArray() as number[][];
    const window = (b: number, s: number) => W[0]![s]! * (x.get(b, s) as number) + W[0]![s + 1]! * (x.get(b, s + 1) as number);
    for (let b = 0; b < 2; b++) {
      for (let j = 0; j < 6; j++) {
        const covering = [j - 1, j].filter((s) => s >= 0 && s <= 4);
        expect(got[b]![j]).toBeCloseTo(covering.reduce((a, s) => a + window(b, s), 0) / covering.length, 4);
      }
    }
  });

  it('occludes 2×2 patches of the CNN digits in batched calls', async () => {
    const model = await loadCnn();
    const { images, labels } = cnnReference();
    const { attributions } = await occlusion(model, { images }, { target: labels, slidingWindowShapes: { images: [1, 2, 2] }, strides: { images: [1, 2, 2] } });
    expect(attributions['images']!.shape).toEqual([8, 1, 8, 8]);
    expect(await codeOf(occlusion(model, { images }, { target: labels, slidingWindowShapes: { images: [1, 9, 2] } }))).toBe('INVALID_ARGUMENT');
  });
});
