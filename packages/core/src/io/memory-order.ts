/**
 * Conversion between C (row-major) and Fortran (column-major) element order, for `.npy` files
 * written with `fortran_order: True`.
 */
import { allocate, type DType, type DTypeStorage } from '../tensor/dtype.js';

/**
 * True when the C and Fortran orders of `shape` lay the elements out identically: empty arrays
 * and arrays with at most one axis longer than 1 (numpy flags these both C- and F-contiguous).
 *
 * @example
 * ```ts
 * ordersCoincide([1, 5]); // true
 * ordersCoincide([2, 3]); // false
 * ```
 */
export function ordersCoincide(shape: readonly number[]): boolean {
  return shape.includes(0) || shape.filter((d) => d > 1).length <= 1;
}

/**
 * A copy of `data` (the elements of an array of `shape`) moved from one memory order to the
 * other: `from: 'F'` reads Fortran order and returns C order, `from: 'C'` does the reverse.
 *
 * @example
 * ```ts
 * reorder('int32', new Int32Array([1, 4, 2, 5, 3, 6]), [2, 3], 'F'); // Int32Array [1, 2, 3, 4, 5, 6]
 * ```
 */
export function reorder<D extends DType>(dtype: D, data: DTypeStorage[D], shape: readonly number[], from: 'C' | 'F'): DTypeStorage[D] {
  const out = allocate(dtype, data.length);
  const source = data as unknown as ArrayLike<number | bigint>;
  const target = out as unknown as Record<number, number | bigint>;
  const rank = shape.length;
  const fStride: number[] = [];
  let stride = 1;
  for (const d of shape) {
    fStride.push(stride);
    stride *= d;
  }
  const counter = new Array<number>(rank).fill(0);
  let f = 0;
  for (let c = 0; c < data.length; c++) {
    if (from === 'F') target[c] = source[f]!;
    else target[f] = source[c]!;
    for (let axis = rank - 1; axis >= 0; axis--) {
      if (++counter[axis]! < shape[axis]!) {
        f += fStride[axis]!;
        break;
      }
      counter[axis] = 0;
      f -= (shape[axis]! - 1) * fStride[axis]!;
    }
  }
  return out;
}
