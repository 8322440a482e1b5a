/**
 * Multifractal detrended fluctuation analysis (Kantelhardt et al. 2002) and the singularity
 * spectrum.
 */
import { MechintError } from '@mechint/core';
import { profile, WindowDetrender } from '../math/detrend.js';
import { linearFit } from '../math/regression.js';
import { checkInteger, toSignal, type Signal } from '../math/signal.js';
import { checkScales } from '../temporal/scales.js';

/** Options of {@link mfdfa}. @example `{ q: [-2, 0, 2], scales: [16, 32, 64, 128], order: 2 }` */
export interface MfdfaOptions {
  /** Moments q. Defaults to −5, −4, …, 5 (q = 0 uses the logarithmic average). */
  q?: readonly number[];
  /**
   * Window sizes s. Defaults to 20 log-spaced integers from 10 to ⌊N/4⌋ (the range where the
   * short-scale bias of detrending is small). Each must be an integer in [order + 2, N].
   */
  scales?: readonly number[];
  /** Degree of the detrending polynomial. Defaults to 1, as the MFDFA package. */
  order?: number;
}

/** Result of {@link mfdfa}. @example `{ q, hq, tau, alpha, f, width, scales, fluctuations }` */
export interface MfdfaResult {
  /** The moments q, as given (sorted increasing). */
  q: Float64Array;
  /** Generalised Hurst exponents h(q): slopes of ln F_q(s) against ln s. */
  hq: Float64Array;
  /** Mass exponents τ(q) = q·h(q) − 1. */
  tau: Float64Array;
  /** Singularity strengths α = dτ/dq (numpy's `gradient` over q). */
  alpha: Float64Array;
  /** Singularity spectrum f(α) = q·α − τ. */
  f: Float64Array;
  /** Width of the singularity spectrum, max α − min α. */
  width: number;
  /** Window sizes s. */
  scales: number[];
  /** F_q(s): one row per scale, one column per q (row-major, scales × q). */
  fluctuations: Float64Array;
}

/**
 * Multifractal DFA (Kantelhardt et al. 2002). The profile `Y = cumsum(x − mean)` is cut into
 * ⌊N/s⌋ segments from the start and ⌊N/s⌋ from the end (2⌊N/s⌋ in all); a polynomial of degree
 * `order` is fitted to each, giving the variance F²(v, s) of its residual; then
 * `F_q(s) = [mean_v F²(v,s)^{q/2}]^{1/q}` and, for q = 0, `exp(mean_v ln F²(v,s) / 2)`.
 * h(q) is the least-squares slope of ln F_q(s) against ln s, τ(q) = q h(q) − 1,
 * α = dτ/dq by second-order central differences (one-sided at the ends, numpy's `gradient`, as the
 * MFDFA package's `singularity_spectrum`) and f(α) = qα − τ.
 *
 * Throws `INVALID_ARGUMENT` for fewer than 64 samples (without explicit scales), NaN / Infinity, a
 * constant signal, scales outside [order + 2, N], non-finite q, and a segment with zero residual
 * when some q ≤ 0 (its negative moment is infinite).
 *
 * @see J. W. Kantelhardt et al., "Multifractal detrended fluctuation analysis of nonstationary time series", Physica A 316 (2002) 87–114.
 * @see MFDFA (L. Rydin Gorjão et al., SoftwareX 2022)
 * @example
 * ```ts
 * import { binomialCascade, mfdfa } from '@mechint/fractals';
 * const { hq, width } = mfdfa(binomialCascade(14, 0.75), { q: [-2, 2], scales: [256, 512, 1024, 2048] });
 * ```
 */
export function mfdfa(x: Signal, options: MfdfaOptions = {}): MfdfaResult {
  const order = options.order ?? 1;
  checkInteger(order, 'mfdfa: order', 0, 10);
  const data = toSignal(x, { method: 'mfdfa', minLength: options.scales === undefined ? 64 : order + 3 });
  const n = data.length;
  const q = Float64Array.from(options.q ?? [-5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5]).sort();
  if (q.length === 0 || q.some((v) => !Number.isFinite(v)) || new Set(q).size !== q.length) {
    throw new MechintError('INVALID_ARGUMENT', `mfdfa: q must be distinct finite numbers; got ${JSON.stringify(options.q)}.`);
  }
  const scales = options.scales === undefined ? defaultMfdfaScales(n) : checkScales(options.scales, 'mfdfa', order + 2, n, 'each segment needs ≥ order + 2 samples and at most N');
  const fluctuations = mfdfaFluctuations(profile(data), scales, q, order);
  const logS = scales.map(Math.log);
  const hq = Float64Array.from(q, (_, j) => linearFit(logS, scales.map((_, i) => Math.log(fluctuations[i * q.length + j]!))).slope);
  return { ...singularitySpectrum(q, hq), scales, fluctuations };
}

/**
 * The default MFDFA scales: 20 log-spaced integers from 10 to ⌊N/4⌋, de-duplicated.
 *
 * @internal
 * @example `defaultMfdfaScales(4096)[0] === 10`
 */
export function defaultMfdfaScales(n: number): number[] {
  const hi = Math.floor(n / 4);
  if (hi <= 10) throw new MechintError('INVALID_ARGUMENT', `mfdfa: the default scales run from 10 to N/4 and need N ≥ 64; got N = ${n}. Pass scales or a longer signal.`);
  const out = Array.from({ length: 20 }, (_, i) => Math.round(10 * (hi / 10) ** (i / 19)));
  return [...new Set(out)];
}

/**
 * F_q(s) as a scales × q row-major array.
 *
 * @internal
 * @example `mfdfaFluctuations(profile(x), [16, 32], Float64Array.of(2), 1)`
 */
export function mfdfaFluctuations(y: Float64Array, scales: readonly number[], q: Float64Array, order: number): Float64Array {
  const n = y.length;
  const out = new Float64Array(scales.length * q.length);
  scales.forEach((s, i) => {
    const detrender = new WindowDetrender(s, order);
    const segments = Math.floor(n / s);
    const f2 = new Float64Array(2 * segments);
    const tail = n - segments * s;
    for (let v = 0; v < segments; v++) {
      f2[v] = detrender.residual(y, v * s);
      f2[segments + v] = detrender.residual(y, tail + v * s);
    }
    const sums = momentSums(f2, q);
    q.forEach((qq, j) => {
      const at = i * q.length + j;
      out[at] = qq === 0 ? Math.exp((0.5 * sums[j]!) / f2.length) : (sums[j]! / f2.length) ** (1 / qq);
      if (!(out[at]! > 0) || !Number.isFinite(out[at]!)) {
        throw new MechintError('INVALID_ARGUMENT', `mfdfa: F_q(s) is ${out[at]} at q = ${qq}, s = ${s} (a segment is an exact polynomial); use larger scales, q > 0, or a noisier signal.`);
      }
    });
  });
  return out;
}

/**
 * For each q: Σ_v F²_v^{q/2}, or Σ_v ln F²_v for q = 0. Integer q (|q| ≤ 16) use a table of powers of
 * F_v built once per segment, which is much faster than `**` in this hot loop.
 */
function momentSums(f2: Float64Array, q: Float64Array): Float64Array {
  const sums = new Float64Array(q.length);
  let maxPower = 0;
  for (const qq of q) if (Number.isInteger(qq) && Math.abs(qq) <= 16) maxPower = Math.max(maxPower, Math.abs(qq));
  const up = new Float64Array(maxPower + 1);
  const down = new Float64Array(maxPower + 1);
  up[0] = down[0] = 1;
  for (const v of f2) {
    const r = Math.sqrt(v);
    const inv = 1 / r;
    for (let k = 1; k <= maxPower; k++) {
      up[k] = up[k - 1]! * r;
      down[k] = down[k - 1]! * inv;
    }
    for (let j = 0; j < q.length; j++) {
      const qq = q[j]!;
      if (qq === 0) sums[j] = sums[j]! + Math.log(v);
      else if (Number.isInteger(qq) && Math.abs(qq) <= 16) sums[j] = sums[j]! + (qq > 0 ? up[qq]! : down[-qq]!);
      else sums[j] = sums[j]! + v ** (qq / 2);
    }
  }
  return sums;
}

/**
 * τ, α, f(α) and the width from h(q), as the MFDFA package's `singularity_spectrum`.
 *
 * @example
 * ```ts
 * import { singularitySpectrum } from '@mechint/fractals';
 * singularitySpectrum(Float64Array.of(-1, 0, 1), Float64Array.of(0.6, 0.5, 0.4)).width;
 * ```
 */
export function singularitySpectrum(q: Float64Array, hq: Float64Array): { q: Float64Array; hq: Float64Array; tau: Float64Array; alpha: Float64Array; f: Float64Array; width: number } {
  const m = q.length;
  const tau = Float64Array.from(q, (v, i) => v * hq[i]! - 1);
  const alpha = new Float64Array(m);
  if (m === 1) alpha[0] = NaN;
  else {
    alpha[0] = (tau[1]! - tau[0]!) / (q[1]! - q[0]!);
    alpha[m - 1] = (tau[m - 1]! - tau[m - 2]!) / (q[m - 1]! - q[m - 2]!);
    for (let i = 1; i < m - 1; i++) {
      const hs = q[i]! - q[i - 1]!;
      const hd = q[i + 1]! - q[i]!;
      alpha[i] = (hs * hs * tau[i + 1]! + (hd * hd - hs * hs) * tau[i]! - hd * hd * tau[i - 1]!) / (hs * hd * (hd + hs));
    }
  }
  const f = Float64Array.from(q, (v, i) => v * alpha[i]! - tau[i]!);
  let lo = Infinity;
  let hi = -Infinity;
  for (const a of alpha) {
    lo = Math.min(lo, a);
    hi = Math.max(hi, a);
  }
  return { q, hq, tau, alpha, f, width: hi - lo };
}
