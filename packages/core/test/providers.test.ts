import { Tensor, type Backend, type DeviceTensor } from '../src/index.node.js';
import { accumulator } from './helpers/accumulator.js';
import { closeness } from './helpers/compare.js';
import { modelBytes, reference, referenceFeeds, type FixtureModel } from './helpers/fixtures.js';
import { standInForMissing } from '../../../tools/providers.js';
import { tryBackend } from './helpers/providers.js';

/**
 * The same models on another execution provider must agree with the CPU provider to 1e-4
 * (relative). WebGPU runs on SwiftShader where there is no GPU, ~300× slower than the CPU: small
 * models only. A provider this machine lacks skips its tests, with the reason in their names.
 */
const cpu = await tryBackend('cpu');

async function agreement(backend: Backend, model: FixtureModel): Promise<number> {
  const bytes = modelBytes(model);
  const session = await backend.session(bytes);
  const feeds = referenceFeeds(model, session.inputNames);
  const ours = await session.run(feeds);
  const theirs = await (await (cpu as Backend).session(bytes)).run(feeds);
  return Math.max(...Object.keys(theirs).map((name) => closeness(ours[name]!, theirs[name]!, 1e-4, 1e-6)));
}

for (const ep of ['webgpu', 'cuda'] as const) {
  const backend = await tryBackend(ep);
  if (typeof backend === 'string') {
    describe(`${ep} execution provider`, () => standInForMissing(ep, `the ${ep} execution provider`, backend));
    continue;
  }
  describe(`${ep} execution provider`, () => {
    it.each(['tiny_mlp', 'cnn', 'gpt2l'] as const)('agrees with the CPU provider on %s to 1e-4', async (model) => {
      expect(await agreement(backend, model)).toBeLessThanOrEqual(1);
    });

    it(ep === 'webgpu' ? 'keeps deviceOutputs in GPU buffers across runs and reads them back' : 'returns deviceOutputs on the host', async () => {
      const session = await backend.session(accumulator(5), { deviceOutputs: ['next'] });
      const step = Tensor.from([1, -2, 0.5, 4, 8]);
      let state: Tensor | DeviceTensor = Tensor.zeros([5]);
      for (let k = 0; k < 3; k++) {
        const { device } = await session.runResident({ state, step });
        expect(device['next']!.location).toBe(ep === 'webgpu' ? 'gpu-buffer' : 'cpu');
        state = device['next']!;
      }
      expect((await (state as DeviceTensor).toHost()).toArray()).toEqual([3, -6, 1.5, 12, 24]);
      expect((await session.run({ state, step }))['next']!.toArray()).toEqual([4, -8, 2, 16, 32]);
    });

    it('matches torch on the CNN reference batch', async () => {
      const session = await backend.session(modelBytes('cnn'));
      const out = await session.run(referenceFeeds('cnn', session.inputNames));
      expect(closeness(out['logits']!, reference('cnn')['output.logits']!, 1e-4, 1e-4)).toBeLessThanOrEqual(1);
    });
  });
}
