/** What `create()` resolves to, or the reason when it fails with EP_UNAVAILABLE. */
export function backendOrReason<B>(create: () => Promise<B>): Promise<B | string>;

/** Whether the environment demands `ep` (MECHINT_REQUIRE_<EP>=1). */
export function requiredProvider(ep: string): boolean;

/** Registers the test that stands in for `what` on the missing provider `ep`; `reason` is backendOrReason's. */
export function standInForMissing(ep: string, what: string, reason: string): void;
