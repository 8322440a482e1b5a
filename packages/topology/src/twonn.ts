/**
 * TwoNN: intrinsic dimension from the ratio of the second to the first neighbour distance.
 */
import { MechintError } from '@mechint/core';
import { readPoints, type PointCloud } from './inputs.js';
import { neighboursOf, type NeighbourOptions } from './neighbours.js';

/** Options of {@link twoNN}. @example `await twoNN(points, { discardFraction: 0.1, estimator: 'mle' })` */
export interface TwoNNOptions extends NeighbourOptions {
  /** Fraction of the largest ratios μ left out of the fit. Defaults to 0.1, as scikit-dimension's `TwoNN`. */
  discardFraction?: number;
  /** `'fit'`: least squares through the origin of −log(1 − F(μ)) on log μ (Facco et al.); `'mle'`: N / Σ log μ. Defaults to `'fit'`. */
  estimator?: 'fit' | 'mle';
}

/** What {@link twoNN} returns. @example `const { dimension, excluded } = await twoNN(points)` */
export interface TwoNNResult {
  /** The intrinsic dimension estimate. */
  dimension: number;
  /** Points left out because their nearest neighbour is a duplicate (μ undefined). */
  excluded: number;
}

/**
 * The TwoNN intrinsic dimension: for each point μ = r₂ / r₁ (second over first neighbour
 * distance) follows a Pareto law with exponent d on a d-dimensional manifold of locally uniform
 * density; d is fitted from the empirical CDF of μ.
 *
 * @see E. Facco, M. d'Errico, A. Rodriguez, A. Laio, "Estimating the intrinsic dimension of datasets by a minimal neighborhood information", Sci. Rep. 7 (2017).
 * @example
 * ```ts
 * import { twoNN } from '@mechint/topology';
 * let s = 1;
 * const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647);
 * const plane = Array.from({ length: 500 }, () => [rand(), rand(), 0]);
 * const { dimension } = await twoNN(plane); // ≈ 2
 * ```
 */
export async function twoNN(points: PointCloud, options: TwoNNOptions = {}): Promise<TwoNNResult> {
  const discard = options.discardFraction ?? 0.1;
  if (!(discard >= 0 && discard < 1)) throw new MechintError('INVALID_ARGUMENT', `discardFraction must be in [0, 1); got ${discard}.`);
  const estimator = options.estimator ?? 'fit';
  if (estimator !== 'fit' && estimator !== 'mle') throw new MechintError('INVALID_ARGUMENT', `estimator must be 'fit' or 'mle'; got '${String(estimator)}'.`);
  const checked = readPoints(points, 3);
  const { distances } = await neighboursOf(checked, 2, options);
  const d = distances.data;
  const ratios: number[] = [];
  for (let i = 0; i < checked.n; i++) if (d[2 * i]! > 0) ratios.push(d[2 * i + 1]! / d[2 * i]!);
  const excluded = checked.n - ratios.length;
  if (ratios.length < 3) throw new MechintError('INVALID_ARGUMENT', `Only ${ratios.length} points have a nearest neighbour at a positive distance; remove duplicate points.`);
  const mu = Float64Array.from(ratios).sort();
  const n = mu.length;
  if (estimator === 'mle') {
    let sum = 0;
    for (const m of mu) sum += Math.log(m);
    return { dimension: n / sum, excluded };
  }
  const keep = Math.floor(n * (1 - discard));
  let xy = 0;
  let xx = 0;
  for (let i = 0; i < keep; i++) {
    const x = Math.log(mu[i]!);
    const y = -Math.log(1 - (i + 1) / n);
    xy += x * y;
    xx += x * x;
  }
  return { dimension: xy / xx, excluded };
}
