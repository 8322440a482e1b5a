/**
 * Test helpers: the committed Python reference outputs, an assertion on coded errors, and Adam.
 */
import { readFileSync } from 'node:fs';
import { MechintError, Tensor, readNpz, type MechintErrorCode } from '@mechint/core';

const fixtures = new URL('./fixtures/', import.meta.url);

/** Arrays written by tools/spiking/reference.py. */
export const referenceArrays: Record<string, Tensor> = readNpz(new Uint8Array(readFileSync(new URL('reference.npz', fixtures))));

/** Spike times, rates and weight changes written by tools/spiking/reference.py. */
export const reference = JSON.parse(readFileSync(new URL('reference.json', fixtures), 'utf8')) as {
  izhikevich: { dt: number; steps: number; protocols: Record<string, Record<string, number[]>> };
  hodgkin_huxley: { t_end: number; t_from: number; rates: { current: number; spikes_after: number; rate_hz: number }[] };
  adex: { dt: number; steps: number; current_pA: number; onset_ms: number; default: number[]; no_adaptation: number[]; bursting: number[] };
  triplet: { n_pairs: number; dt: number; offset_ms: number; runs: { freq: number; delta: number; dw: number }[] };
  network: { dt: number; tau: number; synapse_tau: number };
};

/** The named fixture array. */
export function fixture(name: string): Tensor {
  const t = referenceArrays[name];
  if (t === undefined) throw new Error(`fixture ${name} missing; rerun tools/spiking/reference.py`);
  return t;
}

/** Asserts that `fn` throws a MechintError with `code` whose message matches `message`. */
export function expectCode(fn: () => unknown, code: MechintErrorCode, message?: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(MechintError.isInstance(caught)).toBe(true);
  expect((caught as MechintError).code).toBe(code);
  if (message !== undefined) expect((caught as MechintError).message).toMatch(message);
}

/** Step indices where column `k` of a spike train `[T, n]` (or of `[T, batch, n]` flattened) spikes. */
export function spikeSteps(spikes: Tensor, k = 0): number[] {
  const width = spikes.size / spikes.shape[0]!;
  const data = spikes.data as Float32Array;
  const out: number[] = [];
  for (let t = 0; t < spikes.shape[0]!; t++) if (data[t * width + k]! > 0) out.push(t);
  return out;
}

/** A current `[steps, n]`: `value(t, k)` at step t for neuron k. */
export function current(steps: number, n: number, value: (t: number, k: number) => number): Tensor<'float32'> {
  const data = new Float32Array(steps * n);
  for (let t = 0; t < steps; t++) for (let k = 0; k < n; k++) data[t * n + k] = value(t, k);
  return new Tensor('float32', data, [steps, n]);
}

/** Adam (Kingma & Ba 2015) on a flat parameter vector, with PyTorch's default betas and epsilon. */
export function adam(params: Float32Array, lr: number): (grad: ArrayLike<number>) => void {
  const m = new Float64Array(params.length);
  const v = new Float64Array(params.length);
  let step = 0;
  return (grad) => {
    step++;
    for (let i = 0; i < params.length; i++) {
      m[i] = 0.9 * m[i]! + 0.1 * grad[i]!;
      v[i] = 0.999 * v[i]! + 0.001 * grad[i]! ** 2;
      params[i]! -= (lr * (m[i]! / (1 - 0.9 ** step))) / (Math.sqrt(v[i]! / (1 - 0.999 ** step)) + 1e-8);
    }
  };
}
