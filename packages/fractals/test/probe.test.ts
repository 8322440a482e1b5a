/**
 * FractalProbe: streaming fractal measures of hook points over repeated runs, in bounded memory.
 */
import { GraphBuilder, HookedModel, Tensor } from '@mechint/core';
import { FractalProbe } from '../src/index.js';
import { expectClose, reference, signal } from './helpers.js';

describe('FractalProbe', () => {
  it('tracks a hook of a HookedModel over steps (signals along the sequence axis)', async () => {
    // x [batch, pos, 2] → scaled by 2 (hook "scaled") → summed over the feature axis (output).
    const g = new GraphBuilder({ name: 'tiny' });
    const x = g.input('x', 'float64', ['batch', 'pos', 2]);
    const scaled = g.output(g.mul(x, 2), 'scaled_out');
    g.output(g.reduceSum(scaled, { axes: [2], keepdims: false }), 'y');
    const model = await HookedModel.load(g.build(), { ep: 'cpu' });
    const probe = new FractalProbe({ hooks: ['scaled_out'], axis: 1, capacity: 2 });
    const white = signal('white').subarray(0, 512);
    const walk = signal('walk').subarray(0, 512);
    const feed = new Float64Array(512 * 2);
    for (let t = 0; t < 512; t++) {
      feed[2 * t] = white[t]!;
      feed[2 * t + 1] = walk[t]!;
    }
    for (let step = 0; step < 3; step++) await probe.step(model, { x: new Tensor('float64', feed, [1, 512, 2]) });
    // scaling by 2 leaves every measure unchanged; each step averages the white and walk columns
    const higuchi = (reference['white'].prior_higuchi + reference['walk'].prior_higuchi) / 2;
    const history = probe.history('scaled_out');
    expect(history.higuchi!.steps).toEqual([1, 2]);
    history.higuchi!.values.forEach((v) => expectClose(v, higuchi, 1e-9));
    const summary = probe.summary('scaled_out');
    expect(summary.higuchi!.count).toBe(3);
    expectClose(summary.higuchi!.mean, higuchi, 1e-9);
    expect(summary.dfa!.count).toBe(3);
    await model.dispose();
  });

  it('observe(): skips constant (dead) signals, keeps the last `capacity` steps and a running summary', () => {
    const probe = new FractalProbe({ hooks: ['h'], metrics: ['higuchi', 'dfa', 'beta'], capacity: 3 });
    const white = signal('white').subarray(0, 512);
    const expected = reference['white'].prior_higuchi as number;
    for (let step = 0; step < 5; step++) {
      // an affine copy of the reference signal (Higuchi's FD is invariant to it) and a dead unit
      const act = new Float64Array(1024).fill(step);
      for (let t = 0; t < 512; t++) act[t] = (step + 1) * white[t]! + step;
      const obs = probe.observe('h', new Tensor('float64', act, [2, 512]));
      expect(obs).toMatchObject({ step, signals: 1, skipped: 1 });
      expectClose(obs.higuchi!, expected, 1e-9);
      expect(Number.isFinite(obs.dfa) && Number.isFinite(obs.beta)).toBe(true);
    }
    const { higuchi } = probe.history('h');
    expect(higuchi!.steps).toEqual([2, 3, 4]);
    higuchi!.values.forEach((v) => expectClose(v, expected, 1e-9));
    const summary = probe.summary('h').higuchi!;
    expect(summary.count).toBe(5);
    expectClose(summary.mean, expected, 1e-9);
    expect(summary.std).toBeLessThan(1e-9);
  });
});
