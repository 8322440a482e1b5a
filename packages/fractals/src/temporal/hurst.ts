/**
 * The Hurst exponent by rescaled-range (R/S) analysis, with nolds's definition and defaults.
 */
import { fitLine, type FitMethod } from '../math/regression.js';
import { toSignal, type Signal } from '../math/signal.js';
import { checkScales, logmidScales } from './scales.js';
import { MechintError } from '@mechint/core';

/** Options of {@link hurstRS}. @example `{ corrected: true, unbiased: true }` */
export interface HurstOptions {
  /** Window sizes. Defaults to nolds's `logmid_n(N, 1/4, 15)`. Each an integer in [2, N]. */
  scales?: readonly number[];
  /**
   * Subtract the Anis-Lloyd-Peters expected (R/S)_n of white noise before the fit and add 0.5 to the
   * slope, as nolds's default `corrected=True`. Defaults to true.
   */
  corrected?: boolean;
  /** Standard deviation with ddof = 1 (nolds's default `unbiased=True`). Defaults to true. */
  unbiased?: boolean;
  /** Fit of the log-log line. Defaults to `'least-squares'` (nolds defaults to RANSAC). */
  fit?: FitMethod;
  /** Seed of the RANSAC fit. Defaults to 0. */
  seed?: number;
}

/** Result of {@link hurstRS}. @example `{ h: 0.52, scales: [6, 8, 10], rs: Float64Array }` */
export interface HurstResult {
  /** The Hurst exponent. */
  h: number;
  /** Window sizes used (those with a non-zero range). */
  scales: number[];
  /** Mean (R/S)_n of each used scale. */
  rs: Float64Array;
}

/**
 * The Hurst exponent by rescaled range (Hurst 1951), as nolds ≥ 0.5 computes it: for each window
 * size n the signal is cut into ⌊N/n⌋ windows from the start; in each, R is the range of the
 * cumulative sum of the mean-removed window and S its standard deviation; (R/S)_n is the mean of R/S
 * over windows with R > 0. H is the least-squares slope of ln (R/S)_n against ln n; with
 * `corrected` (default) the Anis-Lloyd-Peters expectation E[(R/S)_n] is subtracted in log space and
 * 0.5 added back, which removes the small-n bias.
 *
 * Throws `INVALID_ARGUMENT` for fewer than 32 samples (without explicit scales), NaN / Infinity, a
 * constant signal, and scales outside [2, N].
 *
 * @see H. E. Hurst, "Long-term storage capacity of reservoirs", Trans. Am. Soc. Civ. Eng. 116 (1951) 770–799.
 * @see A. A. Anis, E. H. Lloyd, "The expected value of the adjusted rescaled Hurst range of independent normal summands", Biometrika 63 (1976); E. E. Peters, "Fractal market analysis" (1994).
 * @see nolds.hurst_rs
 * @example
 * ```ts
 * import { hurstRS, Rng } from '@mechint/fractals';
 * const rng = new Rng(3);
 * hurstRS(Float64Array.from({ length: 2048 }, () => rng.normal())).h; // ≈ 0.5
 * ```
 */
export function hurstRS(x: Signal, options: HurstOptions = {}): HurstResult {
  const data = toSignal(x, { method: 'hurstRS', minLength: options.scales === undefined ? 32 : 4 });
  const n = data.length;
  const scales = options.scales === undefined ? logmidScales(n) : checkScales(options.scales, 'hurstRS', 2, n, 'each window needs ≥ 2 samples and at most N');
  const corrected = options.corrected ?? true;
  const unbiased = options.unbiased ?? true;
  const used: number[] = [];
  const rsValues: number[] = [];
  for (const s of scales) {
    const value = rescaledRange(data, s, unbiased);
    if (!Number.isNaN(value)) {
      used.push(s);
      rsValues.push(value);
    }
  }
  if (used.length < 2) {
    throw new MechintError('INVALID_ARGUMENT', 'hurstRS: fewer than two window sizes have a non-zero range; pass a longer or less repetitive signal.');
  }
  const xs = used.map(Math.log);
  const ys = rsValues.map((v, i) => Math.log(v) - (corrected ? Math.log(expectedRS(used[i]!)) : 0));
  const { slope } = fitLine(xs, ys, { fit: options.fit ?? 'least-squares', seed: options.seed ?? 0 });
  return { h: corrected ? slope + 0.5 : slope, scales: used, rs: Float64Array.from(rsValues) };
}

/**
 * The Anis-Lloyd-Peters expected rescaled range of n independent normal samples, as nolds's
 * `expected_rs`: `(n − ½)/n · Γ((n−1)/2) / (√π Γ(n/2)) · Σ_{i=1}^{n−1} √((n−i)/i)`, with
 * `1/√(nπ/2)` for the Gamma ratio when n > 340.
 *
 * @see nolds.expected_rs
 * @example
 * ```ts
 * import { expectedRS } from '@mechint/fractals';
 * expectedRS(10);
 * ```
 */
export function expectedRS(n: number): number {
  const front = (n - 0.5) / n;
  let back = 0;
  for (let i = 1; i < n; i++) back += Math.sqrt((n - i) / i);
  const middle = n <= 340 ? Math.exp(logGamma((n - 1) / 2) - logGamma(n / 2)) / Math.sqrt(Math.PI) : 1 / Math.sqrt(n * Math.PI * 0.5);
  return front * middle * back;
}

function rescaledRange(x: Float64Array, s: number, unbiased: boolean): number {
  const windows = Math.floor(x.length / s);
  let total = 0;
  let count = 0;
  for (let w = 0; w < windows; w++) {
    const start = w * s;
    let mean = 0;
    for (let t = 0; t < s; t++) mean += x[start + t]!;
    mean /= s;
    let acc = 0;
    let lo = Infinity;
    let hi = -Infinity;
    let sq = 0;
    for (let t = 0; t < s; t++) {
      const d = x[start + t]! - mean;
      acc += d;
      sq += d * d;
      if (acc < lo) lo = acc;
      if (acc > hi) hi = acc;
    }
    const range = hi - lo;
    if (range === 0) continue;
    total += range / Math.sqrt(sq / (unbiased ? s - 1 : s));
    count++;
  }
  return count === 0 ? NaN : total / count;
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms; relative error below 1e-15). */
function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  const z = x - 1;
  let a = c[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}
