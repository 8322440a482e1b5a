/**
 * Numeric comparison of tensors for tests.
 */
import type { Tensor } from '../../src/index.node.js';

/** Largest |a - b| / (atol + rtol·|b|) over all elements; ≤ 1 means close. */
export function closeness(actual: Tensor, expected: Tensor, rtol: number, atol: number): number {
  expect(actual.shape).toEqual(expected.shape);
  let worst = 0;
  for (let i = 0; i < expected.size; i++) {
    const a = Number(actual.data[i]);
    const b = Number(expected.data[i]);
    worst = Math.max(worst, Math.abs(a - b) / (atol + rtol * Math.abs(b)));
  }
  return worst;
}

/** Asserts `actual` matches `expected` elementwise within `atol + rtol·|expected|`. */
export function expectClose(actual: Tensor, expected: Tensor, { rtol = 1e-4, atol = 1e-5 } = {}): void {
  expect(closeness(actual, expected, rtol, atol)).toBeLessThanOrEqual(1);
}

/** Asserts two tensors hold bit-identical data. */
export function expectBitIdentical(actual: Tensor, expected: Tensor): void {
  expect(actual.dtype).toBe(expected.dtype);
  expect(actual.shape).toEqual(expected.shape);
  const bytes = (t: Tensor) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  expect(bytes(actual).equals(bytes(expected))).toBe(true);
}
