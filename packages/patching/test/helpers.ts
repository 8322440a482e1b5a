/** Fixtures and comparisons shared by the tests. */
import { readFileSync } from 'node:fs';
import { HookedModel, MechintError, readNpz, Tensor } from '@mechint/core';
import { logitOf } from '../src/index.js';

const here = (path: string) => new URL(path, import.meta.url).pathname;

/** The committed 2-layer induction transformer of @mechint/core. */
export const loadGpt = () => HookedModel.load(here('../../core/test/fixtures/gpt2l.onnx'));

/** The torch references of tools/patching/reference.py. */
export const ref: Record<string, Tensor> = readNpz(readFileSync(here('fixtures/induction.npz')));

/** Numbers of a reference array. */
export const values = (key: string): number[] => Array.from(ref[key]!.data as Float32Array);

/** The clean and corrupted prompts and the metric the references use. */
export function prompts() {
  const targets = Array.from(ref['metric.targets']!.data as BigInt64Array, Number);
  return {
    clean: { tokens: ref['clean.tokens']! },
    corrupted: { tokens: ref['corrupted.tokens']! },
    metric: logitOf({ position: 13, token: targets }),
  };
}

/** Largest |a − b|. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Awaits `p` and returns the MechintError it rejects with. */
export async function errorOf(p: Promise<unknown>): Promise<MechintError> {
  try {
    await p;
  } catch (e) {
    if (MechintError.isInstance(e)) return e;
    throw e;
  }
  throw new Error('expected a MechintError');
}

/** Awaits `p` and returns the MechintError code it rejects with. */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  return (await errorOf(p)).code;
}
