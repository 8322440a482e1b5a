/** Fixtures, comparisons and provider checks shared by the tests. */
import { readFileSync } from 'node:fs';
import { Backend, HookedModel, MechintError, readNpz, Tensor } from '@mechint/core';

const here = (path: string) => new URL(path, import.meta.url).pathname;

/** The committed CNN fixture of @mechint/core, on `backend` (CPU by default). */
export const loadCnn = (backend?: Backend) => HookedModel.load(here('../../core/test/fixtures/cnn.onnx'), backend === undefined ? {} : { backend });

/** y = W x + b with W, b as in tools/attribution/reference.py. */
export const loadLinear = (backend?: Backend) => HookedModel.load(here('fixtures/linear.onnx'), backend === undefined ? {} : { backend });
export const W = [
  [1.0, -2.0, 0.5, 3.0, 0.0, -1.5],
  [0.25, 0.75, -1.0, 2.0, 1.0, 0.5],
  [-0.5, 1.5, 2.5, -3.0, 0.2, 1.0],
];

/** The CNN fixture's reference batch (8 digits), its labels, and the torch references. */
export function cnnReference(): { images: Tensor; labels: number[]; ref: Record<string, Tensor> } {
  const core = readNpz(readFileSync(here('../../core/test/fixtures/cnn.reference.npz')));
  const ref = readNpz(readFileSync(here('fixtures/cnn_attribution.npz')));
  return { images: core['input.images']!, labels: Array.from(core['input.labels']!.data as BigInt64Array, Number), ref };
}

/** ‖a − b‖ / ‖b‖. */
export function relativeError(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  let num = 0;
  let den = 0;
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  for (let i = 0; i < x.length; i++) {
    num += (x[i]! - y[i]!) ** 2;
    den += y[i]! ** 2;
  }
  return Math.sqrt(num / den);
}

/** Largest |a − b|. */
export function maxAbsDiff(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  const y = b.data as Float32Array;
  return (a.data as Float32Array).reduce((m, v, i) => Math.max(m, Math.abs(v - y[i]!)), 0);
}

/** Per-item sums of a [batch, ...] tensor. */
export function itemSums(t: Tensor): number[] {
  const b = t.shape[0]!;
  const size = t.size / b;
  return Array.from({ length: b }, (_, i) => (t.data as Float32Array).subarray(i * size, (i + 1) * size).reduce((s, v) => s + v, 0));
}

/** Awaits `p` and returns the MechintError code it rejects with. */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (MechintError.isInstance(e)) return e.code;
    throw e;
  }
  throw new Error('expected a MechintError');
}
