/**
 * The one error type of @mechint. Every failure a caller can cause or fix carries a stable
 * {@link MechintErrorCode} and a message that says what to do next.
 */

/** Stable machine-readable error codes. New codes are added, existing ones never change meaning. */
export type MechintErrorCode =
  | 'INVALID_ARGUMENT'
  | 'INVALID_MODEL'
  | 'INVALID_FILE'
  | 'SHAPE_MISMATCH'
  | 'DTYPE_MISMATCH'
  | 'UNKNOWN_HOOK'
  | 'UNKNOWN_VALUE'
  | 'UNSUPPORTED_OP'
  | 'UNSUPPORTED_DTYPE'
  | 'EP_UNAVAILABLE'
  | 'RUNTIME_ERROR'
  | 'INTERNAL_ERROR'
  | 'ABORTED';

/** Options of {@link MechintError}: structured details travel with the error. */
export interface MechintErrorOptions {
  /** The underlying error, if any. */
  cause?: unknown;
  /** Structured facts about the failure (names, shapes, offsets), for programs to read. */
  details?: Readonly<Record<string, unknown>>;
}

const MARKER = Symbol.for('@mechint/core.MechintError');

/**
 * Error raised by every `@mechint` package.
 *
 * Check with {@link MechintError.isInstance} rather than `instanceof`: it also recognises errors
 * thrown by a second installed copy of the package.
 *
 * @example
 * ```ts
 * import { MechintError } from '@mechint/core';
 * try {
 *   throw new MechintError('INVALID_ARGUMENT', 'kmax must be ≥ 2; pass { kmax: 10 }.');
 * } catch (e) {
 *   if (MechintError.isInstance(e) && e.code === 'INVALID_ARGUMENT') console.log(e.message);
 * }
 * ```
 */
export class MechintError extends Error {
  /** The stable code; branch on this, not on the message. */
  readonly code: MechintErrorCode;
  /** Structured facts about the failure. */
  readonly details: Readonly<Record<string, unknown>>;
  private readonly [MARKER] = true;

  constructor(code: MechintErrorCode, message: string, options: MechintErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MechintError';
    this.code = code;
    this.details = options.details ?? {};
  }

  /** True for any `MechintError`, from this copy of the package or another one. */
  static isInstance(value: unknown): value is MechintError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[MARKER] === true;
  }
}

/**
 * Throws `INVALID_ARGUMENT` with `message` unless `condition` holds.
 *
 * @example
 * ```ts
 * import { check } from '@mechint/core';
 * const k = 3;
 * check(k > 0, 'k must be positive; got ' + k);
 * ```
 */
export function check(condition: boolean, message: string, code: MechintErrorCode = 'INVALID_ARGUMENT'): asserts condition {
  if (!condition) throw new MechintError(code, message);
}
