import { Tensor } from '@mechint/core';
import { AdExNeuron, HodgkinHuxleyNeuron, IZHIKEVICH_PRESETS, IzhikevichNeuron, QuadraticIFNeuron, interSpikeIntervals, type IzhikevichPreset } from '../src/index.js';
import { current, expectCode, reference, spikeSteps } from './helpers.js';

describe('IzhikevichNeuron', () => {
  const { dt, steps, protocols } = reference.izhikevich;
  const presets = Object.keys(IZHIKEVICH_PRESETS) as IzhikevichPreset[];
  const drive: Record<string, (t: number) => number> = {
    step5: (t) => (t * dt >= 20 ? 5 : 0),
    step10: (t) => (t * dt >= 20 ? 10 : 0),
    step15: (t) => (t * dt >= 20 ? 15 : 0),
    rebound: (t) => (t * dt < 200 ? -10 : 0),
  };

  it.each(Object.keys(drive))('reproduces the reference spike times of every preset (%s)', (protocol) => {
    for (const preset of presets) {
      const { spikes } = new IzhikevichNeuron({ nNeurons: 1, preset }).run(current(steps, 1, drive[protocol]!), { dt });
      expect({ preset, steps: spikeSteps(spikes) }).toEqual({ preset, steps: protocols[protocol]![preset] });
    }
  });

  it('shows the published patterns in the reference runs (Izhikevich 2003, Fig. 2)', () => {
    const isi = (preset: string) => interSpikeIntervals(protocols['step10']![preset]!);
    const rs = isi('RS');
    expect(rs[rs.length - 1]!).toBeGreaterThan(1.5 * rs[0]!); // RS adapts
    expect(protocols['step10']!['FS']!.length).toBeGreaterThan(3 * protocols['step10']!['RS']!.length); // FS fires fast
    const ch = isi('CH');
    expect(Math.min(...ch)).toBeLessThan(Math.max(...ch) / 4); // CH fires bursts
    expect(protocols['rebound']!['TC']!.length).toBeGreaterThan(0); // TC: rebound burst after hyperpolarisation
    expect(protocols['rebound']!['RS']!.length).toBe(0);
  });

  it('rejects bad presets, steps and currents', () => {
    expectCode(() => new IzhikevichNeuron({ nNeurons: 1, preset: 'XX' as IzhikevichPreset }), 'INVALID_ARGUMENT', /RS, IB, CH, FS, LTS, TC, RZ/);
    expectCode(() => new IzhikevichNeuron({ nNeurons: 1, preset: { a: Number.NaN, b: 0.2, c: -65, d: 8 } }), 'INVALID_ARGUMENT', /a must be/);
    const izh = new IzhikevichNeuron({ nNeurons: 1 });
    expectCode(() => izh.run(Tensor.zeros([3, 1]), { dt: 2 }), 'INVALID_ARGUMENT', /stability bound 1 ms/);
    expectCode(() => izh.run(Tensor.zeros([3, 2]), { dt: 0.5 }), 'SHAPE_MISMATCH');
  });
});

describe('HodgkinHuxleyNeuron', () => {
  const { t_end: tEnd, t_from: tFrom, rates } = reference.hodgkin_huxley;
  const currents = rates.map((r) => r.current);

  it.each([
    ['rk4', 0.025, 0.01],
    ['exponential-euler', 0.01, 0.03],
  ] as const)('reproduces the f-I curve of the LSODA reference (%s, dt = %s ms)', (scheme, dt, tolerance) => {
    const steps = Math.round(tEnd / dt);
    const { spikes } = new HodgkinHuxleyNeuron({ nNeurons: currents.length, scheme }).run(current(steps, currents.length, (_, k) => currents[k]!), { dt });
    rates.forEach((r, k) => {
      const late = spikeSteps(spikes, k).filter((t) => t * dt >= tFrom).length;
      const rate = late / ((tEnd - tFrom) / 1000);
      if (r.rate_hz === 0) expect(rate).toBe(0);
      else expect(Math.abs(rate / r.rate_hz - 1)).toBeLessThanOrEqual(tolerance);
    });
    // Published behaviour: no repetitive firing below about 6 µA/cm², about 70 Hz at 10 µA/cm².
    const at10 = spikeSteps(spikes, currents.indexOf(10)).filter((t) => t * dt >= tFrom).length / ((tEnd - tFrom) / 1000);
    expect(at10).toBeGreaterThan(65);
    expect(at10).toBeLessThan(75);
    expect(spikeSteps(spikes, currents.indexOf(6)).filter((t) => t * dt >= tFrom)).toEqual([]);
  });

  it('rests at −65 mV without input and rejects large steps', () => {
    const hh = new HodgkinHuxleyNeuron({ nNeurons: 1 });
    expect(hh.run(Tensor.zeros([1000, 1]), { dt: 0.05 }).voltages.get(999, 0)).toBeCloseTo(-65, 1);
    expectCode(() => hh.run(Tensor.zeros([10, 1]), { dt: 0.2 }), 'INVALID_ARGUMENT', /stability bound 0.1 ms/);
    expectCode(() => new HodgkinHuxleyNeuron({ nNeurons: 1, capacitance: 0 }), 'INVALID_ARGUMENT', /capacitance/);
    expectCode(() => new HodgkinHuxleyNeuron({ nNeurons: 1, scheme: 'euler' as 'rk4' }), 'INVALID_ARGUMENT', /rk4/);
  });
});

describe('AdExNeuron', () => {
  const { dt, steps, current_pA: amp, onset_ms: onset } = reference.adex;
  const drive = current(steps, 1, (t) => (t * dt >= onset ? amp : 0));

  it('reproduces the reference spike times (adapting, non-adapting, bursting)', () => {
    expect(spikeSteps(new AdExNeuron({ nNeurons: 1 }).run(drive, { dt }).spikes)).toEqual(reference.adex.default);
    expect(spikeSteps(new AdExNeuron({ nNeurons: 1, a: 0, b: 0 }).run(drive, { dt }).spikes)).toEqual(reference.adex.no_adaptation);
    expect(spikeSteps(new AdExNeuron({ nNeurons: 1, tauW: 20, a: 4, b: 500, vReset: -47.2 }).run(drive, { dt }).spikes)).toEqual(reference.adex.bursting);
  });

  it('adapts: intervals lengthen with spike-triggered adaptation, not without', () => {
    const isi = interSpikeIntervals(reference.adex.default);
    expect(isi[isi.length - 1]!).toBeGreaterThan(isi[0]!);
    const flat = interSpikeIntervals(reference.adex.no_adaptation);
    expect(flat[flat.length - 1]).toBe(flat[flat.length - 2]);
  });

  it('rejects bad parameters and steps', () => {
    expectCode(() => new AdExNeuron({ nNeurons: 1, tauW: 0 }), 'INVALID_ARGUMENT', /tauW/);
    expectCode(() => new AdExNeuron({ nNeurons: 1 }).run(Tensor.zeros([3, 1]), { dt: 10 }), 'INVALID_ARGUMENT', /C \/ gL/);
  });
});

describe('QuadraticIFNeuron', () => {
  it('fires with the closed-form period τ/√I (atan(vPeak/√I) − atan(vReset/√I))', () => {
    const dt = 0.001;
    const inputs = [0.25, 1, 4];
    const { spikes } = new QuadraticIFNeuron({ nNeurons: 3 }).run(current(150_000, 3, (_, k) => inputs[k]!), { dt });
    inputs.forEach((I, k) => {
      const period = (10 / Math.sqrt(I)) * (Math.atan(10 / Math.sqrt(I)) - Math.atan(-10 / Math.sqrt(I)));
      const isi = interSpikeIntervals(spikeSteps(spikes, k).map((t) => t * dt));
      expect(Math.abs(isi[isi.length - 1]! / period - 1)).toBeLessThan(0.01);
    });
  });

  it('rejects reset above peak and unstable steps', () => {
    expectCode(() => new QuadraticIFNeuron({ nNeurons: 1, vReset: 10, vPeak: 5 }), 'INVALID_ARGUMENT', /below vPeak/);
    expectCode(() => new QuadraticIFNeuron({ nNeurons: 1 }).run(Tensor.zeros([3, 1]), { dt: 2 }), 'INVALID_ARGUMENT', /stability bound 1 ms/);
  });
});
