import { seededRandom } from '@mechint/core';

/** Uniform points in [0, 1]^dim from core's seeded generator, so every test sees the same points. */
export function uniformCube(n: number, dim: number, seed: number): number[][] {
  const rand = seededRandom(seed);
  return Array.from({ length: n }, () => Array.from({ length: dim }, rand));
}
