import { Tensor } from '@mechint/core';
import { PairSTDP, TripletSTDP, TsodyksMarkram } from '../src/index.js';
import { current, expectCode, reference } from './helpers.js';

/** A [T, 1] train with spikes at the given steps. */
const train = (steps: number, at: readonly number[]) => current(steps, 1, (t) => (at.includes(t) ? 1 : 0));

describe('PairSTDP', () => {
  const stdp = new PairSTDP();
  const w0 = () => Tensor.from([[0.5]]);

  it.each([5, 20, 40])('potentiates by A+ e^{−Δt/τ+} for pre %s ms before post', (delta) => {
    const { weights } = stdp.run(train(100, [10]), train(100, [10 + delta]), { dt: 1, weights: w0() });
    expect(weights.get(0, 0)).toBeCloseTo(0.5 + 0.01 * Math.exp(-delta / 20), 7);
  });

  it.each([5, 20])('depresses by A− e^{−Δt/τ−} for post %s ms before pre', (delta) => {
    const { weights } = stdp.run(train(100, [10 + delta]), train(100, [10]), { dt: 1, weights: w0() });
    expect(weights.get(0, 0)).toBeCloseTo(0.5 - 0.0105 * Math.exp(-delta / 20), 7);
  });

  it('counts simultaneous spikes as potentiation, clips to [wMin, wMax], and sums all pairs', () => {
    expect(stdp.run(train(5, [2]), train(5, [2]), { dt: 1, weights: w0() }).weights.get(0, 0)).toBeCloseTo(0.51, 7);
    expect(new PairSTDP({ wMax: 0.505 }).run(train(5, [2]), train(5, [2]), { dt: 1, weights: w0() }).weights.get(0, 0)).toBeCloseTo(0.505, 7);
    const both = stdp.run(train(100, [10, 20]), train(100, [30]), { dt: 1, weights: w0() }).weights.get(0, 0);
    expect(both).toBeCloseTo(0.5 + 0.01 * (Math.exp(-20 / 20) + Math.exp(-10 / 20)), 7);
  });

  it('rejects bad input', () => {
    expectCode(() => new PairSTDP({ tauPlus: 0 }), 'INVALID_ARGUMENT', /tauPlus/);
    expectCode(() => new PairSTDP({ wMin: 1, wMax: 0 }), 'INVALID_ARGUMENT', /wMin < wMax/);
    expectCode(() => stdp.run(train(5, []), train(6, []), { dt: 1, weights: w0() }), 'SHAPE_MISMATCH', /same length/);
    expectCode(() => stdp.run(train(5, []), train(5, []), { dt: 1, weights: Tensor.from([[0.5, 0.5]]) }), 'SHAPE_MISMATCH');
    expectCode(() => stdp.run(train(5, []), train(5, []), { dt: 0, weights: w0() }), 'INVALID_ARGUMENT', /dt/);
  });
});

describe('TripletSTDP', () => {
  const stdp = new TripletSTDP();
  const p = stdp.parameters;

  it('post–pre–post triplet: the closed form of the trace equations', () => {
    const [d1, d2] = [10, 15];
    const { weights } = stdp.run(train(200, [20 + d1]), train(200, [20, 20 + d1 + d2]), { dt: 1, weights: Tensor.from([[1]]) });
    const expected = 1 - Math.exp(-d1 / p.tauMinus) * p.a2Minus + Math.exp(-d2 / p.tauPlus) * (p.a2Plus + p.a3Plus * Math.exp(-(d1 + d2) / p.tauY));
    expect(weights.get(0, 0)).toBeCloseTo(expected, 6); // float32 weights
  });

  it('reproduces the frequency dependence of pairing protocols (event-driven numpy reference)', () => {
    const { n_pairs: pairs, dt, offset_ms: offset, runs } = reference.triplet;
    for (const { freq, delta, dw } of runs) {
      const period = 1000 / freq;
      const preSteps: number[] = [];
      const postSteps: number[] = [];
      for (let k = 0; k < pairs; k++) {
        const tPre = offset + k * period + (delta > 0 ? 0 : -delta);
        preSteps.push(Math.round(tPre / dt));
        postSteps.push(Math.round((tPre + delta) / dt));
      }
      const steps = Math.max(...preSteps, ...postSteps) + 1;
      const tensor = (at: number[]) => {
        const data = new Float32Array(steps);
        for (const s of at) data[s] = 1;
        return new Tensor('float32', data, [steps, 1]);
      };
      const { weights } = new TripletSTDP({ wMin: -10 }).run(tensor(preSteps), tensor(postSteps), { dt, weights: Tensor.from([[0]]) });
      expect(weights.get(0, 0)).toBeCloseTo(dw, 5);
    }
    const at50 = runs.filter((r) => r.freq === 50);
    expect(at50.every((r) => r.dw > 0)).toBe(true); // high-frequency pairing potentiates either way
  });

  it('rejects bad parameters', () => {
    expectCode(() => new TripletSTDP({ a3Plus: -1 }), 'INVALID_ARGUMENT', /a3Plus/);
    expectCode(() => new TripletSTDP({ tauY: Number.NaN }), 'INVALID_ARGUMENT', /tauY/);
  });
});

describe('TsodyksMarkram', () => {
  it('depressing synapse: R tends to (1 − e^{−Δ/τ}) / (1 − (1 − U) e^{−Δ/τ})', () => {
    const period = 50;
    const spikes = train(5000, Array.from({ length: 100 }, (_, k) => k * period));
    const { efficacy, resources } = new TsodyksMarkram({ nSynapses: 1, U: 0.5, tauRec: 800 }).run(spikes, { dt: 1 });
    const e = Math.exp(-period / 800);
    const rStar = (1 - e) / (1 - 0.5 * e);
    expect(resources.get(99 * period, 0)).toBeCloseTo(rStar, 5);
    expect(efficacy.get(99 * period, 0)).toBeCloseTo(0.5 * rStar, 5);
    expect(efficacy.get(0, 0)).toBeCloseTo(0.5, 7);
    expect(efficacy.get(1, 0)).toBe(0);
  });

  it('facilitating synapse: u tends to U / (1 − (1 − U) e^{−Δ/τ_F})', () => {
    const period = 20;
    const spikes = train(4000, Array.from({ length: 150 }, (_, k) => k * period));
    const { utilisation } = new TsodyksMarkram({ nSynapses: 1, U: 0.1, tauRec: 100, tauFacil: 1000 }).run(spikes, { dt: 1 });
    const uStar = 0.1 / (1 - 0.9 * Math.exp(-period / 1000));
    expect(utilisation.get(149 * period, 0)).toBeCloseTo(uStar, 5);
  });

  it('rejects bad parameters', () => {
    expectCode(() => new TsodyksMarkram({ nSynapses: 1, U: 0 }), 'INVALID_ARGUMENT', /\(0, 1\]/);
    expectCode(() => new TsodyksMarkram({ nSynapses: 1, tauRec: -1 }), 'INVALID_ARGUMENT', /tauRec/);
    expectCode(() => new TsodyksMarkram({ nSynapses: 2 }).run(train(3, []), { dt: 1 }), 'SHAPE_MISMATCH');
  });
});
