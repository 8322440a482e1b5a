/**
 * Window sizes: nolds's default generators and the checks every scale-based method shares.
 */
import { MechintError } from '@mechint/core';

/**
 * nolds's `logarithmic_n(min_n, max_n, factor)`: the distinct values ⌊min · factor^i⌋ for
 * i = 0..⌊ln(max / min) / ln factor⌋, starting with `min`.
 *
 * @example
 * ```ts
 * import { logarithmicScales } from '@mechint/fractals';
 * logarithmicScales(4, 20, 1.5); // [4, 6, 9, 13]
 * ```
 */
export function logarithmicScales(min: number, max: number, factor: number): number[] {
  if (!(max > min) || !(factor > 1) || !(min >= 1)) {
    throw new MechintError('INVALID_ARGUMENT', `logarithmicScales needs 1 ≤ min < max and factor > 1; got min ${min}, max ${max}, factor ${factor}.`);
  }
  const last = Math.floor(Math.log(max / min) / Math.log(factor));
  const out = [min];
  for (let i = 0; i <= last; i++) {
    const n = Math.floor(min * factor ** i);
    if (n > out[out.length - 1]!) out.push(n);
  }
  return out;
}

/**
 * nolds's `logmid_n(max_n, ratio, nsteps)`: `nsteps` log-spaced sizes over the middle `ratio` of
 * `[0, ln max]`, rounded half to even (numpy's `round`) and de-duplicated in increasing order.
 *
 * @example
 * ```ts
 * import { logmidScales } from '@mechint/fractals';
 * logmidScales(1000); // the window sizes nolds.hurst_rs uses for 1000 samples
 * ```
 */
export function logmidScales(max: number, ratio = 1 / 4, steps = 15): number[] {
  const l = Math.log(max);
  const span = l * ratio;
  const start = l * (1 - ratio) * 0.5;
  const values = Array.from({ length: steps }, (_, i) => roundHalfEven(Math.exp(start + (i / steps) * span)));
  return [...new Set(values)].sort((a, b) => a - b);
}

/**
 * Checks explicit scales: integers in `[min, max]`, at least two distinct; returns them sorted.
 *
 * @internal
 * @example `checkScales([8, 16], 'dfa', 3, 100)`
 */
export function checkScales(scales: readonly number[], method: string, min: number, max: number, why: string): number[] {
  if (!Array.isArray(scales) || scales.length < 2) {
    throw new MechintError('INVALID_ARGUMENT', `${method}: scales must list at least two window sizes; got ${JSON.stringify(scales)}.`);
  }
  for (const s of scales) {
    if (!Number.isInteger(s) || s < min || s > max) {
      throw new MechintError('INVALID_ARGUMENT', `${method}: scale ${s} is outside [${min}, ${max}] (${why}); pass integer scales in that range.`, {
        details: { scale: s, min, max },
      });
    }
  }
  const sorted = [...new Set(scales)].sort((a, b) => a - b);
  if (sorted.length < 2) throw new MechintError('INVALID_ARGUMENT', `${method}: scales must hold at least two distinct window sizes; got ${JSON.stringify(scales)}.`);
  return sorted;
}

function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
