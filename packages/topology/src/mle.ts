/**
 * The Levina-Bickel maximum-likelihood intrinsic dimension.
 */
import { MechintError } from '@mechint/core';
import { readPoints, type PointCloud } from './inputs.js';
import { neighboursOf, type NeighbourOptions } from './neighbours.js';

/** Options of {@link mleDimension}. @example `await mleDimension(points, { k: 10, average: 'inverse' })` */
export interface MLEOptions extends NeighbourOptions {
  /** Neighbours per point. Defaults to 20, the top of Levina and Bickel's k = 10 … 20. */
  k?: number;
  /** Pool the per-point estimates by their mean (Levina-Bickel) or by the inverse of the mean inverse (MacKay-Ghahramani). Defaults to `'mean'`. */
  average?: 'mean' | 'inverse';
}

/** What {@link mleDimension} returns. @example `const { dimension, perPoint } = await mleDimension(points)` */
export interface MLEResult {
  /** The pooled estimate. */
  dimension: number;
  /** Per-point estimates m̂_k(x) (NaN where the nearest neighbour is a duplicate). */
  perPoint: Float64Array;
}

/**
 * Levina-Bickel: m̂_k(x) = [(1 / (k − 1)) Σ_{j<k} log(T_k(x) / T_j(x))]⁻¹ from the distances T_j to
 * the j-th neighbour, pooled over the points.
 *
 * @see E. Levina, P. J. Bickel, "Maximum likelihood estimation of intrinsic dimension", NeurIPS 17 (2005).
 * @example
 * ```ts
 * import { mleDimension } from '@mechint/topology';
 * let s = 7;
 * const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647);
 * const cube = Array.from({ length: 500 }, () => [rand(), rand(), rand()]);
 * const { dimension } = await mleDimension(cube, { k: 10 }); // ≈ 3
 * ```
 */
export async function mleDimension(points: PointCloud, options: MLEOptions = {}): Promise<MLEResult> {
  const k = options.k ?? 20;
  const average = options.average ?? 'mean';
  if (average !== 'mean' && average !== 'inverse') throw new MechintError('INVALID_ARGUMENT', `average must be 'mean' or 'inverse'; got '${String(average)}'.`);
  if (!Number.isInteger(k) || k < 2) throw new MechintError('INVALID_ARGUMENT', `k must be an integer ≥ 2; got ${k}.`);
  const checked = readPoints(points, k + 1);
  const { distances } = await neighboursOf(checked, k, options);
  const t = distances.data;
  const perPoint = new Float64Array(checked.n);
  let sum = 0;
  let count = 0;
  for (let i = 0; i < checked.n; i++) {
    if (!(t[i * k]! > 0)) {
      perPoint[i] = NaN;
      continue;
    }
    const last = Math.log(t[i * k + k - 1]!);
    let s = 0;
    for (let j = 0; j < k - 1; j++) s += last - Math.log(t[i * k + j]!);
    perPoint[i] = (k - 1) / s;
    sum += average === 'mean' ? perPoint[i]! : 1 / perPoint[i]!;
    count++;
  }
  if (count === 0) throw new MechintError('INVALID_ARGUMENT', 'Every point has a duplicate as its nearest neighbour; remove duplicate points.');
  return { dimension: average === 'mean' ? sum / count : count / sum, perPoint };
}
