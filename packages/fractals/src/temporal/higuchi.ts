/**
 * Higuchi's fractal dimension, with antropy's definition.
 */
import { checkInteger, toSignal, type Signal } from '../math/signal.js';
import { MechintError } from '@mechint/core';
import { linearFit } from '../math/regression.js';

/** Options of {@link higuchiFD}. @example `{ kMax: 10 }` */
export interface HiguchiOptions {
  /** Largest interval `k` (intervals 1..kMax are used). Defaults to 10, as in antropy. Must be ≥ 2 and < n / 2. */
  kMax?: number;
}

/**
 * Higuchi's fractal dimension (Higuchi 1988), exactly as antropy ≥ 0.2.1 computes it:
 * for k = 1..kMax and m = 0..k−1, with n_max = ⌊(N − m − 1) / k⌋,
 * `L_m(k) = Σ_{j=1..n_max} |x[m + jk] − x[m + (j−1)k]| · (N − 1) / (k · n_max) / k`,
 * `L(k)` = the mean over m, and FD = the least-squares slope of `ln L(k)` against `ln(1/k)`.
 * About 2 for white noise, 2 − H for fractional Brownian motion, 1 for a smooth curve.
 *
 * Throws `INVALID_ARGUMENT` for fewer than 2·kMax + 1 samples (so that every `L_m(k)` has a term),
 * kMax < 2, NaN / Infinity, a constant signal, and a signal with a zero curve length `L(k)`.
 *
 * @see T. Higuchi, "Approach to an irregular time series on the basis of the fractal theory", Physica D 31 (1988) 277–283.
 * @see antropy.higuchi_fd (https://raphaelvallat.com/antropy)
 * @example
 * ```ts
 * import { higuchiFD, Rng } from '@mechint/fractals';
 * const rng = new Rng(1);
 * const noise = Float64Array.from({ length: 4096 }, () => rng.normal());
 * higuchiFD(noise); // ≈ 2
 * ```
 */
export function higuchiFD(x: Signal, options: HiguchiOptions = {}): number {
  const kMax = options.kMax ?? 10;
  checkInteger(kMax, 'higuchiFD: kMax', 2, Number.MAX_SAFE_INTEGER, 'Pass e.g. { kMax: 10 } (antropy\'s default).');
  const data = toSignal(x, { method: `higuchiFD (kMax = ${kMax})`, minLength: 2 * kMax + 1 });
  const lk = higuchiCurveLengths(data, kMax);
  const logInvK = new Float64Array(kMax);
  const logL = new Float64Array(kMax);
  for (let k = 1; k <= kMax; k++) {
    const l = lk[k - 1]!;
    if (!(l > 0)) {
      throw new MechintError('INVALID_ARGUMENT', `higuchiFD: the curve length L(${k}) is 0 (the signal repeats with period ${k}), so ln L(k) is undefined; use a smaller kMax or another signal.`);
    }
    logInvK[k - 1] = Math.log(1 / k);
    logL[k - 1] = Math.log(l);
  }
  return linearFit(logInvK, logL).slope;
}

/**
 * The curve lengths `L(k)`, k = 1..kMax, of Higuchi's method: `L(k) = Σ_i w_k[i] · |x[i + k] − x[i]|`
 * with `w_k[i] = (N − 1) / (k³ · n_max(i mod k))`, the sum over m and j rewritten as one pass per k.
 *
 * @internal
 * @example `higuchiCurveLengths(Float64Array.of(0, 1, 0, 1, 0, 1), 2)`
 */
export function higuchiCurveLengths(x: Float64Array, kMax: number): Float64Array {
  const n = x.length;
  const out = new Float64Array(kMax);
  for (let k = 1; k <= kMax; k++) {
    let total = 0;
    for (let m = 0; m < k; m++) {
      const nMax = Math.floor((n - m - 1) / k);
      let sum = 0;
      let prev = x[m]!;
      for (let i = m + k; i < n; i += k) {
        const v = x[i]!;
        sum += Math.abs(v - prev);
        prev = v;
      }
      total += sum / nMax;
    }
    out[k - 1] = (total * (n - 1)) / (k * k * k);
  }
  return out;
}

/**
 * The weights `w_k[i]`, i = 0..N−k−1, with `L(k) = Σ_i w_k[i] · |x[i + k] − x[i]|`.
 *
 * @internal
 * @example `higuchiWeights(100, 3).length === 97`
 */
export function higuchiWeights(n: number, k: number): Float64Array {
  const w = new Float64Array(n - k);
  for (let i = 0; i < n - k; i++) w[i] = (n - 1) / (k * k * k * Math.floor((n - (i % k) - 1) / k));
  return w;
}
