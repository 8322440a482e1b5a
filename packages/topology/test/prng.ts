/** A seeded PRNG (mulberry32) and samplers, so every test sees the same points. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform points in [0, 1]^dim. */
export function uniformCube(n: number, dim: number, seed: number): number[][] {
  const rand = prng(seed);
  return Array.from({ length: n }, () => Array.from({ length: dim }, rand));
}
