/**
 * Local PCA dimension: in each point's neighbourhood, the number of significant principal
 * components.
 */
import { MechintError } from '@mechint/core';
import { readPoints, type PointCloud } from './inputs.js';
import { centreGram, offsetGram, symmetricEigen } from './linalg.js';
import { neighboursOf, type NeighbourOptions } from './neighbours.js';

/** Options of {@link localPCADimension}. @example `await localPCADimension(points, { k: 15, alpha: 0.05 })` */
export interface LocalPCAOptions extends NeighbourOptions {
  /** Neighbours per point. Defaults to 20. */
  k?: number;
  /** A component counts when its variance exceeds alpha × the largest (Fukunaga-Olsen). Defaults to 0.05, as scikit-dimension's `lPCA`. */
  alpha?: number;
}

/** What {@link localPCADimension} returns. @example `const { dimension, perPoint } = await localPCADimension(points)` */
export interface LocalPCAResult {
  /** Mean of the per-point dimensions. */
  dimension: number;
  /** The dimension in each point's neighbourhood. */
  perPoint: Int32Array;
}

/**
 * Local PCA dimension: for each point, the covariance of it and its k nearest neighbours
 * (through their k+1 × k+1 Gram matrix, so the cost does not grow with the ambient dimension)
 * and the count of eigenvalues above alpha × the largest.
 *
 * @see K. Fukunaga, D. R. Olsen, "An algorithm for finding intrinsic dimensionality of data", IEEE Trans. Comput. C-20 (1971).
 * @example
 * ```ts
 * import { localPCADimension } from '@mechint/topology';
 * let s = 3;
 * const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647);
 * const plane = Array.from({ length: 200 }, () => [rand(), rand(), 0, 0]);
 * const { dimension } = await localPCADimension(plane, { k: 10 }); // 2
 * ```
 */
export async function localPCADimension(points: PointCloud, options: LocalPCAOptions = {}): Promise<LocalPCAResult> {
  const k = options.k ?? 20;
  const alpha = options.alpha ?? 0.05;
  if (!(alpha > 0 && alpha < 1)) throw new MechintError('INVALID_ARGUMENT', `alpha must be in (0, 1); got ${alpha}.`);
  if (!Number.isInteger(k) || k < 2) throw new MechintError('INVALID_ARGUMENT', `k must be an integer ≥ 2; got ${k}.`);
  const checked = readPoints(points, k + 1);
  const { indices } = await neighboursOf(checked, k, options);
  const perPoint = new Int32Array(checked.n);
  const rows = new Int32Array(k + 1);
  let sum = 0;
  for (let i = 0; i < checked.n; i++) {
    rows[0] = i;
    rows.set(indices.data.subarray(i * k, (i + 1) * k), 1);
    const { values } = symmetricEigen(centreGram(offsetGram(checked.data, checked.dim, i, rows, 0, k + 1), k + 1), k + 1);
    let count = 0;
    for (const v of values) if (v > alpha * values[0]!) count++;
    perPoint[i] = count;
    sum += count;
  }
  return { dimension: sum / checked.n, perPoint };
}
