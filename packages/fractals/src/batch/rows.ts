/**
 * Batches of signals: a `Tensor [batch, n]` checked and read row by row.
 */
import { MechintError, type Tensor } from '@mechint/core';

/**
 * Where a batch kernel runs: `'host'` (tight JavaScript loops, float64), `'graph'` (an ONNX graph on
 * the backend's execution provider, float64), or `'auto'` (the graph on a GPU backend, the host
 * otherwise — on the CPU provider the host loops measured faster, see `bench/src/fractals.ts`).
 *
 * @example `new DFA({ engine: 'graph' })`
 */
export type BatchEngine = 'auto' | 'host' | 'graph';

/**
 * Checks a `[batch, n]` float tensor (finite values, n ≥ `minLength`) and returns its shape and
 * data.
 *
 * @internal
 * @example `checkBatch(Tensor.zeros([2, 100]), 'DFA', 71)`
 */
export function checkBatch(x: Tensor, method: string, minLength: number): { batch: number; n: number; data: Float32Array | Float64Array } {
  if (x === null || typeof x !== 'object' || !('shape' in x) || x.rank !== 2) {
    throw new MechintError('SHAPE_MISMATCH', `${method}.compute takes a Tensor [batch, n] (one signal per row); got shape [${(x as Tensor | undefined)?.shape?.join(', ') ?? '?'}].`);
  }
  if (x.dtype !== 'float32' && x.dtype !== 'float64') {
    throw new MechintError('DTYPE_MISMATCH', `${method}.compute takes a float32 or float64 tensor; got ${x.dtype}. Convert with tensor.clone('float64').`);
  }
  const [batch, n] = x.shape as [number, number];
  if (n < minLength) throw new MechintError('INVALID_ARGUMENT', `${method}: needs at least ${minLength} samples per signal; got ${n}.`);
  const data = x.data as Float32Array | Float64Array;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) {
      throw new MechintError('INVALID_ARGUMENT', `${method}: signal ${Math.floor(i / n)} has ${data[i]} at sample ${i % n}; remove NaN / Infinity first.`);
    }
  }
  return { batch, n, data };
}

/**
 * Row `i` of a batch as a `Float64Array` (a view for float64 data, a copy for float32).
 *
 * @internal
 * @example `row(data, 100, 0)`
 */
export function row(data: Float32Array | Float64Array, n: number, i: number): Float64Array {
  const view = data.subarray(i * n, (i + 1) * n);
  return view instanceof Float64Array ? view : Float64Array.from(view);
}

/**
 * Whether `engine` resolves to the graph for a backend on `ep`.
 *
 * @internal
 * @example `useGraph('auto', 'cuda') === true`
 */
export function useGraph(engine: BatchEngine, ep: string | undefined): boolean {
  if (engine !== 'auto' && engine !== 'host' && engine !== 'graph') {
    throw new MechintError('INVALID_ARGUMENT', `engine must be 'auto', 'host' or 'graph'; got '${String(engine)}'.`);
  }
  return engine === 'graph' || (engine === 'auto' && ep !== undefined && ep !== 'cpu' && ep !== 'wasm');
}
