import { Backend, HookedModel, Tensor } from '@mechint/core';
import { deepLift, integratedGradients, saliency } from '../src/index.js';
import { backendOrReason, standInForMissing } from '../../../tools/providers.js';
import { cnnReference, itemSums, loadCnn, maxAbsDiff, relativeError } from './helpers.js';

/** The attribution graphs are ordinary ONNX graphs: on WebGPU (SwiftShader here) they give the CPU provider's results. */
const webgpu = await backendOrReason(() => Backend.create({ ep: 'webgpu' }));

if (typeof webgpu === 'string') {
  standInForMissing('webgpu', 'attribution on WebGPU', webgpu);
} else {
  describe('attribution on WebGPU', () => {
    const { images, labels, ref } = cnnReference();
    const small = images.slice([0, 2]);
    const targets = labels.slice(0, 2);

    it('saliency and integrated gradients agree with the CPU provider', async () => {
      const gpu = await loadCnn(webgpu);
      const cpu = await loadCnn(await Backend.create({ ep: 'cpu' }));
      const sal = await saliency(gpu, { images: small }, { target: targets, abs: false });
      expect(maxAbsDiff(sal.attributions['images']!, ref['saliency']!.slice([0, 2]))).toBeLessThan(1e-4);
      const onGpu = await integratedGradients(gpu, { images: small }, { target: targets, nSteps: 8 });
      const onCpu = await integratedGradients(cpu, { images: small }, { target: targets, nSteps: 8 });
      expect(relativeError(onGpu.attributions['images']!, onCpu.attributions['images']!)).toBeLessThan(1e-4);
    });

    it('DeepLIFT (Relu and MaxPool rules) sums to delta on the CNN', async () => {
      const gpu = await loadCnn(webgpu);
      const { delta } = await deepLift(gpu, { images: small }, { target: targets, returnConvergenceDelta: true });
      delta!.forEach((d) => expect(Math.abs(d)).toBeLessThan(1e-3));
    });

    it('DeepLIFT (Relu rescale) sums to delta on the tiny MLP', async () => {
      const gpu = await HookedModel.load(new URL('../../core/test/fixtures/tiny_mlp.onnx', import.meta.url).pathname, { backend: webgpu });
      const logits = gpu.model.graph.nodes.find((n) => n.opType === 'Softmax')!.input[0]!;
      const width = gpu.hookPoint('x').shape!.at(-1) as number;
      const x = Tensor.from(Float32Array.from({ length: 2 * width }, (_, i) => Math.sin(i)), [2, width]);
      const { attributions, delta } = await deepLift(gpu, { x }, { target: [0, 1], output: logits, returnConvergenceDelta: true });
      expect(itemSums(attributions['x']!)).toHaveLength(2);
      delta!.forEach((d) => expect(Math.abs(d)).toBeLessThan(1e-4));
    });
  });
}
