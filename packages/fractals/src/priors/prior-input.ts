/**
 * What the priors accept: a graph value `[batch, n]` / `[n]` and host signals.
 */
import { MechintError, Tensor, type Value } from '@mechint/core';
import { toSignal, type Signal } from '../math/signal.js';

/**
 * The signal length of a prior's input value, which must be float32 / float64 with a known last
 * dimension.
 *
 * @internal
 * @example `signalLength(x, 'SpectralPrior')`
 */
export function signalLength(x: Value, prior: string): number {
  if (x.dtype !== 'float32' && x.dtype !== 'float64') {
    throw new MechintError('DTYPE_MISMATCH', `${prior}.loss takes a float32 or float64 value; got ${x.dtype}. Cast it with g.cast(x, 'float32').`);
  }
  const n = x.shape?.[x.shape.length - 1];
  if (x.rank === undefined || x.rank < 1 || x.rank > 2 || typeof n !== 'number') {
    throw new MechintError('SHAPE_MISMATCH', `${prior}.loss takes a value [n] or [batch, n] with a known n; got ${x.toString()}. Reshape it to [batch, n].`);
  }
  return n;
}

/**
 * Host signals of a prior's `evaluate`: one signal, a list of them, or a `Tensor [batch, n]` / `[n]`.
 *
 * @internal
 * @example `hostSignals([[1, 2, 3]], 'SpectralPrior', 3)`
 */
export function hostSignals(x: Signal | readonly Signal[] | Tensor, prior: string, minLength: number): Float64Array[] {
  const req = { method: `${prior}.evaluate`, minLength };
  if (x instanceof Tensor) {
    if (x.rank < 1 || x.rank > 2 || (x.dtype !== 'float32' && x.dtype !== 'float64')) {
      throw new MechintError('SHAPE_MISMATCH', `${prior}.evaluate takes a float Tensor [n] or [batch, n]; got ${x.dtype} [${x.shape.join(', ')}].`);
    }
    const n = x.shape[x.rank - 1]!;
    const data = x.data as Float32Array | Float64Array;
    return Array.from({ length: data.length / n }, (_, b) => toSignal(Float64Array.from(data.subarray(b * n, (b + 1) * n)), req));
  }
  if (Array.isArray(x) && x.length > 0 && typeof x[0] !== 'number') return (x as readonly Signal[]).map((s) => toSignal(s, req));
  return [toSignal(x as Signal, req)];
}

/**
 * A float constant of the value's dtype.
 *
 * @internal
 * @example `constantLike(x, Float64Array.of(1, 2), [2])`
 */
export function constantLike(x: Value, values: Float64Array, shape: readonly number[]): Tensor {
  return x.dtype === 'float64' ? new Tensor('float64', values, shape) : new Tensor('float32', Float32Array.from(values), shape);
}
