import { Backend, Tensor, decodeModel, denseFromRows, gradients } from '../src/index.node.js';
import { closeness } from './helpers/compare.js';
import { modelBytes, reference } from './helpers/fixtures.js';
import { standInForMissing } from '../../../tools/providers.js';
import { tryBackend } from './helpers/providers.js';

/**
 * Gradient graphs are ordinary ONNX graphs: on WebGPU (SwiftShader where there is no GPU) they
 * give the CPU provider's results.
 */
const webgpu = await tryBackend('webgpu');
const cpu = await Backend.create({ ep: 'cpu' });

if (typeof webgpu === 'string') {
  standInForMissing('webgpu', 'gradients on WebGPU', webgpu);
} else {
  describe('gradients on WebGPU', () => {
    it.each([
      ['cnn', 'logits', ['images', 'conv1.weight', 'fc.bias']],
      ['gpt2l', 'logits', ['embed.weight', 'blocks.1.attn.W_Q.weight', '/blocks.0/Add_1_output_0']],
    ] as const)('agree with the CPU provider on %s', async (name, of, wrt) => {
      const ref = reference(name);
      const { model, grads, seedInput } = gradients(decodeModel(modelBytes(name)), { of, wrt, seed: 'input' });
      const input = name === 'cnn' ? { images: ref['input.images']! } : { tokens: ref['input.tokens']! };
      const seed = name === 'cnn' ? Tensor.from(new Float32Array(80).fill(0.1), [8, 10]) : ref['grad.logits']!;
      const feeds = { ...input, [seedInput!]: seed };
      const onCpu = await (await cpu.session(model)).run(feeds);
      const onGpu = await (await webgpu.session(model)).run(feeds);
      for (const w of wrt) expect(closeness(onGpu[grads[w]!]!, onCpu[grads[w]!]!, 1e-4, 1e-6)).toBeLessThanOrEqual(1);
    });

    it('agree with the CPU provider on an embedding table’s row gradients (rowSparse)', async () => {
      const ref = reference('gpt2l');
      const { model, rows, seedInput } = gradients(decodeModel(modelBytes('gpt2l')), { of: 'logits', wrt: ['embed.weight'], seed: 'input', rowSparse: true });
      const feeds = { tokens: ref['input.tokens']!, [seedInput!]: ref['grad.logits']! };
      const { indices, values, shape } = rows['embed.weight']!;
      const dense = async (backend: Backend) => {
        const out = await (await backend.session(model)).run(feeds);
        return denseFromRows(out[indices]!, out[values]!, shape);
      };
      expect(closeness(await dense(webgpu), await dense(cpu), 1e-4, 1e-6)).toBeLessThanOrEqual(1);
    });
  });
}
