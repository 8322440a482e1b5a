import { Tensor } from '@mechint/core';
import { ExponentialSynapse, RecurrentLIFNetwork, randomConnectivity, sparseFromDense } from '../src/index.js';
import { expectCode, fixture, reference } from './helpers.js';

describe('ExponentialSynapse', () => {
  it('decays as e^{−t/τ} after a spike and sums spikes linearly', () => {
    const spikes = new Float32Array(50);
    spikes[0] = 1;
    spikes[20] = 2;
    const { current } = new ExponentialSynapse({ nSynapses: 1, tau: 5, weight: 0.5 }).run(new Tensor('float32', spikes, [50, 1]), { dt: 0.5 });
    for (const t of [0, 7, 19, 20, 33]) {
      const expected = 0.5 * Math.exp(-(t * 0.5) / 5) + (t >= 20 ? 1 * Math.exp(-((t - 20) * 0.5) / 5) : 0);
      expect(current.get(t, 0)).toBeCloseTo(expected, 6);
    }
  });

  it('conductance synapses drive towards the reversal potential: g (E − v)', () => {
    const syn = new ExponentialSynapse({ nSynapses: 2, tau: 10, kind: 'conductance', reversal: -80 });
    const { current, state } = syn.run(Tensor.from([[1, 0], [0, 1]]), { dt: 1, voltages: Tensor.from([[-60, -60], [-90, -90]]) });
    expect((current.toArray() as number[][]).map((row) => row.map((x) => x + 0))).toEqual([
      [-20, 0],
      [Math.fround(Math.exp(-0.1) * 10), 10],
    ]);
    expect(state.get(1, 0)).toBeCloseTo(Math.exp(-0.1), 6);
  });

  it('rejects missing voltages, mismatched shapes and bad parameters', () => {
    const syn = new ExponentialSynapse({ nSynapses: 2, kind: 'conductance' });
    expectCode(() => syn.run(Tensor.zeros([3, 2]), { dt: 1 }), 'INVALID_ARGUMENT', /needs the postsynaptic voltages/);
    expectCode(() => syn.run(Tensor.zeros([3, 2]), { dt: 1, voltages: Tensor.zeros([4, 2]) }), 'SHAPE_MISMATCH');
    expectCode(() => new ExponentialSynapse({ nSynapses: 1, tau: 0 }), 'INVALID_ARGUMENT', /tau/);
    expectCode(() => new ExponentialSynapse({ nSynapses: 1, kind: 'gap' as 'current' }), 'INVALID_ARGUMENT', /kind/);
  });
});

describe('RecurrentLIFNetwork', () => {
  it('matches the numpy reference network spike for spike', () => {
    const { dt, tau, synapse_tau: synapseTau } = reference.network;
    const net = new RecurrentLIFNetwork({ connectivity: sparseFromDense(fixture('net_w')), neuron: { tau }, synapseTau });
    const { spikes } = net.run(fixture('net_current'), { dt });
    const expected = fixture('net_spikes').data as Float32Array;
    let differ = 0;
    spikes.data.forEach((s, i) => (differ += s === expected[i] ? 0 : 1));
    expect(expected.reduce((a, b) => a + b, 0)).toBeGreaterThan(100);
    expect(differ).toBe(0);
  });

  it('runs batch items independently', () => {
    const connectivity = randomConnectivity({ nPre: 20, nPost: 20, p: 0.2, weight: 0.1, seed: 4 });
    const net = new RecurrentLIFNetwork({ connectivity });
    const single = net.run(Tensor.from(new Float32Array(100 * 20).fill(1.2), [100, 20]), { dt: 0.5 });
    const data = new Float32Array(100 * 2 * 20);
    for (let t = 0; t < 100; t++) data.fill(1.2, t * 40 + 20, t * 40 + 40);
    const batched = net.run(new Tensor('float32', data, [100, 2, 20]), { dt: 0.5 });
    for (let t = 0; t < 100; t++) {
      expect(Array.from(batched.spikes.data.subarray(t * 40 + 20, t * 40 + 40))).toEqual(Array.from(single.spikes.data.subarray(t * 20, t * 20 + 20)));
      expect(batched.spikes.data.subarray(t * 40, t * 40 + 20).every((s) => s === 0)).toBe(true);
    }
  });

  it('builds CSR connectivity and rejects bad input', () => {
    const c = sparseFromDense([[0, 0.5], [2, 0]]);
    expect([Array.from(c.offsets), Array.from(c.targets), Array.from(c.weights)]).toEqual([[0, 1, 2], [1, 0], [2, 0.5]]);
    const r = randomConnectivity({ nPre: 200, nPost: 200, p: 0.1, weight: 1, seed: 1 });
    expect(Math.abs(r.targets.length / (200 * 199) - 0.1)).toBeLessThan(0.01);
    expectCode(() => randomConnectivity({ nPre: 2, nPost: 2, p: 1.5, weight: 1 }), 'INVALID_ARGUMENT', /probability/);
    expectCode(() => new RecurrentLIFNetwork({ connectivity: sparseFromDense([[1, 0, 0], [0, 1, 0]]) }), 'SHAPE_MISMATCH', /square/);
    expectCode(() => new RecurrentLIFNetwork({ connectivity: c, synapseTau: 0 }), 'INVALID_ARGUMENT', /synapseTau/);
    expectCode(() => new RecurrentLIFNetwork({ connectivity: c }).run(Tensor.zeros([3, 3]), { dt: 1 }), 'SHAPE_MISMATCH');
  });
});
