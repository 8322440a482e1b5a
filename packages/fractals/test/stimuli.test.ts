/**
 * Stimuli: reproducible from their seed, with the covariance / spectrum / mass their closed forms give.
 */
import { Rng, binomialCascade, coloredNoise, fbm, fgn, randomCascade, spectralSlope } from '../src/index.js';
import { mean } from './helpers.js';

/** The lag-k autocovariance about the known mean 0 (unbiased for a zero-mean process). */
function lagCovariance(x: Float64Array, lag: number): number {
  let sum = 0;
  for (let i = 0; i + lag < x.length; i++) sum += x[i]! * x[i + lag]!;
  return sum / (x.length - lag);
}

describe('seeded stimuli', () => {
  it('the same seed gives the same samples, another seed others', () => {
    expect(fgn(100, 0.7, { seed: 5 })).toEqual(fgn(100, 0.7, { seed: 5 }));
    expect(fgn(100, 0.7, { seed: 5 })).not.toEqual(fgn(100, 0.7, { seed: 6 }));
    expect(coloredNoise(100, 1, { seed: 5 })).toEqual(coloredNoise(100, 1, { seed: 5 }));
    expect(randomCascade(8, { seed: 5 })).toEqual(randomCascade(8, { seed: 5 }));
    expect(new Rng(9).uniform()).toBe(new Rng(9).uniform());
  });

  it.each([0.2, 0.5, 0.8])('fGn with H = %s has unit variance and lag-k covariance ½(|k+1|^2H − 2|k|^2H + |k−1|^2H)', (H) => {
    const samples = Array.from({ length: 16 }, (_, seed) => fgn(4096, H, { seed }));
    const variance = mean(samples.map((x) => mean(x.map((v) => v * v))));
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
    for (const k of [1, 2]) {
      const expected = 0.5 * ((k + 1) ** (2 * H) - 2 * k ** (2 * H) + (k - 1) ** (2 * H));
      expect(Math.abs(mean(samples.map((x) => lagCovariance(x, k))) - expected)).toBeLessThan(0.03);
    }
  });

  it('fBm starts at 0 and its increments are the fGn of the same seed', () => {
    const b = fbm(257, 0.6, { seed: 3 });
    const g = fgn(256, 0.6, { seed: 3 });
    expect(b[0]).toBe(0);
    for (let i = 1; i < b.length; i++) expect(b[i]! - b[i - 1]!).toBeCloseTo(g[i - 1]!, 12);
  });

  it.each([0, 1, 2])('coloredNoise(β = %s) has unit variance and a 1/f^β spectrum', (beta) => {
    const x = coloredNoise(16384, beta, { seed: 4 });
    expect(mean(x)).toBeCloseTo(0, 10);
    expect(mean(x.map((v) => v * v))).toBeCloseTo(1, 10);
    expect(Math.abs(spectralSlope(x, { segment: 4096, fRange: [0, 0.25] }).beta - beta)).toBeLessThan(0.1);
  });

  it('binomialCascade: x_k = a^n(k) (1 − a)^(L − n(k)), total mass 1', () => {
    const x = binomialCascade(3, 0.6);
    const ones = [0, 1, 1, 2, 1, 2, 2, 3];
    ones.forEach((n, k) => expect(x[k]).toBeCloseTo(0.6 ** n * 0.4 ** (3 - n), 15));
    expect(mean(binomialCascade(12, 0.75)) * 4096).toBeCloseTo(1, 12);
  });

  it('randomCascade keeps the binomial cascade values, in another order', () => {
    const r = Array.from(randomCascade(10, { a: 0.7, seed: 2 })).sort((p, q) => p - q);
    const b = Array.from(binomialCascade(10, 0.7)).sort((p, q) => p - q);
    r.forEach((v, i) => expect(v).toBeCloseTo(b[i]!, 15));
  });
});
