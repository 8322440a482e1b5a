/**
 * Straight-line fits: ordinary least squares (deterministic, the default everywhere) and a
 * seeded RANSAC for the robust fit nolds uses by default.
 */
import { MechintError } from '@mechint/core';
import { Rng } from './random.js';

/** A fitted line `y = slope · x + intercept`. @example `{ slope: 0.5, intercept: 1.2 }` */
export interface LineFit {
  slope: number;
  intercept: number;
}

/**
 * How a log-log line is fitted: `'least-squares'` (deterministic; numpy's `polyfit(x, y, 1)`) or
 * `'ransac'` (robust, random: nolds's default `fit_exp="RANSAC"`, here reproducible with `seed`).
 *
 * @example `dfa(x, { fit: 'ransac', seed: 1 })`
 */
export type FitMethod = 'least-squares' | 'ransac';

/**
 * Ordinary least-squares line through `(x[i], y[i])` (centred sums, as `np.polyfit(x, y, 1)`).
 *
 * @internal
 * @example `linearFit([0, 1, 2], [1, 3, 5])` is `{ slope: 2, intercept: 1 }`
 */
export function linearFit(x: ArrayLike<number>, y: ArrayLike<number>): LineFit {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]!;
    my += y[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx;
    sxy += dx * (y[i]! - my);
    sxx += dx * dx;
  }
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx };
}

/**
 * Weights `c` with `slope = Σ c[i] · y[i]` for the least-squares line through `(x[i], y[i])`: the
 * slope as a fixed linear map, for graph kernels.
 *
 * @internal
 * @example `slopeWeights([0, 1, 2])` is `[-0.5, 0, 0.5]`
 */
export function slopeWeights(x: ArrayLike<number>): Float64Array {
  const n = x.length;
  let mx = 0;
  for (let i = 0; i < n; i++) mx += x[i]!;
  mx /= n;
  let sxx = 0;
  for (let i = 0; i < n; i++) sxx += (x[i]! - mx) ** 2;
  return Float64Array.from({ length: n }, (_, i) => (x[i]! - mx) / sxx);
}

/** Options of a log-log fit. @internal @example `{ fit: 'ransac', seed: 3 }` */
export interface FitOptions {
  fit?: FitMethod;
  seed?: number;
}

/**
 * The line through `(x, y)` by `options.fit`. RANSAC, as in scikit-learn's `RANSACRegressor` that
 * nolds calls: 100 trials of two random points, inliers within the median absolute deviation of
 * `y`, the largest inlier set refitted by least squares.
 *
 * @internal
 * @example `fitLine([0, 1, 2, 3], [0, 1, 2, 9], { fit: 'ransac', seed: 1 })`
 */
export function fitLine(x: ArrayLike<number>, y: ArrayLike<number>, options: FitOptions = {}): LineFit {
  const fit = options.fit ?? 'least-squares';
  if (fit === 'least-squares') return linearFit(x, y);
  if (fit !== 'ransac') throw new MechintError('INVALID_ARGUMENT', `fit must be 'least-squares' or 'ransac'; got '${String(fit)}'.`);
  const n = x.length;
  if (n < 3) return linearFit(x, y);
  const rng = new Rng(options.seed ?? 0);
  const ys = Array.from(y).sort((a, b) => a - b);
  const med = ys[n >> 1]!;
  const threshold = Array.from(y, (v) => Math.abs(v - med)).sort((a, b) => a - b)[n >> 1]! || Number.EPSILON;
  let best: number[] = [];
  for (let trial = 0; trial < 100; trial++) {
    const i = rng.int(n);
    let j = rng.int(n - 1);
    if (j >= i) j++;
    if (x[i] === x[j]) continue;
    const slope = (y[j]! - y[i]!) / (x[j]! - x[i]!);
    const intercept = y[i]! - slope * x[i]!;
    const inliers: number[] = [];
    for (let k = 0; k < n; k++) if (Math.abs(y[k]! - slope * x[k]! - intercept) <= threshold) inliers.push(k);
    if (inliers.length > best.length) best = inliers;
  }
  if (best.length < 2) return linearFit(x, y);
  return linearFit(
    best.map((k) => x[k]!),
    best.map((k) => y[k]!),
  );
}
