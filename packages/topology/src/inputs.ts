/**
 * Inputs of this package: point clouds (a `Tensor [n, dim]` or rows of numbers) and distance
 * matrices, checked and copied to float64 before any work starts.
 */
import { MechintError, Tensor } from '@mechint/core';

/**
 * A point cloud: a `Tensor` of shape `[n, dim]` (float32, float64 or an integer dtype) or `n`
 * rows of `dim` numbers.
 *
 * @example
 * ```ts
 * import { Tensor } from '@mechint/core';
 * import type { PointCloud } from '@mechint/topology';
 * const a: PointCloud = [[0, 0], [1, 0], [0, 1]];
 * const b: PointCloud = Tensor.from(new Float32Array(12), [4, 3]);
 * ```
 */
export type PointCloud = Tensor | readonly (readonly number[])[];

/**
 * A distance matrix, marked as such: `n × n`, symmetric, non-negative, zero on the diagonal.
 * Entries may be `Infinity` (no edge).
 *
 * @example
 * ```ts
 * import type { DistanceMatrix } from '@mechint/topology';
 * const square: DistanceMatrix = { distanceMatrix: [[0, 1, 2], [1, 0, 1], [2, 1, 0]] };
 * ```
 */
export interface DistanceMatrix {
  /** The `n × n` distances. */
  distanceMatrix: Tensor | readonly (readonly number[])[];
}

/** @internal A checked point cloud: `n` rows of `dim` float64 coordinates. */
export interface Points {
  n: number;
  dim: number;
  data: Float64Array;
}

const NUMERIC = new Set(['float32', 'float64', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32']);

/** @internal Rows of a 2-D tensor or nested array as float64, with their shape. */
function matrix(input: Tensor | readonly (readonly number[])[], what: string): { rows: number; cols: number; data: Float64Array } {
  if (input instanceof Tensor) {
    if (!NUMERIC.has(input.dtype)) {
      throw new MechintError('UNSUPPORTED_DTYPE', `${what} has dtype ${input.dtype}; cast it to float32 or float64 first (tensor.clone('float64')).`);
    }
    if (input.rank !== 2) {
      throw new MechintError('SHAPE_MISMATCH', `${what} must have shape [n, dim]; got [${input.shape.join(', ')}]. Reshape it, e.g. tensor.reshape([-1, dim]).`);
    }
    return { rows: input.shape[0]!, cols: input.shape[1]!, data: Float64Array.from(input.data as ArrayLike<number>) };
  }
  if (!Array.isArray(input)) {
    throw new MechintError('INVALID_ARGUMENT', `${what} must be a Tensor [n, dim] or an array of rows of numbers.`);
  }
  const rows = input.length;
  const cols = rows === 0 ? 0 : (input[0]?.length ?? 0);
  const data = new Float64Array(rows * cols);
  input.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== cols) {
      throw new MechintError('SHAPE_MISMATCH', `${what}: row ${i} has ${Array.isArray(row) ? row.length : 'no'} entries, row 0 has ${cols}; every row needs the same length.`);
    }
    for (let j = 0; j < cols; j++) data[i * cols + j] = row[j] as number;
  });
  return { rows, cols, data };
}

/**
 * @internal Checks a point cloud: at least `minPoints` rows, at least one coordinate, every
 * coordinate finite.
 */
export function readPoints(input: PointCloud, minPoints = 2, what = 'The point cloud'): Points {
  const { rows, cols, data } = matrix(input, what);
  if (rows < minPoints) {
    throw new MechintError('INVALID_ARGUMENT', `${what} has ${rows} point(s); this needs at least ${minPoints}.`, { details: { n: rows, minPoints } });
  }
  if (cols < 1) throw new MechintError('SHAPE_MISMATCH', `${what} has points with no coordinates; pass shape [n, dim] with dim ≥ 1.`);
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) {
      const row = Math.floor(i / cols);
      throw new MechintError('INVALID_ARGUMENT', `${what} has a non-finite coordinate (${data[i]}) at point ${row}, axis ${i % cols}; drop or impute that point first.`, {
        details: { point: row, axis: i % cols },
      });
    }
  }
  return { n: rows, dim: cols, data };
}

/** @internal True for a {@link DistanceMatrix}. */
export function isDistanceMatrix(input: unknown): input is DistanceMatrix {
  return typeof input === 'object' && input !== null && !(input instanceof Tensor) && !Array.isArray(input) && 'distanceMatrix' in input;
}

/**
 * @internal Checks a distance matrix: square, at least two points, no NaN, non-negative,
 * symmetric (up to 1e-12 relative) and zero on the diagonal. Returns it row-major as float64.
 */
export function readDistanceMatrix(input: DistanceMatrix): { n: number; data: Float64Array } {
  const { rows, cols, data } = matrix(input.distanceMatrix, 'The distance matrix');
  if (rows !== cols) throw new MechintError('SHAPE_MISMATCH', `The distance matrix must be square; got ${rows} × ${cols}.`);
  if (rows < 2) throw new MechintError('INVALID_ARGUMENT', `The distance matrix has ${rows} point(s); this needs at least 2.`, { details: { n: rows } });
  const n = rows;
  for (let i = 0; i < n; i++) {
    if (data[i * n + i] !== 0) {
      throw new MechintError('INVALID_ARGUMENT', `The distance matrix has ${data[i * n + i]} on the diagonal at [${i}, ${i}]; a distance matrix is 0 there.`, { details: { row: i } });
    }
    for (let j = 0; j < i; j++) {
      const a = data[i * n + j]!;
      const b = data[j * n + i]!;
      if (Number.isNaN(a) || Number.isNaN(b)) throw new MechintError('INVALID_ARGUMENT', `The distance matrix has NaN at [${i}, ${j}]; fill in every distance.`, { details: { row: i, col: j } });
      if (a < 0 || b < 0) throw new MechintError('INVALID_ARGUMENT', `The distance matrix has a negative entry at [${i}, ${j}] (${Math.min(a, b)}); distances are ≥ 0.`, { details: { row: i, col: j } });
      if (a !== b && !(Math.abs(a - b) <= 1e-12 * Math.max(Math.abs(a), Math.abs(b)))) {
        throw new MechintError('INVALID_ARGUMENT', `The distance matrix is not symmetric: [${i}, ${j}] = ${a} but [${j}, ${i}] = ${b}; symmetrise it, e.g. (D + Dᵀ) / 2.`, {
          details: { row: i, col: j },
        });
      }
    }
  }
  return { n, data };
}
