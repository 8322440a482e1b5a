/**
 * Small conversions between file arrays and what the analyses take.
 */
import { MechintError, Tensor } from '@mechint/core';

/** The values of a numeric tensor as a `Float64Array` (float16 converted by value). */
export function float64Of(tensor: Tensor): Float64Array {
  if (tensor.dtype === 'bool') throw new MechintError('UNSUPPORTED_DTYPE', 'Expected numbers; got a bool array. Save it as float64.');
  return tensor.clone('float64').data as Float64Array;
}

/** A rank-1 tensor as one row, a rank-2 tensor as its rows; `what` names the input in messages. */
export function rowsOf(tensor: Tensor, what: string): Float64Array[] {
  if (tensor.rank === 1) return [float64Of(tensor)];
  if (tensor.rank === 2) {
    const all = float64Of(tensor);
    const [n, m] = tensor.shape as [number, number];
    return Array.from({ length: n }, (_, i) => all.subarray(i * m, (i + 1) * m));
  }
  throw new MechintError('SHAPE_MISMATCH', `${what} must be a signal [samples] or signals [rows, samples]; got shape [${tensor.shape.join(', ')}]. Reshape or slice it first.`);
}

/** A rank-2 float64 tensor from rows of equal length. */
export function matrixOf(rows: readonly ArrayLike<number>[]): Tensor<'float64'> {
  const width = rows[0]?.length ?? 0;
  const data = new Float64Array(rows.length * width);
  rows.forEach((r, i) => data.set(Array.from(r), i * width));
  return new Tensor('float64', data, [rows.length, width]);
}

/** A `[samples, features]` float tensor: rank 2 as is, higher ranks flattened over all but the last axis. */
export function samplesOf(tensor: Tensor, what: string): Tensor<'float64'> {
  if (tensor.rank < 2) throw new MechintError('SHAPE_MISMATCH', `${what} must be [samples, features] (or more axes, flattened into samples); got shape [${tensor.shape.join(', ')}].`);
  const features = tensor.shape.at(-1)!;
  return new Tensor('float64', float64Of(tensor), [tensor.size / features, features]);
}
