/**
 * Host tensors for the constants the builder makes from plain JavaScript numbers.
 */
import { MechintError } from '../errors.js';
import { allocate, type DType } from '../tensor/dtype.js';
import { float32ToHalf } from '../tensor/half.js';
import { Tensor } from '../tensor/tensor.js';
import type { Scalar } from './value.js';

const FLOATS: ReadonlySet<DType> = new Set(['float16', 'float32', 'float64']);

/** True for the floating-point dtypes. @example `isFloatDType('float16') === true` */
export function isFloatDType(dtype: DType): boolean {
  return FLOATS.has(dtype);
}

/**
 * The rank-0 tensor of `dtype` holding `value`. Throws `INVALID_ARGUMENT` when `value` does not
 * fit: a fraction or out-of-range number for an integer dtype, anything but `true` / `false` /
 * 0 / 1 for `bool`.
 *
 * @example `scalarTensor(2, 'int64').data` is `BigInt64Array [2n]`
 */
export function scalarTensor<D extends DType>(value: Scalar, dtype: D): Tensor<D> {
  const out = allocate(dtype, 1);
  const fail = (why: string): never => {
    throw new MechintError('INVALID_ARGUMENT', `Cannot make a ${dtype} constant from ${String(value)}: ${why}.`, { details: { value: String(value), dtype } });
  };
  if (dtype === 'bool') {
    if (value !== true && value !== false && value !== 0 && value !== 1 && value !== 0n && value !== 1n) fail('bool constants are true or false');
    out[0] = value === true || value === 1 || value === 1n ? 1 : 0;
  } else if (dtype === 'int64' || dtype === 'uint64') {
    const n = typeof value === 'bigint' ? value : typeof value === 'boolean' ? BigInt(value) : Number.isSafeInteger(value) ? BigInt(value) : fail('not a safe integer');
    (out as BigInt64Array | BigUint64Array)[0] = n;
    if ((out as BigInt64Array | BigUint64Array)[0] !== n) fail('out of range');
  } else {
    const n = Number(value);
    if (dtype === 'float16') {
      (out as Uint16Array)[0] = float32ToHalf([n])[0]!;
    } else {
      (out as Exclude<typeof out, BigInt64Array | BigUint64Array>)[0] = n;
      if (!isFloatDType(dtype) && out[0] !== n) fail('not an integer in range');
    }
  }
  return new Tensor(dtype, out, []);
}

/** A 1-D int64 tensor of `values` (axes, shapes, indices). @example `int64Tensor([0, -1]).shape` is `[2]` */
export function int64Tensor(values: readonly number[]): Tensor<'int64'> {
  const out = allocate('int64', values.length);
  values.forEach((v, i) => {
    if (!Number.isSafeInteger(v)) throw new MechintError('INVALID_ARGUMENT', `Expected integers; got ${v} in [${values.join(', ')}].`);
    out[i] = BigInt(v);
  });
  return new Tensor('int64', out, [values.length]);
}
