/**
 * The ground metric between diagram points: the L_q distance in the (birth, death) plane, and
 * the distance from a point to the diagonal.
 */
import type { PersistencePair } from './diagram.js';

/** @internal L_q distance between two finite pairs (q = Infinity: the larger coordinate gap). */
export function pairDistance(a: PersistencePair, b: PersistencePair, q: number): number {
  const x = Math.abs(a[0] - b[0]);
  const y = Math.abs(a[1] - b[1]);
  if (q === Infinity) return Math.max(x, y);
  return (x ** q + y ** q) ** (1 / q);
}

/** @internal L_q distance from a finite pair to its nearest point on the diagonal: (death − birth) / 2 · 2^(1/q). */
export function diagonalDistance(a: PersistencePair, q: number): number {
  const half = (a[1] - a[0]) / 2;
  return q === Infinity ? half : half * 2 ** (1 / q);
}
