/**
 * A small seeded pseudo-random generator (mulberry32), shared by every package, so that weights,
 * resamplings and test data are the same on every machine.
 */

/**
 * A seeded generator of uniform numbers in [0, 1) (mulberry32, 32-bit state).
 *
 * @example
 * ```ts
 * import { seededRandom } from '@mechint/core';
 * const rand = seededRandom(42);
 * const u = rand(); // in [0, 1), the same for every run with seed 42
 * ```
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A seeded generator of standard normal numbers (Box–Muller over {@link seededRandom}).
 *
 * @example
 * ```ts
 * import { seededNormal } from '@mechint/core';
 * const randn = seededNormal(7);
 * const z = randn();
 * ```
 */
export function seededNormal(seed: number): () => number {
  const rand = seededRandom(seed);
  return () => {
    const u = 1 - rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  };
}

/**
 * A uniformly random permutation of `0 … n−1` (Fisher–Yates, drawing from `random`), so shuffles
 * are reproducible from a seed.
 *
 * @example
 * ```ts
 * import { randomPermutation, seededRandom } from '@mechint/core';
 * const order = randomPermutation(5, seededRandom(1)); // the numbers 0…4 in a seeded order
 * ```
 */
export function randomPermutation(n: number, random: () => number): Uint32Array {
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return out;
}
