/**
 * Seeded permutations and resampling (over core's mulberry32 `seededRandom`), so every statistic is
 * reproducible from its seed.
 */

/** A uniformly random permutation of `0 … n−1` (Fisher–Yates). @internal */
export function permutation(n: number, random: () => number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return out;
}

/** `n` indices drawn uniformly with replacement from `0 … n−1`. @internal */
export function resample(n: number, random: () => number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(random() * n);
  return out;
}
