/**
 * The exit codes of `mechint`, and which one an error maps to.
 */
import { MechintError } from '@mechint/core';

/**
 * Exit codes of the `mechint` command line. Stable: scripts may branch on them.
 *
 * @example
 * ```ts
 * import { EXIT_CODES, main } from '@mechint/cli';
 * const code = await main(['inspect', 'missing.onnx']);
 * console.log(code === EXIT_CODES.badInput); // true
 * ```
 */
export const EXIT_CODES = {
  /** The command did what it was asked. */
  ok: 0,
  /** A failure while running: onnxruntime, an unsupported operator, anything unexpected. */
  failure: 1,
  /** The command line itself is wrong: unknown subcommand or option, missing or malformed argument. */
  usage: 2,
  /** An input is wrong: a missing or unreadable file, a wrong file type, names or shapes that do not fit the model. */
  badInput: 3,
  /** The requested execution provider is not available here. */
  epUnavailable: 4,
  /** Interrupted (Ctrl-C), as shells report SIGINT. */
  interrupted: 130,
} as const;

/** One of {@link EXIT_CODES}' values. */
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

const USAGE = 'usage';

/**
 * A `MechintError` (`INVALID_ARGUMENT`) that marks a wrong command line, so it exits with
 * {@link EXIT_CODES}.usage.
 *
 * @example
 * ```ts
 * import { usageError } from '@mechint/cli';
 * throw usageError("Unknown option '--bins'; see mechint fractal --help.");
 * ```
 */
export function usageError(message: string): MechintError {
  return new MechintError('INVALID_ARGUMENT', message, { details: { [USAGE]: true } });
}

/**
 * The exit code for an error thrown by a command.
 *
 * @example
 * ```ts
 * import { MechintError } from '@mechint/core';
 * import { exitCodeOf } from '@mechint/cli';
 * exitCodeOf(new MechintError('INVALID_FILE', 'x')); // 3
 * ```
 */
export function exitCodeOf(error: unknown): ExitCode {
  if (!MechintError.isInstance(error)) return EXIT_CODES.failure;
  if (error.details[USAGE] === true) return EXIT_CODES.usage;
  switch (error.code) {
    case 'INVALID_ARGUMENT':
    case 'INVALID_MODEL':
    case 'INVALID_FILE':
    case 'SHAPE_MISMATCH':
    case 'DTYPE_MISMATCH':
    case 'UNKNOWN_HOOK':
    case 'UNKNOWN_VALUE':
    case 'UNSUPPORTED_DTYPE':
      return EXIT_CODES.badInput;
    case 'EP_UNAVAILABLE':
      return EXIT_CODES.epUnavailable;
    case 'ABORTED':
      return EXIT_CODES.interrupted;
    default:
      return EXIT_CODES.failure;
  }
}
