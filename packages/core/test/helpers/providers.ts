/**
 * Which execution providers this machine offers, for tests that need one (see tools/providers.js:
 * a missing provider skips its tests visibly, unless MECHINT_REQUIRE_<EP>=1 makes it a failure).
 */
import { backendOrReason } from '../../../../tools/providers.js';
import { Backend, type ExecutionProvider } from '../../src/index.node.js';

/** A backend on `ep`, or the reason there is none. */
export function tryBackend(ep: ExecutionProvider): Promise<Backend | string> {
  return backendOrReason(() => Backend.create({ ep }));
}
