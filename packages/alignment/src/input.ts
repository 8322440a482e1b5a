/**
 * Activation matrices as the package takes them: a `[samples, features]` tensor (float32 or
 * float64) or nested arrays, checked once before any work starts.
 */
import { MechintError, Tensor } from '@mechint/core';

/**
 * An activation matrix `[samples, features]`: a rank-2 {@link Tensor} (float32 or float64; integer
 * tensors are converted to float64) or nested arrays of numbers (read as float64).
 */
export type Activations = Tensor | readonly (readonly number[])[];

/** A validated activation matrix. @internal */
export interface Samples {
  /** Rank-2 float tensor, C-ordered. */
  readonly tensor: Tensor<'float32' | 'float64'>;
  /** Number of samples (rows). */
  readonly n: number;
  /** Number of features (columns). */
  readonly p: number;
}

const INTEGER_DTYPES = new Set(['int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32']);

/**
 * How {@link toSamples} checks that every value is finite: `'now'`, or `'deferred'` for a caller
 * whose graph kernel turns any NaN or ±∞ into a non-finite result and then calls
 * {@link assertFinite} — one pass over the data saved on the common, clean path. @internal
 */
export type FiniteCheck = 'now' | 'deferred';

/**
 * Checks `x` and returns it as a float tensor: rank 2, at least `minSamples` rows, at least one
 * column, every value finite (unless `finite` is `'deferred'`). `name` appears in error messages
 * (`'X'`, `'Y'`). @internal
 */
export function toSamples(x: Activations, name: string, minSamples = 2, finite: FiniteCheck = 'now'): Samples {
  const tensor = asFloatTensor(x, name);
  if (tensor.rank !== 2) {
    throw new MechintError('SHAPE_MISMATCH', `${name} must be a [samples, features] matrix; got shape [${tensor.shape.join(', ')}]. Flatten other axes into samples first, e.g. t.reshape([-1, t.shape.at(-1)]).`, {
      details: { name, shape: tensor.shape },
    });
  }
  const [n, p] = tensor.shape as [number, number];
  if (n < minSamples) throw new MechintError('INVALID_ARGUMENT', `${name} has ${n} sample(s); this method needs at least ${minSamples}.`, { details: { name, n, minSamples } });
  if (p < 1) throw new MechintError('INVALID_ARGUMENT', `${name} has no features (shape [${n}, 0]); pass at least one column.`, { details: { name } });
  const samples = { tensor, n, p };
  if (finite === 'now') assertFinite(samples, name);
  return samples;
}

/** Throws `INVALID_ARGUMENT` naming the first NaN or ±∞ of `x` and where it is. @internal */
export function assertFinite(x: Samples, name: string): void {
  const data = x.tensor.data;
  if (allFinite(data)) return;
  const i = data.findIndex((v) => !Number.isFinite(v));
  const row = Math.floor(i / x.p);
  throw new MechintError('INVALID_ARGUMENT', `${name} holds ${data[i]} at [${row}, ${i - row * x.p}]; remove or impute non-finite values first.`, {
    details: { name, row, column: i - row * x.p },
  });
}

/**
 * Whether every value is finite, in one branch-free pass: `v * 0` is NaN exactly for NaN and ±∞,
 * and NaN survives the sums. Four independent sums keep the adds from waiting on each other.
 */
function allFinite(data: Float32Array | Float64Array): boolean {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const end = data.length - (data.length % 4);
  for (let i = 0; i < end; i += 4) {
    s0 += data[i]! * 0;
    s1 += data[i + 1]! * 0;
    s2 += data[i + 2]! * 0;
    s3 += data[i + 3]! * 0;
  }
  for (let i = end; i < data.length; i++) s0 += data[i]! * 0;
  return s0 + s1 + s2 + s3 === 0;
}

/**
 * Validates a pair measured on the same samples: equal sample counts (`SHAPE_MISMATCH`
 * otherwise) and one shared dtype (float64 when they differ). @internal
 */
export function toPair(x: Activations, y: Activations, minSamples = 2, finite: FiniteCheck = 'now'): [Samples, Samples] {
  let a = toSamples(x, 'X', minSamples, finite);
  let b = toSamples(y, 'Y', minSamples, finite);
  if (a.n !== b.n) {
    throw new MechintError('SHAPE_MISMATCH', `X has ${a.n} samples and Y has ${b.n}; both must hold the same stimuli in the same order (rows).`, { details: { nX: a.n, nY: b.n } });
  }
  if (a.tensor.dtype !== b.tensor.dtype) {
    a = { ...a, tensor: a.tensor.clone('float64') };
    b = { ...b, tensor: b.tensor.clone('float64') };
  }
  return [a, b];
}

function asFloatTensor(x: Activations, name: string): Tensor<'float32' | 'float64'> {
  if (x instanceof Tensor) {
    if (x.dtype === 'float32' || x.dtype === 'float64') return x as Tensor<'float32' | 'float64'>;
    if (INTEGER_DTYPES.has(x.dtype)) return x.clone('float64');
    throw new MechintError('UNSUPPORTED_DTYPE', `${name} is ${x.dtype}; pass float32 or float64 activations (convert with t.clone('float32'), or float16 with halfToFloat32).`, {
      details: { name, dtype: x.dtype },
    });
  }
  if (!Array.isArray(x)) throw new MechintError('INVALID_ARGUMENT', `${name} must be a Tensor or an array of rows; got ${typeof x}.`);
  const rows = x as readonly (readonly number[])[];
  const p = rows[0]?.length ?? 0;
  const data = new Float64Array(rows.length * p);
  rows.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== p) {
      throw new MechintError('SHAPE_MISMATCH', `${name} is ragged: row ${i} has ${Array.isArray(row) ? row.length : 'no'} values, row 0 has ${p}. Give every row the same number of features.`);
    }
    for (let j = 0; j < p; j++) data[i * p + j] = Number(row[j]);
  });
  return new Tensor('float64', data, [rows.length, p]);
}

/** Indices of the columns of `x` whose values are all equal. @internal */
export function constantColumns(x: Samples): number[] {
  const { n, p } = x;
  const data = x.tensor.data;
  const varying = new Uint8Array(p);
  let found = 0;
  // Usually every column differs from row 0 within a few rows: stop as soon as all do.
  for (let i = 1; i < n && found < p; i++) {
    const row = i * p;
    for (let j = 0; j < p; j++) {
      if (varying[j] === 0 && data[row + j] !== data[j]) {
        varying[j] = 1;
        found++;
      }
    }
  }
  const out: number[] = [];
  for (let j = 0; j < p; j++) if (varying[j] === 0) out.push(j);
  return out;
}
