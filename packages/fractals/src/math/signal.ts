/**
 * Input checking shared by every analysis: signals become `Float64Array`s, and bad input becomes a
 * `MechintError` before any work starts.
 */
import { MechintError } from '@mechint/core';

/**
 * A one-dimensional signal: a typed array or a plain array of numbers.
 *
 * @example
 * ```ts
 * import { higuchiFD, type Signal } from '@mechint/fractals';
 * const x: Signal = [0, 1, 0, 2, 1, 3, 1, 0, 2, 1, 3, 2, 0, 1, 2, 0, 3, 1, 2, 0, 1, 3, 0, 2];
 * higuchiFD(x, { kMax: 4 });
 * ```
 */
export type Signal = Float64Array | Float32Array | readonly number[];

/** @internal What a method requires of a signal. */
export interface SignalRequirements {
  /** The method's name, for messages (`'higuchiFD'`). */
  method: string;
  /** Fewest samples the method accepts. */
  minLength: number;
  /** Whether a constant signal is refused (its fractal measures are undefined). Default true. */
  rejectConstant?: boolean;
}

/**
 * The signal as a `Float64Array` (copied only when it is not one already). Throws
 * `INVALID_ARGUMENT` for a non-array, a signal shorter than `minLength`, a NaN or infinite sample,
 * and (unless allowed) a constant signal.
 *
 * @internal
 * @example `toSignal([1, 2, 3], { method: 'katzFD', minLength: 3 })`
 */
export function toSignal(x: Signal, req: SignalRequirements): Float64Array {
  if (!(x instanceof Float64Array || x instanceof Float32Array || Array.isArray(x))) {
    throw new MechintError('INVALID_ARGUMENT', `${req.method}: the signal must be a Float64Array, a Float32Array or an array of numbers; got ${describe(x)}.`);
  }
  const n = x.length;
  if (n < req.minLength) {
    throw new MechintError('INVALID_ARGUMENT', `${req.method}: needs at least ${req.minLength} samples; got ${n}. Pass a longer signal.`, {
      details: { length: n, minLength: req.minLength },
    });
  }
  const out = x instanceof Float64Array ? x : Float64Array.from(x as ArrayLike<number>);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = out[i]!;
    if (!Number.isFinite(v)) {
      throw new MechintError('INVALID_ARGUMENT', `${req.method}: sample ${i} is ${v}; remove or interpolate NaN / Infinity samples first.`, { details: { index: i } });
    }
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if ((req.rejectConstant ?? true) && min === max) {
    throw new MechintError('INVALID_ARGUMENT', `${req.method}: the signal is constant (every sample is ${min}), so its fractal measures are undefined; pass a signal that varies.`);
  }
  return out;
}

/**
 * Throws `INVALID_ARGUMENT` unless `value` is an integer in `[min, max]`.
 *
 * @internal
 * @example `checkInteger(10, 'higuchiFD: kMax', 2, 100)`
 */
export function checkInteger(value: number, what: string, min: number, max = Number.MAX_SAFE_INTEGER, hint = ''): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `in [${min}, ${max}]`;
    throw new MechintError('INVALID_ARGUMENT', `${what} must be an integer ${range}; got ${value}.${hint ? ` ${hint}` : ''}`, { details: { value, min, max } });
  }
}

/**
 * Throws `INVALID_ARGUMENT` unless `value` is a finite number in the open or closed range given.
 *
 * @internal
 * @example `checkNumber(0.5, 'fgn: H', { gt: 0, lt: 1 })`
 */
export function checkNumber(value: number, what: string, range: { gt?: number; ge?: number; lt?: number; le?: number } = {}): void {
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (range.gt === undefined || value > range.gt) &&
    (range.ge === undefined || value >= range.ge) &&
    (range.lt === undefined || value < range.lt) &&
    (range.le === undefined || value <= range.le);
  if (!ok) {
    const bounds = [
      range.gt === undefined ? '' : `> ${range.gt}`,
      range.ge === undefined ? '' : `≥ ${range.ge}`,
      range.lt === undefined ? '' : `< ${range.lt}`,
      range.le === undefined ? '' : `≤ ${range.le}`,
    ].filter((s) => s !== '');
    throw new MechintError('INVALID_ARGUMENT', `${what} must be a finite number${bounds.length ? ` ${bounds.join(' and ')}` : ''}; got ${value}.`, { details: { value } });
  }
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (typeof x === 'object') return (x as object).constructor?.name ?? 'an object';
  return typeof x;
}
