/**
 * Seeded random test data: the same seed gives the same numbers on every machine.
 */
import { Tensor } from '../../src/index.node.js';

/**
 * The mulberry32 generator: a function returning uniform numbers in [0, 1), fully determined by
 * `seed`.
 *
 * @example
 * ```ts
 * const rng = mulberry32(42);
 * rng(); // always the same first number for seed 42
 * ```
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A float32 tensor of `shape` with entries uniform in [lo, hi). @example `uniform(mulberry32(1), [2, 3])` */
export function uniform(rng: () => number, shape: readonly number[], lo = -1, hi = 1): Tensor<'float32'> {
  const size = shape.reduce((a, b) => a * b, 1);
  return new Tensor('float32', Float32Array.from({ length: size }, () => lo + (hi - lo) * rng()), shape);
}

/** An int64 tensor of `shape` with integers uniform in [lo, hi). @example `randomInts(mulberry32(1), [4], 0, 10)` */
export function randomInts(rng: () => number, shape: readonly number[], lo: number, hi: number): Tensor<'int64'> {
  const size = shape.reduce((a, b) => a * b, 1);
  return new Tensor('int64', BigInt64Array.from({ length: size }, () => BigInt(lo + Math.floor((hi - lo) * rng()))), shape);
}
