import { Tensor } from '@mechint/core';
import { inputXGradient, saliency } from '../src/index.js';
import { cnnReference, codeOf, loadCnn, maxAbsDiff } from './helpers.js';

const model = await loadCnn();
const { images, labels, ref } = cnnReference();

describe('saliency and input × gradient on the CNN fixture', () => {
  it('saliency (abs: false) equals the torch autograd gradient', async () => {
    const { attributions } = await saliency(model, { images }, { target: labels, abs: false });
    expect(maxAbsDiff(attributions['images']!, ref['saliency']!)).toBeLessThan(1e-5);
  });

  it('saliency defaults to |gradient|, as Captum', async () => {
    const { attributions } = await saliency(model, { images }, { target: labels });
    const abs = new Tensor('float32', (ref['saliency']!.data as Float32Array).map(Math.abs), ref['saliency']!.shape);
    expect(maxAbsDiff(attributions['images']!, abs)).toBeLessThan(1e-5);
  });

  it('input × gradient equals the torch reference', async () => {
    const { attributions } = await inputXGradient(model, { images }, { target: labels });
    expect(maxAbsDiff(attributions['images']!, ref['input_x_gradient']!)).toBeLessThan(1e-5);
  });

  it('takes a metric function: weights on the output (here the true-class one-hot)', async () => {
    const metric = (logits: Tensor) => Tensor.from(Array.from({ length: logits.size }, (_, i) => (i % 10 === labels[Math.floor(i / 10)] ? 1 : 0)), logits.shape, 'float32');
    const { attributions } = await saliency(model, { images }, { target: metric, abs: false });
    expect(maxAbsDiff(attributions['images']!, ref['saliency']!)).toBeLessThan(1e-5);
  });

  it('refuses bad targets and feeds with coded errors', async () => {
    expect(await codeOf(saliency(model, { images }, { target: [10, 0, 0, 0, 0, 0, 0, 0] }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(saliency(model, { images }, { target: [-1, 0, 0, 0, 0, 0, 0, 0] }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(saliency(model, { images }, { target: [1, 2] }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(saliency(model, { pixels: images }, { target: 0 }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(saliency(model, { images }, { target: () => Tensor.zeros([8, 3]) }))).toBe('SHAPE_MISMATCH');
    expect(await codeOf(saliency(model, { images }, { target: 0, output: 'no.such.hook' }))).toBe('UNKNOWN_HOOK');
  });
});
