/**
 * The `MechintError` a synchronous call throws, for tests that inspect its code, message and
 * details; any other error is rethrown, and no error at all fails the test.
 */
import { MechintError } from '../../src/index.node.js';

/** Runs `f` and returns the `MechintError` it throws. */
export function thrownMechintError(f: () => unknown): MechintError {
  try {
    f();
  } catch (e) {
    if (MechintError.isInstance(e)) return e;
    throw e;
  }
  throw new Error('expected a MechintError');
}
