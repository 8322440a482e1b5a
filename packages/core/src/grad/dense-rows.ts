/**
 * Dense gradients of embedding tables from the rows a `gradients(…, { rowSparse: true })` graph
 * returns.
 */
import { MechintError } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';

/**
 * The dense gradient `[shape]` of a table whose rows `indices` (int64 `[m]`, negative ones counted
 * from the end) received the gradients `values` (`[m, ...shape.slice(1)]`); repeated rows add up.
 * The zero rows are never written, so a large table costs only the rows that were read.
 *
 * @example
 * ```ts
 * import { Tensor, denseFromRows } from '@mechint/core';
 * const g = denseFromRows(Tensor.from([2n, 0n, 2n]), Tensor.from([[1, 1], [2, 2], [3, 3]]), [4, 2]);
 * console.log(Array.from(g.data)); // [2, 2, 0, 0, 4, 4, 0, 0]
 * ```
 */
export function denseFromRows(indices: Tensor, values: Tensor, shape: readonly number[]): Tensor<'float32' | 'float64'> {
  const rows = shape[0] ?? 0;
  const width = shape.slice(1).reduce((a, b) => a * b, 1);
  if (values.dtype !== 'float32' && values.dtype !== 'float64') {
    throw new MechintError('UNSUPPORTED_DTYPE', `Row gradients must be float32 or float64; got ${values.dtype}.`);
  }
  if (indices.size * width !== values.size) {
    throw new MechintError('SHAPE_MISMATCH', `${indices.size} row indices need ${indices.size * width} gradient values for rows of ${width}; got ${values.size}.`);
  }
  const dense = Tensor.zeros(shape, values.dtype);
  const out = dense.data as Float32Array | Float64Array;
  const from = values.data as Float32Array | Float64Array;
  for (let i = 0; i < indices.size; i++) {
    const raw = Number(indices.data[i]);
    const row = raw < 0 ? raw + rows : raw;
    if (!(row >= 0 && row < rows)) throw new MechintError('INVALID_ARGUMENT', `Row index ${raw} is outside a table of ${rows} rows.`, { details: { index: raw, rows } });
    const target = row * width;
    const source = i * width;
    for (let j = 0; j < width; j++) out[target + j]! += from[source + j]!;
  }
  return dense;
}
