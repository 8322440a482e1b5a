/**
 * Argument checks shared by every model (internal to the package): positive and finite numbers,
 * integer counts, and the stability bound of an integration scheme. Each failure is a
 * `MechintError` that says what to pass.
 */
import { MechintError } from '@mechint/core';

/**
 * Throws `INVALID_ARGUMENT` unless `value` is a finite number greater than 0.
 *
 * @example
 * ```ts
 * import { requirePositive } from './validate.js'; // internal to the package
 * requirePositive(10, 'tau'); // passes; requirePositive(0, 'tau') throws INVALID_ARGUMENT
 * ```
 */
export function requirePositive(value: number, name: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new MechintError('INVALID_ARGUMENT', `${name} must be a finite number > 0; got ${String(value)}. Pass a positive value (times are in ms).`, {
      details: { name, value },
    });
  }
}

/**
 * Throws `INVALID_ARGUMENT` unless `value` is a finite number greater than or equal to 0.
 *
 * @example
 * ```ts
 * import { requireNonNegative } from './validate.js'; // internal to the package
 * requireNonNegative(0, 'refractory');
 * ```
 */
export function requireNonNegative(value: number, name: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new MechintError('INVALID_ARGUMENT', `${name} must be a finite number ≥ 0; got ${String(value)}.`, { details: { name, value } });
  }
}

/**
 * Throws `INVALID_ARGUMENT` unless `value` is a finite number.
 *
 * @example
 * ```ts
 * import { requireFinite } from './validate.js'; // internal to the package
 * requireFinite(-65, 'reset');
 * ```
 */
export function requireFinite(value: number, name: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new MechintError('INVALID_ARGUMENT', `${name} must be a finite number; got ${String(value)}.`, { details: { name, value } });
  }
}

/**
 * Throws `INVALID_ARGUMENT` unless `value` is a positive safe integer.
 *
 * @example
 * ```ts
 * import { requireCount } from './validate.js'; // internal to the package
 * requireCount(100, 'nNeurons');
 * ```
 */
export function requireCount(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new MechintError('INVALID_ARGUMENT', `${name} must be a positive integer; got ${String(value)}.`, { details: { name, value } });
  }
}

/**
 * Checks a time step: positive, finite, and at most `bound` ms, the stability bound of `scheme`.
 * Throws `INVALID_ARGUMENT` naming the bound and the scheme otherwise.
 *
 * @example
 * ```ts
 * import { requireStep } from './validate.js'; // internal to the package
 * requireStep(0.1, 10, 'forward Euler (dt ≤ tau)');
 * ```
 */
export function requireStep(dt: number, bound: number, scheme: string): void {
  requirePositive(dt, 'dt');
  if (dt > bound) {
    throw new MechintError('INVALID_ARGUMENT', `dt = ${dt} ms exceeds the stability bound ${bound} ms of ${scheme}; pass a smaller dt.`, {
      details: { dt, bound, scheme },
    });
  }
}
