import { Tensor } from '@mechint/core';
import { fanoFactor, firingRates, interSpikeIntervals, isiCV, isiHistogram, raster, seededRandom, spikeTimes, synchrony } from '../src/index.js';
import { expectCode } from './helpers.js';

describe('spike-train analysis', () => {
  const spikes = Tensor.from([
    [1, 0, 0],
    [0, 0, 1],
    [1, 0, 1],
    [0, 0, 0],
  ]);

  it('firing rates, spike times and raster data', () => {
    expect(firingRates(spikes, { dt: 1 }).toArray()).toEqual([500, 0, 500]);
    expect(spikeTimes(spikes, { dt: 0.5 }).map((t) => Array.from(t))).toEqual([[0, 1], [], [0.5, 1]]);
    const r = raster(spikes, { dt: 2 });
    expect([Array.from(r.times), Array.from(r.neurons)]).toEqual([
      [0, 2, 4, 4],
      [0, 2, 0, 2],
    ]);
    expect(firingRates(new Tensor('float32', new Float32Array(4 * 2 * 3).fill(1), [4, 2, 3]), { dt: 1 }).shape).toEqual([2, 3]);
  });

  it('ISIs, their CV and histogram', () => {
    expect(Array.from(interSpikeIntervals([1, 3, 7]))).toEqual([2, 4]);
    expect(isiCV([0, 2, 6])).toBeCloseTo(1 / 3, 12); // mean 3, population std 1
    expect(isiCV([0, 5, 10, 15])).toBe(0);
    expect(isiCV([0, 5])).toBeNaN();
    const h = isiHistogram([[0, 2, 6], [0, 1]], { binWidth: 2, maxInterval: 4 });
    expect([Array.from(h.edges), Array.from(h.counts), h.overflow]).toEqual([[0, 2, 4], [1, 1], 1]);
  });

  it('CV and Fano factor of a Poisson process are close to 1 (closed form)', () => {
    const rand = seededRandom(9);
    const steps = 200_000;
    const data = new Float32Array(steps);
    for (let t = 0; t < steps; t++) data[t] = rand() < 0.02 ? 1 : 0;
    const train = new Tensor('float32', data, [steps, 1]);
    expect(isiCV(spikeTimes(train, { dt: 1 })[0]!)).toBeCloseTo(Math.sqrt(1 - 0.02), 1); // geometric ISIs: √(1 − p)
    expect(fanoFactor(train, { dt: 1, window: 100 }).get(0)).toBeCloseTo(1 - 0.02, 1); // binomial counts: 1 − p
  });

  it('Fano factor of fixed counts is 0; synchrony χ is 1 for identical and 0 for antiphase signals', () => {
    expect(fanoFactor(Tensor.from([[1], [0], [1], [0]]), { dt: 1, window: 2 }).toArray()).toEqual([0]);
    expect(fanoFactor(Tensor.from([[1], [1], [0], [0]]), { dt: 1, window: 2 }).toArray()).toEqual([1]);
    expect(synchrony(Tensor.from([[0, 0], [1, 1], [0, 0]]))).toBeCloseTo(1, 12);
    expect(synchrony(Tensor.from([[0, 1], [1, 0], [0, 1]]))).toBeCloseTo(0, 12);
  });

  it('rejects bad input', () => {
    expectCode(() => firingRates(Tensor.zeros([4]), { dt: 1 }), 'SHAPE_MISMATCH', /\[T, n\]/);
    expectCode(() => firingRates(spikes, { dt: 0 }), 'INVALID_ARGUMENT', /dt/);
    expectCode(() => firingRates(Tensor.from([[Number.NaN]]), { dt: 1 }), 'INVALID_ARGUMENT', /counts ≥ 0/);
    expectCode(() => interSpikeIntervals([3, 1]), 'INVALID_ARGUMENT', /sorted/);
    expectCode(() => fanoFactor(spikes, { dt: 1, window: 3 }), 'INVALID_ARGUMENT', /two windows/);
    expectCode(() => synchrony(Tensor.from([[1, 1], [1, 1]])), 'INVALID_ARGUMENT', /constant/);
    expectCode(() => synchrony(Tensor.from([1, 2])), 'SHAPE_MISMATCH');
  });
});
