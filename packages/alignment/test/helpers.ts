import { readFileSync } from 'node:fs';
import { MechintError, readNpz, Tensor } from '@mechint/core';

/** The committed numpy / scipy reference values (tools/alignment/make_reference.py). */
const fixture = readNpz(readFileSync(new URL('./fixtures/reference.npz', import.meta.url)));

/** A reference array as a float64 tensor. */
export function ref(name: string): Tensor<'float64'> {
  const t = fixture[name];
  if (t === undefined) throw new Error(`reference.npz has no '${name}'`);
  return t as Tensor<'float64'>;
}

/** A reference scalar. */
export function num(name: string): number {
  return ref(name).data[0]!;
}

/** A reference vector as a plain array. */
export function vec(name: string): number[] {
  return Array.from(ref(name).data);
}

/** Deterministic standard-normal-ish matrices (Box–Muller on mulberry32). */
export function randomMatrix(rows: number, cols: number, seed: number): Tensor<'float64'> {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  return new Tensor('float64', data, [rows, cols]);
}

/** `a · b` for small host matrices (test-side arithmetic only). */
export function times(a: Tensor<'float64'>, b: Tensor<'float64'>): Tensor<'float64'> {
  const [n, k] = a.shape as [number, number];
  const m = b.shape[1]!;
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) {
    let s = 0;
    for (let l = 0; l < k; l++) s += a.data[i * k + l]! * b.data[l * m + j]!;
    out[i * m + j] = s;
  }
  return new Tensor('float64', out, [n, m]);
}

/** Expects every element of `actual` within `tolerance` of `expected`. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-6): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i]! - expected[i]!) <= tolerance)) throw new Error(`element ${i}: ${actual[i]} vs ${expected[i]} (tolerance ${tolerance})`);
  }
}

/** Expects `promise` (or `fn`) to throw a MechintError with `code` and a message matching `message`. */
export async function expectCode(run: () => unknown, code: string, message?: RegExp): Promise<void> {
  let error: unknown;
  try {
    await run();
  } catch (e) {
    error = e;
  }
  expect(MechintError.isInstance(error)).toBe(true);
  expect((error as MechintError).code).toBe(code);
  if (message !== undefined) expect((error as MechintError).message).toMatch(message);
}
