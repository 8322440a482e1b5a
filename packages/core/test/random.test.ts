import { randomPermutation, seededNormal, seededRandom } from '../src/index.node.js';

describe('seeded random numbers', () => {
  it('repeat exactly for a seed and differ between seeds', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const first = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(first);
    expect(seededRandom(43)()).not.toBe(first[0]);
  });

  it('are uniform on [0, 1): mean 1/2 and variance 1/12 within sampling error', () => {
    const rand = seededRandom(7);
    const n = 100_000;
    let sum = 0;
    let squares = 0;
    for (let i = 0; i < n; i++) {
      const u = rand();
      expect(u >= 0 && u < 1).toBe(true);
      sum += u;
      squares += u * u;
    }
    const mean = sum / n;
    expect(Math.abs(mean - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(squares / n - mean * mean - 1 / 12)).toBeLessThan(0.002);
  });

  it('give standard normals through Box–Muller: mean 0, variance 1 within sampling error', () => {
    const randn = seededNormal(3);
    const n = 100_000;
    const values = Array.from({ length: n }, () => randn());
    const mean = values.reduce((s, v) => s + v, 0) / n;
    const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
    expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(variance - 1)).toBeLessThan(0.02);
  });
});

describe('randomPermutation', () => {
  it('is a permutation of 0…n−1, the same for the same seed, different for another', () => {
    const a = randomPermutation(50, seededRandom(3));
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(randomPermutation(50, seededRandom(3))).toEqual(a);
    expect(randomPermutation(50, seededRandom(4))).not.toEqual(a);
  });

  it('draws every order of three elements equally often (Fisher–Yates is unbiased)', () => {
    const random = seededRandom(11);
    const counts = new Map<string, number>();
    for (let i = 0; i < 6000; i++) {
      const key = randomPermutation(3, random).join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    for (const c of counts.values()) expect(Math.abs(c - 1000)).toBeLessThan(120);
  });
});
