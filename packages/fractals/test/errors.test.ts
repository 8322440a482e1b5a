/**
 * Bad input becomes a coded MechintError whose message says what to do.
 */
import { Tensor } from '@mechint/core';
import {
  DFA, FractalProbe, HiguchiFractalDimension, HiguchiPrior, Rng, SpectralPrior, binomialCascade, boxCoveringDimension, coloredNoise, dfa, fgn, higuchiFD, hurstRS,
  katzFD, largestComponent, logarithmicScales, mfdfa, petrosianFD, spectralSlope, toAdjacency, uvFlower,
} from '../src/index.js';
import { expectMechintError, expectMechintErrorAsync } from './helpers.js';

const noise = fgn(512, 0.5, { seed: 1 });

describe('signals', () => {
  it('too short: says the minimum', () => {
    expectMechintError(() => higuchiFD([1, 2, 3, 1, 2]), 'INVALID_ARGUMENT', /at least 21 samples; got 5/);
    expectMechintError(() => katzFD([1, 2]), 'INVALID_ARGUMENT', /at least 3 samples/);
    expectMechintError(() => petrosianFD([1]), 'INVALID_ARGUMENT', /at least 3 samples/);
    expectMechintError(() => dfa(noise.subarray(0, 50)), 'INVALID_ARGUMENT', /at least 71 samples/);
    expectMechintError(() => hurstRS(noise.subarray(0, 20)), 'INVALID_ARGUMENT', /at least 32 samples/);
    expectMechintError(() => mfdfa(noise.subarray(0, 40)), 'INVALID_ARGUMENT', /at least 64 samples/);
    expectMechintError(() => spectralSlope([1, 2, 3]), 'INVALID_ARGUMENT', /at least 8 samples/);
  });
  it('constant signals', () => {
    const flat = new Float64Array(200).fill(3);
    for (const f of [() => higuchiFD(flat), () => katzFD(flat), () => petrosianFD(flat), () => dfa(flat), () => hurstRS(flat), () => mfdfa(flat), () => spectralSlope(flat)]) {
      expectMechintError(f, 'INVALID_ARGUMENT', /constant/);
    }
  });
  it('NaN and Infinity name the sample', () => {
    const bad = Float64Array.from(noise);
    bad[7] = NaN;
    expectMechintError(() => higuchiFD(bad), 'INVALID_ARGUMENT', /sample 7 is NaN/);
    bad[7] = Infinity;
    expectMechintError(() => dfa(bad), 'INVALID_ARGUMENT', /sample 7 is Infinity/);
  });
  it('not a signal', () => {
    expectMechintError(() => higuchiFD('abc' as unknown as number[]), 'INVALID_ARGUMENT', /Float64Array/);
  });
  it('kMax ≥ n / 2 and kMax < 2', () => {
    expectMechintError(() => higuchiFD(noise.subarray(0, 20), { kMax: 10 }), 'INVALID_ARGUMENT', /kMax = 10.*at least 21/);
    expectMechintError(() => higuchiFD(noise, { kMax: 1 }), 'INVALID_ARGUMENT', /kMax must be an integer ≥ 2/);
  });
  it('a periodic signal with zero curve length', () => {
    expectMechintError(() => higuchiFD(Array.from({ length: 40 }, (_, i) => i % 2), { kMax: 4 }), 'INVALID_ARGUMENT', /L\(2\) is 0/);
  });
  it('scales outside the signal length', () => {
    expectMechintError(() => dfa(noise, { scales: [8, 512] }), 'INVALID_ARGUMENT', /scale 512 is outside \[3, 511\]/);
    expectMechintError(() => dfa(noise, { scales: [2, 8] }), 'INVALID_ARGUMENT', /scale 2 is outside/);
    expectMechintError(() => dfa(noise, { scales: [8] }), 'INVALID_ARGUMENT', /at least two/);
    expectMechintError(() => hurstRS(noise, { scales: [8, 1000] }), 'INVALID_ARGUMENT', /scale 1000/);
    expectMechintError(() => mfdfa(noise, { scales: [16, 600] }), 'INVALID_ARGUMENT', /scale 600/);
    expectMechintError(() => dfa(noise, { order: 3 }), 'INVALID_ARGUMENT', /pass scales ≥ 5/);
  });
  it('bad options', () => {
    expectMechintError(() => mfdfa(noise, { q: [1, NaN] }), 'INVALID_ARGUMENT', /distinct finite/);
    expectMechintError(() => spectralSlope(noise, { fRange: [0.49, 0.491] }), 'INVALID_ARGUMENT', /holds 0 frequencies/);
    expectMechintError(() => spectralSlope(noise, { method: 'fft' as 'welch' }), 'INVALID_ARGUMENT', /'welch' or 'periodogram'/);
    expectMechintError(() => spectralSlope(noise, { fs: -1 }), 'INVALID_ARGUMENT', /fs must be a finite number > 0/);
    expectMechintError(() => dfa(noise, { fit: 'huber' as 'ransac' }), 'INVALID_ARGUMENT', /'least-squares' or 'ransac'/);
    expectMechintError(() => logarithmicScales(10, 5, 1.2), 'INVALID_ARGUMENT', /min < max/);
  });
  it('an exact polynomial segment with negative q', () => {
    const ramp = Float64Array.from({ length: 256 }, (_, i) => (i < 128 ? 0 : i));
    expectMechintError(() => mfdfa(ramp, { q: [-2, 2], scales: [8, 16, 32] }), 'INVALID_ARGUMENT', /exact polynomial/);
  });
});

describe('stimuli', () => {
  it('bad parameters', () => {
    expectMechintError(() => fgn(100, 1), 'INVALID_ARGUMENT', /H must be a finite number > 0 and < 1; got 1/);
    expectMechintError(() => fgn(1.5, 0.5), 'INVALID_ARGUMENT', /n must be an integer/);
    expectMechintError(() => coloredNoise(100, NaN), 'INVALID_ARGUMENT', /beta must be a finite number/);
    expectMechintError(() => binomialCascade(0, 0.7), 'INVALID_ARGUMENT', /levels must be an integer in \[1, 26\]/);
    expectMechintError(() => binomialCascade(4, 1.2), 'INVALID_ARGUMENT', /a must be/);
    expectMechintError(() => new Rng(0.5), 'INVALID_ARGUMENT', /seed must be an integer/);
    expectMechintError(() => uvFlower(3, 2, 2), 'INVALID_ARGUMENT', /u ≤ v/);
  });
});

describe('graphs', () => {
  it('empty, disconnected, single-node, bad indices, bad methods and sizes', () => {
    expectMechintError(() => boxCoveringDimension([]), 'INVALID_ARGUMENT', /empty/);
    expectMechintError(() => boxCoveringDimension({ edges: [] }), 'INVALID_ARGUMENT', /empty/);
    expectMechintError(() => boxCoveringDimension([[1], [0], [3], [2]]), 'INVALID_ARGUMENT', /disconnected \(2 components.*largestComponent/);
    expectMechintError(() => boxCoveringDimension([[]]), 'INVALID_ARGUMENT', /at least two nodes/);
    expectMechintError(() => toAdjacency([[5]]), 'INVALID_ARGUMENT', /Node index 5 is out of range/);
    expectMechintError(() => toAdjacency({ weights: [[1, 2], [3]], threshold: 1 }), 'SHAPE_MISMATCH', /ragged/);
    expectMechintError(() => toAdjacency({ weights: [[1, NaN]], threshold: 1 }), 'INVALID_ARGUMENT', /must be finite/);
    expectMechintError(() => toAdjacency({ weights: Tensor.zeros([2, 2, 2]), threshold: 1 }), 'SHAPE_MISMATCH', /matrix/);
    expectMechintError(() => boxCoveringDimension(uvFlower(2, 2, 2), { method: 'random' as 'cbb' }), 'INVALID_ARGUMENT', /method must be/);
    expectMechintError(() => boxCoveringDimension(uvFlower(2, 2, 2), { method: 'memb', boxSizes: [2, 4] }), 'INVALID_ARGUMENT', /odd/);
    expectMechintError(() => boxCoveringDimension(uvFlower(2, 2, 2), { boxSizes: [3] }), 'INVALID_ARGUMENT', /fitRange .* holds 1/);
  });
  it('largestComponent, edge lists and weight matrices', () => {
    expect(largestComponent([[1], [0], [3], [2, 4], [3]])).toEqual({ adjacency: [[1], [0, 2], [1]], nodes: [2, 3, 4] });
    expect(toAdjacency({ edges: [[0, 1], [1, 2], [1, 0]] })).toEqual([[1], [0, 2], [1]]);
    expect(toAdjacency({ weights: Tensor.from([[0.5, -0.1, 0.9]]), threshold: 0.4 })).toEqual([[1, 3], [0], [], [0]]);
    expect(toAdjacency({ weights: [[1, 0.8], [-0.8, 1]], threshold: 0.5, absolute: false })).toEqual([[1], [0]]);
  });
});

describe('batches, priors and probes', () => {
  it('batch classes check shape, dtype and values', async () => {
    await expectMechintErrorAsync(() => new HiguchiFractalDimension().compute(Tensor.from(noise)), 'SHAPE_MISMATCH', /\[batch, n\]/);
    await expectMechintErrorAsync(() => new DFA().compute(Tensor.zeros([2, 100], 'int32')), 'DTYPE_MISMATCH', /float32 or float64/);
    await expectMechintErrorAsync(() => new DFA().compute(Tensor.zeros([2, 50], 'float64')), 'INVALID_ARGUMENT', /at least 71/);
    const bad = Tensor.from(Float64Array.from(noise), [2, 256]);
    bad.data[300] = NaN;
    await expectMechintErrorAsync(() => new HiguchiFractalDimension().compute(bad), 'INVALID_ARGUMENT', /signal 1 has NaN at sample 44/);
    await expectMechintErrorAsync(() => new HiguchiFractalDimension().compute(Tensor.zeros([1, 64], 'float64')), 'INVALID_ARGUMENT', /signal 0 has curve length L\(1\) = 0/);
    expectMechintError(() => new DFA({ engine: 'gpu' as 'graph' }), 'INVALID_ARGUMENT', /engine must be/);
  });
  it('priors check their options and inputs', () => {
    expectMechintError(() => new SpectralPrior({ targetBeta: NaN }), 'INVALID_ARGUMENT', /targetBeta/);
    expectMechintError(() => new HiguchiPrior({ targetFD: 1.5, kMax: 1 }), 'INVALID_ARGUMENT', /kMax/);
    expectMechintError(() => new SpectralPrior({ targetBeta: 1, bins: [2, 400] }).evaluate(noise), 'INVALID_ARGUMENT', /bins\[1\].*n\/2 = 256/);
  });
  it('probes check hooks, metrics and axes', () => {
    expectMechintError(() => new FractalProbe({ hooks: [] }), 'INVALID_ARGUMENT', /at least one hook/);
    expectMechintError(() => new FractalProbe({ hooks: ['a'], metrics: ['lyapunov' as 'dfa'] }), 'INVALID_ARGUMENT', /unknown metric/);
    const probe = new FractalProbe({ hooks: ['a'], axis: 2 });
    expectMechintError(() => probe.observe('b', Tensor.from(noise)), 'INVALID_ARGUMENT', /does not track 'b'/);
    expectMechintError(() => probe.observe('a', Tensor.from(noise)), 'INVALID_ARGUMENT', /axis 2 does not exist/);
  });
});
