import { Backend, GraphBuilder, Tensor, gradients } from '@mechint/core';
import { arctan, fastSigmoid, sigmoid, straightThrough, surrogateOverrides, triangular, type SurrogateGradient } from '../src/index.js';
import { expectCode } from './helpers.js';

const grid = Array.from({ length: 81 }, (_, i) => -2 + i * 0.05 + 0.0123);
const surrogates: [string, SurrogateGradient][] = [
  ['fastSigmoid', fastSigmoid()],
  ['fastSigmoid slope 100 (SuperSpike)', fastSigmoid({ slope: 100 })],
  ['arctan', arctan()],
  ['arctan alpha 5', arctan({ alpha: 5 })],
  ['sigmoid', sigmoid()],
  ['straightThrough', straightThrough()],
  ['triangular', triangular()],
];

describe('surrogate gradients', () => {
  it.each(surrogates)('%s: grad equals the central finite difference of smooth', (_, s) => {
    const h = 1e-6;
    for (const x of grid) expect(s.grad(x)).toBeCloseTo((s.smooth(x + h) - s.smooth(x - h)) / (2 * h), 5);
  });

  it('match snnTorch closed forms', () => {
    expect(fastSigmoid().grad(0.04)).toBeCloseTo(1 / (1 + 25 * 0.04) ** 2, 12); // 1 / (k|x| + 1)²
    expect(arctan().grad(0.3)).toBeCloseTo(1 / (1 + (Math.PI * 0.3) ** 2), 12); // (α/2) / (1 + (π α x / 2)²), α = 2
    expect(sigmoid().grad(0)).toBeCloseTo(25 / 4, 12);
    expect(straightThrough().grad(-3)).toBe(1);
    expect(triangular().grad(0.25)).toBeCloseTo(0.75, 12);
    for (const [, s] of surrogates) expect([s.spike(-0.1), s.spike(0), s.spike(0.1)]).toEqual([0, 0, 1]);
  });

  it.each(surrogates)('%s: the graph versions match the functions and finite differences', async (_, s) => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', [grid.length]);
    g.output(s.emitSpike(g, x), 'spike');
    g.output(s.emitSmooth(g, x), 'smooth');
    g.output(s.emitGrad(g, x), 'grad');
    const session = await (await Backend.create({ ep: 'cpu' })).session(g.build());
    const h = 1e-3;
    const shifted = async (d: number) => (await session.run({ x: Tensor.from(grid.map((v) => v + d)) }))['smooth']!.data as Float32Array;
    const out = await session.run({ x: Tensor.from(grid) });
    const [plus, minus] = [await shifted(h), await shifted(-h)];
    grid.forEach((v, i) => {
      const x32 = Math.fround(v);
      expect(out['spike']!.data[i]).toBe(s.spike(x32));
      expect(out['smooth']!.data[i]).toBeCloseTo(s.smooth(x32), 5);
      expect(out['grad']!.data[i]).toBeCloseTo(s.grad(x32), 4);
      // float32 central difference, h = 1e-3: rounding ≈ 6e-8 / h, truncation h² f''' / 6
      expect(Math.abs((plus[i]! - minus[i]!) / (2 * h) - s.grad(x32))).toBeLessThan(0.01 * Math.max(1, s.grad(0)));
    });
  });

  it.each(surrogates)('%s: gradRule gives the step H(x − b) the gradients grad(x − b) and −grad(x − b) (float64)', async (_, s) => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float64', [grid.length]);
    const b = g.input('b', 'float64', []);
    const spike = g.cast(g.greater(x, b), 'float64');
    const weights = new Tensor('float64', Float64Array.from(grid, (_, i) => 1 + (i % 3)), [grid.length]);
    g.output(g.mul(spike, weights), 'y');
    const model = g.build();
    const { model: withGrads, grads } = gradients(model, { of: 'y', wrt: ['x', 'b'], nodeOverrides: surrogateOverrides(model, s, [spike]) });
    const session = await (await Backend.create({ ep: 'cpu' })).session(withGrads);
    const out = await session.run({ x: new Tensor('float64', Float64Array.from(grid), [grid.length]), b: new Tensor('float64', new Float64Array([0.3]), []) });
    const expected = grid.map((v, i) => weights.data[i]! * s.grad(v - 0.3));
    (out[grads['x']!]!.data as Float64Array).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 12));
    expect((out[grads['b']!]!.data as Float64Array)[0]).toBeCloseTo(-expected.reduce((a, v) => a + v, 0), 10);
    expect(Array.from(out['y']!.data as Float64Array)).toEqual(grid.map((v, i) => weights.data[i]! * s.spike(v - 0.3)));
  });

  it('rejects non-positive steepness', () => {
    expectCode(() => fastSigmoid({ slope: 0 }), 'INVALID_ARGUMENT', /slope/);
    expectCode(() => arctan({ alpha: -1 }), 'INVALID_ARGUMENT', /alpha/);
    expectCode(() => triangular({ width: Number.NaN }), 'INVALID_ARGUMENT', /width/);
  });
});
