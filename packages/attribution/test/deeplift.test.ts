import { Tensor } from '@mechint/core';
import { deepLift, deepLiftShap } from '../src/index.js';
import { W, cnnReference, codeOf, itemSums, loadCnn, loadLinear } from './helpers.js';

const model = await loadCnn();
const { images, labels, ref } = cnnReference();

describe('DeepLIFT (rescale) on the CNN fixture', () => {
  it('sums to f(x) − f(0) to float error (summation-to-delta)', async () => {
    const { attributions, delta } = await deepLift(model, { images }, { target: labels, returnConvergenceDelta: true });
    const fx = ref['f_input']!.data as Float32Array;
    const fb = ref['f_baseline']!.data as Float32Array;
    itemSums(attributions['images']!).forEach((s, b) => expect(Math.abs(s - (fx[b]! - fb[b]!))).toBeLessThan(1e-4 * Math.max(1, Math.abs(fx[b]! - fb[b]!))));
    delta!.forEach((d) => expect(Math.abs(d)).toBeLessThan(1e-4));
  });

  it('sums to delta against a non-zero reference too, chunked', async () => {
    const reference = Tensor.from(Float32Array.from({ length: 64 }, (_, i) => ((i * 37) % 17) / 17), [1, 1, 8, 8]);
    const { delta } = await deepLift(model, { images }, { target: labels, baselines: reference, returnConvergenceDelta: true, internalBatchSize: 6 });
    delta!.forEach((d) => expect(Math.abs(d)).toBeLessThan(1e-4));
  });

  it('is (x − x′) ⊙ W on a linear model', async () => {
    const linear = await loadLinear();
    const x = Tensor.from([[1, 2, 3, 4, 5, 6]], [1, 6], 'float32');
    const { attributions } = await deepLift(linear, { x }, { target: [1] });
    (attributions['x']!.toArray() as number[][])[0]!.forEach((v, j) => expect(v).toBeCloseTo(W[1]![j]! * (j + 1), 5));
  });

  it('DeepLiftShap averages DeepLIFT over the baselines and sums to f(x) − E f(x′)', async () => {
    const refs = Tensor.from(Float32Array.from({ length: 3 * 64 }, (_, i) => ((i * 13) % 11) / 11), [3, 1, 8, 8]);
    const { attributions, delta } = await deepLiftShap(model, { images }, { target: labels, baselines: { images: refs }, returnConvergenceDelta: true });
    delta!.forEach((d) => expect(Math.abs(d)).toBeLessThan(1e-4));
    const single = await Promise.all([0, 1, 2].map((k) => deepLift(model, { images }, { target: labels, baselines: refs.slice([k, k + 1]) })));
    const mean = (attributions['images']!.data as Float32Array).map((_, i) => single.reduce((s, r) => s + (r.attributions['images']!.data[i]! / 3), 0));
    (attributions['images']!.data as Float32Array).forEach((v, i) => expect(Math.abs(v - mean[i]!)).toBeLessThan(1e-5));
  });

  it('refuses bad baselines with coded errors', async () => {
    expect(await codeOf(deepLift(model, { images }, { target: labels, baselines: Tensor.zeros([2, 1, 8, 8]) }))).toBe('SHAPE_MISMATCH');
    expect(await codeOf(deepLiftShap(model, { images }, { target: labels, baselines: { images: Tensor.zeros([0, 1, 8, 8]) } }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(deepLiftShap(model, { images }, { target: labels, baselines: {} }))).toBe('INVALID_ARGUMENT');
  });
});
