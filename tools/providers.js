/**
 * Execution providers in tests: a backend where the provider runs here; where it does not, one
 * test stands in for the missing ones — a skip whose name says why, or a failure where
 * MECHINT_REQUIRE_<EP>=1 demands the provider (.ci/run sets MECHINT_REQUIRE_WEBGPU).
 */

/** What `create()` resolves to, or the reason when it fails with EP_UNAVAILABLE. */
export async function backendOrReason(create) {
  try {
    return await create();
  } catch (e) {
    if (e?.code === 'EP_UNAVAILABLE') return e.message;
    throw e;
  }
}

/** Whether the environment demands `ep` (MECHINT_REQUIRE_<EP>=1). */
export function requiredProvider(ep) {
  return process.env[`MECHINT_REQUIRE_${ep.toUpperCase()}`] === '1';
}

/** Registers the test that stands in for `what` on the missing provider `ep`; `reason` is backendOrReason's. */
export function standInForMissing(ep, what, reason) {
  const why = `SKIPPED ${what}, unavailable here: ${reason.split('\n')[1] ?? reason}`;
  if (requiredProvider(ep)) it(`${what} (MECHINT_REQUIRE_${ep.toUpperCase()}=1)`, () => { throw new Error(why); });
  else it.skip(why, () => undefined);
}
