/**
 * Detrended fluctuation analysis, with nolds's definition (≥ 0.6) and defaults.
 */
import { MechintError } from '@mechint/core';
import { overlappingLinearResidual, profile, WindowDetrender } from '../math/detrend.js';
import { fitLine, type FitMethod } from '../math/regression.js';
import { checkInteger, toSignal, type Signal } from '../math/signal.js';
import { checkScales, logarithmicScales } from './scales.js';

/** Options of {@link dfa}. @example `{ order: 1, overlap: true, scales: [8, 16, 32, 64] }` */
export interface DfaOptions {
  /** Degree of the polynomial removed from each window. Defaults to 1 (DFA1), as in nolds. */
  order?: number;
  /**
   * Window sizes. Defaults to nolds's `logarithmic_n(4, 0.1 · N, 1.2)` (needs N > 70). Each must be
   * an integer ≥ order + 2 and < N (≤ N without overlap).
   */
  scales?: readonly number[];
  /** Windows overlap by half (step ⌊n/2⌋), as nolds's default `overlap=True`. Defaults to true. */
  overlap?: boolean;
  /**
   * Fit of log F(n) against log n: `'least-squares'` (default, deterministic) or `'ransac'`
   * (nolds's default, random; reproducible here through `seed`).
   */
  fit?: FitMethod;
  /** Seed of the RANSAC fit. Defaults to 0. */
  seed?: number;
}

/** Result of {@link dfa}. @example `{ alpha: 0.5, intercept: -0.3, scales: [4, 5, 6], fluctuations: Float64Array }` */
export interface DfaResult {
  /** The scaling exponent α: slope of ln F(n) against ln n (0.5 white noise, 1 pink, 1.5 Brownian). */
  alpha: number;
  /** Intercept of that line (natural logarithms). */
  intercept: number;
  /** Window sizes n, increasing. */
  scales: number[];
  /** F(n) for each scale. */
  fluctuations: Float64Array;
}

/**
 * Detrended fluctuation analysis (Peng et al. 1994) as nolds ≥ 0.6 defines it: the profile
 * `y = cumsum(x − mean(x))` is cut into windows of n samples (with overlap: starts 0, ⌊n/2⌋, 2⌊n/2⌋, …
 * below N − n, exactly as nolds's `range(0, N - n, n // 2)`; without: ⌊N/n⌋ windows from the start),
 * a polynomial of degree `order` is fitted to each window by least squares, and
 * `F(n) = sqrt(mean over windows of the mean squared residual)`. α is the least-squares slope of
 * ln F(n) against ln n. Scales with F(n) = 0 are left out of the fit, as nolds does; α is NaN when
 * fewer than two remain (a polynomial signal of degree < order).
 *
 * α ≈ H for fractional Gaussian noise, 0.5 for white noise, 1.5 for a random walk.
 *
 * Throws `INVALID_ARGUMENT` for NaN / Infinity, a constant signal, N ≤ 70 without explicit
 * scales, and scales outside [order + 2, N).
 *
 * @see C.-K. Peng et al., "Mosaic organization of DNA nucleotides", Phys. Rev. E 49 (1994) 1685.
 * @see nolds.dfa (https://cschoel.github.io/nolds)
 * @example
 * ```ts
 * import { dfa, fgn } from '@mechint/fractals';
 * const { alpha } = dfa(fgn(4096, 0.7, { seed: 1 }));
 * alpha; // ≈ 0.7
 * ```
 */
export function dfa(x: Signal, options: DfaOptions = {}): DfaResult {
  const order = options.order ?? 1;
  checkInteger(order, 'dfa: order', 0, 10);
  const overlap = options.overlap ?? true;
  const data = toSignal(x, { method: 'dfa', minLength: options.scales === undefined ? 71 : order + 3 });
  const n = data.length;
  const scales =
    options.scales === undefined
      ? defaultScales(n, order)
      : checkScales(options.scales, 'dfa', order + 2, overlap ? n - 1 : n, `each window needs ≥ order + 2 samples and ${overlap ? 'fewer than N' : 'at most N'}`);
  const fluctuations = dfaFluctuations(profile(data), scales, order, overlap);
  const { slope, intercept } = fitNonZero(scales, fluctuations, options.fit ?? 'least-squares', options.seed ?? 0);
  return { alpha: slope, intercept, scales, fluctuations };
}

/**
 * nolds's default DFA scales for N samples, checked against the order.
 *
 * @internal
 * @example `defaultScales(1000, 1)[0] === 4`
 */
export function defaultScales(n: number, order: number): number[] {
  const scales = logarithmicScales(4, 0.1 * n, 1.2);
  if (scales[0]! < order + 2) {
    throw new MechintError('INVALID_ARGUMENT', `dfa: the default scales start at 4, too short for order ${order}; pass scales ≥ ${order + 2}.`);
  }
  return scales;
}

/**
 * F(n) for each scale of the profile `y`.
 *
 * @internal
 * @example `dfaFluctuations(profile(x), [4, 8], 1, true)`
 */
export function dfaFluctuations(y: Float64Array, scales: readonly number[], order: number, overlap: boolean): Float64Array {
  const total = y.length;
  return Float64Array.from(scales, (s) => {
    if (order === 1 && overlap && s >= 4) return Math.sqrt(overlappingLinearResidual(y, s));
    const detrender = new WindowDetrender(s, order);
    const step = overlap ? Math.floor(s / 2) : s;
    const end = overlap ? total - s : total - s + 1;
    let sum = 0;
    let windows = 0;
    for (let start = 0; start < end; start += step) {
      sum += detrender.residual(y, start);
      windows++;
    }
    return Math.sqrt(sum / windows);
  });
}

/**
 * The log-log line through the scales with non-zero fluctuation (NaN slope and intercept when
 * fewer than two remain).
 *
 * @internal
 * @example `fitNonZero([4, 8], Float64Array.of(1, 2), 'least-squares', 0)`
 */
export function fitNonZero(scales: readonly number[], values: Float64Array, fit: FitMethod, seed: number): { slope: number; intercept: number } {
  const xs: number[] = [];
  const ys: number[] = [];
  scales.forEach((s, i) => {
    const v = values[i]!;
    if (v > 0) {
      xs.push(Math.log(s));
      ys.push(Math.log(v));
    }
  });
  if (xs.length < 2) return { slope: NaN, intercept: NaN };
  return fitLine(xs, ys, { fit, seed });
}
