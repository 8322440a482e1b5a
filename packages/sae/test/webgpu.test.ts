import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Backend, Tensor, seededNormal } from '@mechint/core';
import { backendOrReason, standInForMissing } from '../../../tools/providers.js';
import { SAETrainer, SparseAutoencoder, buildTrainingGraph, resolveConfig, type Architecture } from '../src/index.js';

/** Training graphs are ordinary ONNX graphs: on WebGPU (SwiftShader here) a step gives the CPU provider's numbers. */
const webgpu = await backendOrReason(() => Backend.create({ ep: 'webgpu' }));

function randn(seed: number, shape: number[], scale = 1): Tensor<'float32'> {
  const r = seededNormal(seed);
  return Tensor.from(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() * scale), shape) as Tensor<'float32'>;
}

if (typeof webgpu === 'string') {
  standInForMissing('webgpu', 'SAE training on WebGPU', webgpu);
} else {
  describe('SAE training on WebGPU', () => {
    afterAll(() => webgpu.dispose());

    it.each<Architecture>(['topk', 'standard', 'jumprelu'])('%s: loss and gradients equal the CPU provider\'s', async (architecture) => {
      const cfg = resolveConfig({ dIn: 8, dSae: 16, architecture, k: 3 });
      const graph = buildTrainingGraph(cfg, { mode: 'gradients' });
      const feeds: Record<string, Tensor> = { x: randn(1, [12, 8]), W_encT: randn(2, [16, 8], 0.4), b_enc: randn(3, [16], 0.1), W_dec: randn(4, [16, 8], 0.4), b_dec: randn(5, [8], 0.1) };
      if (architecture === 'standard') feeds['l1_coefficient'] = Tensor.from([0.5], [1], 'float32');
      if (architecture === 'jumprelu') {
        feeds['log_threshold'] = Tensor.from(new Float32Array(16).fill(Math.log(0.1)), [16], 'float32');
        feeds['l0_coefficient'] = Tensor.from([0.5], [1], 'float32');
      }
      const cpu = await (await (await Backend.create({ ep: 'cpu' })).session(graph.model)).run(feeds);
      const gpu = await (await webgpu.session(graph.model)).run(feeds);
      expect(gpu['loss']!.data[0]).toBeCloseTo(cpu['loss']!.data[0] as number, 4);
      for (const name of graph.params) {
        const [a, b] = [gpu[graph.grads[name]!]!.data, cpu[graph.grads[name]!]!.data];
        for (let i = 0; i < b.length; i++) expect(Math.abs((a[i] as number) - (b[i] as number))).toBeLessThan(1e-4);
      }
    });

    it('SAETrainer runs TopK steps on the webgpu provider', async () => {
      const sae = new SparseAutoencoder({ dIn: 8, dSae: 16, architecture: 'topk', k: 2 });
      const losses: number[] = [];
      await new SAETrainer(sae, { backend: webgpu, batchSize: 32, lr: 1e-2 }).train(randn(6, [64, 8]), { steps: 6, onProgress: (p) => losses.push(p.loss) });
      expect(losses).toHaveLength(6);
      expect(losses[5]).toBeLessThan(losses[0]!);
    });

    it('trains with parameters and Adam moments resident on the device, checkpoints, and ends where the CPU trainer ends', async () => {
      const data = randn(7, [96, 8]);
      const train = async (backend: Backend) => {
        const sae = new SparseAutoencoder({ dIn: 8, dSae: 16, architecture: 'topk', k: 2 });
        const dir = mkdtempSync(join(tmpdir(), 'sae-webgpu-'));
        await new SAETrainer(sae, { backend, batchSize: 32, lr: 1e-2, seed: 3 }).train(data, { steps: 6, checkpoint: { every: 3, dir } });
        return sae.parameters();
      };
      const [gpu, cpu] = [await train(webgpu), await train(await Backend.create({ ep: 'cpu' }))];
      for (const name of ['W_enc', 'b_enc', 'W_dec', 'b_dec'] as const) {
        const [a, b] = [gpu[name].data, cpu[name].data];
        for (let i = 0; i < b.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(1e-4);
      }
    });
  });
}
