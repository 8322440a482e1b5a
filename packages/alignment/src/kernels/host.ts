/**
 * Conversions between kernel outputs and host float64 arrays. @internal
 */
import { Tensor } from '@mechint/core';

/** The elements of a float tensor as float64 (no copy when it already is). @internal */
export function float64(t: Tensor): Float64Array {
  return t.data instanceof Float64Array ? t.data : Float64Array.from(t.data as Float32Array);
}

/** The single value of a one-element output. @internal */
export function scalar(t: Tensor | undefined): number {
  return Number(t!.data[0]);
}

/** A host float64 matrix as a tensor to feed a kernel. @internal */
export function matrix(data: Float64Array, rows: number, cols: number): Tensor<'float64'> {
  return new Tensor('float64', data, [rows, cols]);
}
