import { Backend, GraphBuilder, Tensor } from '@mechint/core';
import { buildSpikingLayer, emitLeaky, fastSigmoid } from '../src/index.js';
import { expectCode, fixture } from './helpers.js';

describe('spiking layers as ONNX graphs (snnTorch Leaky)', () => {
  const x = fixture('leaky_x');
  const steps = x.shape[0]!;

  it.each([
    ['subtract', false],
    ['zero', false],
    ['subtract', true],
  ] as const)('Linear → Leaky (%s reset, recurrent %s) matches the snnTorch-convention reference', async (resetMode, recurrent) => {
    const model = buildSpikingLayer({
      steps,
      weights: fixture('leaky_w'),
      beta: 0.8,
      resetMode,
      ...(recurrent ? { recurrentWeights: fixture('leaky_v') } : {}),
    });
    const session = await (await Backend.create({ ep: 'cpu' })).session(model);
    const { spikes, membrane } = await session.run({ x });
    const name = recurrent ? 'recurrent' : resetMode;
    expect(Array.from(spikes!.data as Float32Array)).toEqual(Array.from(fixture(`leaky_${name}_spikes`).data as Float32Array));
    const mem = fixture(`leaky_${name}_mem`).data as Float32Array;
    (membrane!.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(mem[i]!, 4));
  });

  it('records the surrogate and the per-step spike values for the backward pass', () => {
    const g = new GraphBuilder();
    const current = g.input('current', 'float32', [5, 'batch', 2]);
    const layer = emitLeaky(g, current, { beta: 0.9, surrogate: fastSigmoid() });
    expect(layer.spikeSteps).toHaveLength(5);
    expect(layer.surrogate.name).toBe('fastSigmoid(slope=25)');
    expect(emitLeaky(g, current, { beta: 0.9 }).surrogate.name).toBe('arctan(alpha=2)');
  });

  it('rejects bad input', () => {
    const g = new GraphBuilder();
    expectCode(() => emitLeaky(g, g.input('a', 'float32', ['T', 1, 2]), { beta: 0.9 }), 'SHAPE_MISMATCH', /T and n known numbers/);
    expectCode(() => emitLeaky(g, g.input('b', 'float32', [3, 1, 2]), { beta: 1.5 }), 'INVALID_ARGUMENT', /beta = exp\(-dt \/ tau\)/);
    expectCode(() => buildSpikingLayer({ steps: 3, weights: Tensor.from([1, 2]), beta: 0.5 }), 'SHAPE_MISMATCH', /outFeatures, inFeatures/);
    expectCode(() => buildSpikingLayer({ steps: 3, weights: Tensor.from([[1, 2]]), recurrentWeights: Tensor.from([[1, 2]]), beta: 0.5 }), 'SHAPE_MISMATCH', /\[1, 1\]/);
    expectCode(() => buildSpikingLayer({ steps: 0, weights: Tensor.from([[1]]), beta: 0.5 }), 'INVALID_ARGUMENT', /steps/);
    expectCode(() => buildSpikingLayer({ steps: 2, weights: Tensor.from([[Number.NaN]]), beta: 0.5 }), 'INVALID_ARGUMENT', /weights/);
  });
});
