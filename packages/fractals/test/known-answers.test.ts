/**
 * Signals with known answers: white noise, fGn / fBm of known H, the binomial cascade's closed-form
 * h(q), and (u, v)-flowers' exact box dimension.
 */
import { Rng, binomialCascade, boxCoveringDimension, dfa, fbm, fgn, higuchiFD, hurstRS, mfdfa, spectralSlope, uvFlower } from '../src/index.js';
import { mean } from './helpers.js';

const SEEDS = [1, 2, 3, 4];

describe('white noise', () => {
  const rng = new Rng(11);
  const noise = SEEDS.map(() => Float64Array.from({ length: 8192 }, () => rng.normal()));
  it('Higuchi ≈ 2, DFA α ≈ 0.5, Hurst ≈ 0.5, β ≈ 0', () => {
    expect(mean(noise.map((x) => higuchiFD(x)))).toBeCloseTo(2, 1);
    expect(Math.abs(mean(noise.map((x) => dfa(x).alpha)) - 0.5)).toBeLessThan(0.04);
    expect(Math.abs(mean(noise.map((x) => hurstRS(x).h)) - 0.5)).toBeLessThan(0.06);
    expect(Math.abs(mean(noise.map((x) => spectralSlope(x).beta)))).toBeLessThan(0.05);
  });
});

describe.each([0.2, 0.5, 0.8])('fractional noise and motion with H = %s', (H) => {
  const noises = SEEDS.map((seed) => fgn(8192, H, { seed }));
  const motions = SEEDS.map((seed) => fbm(8192, H, { seed }));
  it('DFA α of fGn ≈ H', () => {
    expect(Math.abs(mean(noises.map((x) => dfa(x).alpha)) - H)).toBeLessThan(0.05);
  });
  it('Higuchi FD of fBm ≈ 2 − H', () => {
    expect(Math.abs(mean(motions.map((x) => higuchiFD(x))) - (2 - H))).toBeLessThan(0.05);
  });
  it('spectral β of fGn ≈ 2H − 1 (low frequencies, where fGn is a power law)', () => {
    const beta = mean(noises.map((x) => spectralSlope(x, { fRange: [0, 0.1] }).beta));
    expect(Math.abs(beta - (2 * H - 1))).toBeLessThan(0.1);
  });
  it('DFA α of fBm ≈ H + 1', () => {
    expect(Math.abs(mean(motions.map((x) => dfa(x).alpha)) - (H + 1))).toBeLessThan(0.07);
  });
});

describe('binomial cascade (Kantelhardt et al. 2002)', () => {
  it('h(q) follows 1/q − ln(a^q + (1 − a)^q) / (q ln 2)', () => {
    const a = 0.75;
    const q = [-4, -2, -1, 1, 2, 4];
    const r = mfdfa(binomialCascade(16, a), { q, scales: [1024, 2048, 4096, 8192, 16384], order: 1 });
    q.forEach((qq, i) => expect(Math.abs(r.hq[i]! - (1 / qq - Math.log(a ** qq + (1 - a) ** qq) / (qq * Math.LN2)))).toBeLessThan(0.02));
    expect(r.width).toBeGreaterThan(0.5);
  });
});

describe('(u, v)-flowers', () => {
  it('the (2, 2)-flower has box dimension ln 4 / ln 2 = 2 (greedy colouring and CBB)', () => {
    const graph = uvFlower(2, 2, 5);
    expect(graph).toHaveLength((2 * 4 ** 5 + 4) / 3);
    for (const method of ['greedy-coloring', 'cbb'] as const) {
      expect(boxCoveringDimension(graph, { method, boxSizes: [2, 4, 8] }).dB).toBeCloseTo(Math.log(4) / Math.log(2), 1);
    }
  });
  it('MEMB on the (2, 2)-flower: N_B falls by ≈ u + v = 4 per doubling of the radius', () => {
    const r = boxCoveringDimension(uvFlower(2, 2, 5), { method: 'memb', boxSizes: [3, 5, 9] });
    expect(r.boxCounts[0]! / r.boxCounts[1]!).toBeGreaterThan(3.5);
    expect(r.boxCounts[1]! / r.boxCounts[2]!).toBeGreaterThan(3.5);
  });
  it('the (3, 3)-flower approaches ln 6 / ln 3 at boxes of one and three generations', () => {
    const r = boxCoveringDimension(uvFlower(3, 3, 4), { boxSizes: [4, 12] });
    expect(Math.abs(r.dB - Math.log(6) / Math.log(3))).toBeLessThan(0.1);
  });
});

describe('RANSAC fit (nolds\'s default, here seeded)', () => {
  it('is reproducible from its seed and close to the least-squares α of white noise', () => {
    const rng = new Rng(5);
    const x = Float64Array.from({ length: 4096 }, () => rng.normal());
    const a = dfa(x, { fit: 'ransac', seed: 3 }).alpha;
    expect(dfa(x, { fit: 'ransac', seed: 3 }).alpha).toBe(a);
    expect(Math.abs(a - 0.5)).toBeLessThan(0.06);
    expect(Math.abs(hurstRS(x, { fit: 'ransac', seed: 3 }).h - 0.5)).toBeLessThan(0.1);
  });
});
