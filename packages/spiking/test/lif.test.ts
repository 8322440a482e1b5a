import { Tensor } from '@mechint/core';
import { LeakyIntegrateFireNeuron, spikeTimes } from '../src/index.js';
import { current, expectCode, fixture, spikeSteps } from './helpers.js';

/** The closed-form rate of a LIF neuron (R = 1, rest = reset = 0) under constant I > θ, in Hz. */
const lifRate = (I: number, tau: number, theta: number, refractory = 0) => 1000 / (tau * Math.log(I / (I - theta)) + refractory);

function measuredRate(spikes: Tensor, k: number, dt: number): number {
  const times = spikeTimes(spikes, { dt })[k]!;
  return (1000 * (times.length - 1)) / (times[times.length - 1]! - times[0]!);
}

describe('LeakyIntegrateFireNeuron', () => {
  const inputs = [1.2, 1.5, 2, 4];

  it.each(['euler', 'exact'] as const)('fires at 1 / (τ ln(I / (I − θ))) within 1%% (%s, dt = 0.01 ms)', (scheme) => {
    const dt = 0.01;
    const lif = new LeakyIntegrateFireNeuron({ nNeurons: inputs.length, tau: 10, threshold: 1, scheme });
    const { spikes } = lif.run(current(100_000, inputs.length, (_, k) => inputs[k]!), { dt });
    inputs.forEach((I, k) => expect(Math.abs(measuredRate(spikes, k, dt) / lifRate(I, 10, 1) - 1)).toBeLessThan(0.01));
  });

  it('adds the refractory period to the interval', () => {
    const dt = 0.01;
    const lif = new LeakyIntegrateFireNeuron({ nNeurons: 2, tau: 20, refractory: 2 });
    const { spikes } = lif.run(current(100_000, 2, (_, k) => [1.5, 3][k]!), { dt });
    [1.5, 3].forEach((I, k) => expect(Math.abs(measuredRate(spikes, k, dt) / lifRate(I, 20, 1, 2) - 1)).toBeLessThan(0.01));
  });

  it('stays silent below threshold and settles at I (closed form I (1 − e^{−t/τ}))', () => {
    const { spikes, voltages } = new LeakyIntegrateFireNeuron({ nNeurons: 1, scheme: 'exact' }).run(current(1000, 1, () => 0.8), { dt: 0.1 });
    expect(spikeSteps(spikes)).toEqual([]);
    expect(voltages.get(99, 0)).toBeCloseTo(0.8 * (1 - Math.exp(-10 / 10)), 5);
  });

  it('takes the forward-Euler step v + dt/τ (I − v)', () => {
    const { voltages } = new LeakyIntegrateFireNeuron({ nNeurons: 1 }).run(Tensor.from([[1.5], [1.5]]), { dt: 1 });
    expect(voltages.get(0, 0)).toBeCloseTo(0.15, 6);
    expect(voltages.get(1, 0)).toBeCloseTo(0.15 + 0.1 * (1.5 - 0.15), 6);
  });

  it('matches the snnTorch Leaky reference (subtract and zero reset) in the snntorch convention', () => {
    const x = fixture('leaky_x');
    const w = fixture('leaky_w');
    const [T, B, nIn] = x.shape as [number, number, number];
    const nOut = w.shape[0]!;
    const cur = new Float64Array(T * B * nOut);
    for (let r = 0; r < T * B; r++) {
      for (let i = 0; i < nOut; i++) {
        let s = 0;
        for (let j = 0; j < nIn; j++) s += (x.data as Float32Array)[r * nIn + j]! * (w.data as Float32Array)[i * nIn + j]!;
        cur[r * nOut + i] = s;
      }
    }
    const dt = 1;
    const tau = -dt / Math.log(0.8);
    for (const mode of ['subtract', 'zero'] as const) {
      const lif = new LeakyIntegrateFireNeuron({ nNeurons: nOut, tau, convention: 'snntorch', resetMode: mode });
      const { spikes, voltages } = lif.run(new Tensor('float64', cur, [T, B, nOut]), { dt });
      expect(Array.from(spikes.data)).toEqual(Array.from(fixture(`leaky_${mode}_spikes`).data as Float32Array));
      const mem = fixture(`leaky_${mode}_mem`).data as Float32Array;
      voltages.data.forEach((v, i) => expect(v).toBeCloseTo(mem[i]!, 5));
    }
  });

  it('defaults: Norse parameters, zero reset (Norse) or subtract (snnTorch)', () => {
    const norse = new LeakyIntegrateFireNeuron({ nNeurons: 1 });
    expect([norse.tau, norse.threshold, norse.reset, norse.resetMode, norse.scheme]).toEqual([10, 1, 0, 'zero', 'euler']);
    expect(new LeakyIntegrateFireNeuron({ nNeurons: 1, convention: 'snntorch' }).resetMode).toBe('subtract');
  });

  it('rejects bad input with coded errors', () => {
    expectCode(() => new LeakyIntegrateFireNeuron({ nNeurons: 1, tau: 0 }), 'INVALID_ARGUMENT', /tau must be a finite number > 0/);
    expectCode(() => new LeakyIntegrateFireNeuron({ nNeurons: 1, tau: -5 }), 'INVALID_ARGUMENT', /tau/);
    expectCode(() => new LeakyIntegrateFireNeuron({ nNeurons: 0 }), 'INVALID_ARGUMENT', /nNeurons/);
    expectCode(() => new LeakyIntegrateFireNeuron({ nNeurons: 1, threshold: Number.NaN }), 'INVALID_ARGUMENT', /threshold/);
    expectCode(() => new LeakyIntegrateFireNeuron({ nNeurons: 1, convention: 'snntorch', refractory: 1 }), 'INVALID_ARGUMENT', /no refractory/);
    expectCode(() => new LeakyIntegrateFireNeuron({ nNeurons: 1, resetMode: 'hard' as 'zero' }), 'INVALID_ARGUMENT', /resetMode/);
    const lif = new LeakyIntegrateFireNeuron({ nNeurons: 2, tau: 10 });
    expectCode(() => lif.run(Tensor.zeros([5, 2]), { dt: 0 }), 'INVALID_ARGUMENT', /dt must be/);
    expectCode(() => lif.run(Tensor.zeros([5, 2]), { dt: -1 }), 'INVALID_ARGUMENT', /dt must be/);
    expectCode(() => lif.run(Tensor.zeros([5, 2]), { dt: 11 }), 'INVALID_ARGUMENT', /stability bound 10 ms/);
    expect(() => new LeakyIntegrateFireNeuron({ nNeurons: 2, scheme: 'exact' }).run(Tensor.zeros([5, 2]), { dt: 11 })).not.toThrow();
    expectCode(() => lif.run(Tensor.zeros([5, 3]), { dt: 1 }), 'SHAPE_MISMATCH', /\[T, batch, 2\] or \[T, 2\]/);
    expectCode(() => lif.run(Tensor.zeros([5]), { dt: 1 }), 'SHAPE_MISMATCH');
    expectCode(() => lif.run(Tensor.zeros([5, 2], 'int32'), { dt: 1 }), 'DTYPE_MISMATCH', /clone\('float32'\)/);
    expectCode(() => lif.run(Tensor.from([[0, Number.NaN]]), { dt: 1 }), 'INVALID_ARGUMENT', /non-finite entry \(NaN\) at flat index 1/);
  });

  it('keeps batch items independent and returns the input shape', () => {
    const data = new Float32Array(200 * 2 * 1);
    for (let t = 0; t < 200; t++) data[t * 2] = 2;
    const { spikes } = new LeakyIntegrateFireNeuron({ nNeurons: 1 }).run(new Tensor('float32', data, [200, 2, 1]), { dt: 0.1 });
    expect(spikes.shape).toEqual([200, 2, 1]);
    expect(spikeSteps(spikes, 0).length).toBeGreaterThan(0);
    expect(spikeSteps(spikes, 1)).toEqual([]);
  });
});
