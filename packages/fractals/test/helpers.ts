import { readFileSync } from 'node:fs';
import { MechintError, readNpz } from '@mechint/core';

/** The committed outputs of tools/fractals/reference.py. */
export const reference = JSON.parse(readFileSync(new URL('./fixtures/reference.json', import.meta.url), 'utf8')) as Record<string, any>;

/** The committed input signals (float64). */
const arrays = readNpz(readFileSync(new URL('./fixtures/signals.npz', import.meta.url)));
export function signal(name: string): Float64Array {
  return arrays[name]!.data as Float64Array;
}

export const SIGNALS = ['white', 'walk', 'ar1', 'sine'] as const;

/** Relative closeness for values computed in float64 by two independent implementations. */
export function expectClose(actual: number, expected: number, rtol = 1e-9): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rtol * Math.max(1, Math.abs(expected)));
}

/** Asserts that `fn` throws a MechintError with `code` and a message matching `message`. */
export function expectMechintError(fn: () => unknown, code: string, message: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(MechintError.isInstance(caught)).toBe(true);
  expect((caught as MechintError).code).toBe(code);
  expect((caught as MechintError).message).toMatch(message);
}

/** Same for an async function. */
export async function expectMechintErrorAsync(fn: () => Promise<unknown>, code: string, message: RegExp): Promise<void> {
  let caught: unknown;
  try {
    await fn();
  } catch (e) {
    caught = e;
  }
  expect(MechintError.isInstance(caught)).toBe(true);
  expect((caught as MechintError).code).toBe(code);
  expect((caught as MechintError).message).toMatch(message);
}

export function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  return s / values.length;
}
