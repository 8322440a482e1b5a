import { readFileSync } from 'node:fs';
import { HookedModel, Tensor, readNpz } from '@mechint/core';
import { layerActivation, layerConductance, layerIntegratedGradients } from '../src/index.js';
import { cnnReference, codeOf, itemSums, loadCnn, maxAbsDiff, relativeError } from './helpers.js';

const model = await loadCnn();
const { images, labels, ref } = cnnReference();
const coreRef = readNpz(readFileSync(new URL('../../core/test/fixtures/cnn.reference.npz', import.meta.url)));
const gaps = Array.from(ref['f_input']!.data as Float32Array, (f, b) => f - (ref['f_baseline']!.data[b] as number));

describe('layer attributions on the CNN fixture', () => {
  it('layerActivation is the hook point activation', async () => {
    const { attributions } = await layerActivation(model, { images }, { layer: 'conv2.output' });
    expect(maxAbsDiff(attributions, coreRef['act.conv2']!)).toBeLessThan(1e-5);
  });

  it('layerIntegratedGradients matches the 2000-step torch integral within 2% and is complete', async () => {
    const { attributions, delta } = await layerIntegratedGradients(model, { images }, { target: labels, layer: 'conv2.output', returnConvergenceDelta: true });
    expect(relativeError(attributions, ref['lig_conv2_riemann2000']!)).toBeLessThan(0.02);
    itemSums(attributions).forEach((s, b) => expect(Math.abs(s - gaps[b]!)).toBeLessThan(0.01 * Math.abs(gaps[b]!)));
    delta!.forEach((d, b) => expect(Math.abs(d)).toBeLessThan(0.01 * Math.abs(gaps[b]!)));
  });

  it('layerConductance sums over the layer to f(x) − f(0) (every path crosses conv2)', async () => {
    const { attributions } = await layerConductance(model, { images }, { target: labels, layer: 'conv2.output', method: 'riemann_trapezoid', nSteps: 200, internalBatchSize: 100 });
    expect(attributions.shape).toEqual([8, 32, 4, 4]);
    itemSums(attributions).forEach((s, b) => expect(Math.abs(s - gaps[b]!)).toBeLessThan(0.01 * Math.abs(gaps[b]!)));
  });

  it('refuses unknown layers and bad steps', async () => {
    expect(await codeOf(layerIntegratedGradients(model, { images }, { target: labels, layer: 'conv9.output' }))).toBe('UNKNOWN_HOOK');
    expect(await codeOf(layerConductance(model, { images }, { target: labels, layer: 'conv2.output', nSteps: 0 }))).toBe('INVALID_ARGUMENT');
  });
});

describe('layer integrated gradients on token inputs', () => {
  it('attributes a logit to the embedding of a small GPT (tokens repeat per step) and is complete', async () => {
    const gpt = await HookedModel.load(new URL('../../core/test/fixtures/gpt2l.onnx', import.meta.url).pathname);
    const tokens = Tensor.from([[0n, 5n, 9n, 2n, 7n]]);
    const target = [[4, 3]];
    const { attributions, delta } = await layerIntegratedGradients(gpt, { tokens }, { target, layer: 'blocks.0.hook_resid_pre', baselines: { tokens: 0 }, nSteps: 64, returnConvergenceDelta: true });
    expect(attributions.shape).toEqual([1, 5, 64]);
    const logit = async (t: Tensor) => (await gpt.run({ tokens: t }))['logits']!.get(0, 4, 3) as number;
    const gap = (await logit(tokens)) - (await logit(Tensor.from([[0n, 0n, 0n, 0n, 0n]])));
    expect(Math.abs(itemSums(attributions)[0]! - gap)).toBeLessThan(0.01 * Math.max(1, Math.abs(gap)));
    expect(Math.abs(delta![0]!)).toBeLessThan(0.01 * Math.max(1, Math.abs(gap)));
    expect(await codeOf(layerIntegratedGradients(gpt, { tokens }, { target: [[5, 3]], layer: 'blocks.0.hook_resid_pre' }))).toBe('INVALID_ARGUMENT');
  });
});
