/**
 * Which execution providers this machine offers, for tests that need one. A provider that is
 * missing skips its tests visibly, unless MECHINT_REQUIRE_<EP>=1 makes its absence a failure
 * (CI sets MECHINT_REQUIRE_WEBGPU).
 */
import { Backend, MechintError, type ExecutionProvider } from '../../src/index.node.js';

/** A backend on `ep`, or the reason there is none. */
export async function tryBackend(ep: ExecutionProvider): Promise<Backend | string> {
  try {
    return await Backend.create({ ep });
  } catch (e) {
    if (MechintError.isInstance(e) && e.code === 'EP_UNAVAILABLE') return e.message;
    throw e;
  }
}

/** True when the environment demands that `ep` be available. */
export function required(ep: ExecutionProvider): boolean {
  return process.env[`MECHINT_REQUIRE_${ep.toUpperCase()}`] === '1';
}
