/**
 * numpy type strings (`descr`, e.g. `'<f4'`) of the dtypes a {@link Tensor} can hold.
 */
import { MechintError } from '../errors.js';
import { DTYPES, type DType } from '../tensor/dtype.js';
import { HOST_LITTLE_ENDIAN } from './byte-order.js';

const CODES: Readonly<Record<DType, string>> = {
  float32: 'f4', float64: 'f8', float16: 'f2', int8: 'i1', uint8: 'u1', int16: 'i2', uint16: 'u2',
  int32: 'i4', uint32: 'u4', int64: 'i8', uint64: 'u8', bool: 'b1',
};

/** A dtype and the byte order its elements are stored in. */
export interface NpyElementType {
  readonly dtype: DType;
  readonly littleEndian: boolean;
}

/**
 * The dtype and byte order of a numpy `descr` string. `'<'` is little-endian, `'>'` big-endian,
 * `'='` and `'|'` the host's order (as numpy reads them). Throws `UNSUPPORTED_DTYPE` for anything
 * else, saying how to convert the array in numpy.
 *
 * @example
 * ```ts
 * dtypeFromDescr('>i8'); // { dtype: 'int64', littleEndian: false }
 * ```
 */
export function dtypeFromDescr(descr: string): NpyElementType {
  const order = descr[0] ?? '';
  const dtype = DTYPES.find((d) => CODES[d] === descr.slice(1));
  if (dtype === undefined || !'<>=|'.includes(order) || order === '') {
    const hint = descr.includes('O')
      ? 'Object arrays hold pickled Python objects and are never loaded; save a numeric array instead.'
      : 'Convert the array in numpy first, e.g. np.save(path, arr.astype(np.float32)).';
    throw new MechintError(
      'UNSUPPORTED_DTYPE',
      `The .npy data type '${descr}' has no tensor type here; supported: ${DTYPES.map((d) => `'<${CODES[d]}'`).join(', ')} (and their big-endian forms). ${hint}`,
      { details: { descr } },
    );
  }
  return { dtype, littleEndian: order === '<' || (order !== '>' && HOST_LITTLE_ENDIAN) };
}

/**
 * The little-endian numpy `descr` of `dtype`, exactly as numpy writes it (`'|'` for one-byte
 * types).
 *
 * @example
 * ```ts
 * descrOf('float32'); // '<f4'
 * descrOf('bool');    // '|b1'
 * ```
 */
export function descrOf(dtype: DType): string {
  const code = CODES[dtype];
  return (code.endsWith('1') ? '|' : '<') + code;
}
