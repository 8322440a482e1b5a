/**
 * Multifractal detrended fluctuation analysis (Kantelhardt et al. 2002) and the singularity
 * spectrum.
 */
import { MechintError } from '@mechint/core';
import { CentredBlockSums, LinearWindow, profile, WindowDetrender } from '../math/detrend.js';
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
  const moments = new MomentSums(q);
  let f2 = new Float64Array(0);
  let runSums = new Float64Array(0);
  const blocks = order === 1 ? new CentredBlockSums(y) : undefined;
  scales.forEach((s, i) => {
    const segments = Math.floor(n / s);
    if (f2.length < 2 * segments) f2 = new Float64Array(2 * segments);
    let count: number;
    if (order === 1) {
      if (runSums.length < 3 * (2 * segments + 1)) runSums = new Float64Array(3 * (2 * segments + 1));
      count = linearSegmentResiduals(blocks!, y, s, f2, runSums);
    } else count = segmentResiduals(y, s, order, f2);
    const sums = moments.of(f2, count);
    q.forEach((qq, j) => {
      const at = i * q.length + j;
      out[at] = qq === 0 ? Math.exp((0.5 * sums[j]!) / count) : (sums[j]! / count) ** (1 / qq);
      if (!(out[at]! > 0) || !Number.isFinite(out[at]!)) {
        throw new MechintError('INVALID_ARGUMENT', `mfdfa: F_q(s) is ${out[at]} at q = ${qq}, s = ${s} (a segment is an exact polynomial); use larger scales, q > 0, or a noisier signal.`);
      }
    });
  });
  return out;
}

/**
 * F²(v, s) of the 2⌊N/s⌋ segments (⌊N/s⌋ from the start, then ⌊N/s⌋ from the end) into `f2`, for
 * any order: each segment detrended on its own. When s divides N both sets of segments coincide
 * and only the first ⌊N/s⌋ are written (their mean is the same). Returns how many were written.
 */
function segmentResiduals(y: Float64Array, s: number, order: number, f2: Float64Array): number {
  const detrender = new WindowDetrender(s, order);
  const segments = Math.floor(y.length / s);
  const tail = y.length - segments * s;
  for (let v = 0; v < segments; v++) f2[v] = detrender.residual(y, v * s);
  if (tail === 0) return segments;
  for (let v = 0; v < segments; v++) f2[segments + v] = detrender.residual(y, tail + v * s);
  return 2 * segments;
}

/**
 * F²(v, s) of the segments for order 1 into `f2`, as {@link segmentResiduals} (the same values,
 * count and order), reading each sample about once. With m = ⌊N/s⌋ and r = N − m·s, the segment
 * boundaries from the start (0, s, 2s, …) and from the end (r, r + s, …) cut the profile into runs
 * A_v = [v·s, v·s + r) and B_v = [v·s + r, (v + 1)·s): segment v from the start is A_v B_v and
 * segment v from the end is B_v A_{v+1}. The runs' centred sums (from `blocks`) are joined in
 * O(1) per segment. `runSums` is scratch space for 3(2m + 1) sums.
 */
function linearSegmentResiduals(blocks: CentredBlockSums, y: Float64Array, s: number, f2: Float64Array, runSums: Float64Array): number {
  const m = Math.floor(y.length / s);
  const r = y.length - m * s;
  const window = new LinearWindow(s);
  if (r === 0) {
    for (let v = 0; v < m; v++) {
      blocks.runSums(v * s, s, runSums, 0);
      f2[v] = window.residual(runSums[0]!, runSums[1]!, runSums[2]!);
    }
    return m;
  }
  // Run A_v's sums at 6v, B_v's at 6v + 3.
  for (let v = 0; v <= m; v++) {
    blocks.runSums(v * s, r, runSums, 6 * v);
    if (v < m) blocks.runSums(v * s + r, s - r, runSums, 6 * v + 3);
  }
  for (let v = 0; v < m; v++) {
    f2[v] = window.joined(y, runSums, 6 * v, 6 * v + 3, v * s, r);
    f2[m + v] = window.joined(y, runSums, 6 * v + 3, 6 * v + 6, v * s + r, s - r);
  }
  return 2 * m;
}

/**
 * For each q: Σ_v F²_v^{q/2}, or Σ_v ln F²_v for q = 0, over the first `count` values of F². The q
 * are classified once; the scratch arrays are reused across scales. Integer q (|q| ≤ 16) take
 * powers of F_v and 1/F_v by repeated multiplication (much faster than `**`); other q use `**`.
 */
class MomentSums {
  readonly #q: Float64Array;
  /** Per q: 0 for q = 0 (logarithm), k for F^k with integer k ≠ 0, NaN for a general power. */
  readonly #power: Float64Array;
  readonly #maxPower: number;
  readonly #sums: Float64Array;
  /** Σ_v F_v^k and Σ_v F_v^{−k} at index k = 1..maxPower. */
  readonly #up: Float64Array;
  readonly #down: Float64Array;

  constructor(q: Float64Array) {
    this.#q = q;
    this.#power = Float64Array.from(q, (v) => (Number.isInteger(v) && Math.abs(v) <= 16 ? v : NaN));
    this.#maxPower = this.#power.reduce((acc, k) => (Number.isNaN(k) ? acc : Math.max(acc, Math.abs(k))), 0);
    this.#sums = new Float64Array(q.length);
    this.#up = new Float64Array(this.#maxPower + 1);
    this.#down = new Float64Array(this.#maxPower + 1);
  }

  /** The moment sums of `f2[0..count)` (a view reused by the next call). */
  of(f2: Float64Array, count: number): Float64Array {
    const sums = this.#sums;
    if (this.#maxPower > 0) this.#integerPowers(f2, count);
    for (let j = 0; j < sums.length; j++) {
      const k = this.#power[j]!;
      if (k === 0) sums[j] = logSum(f2, count);
      else if (k > 0) sums[j] = this.#up[k]!;
      else if (k < 0) sums[j] = this.#down[-k]!;
      else {
        const half = this.#q[j]! / 2;
        let sum = 0;
        for (let i = 0; i < count; i++) sum += f2[i]! ** half;
        sums[j] = sum;
      }
    }
    return sums;
  }

  /** Σ_v F_v^k and Σ_v F_v^{−k} for k = 1..maxPower, into #up and #down. */
  #integerPowers(f2: Float64Array, count: number): void {
    const up = this.#up.fill(0);
    const down = this.#down.fill(0);
    const maxPower = this.#maxPower;
    for (let i = 0; i < count; i++) {
      const root = Math.sqrt(f2[i]!);
      const inverse = 1 / root;
      let u = 1;
      let d = 1;
      for (let k = 1; k <= maxPower; k++) {
        u *= root;
        d *= inverse;
        up[k] = up[k]! + u;
        down[k] = down[k]! + d;
      }
    }
  }
}

/**
 * Σ ln f2[i] over the first `count` values, as logarithms of running products (one `Math.log`
 * every few dozen segments instead of one per segment). A product is flushed before it can leave
 * [2^−600, 2^600], so it never overflows or loses precision to subnormals.
 */
function logSum(f2: Float64Array, count: number): number {
  const high = 2 ** 600;
  const low = 2 ** -600;
  let sum = 0;
  let product = 1;
  for (let i = 0; i < count; i++) {
    const v = f2[i]!;
    if (v > 2 ** 400 || v < 2 ** -400) {
      sum += Math.log(v);
      continue;
    }
    product *= v;
    if (product > high || product < low) {
      sum += Math.log(product);
      product = 1;
    }
  }
  return sum + Math.log(product);
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
