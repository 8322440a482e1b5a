/**
 * Seeded resampling over core's mulberry32 `seededRandom` (permutations are core's
 * `randomPermutation`), so every statistic is reproducible from its seed.
 */

/** `n` indices drawn uniformly with replacement from `0 … n−1`. @internal */
export function resample(n: number, random: () => number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(random() * n);
  return out;
}
