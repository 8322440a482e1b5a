/**
 * Seeded random test data: the same seed gives the same numbers on every machine.
 */
import { Tensor, seededRandom } from '../../src/index.node.js';

/** The mulberry32 generator of `@mechint/core` (`seededRandom`), under the name the tests use. */
export const mulberry32 = seededRandom;

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
