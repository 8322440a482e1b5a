/**
 * Element types a {@link Tensor} can hold, with their typed-array storage and ONNX codes.
 */
import { MechintError } from '../errors.js';

/**
 * Element type of a tensor. `float16` is stored as raw IEEE half bits in a `Uint16Array`;
 * `bool` as one byte per element in a `Uint8Array`; 64-bit integers as `BigInt64Array` /
 * `BigUint64Array`.
 */
export type DType =
  | 'float32'
  | 'float64'
  | 'float16'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'bool';

/** The typed array that stores each {@link DType}. */
export interface DTypeStorage {
  float32: Float32Array;
  float64: Float64Array;
  float16: Uint16Array;
  int8: Int8Array;
  uint8: Uint8Array;
  int16: Int16Array;
  uint16: Uint16Array;
  int32: Int32Array;
  uint32: Uint32Array;
  int64: BigInt64Array;
  uint64: BigUint64Array;
  bool: Uint8Array;
}

/** Any typed array a tensor can be backed by. */
export type TypedArray = DTypeStorage[DType];

interface DTypeInfo {
  readonly bytes: number;
  readonly onnx: number;
  readonly array: { new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): TypedArray; new (length: number): TypedArray };
}

const INFO: Record<DType, DTypeInfo> = {
  float32: { bytes: 4, onnx: 1, array: Float32Array },
  uint8: { bytes: 1, onnx: 2, array: Uint8Array },
  int8: { bytes: 1, onnx: 3, array: Int8Array },
  uint16: { bytes: 2, onnx: 4, array: Uint16Array },
  int16: { bytes: 2, onnx: 5, array: Int16Array },
  int32: { bytes: 4, onnx: 6, array: Int32Array },
  int64: { bytes: 8, onnx: 7, array: BigInt64Array },
  bool: { bytes: 1, onnx: 9, array: Uint8Array },
  float16: { bytes: 2, onnx: 10, array: Uint16Array },
  float64: { bytes: 8, onnx: 11, array: Float64Array },
  uint32: { bytes: 4, onnx: 12, array: Uint32Array },
  uint64: { bytes: 8, onnx: 13, array: BigUint64Array },
};

/** Every supported dtype, in ONNX code order. */
export const DTYPES: readonly DType[] = Object.keys(INFO) as DType[];

/**
 * True when `value` names a supported dtype.
 *
 * @example
 * ```ts
 * import { isDType } from '@mechint/core';
 * isDType('float32'); // true
 * ```
 */
export function isDType(value: unknown): value is DType {
  return typeof value === 'string' && Object.hasOwn(INFO, value);
}

/** Bytes per element of `dtype`. @example `dtypeBytes('float16') === 2` */
export function dtypeBytes(dtype: DType): number {
  return INFO[dtype].bytes;
}

/** The ONNX `TensorProto.DataType` code of `dtype`. @example `onnxTypeOf('int64') === 7` */
export function onnxTypeOf(dtype: DType): number {
  return INFO[dtype].onnx;
}

/**
 * The dtype of an ONNX `TensorProto.DataType` code; throws `UNSUPPORTED_DTYPE` for codes with no
 * host representation here (string, complex, bfloat16, float8, int4).
 *
 * @example
 * ```ts
 * import { dtypeFromOnnx } from '@mechint/core';
 * dtypeFromOnnx(1); // 'float32'
 * ```
 */
export function dtypeFromOnnx(code: number): DType {
  const found = DTYPES.find((d) => INFO[d].onnx === code);
  if (found === undefined) {
    throw new MechintError(
      'UNSUPPORTED_DTYPE',
      `ONNX data type ${code} (${ONNX_TYPE_NAMES[code] ?? 'unknown'}) has no host tensor type; supported: ${DTYPES.join(', ')}.`,
      { details: { onnxType: code } },
    );
  }
  return found;
}

/** Names of ONNX `TensorProto.DataType` codes, for messages. */
export const ONNX_TYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'UNDEFINED', 1: 'FLOAT', 2: 'UINT8', 3: 'INT8', 4: 'UINT16', 5: 'INT16', 6: 'INT32', 7: 'INT64',
  8: 'STRING', 9: 'BOOL', 10: 'FLOAT16', 11: 'DOUBLE', 12: 'UINT32', 13: 'UINT64', 14: 'COMPLEX64',
  15: 'COMPLEX128', 16: 'BFLOAT16', 17: 'FLOAT8E4M3FN', 18: 'FLOAT8E4M3FNUZ', 19: 'FLOAT8E5M2',
  20: 'FLOAT8E5M2FNUZ', 21: 'UINT4', 22: 'INT4', 23: 'FLOAT4E2M1',
};

/**
 * A new zero-filled typed array of `length` elements of `dtype`.
 *
 * @example
 * ```ts
 * import { allocate } from '@mechint/core';
 * allocate('int64', 3); // BigInt64Array [0n, 0n, 0n]
 * ```
 */
export function allocate<D extends DType>(dtype: D, length: number): DTypeStorage[D] {
  return new INFO[dtype].array(length) as DTypeStorage[D];
}

/**
 * A typed array of `dtype` viewing `length` elements of `bytes` without copying when the offset is
 * aligned, and over a copy when it is not (typed arrays need element-aligned offsets).
 *
 * @example
 * ```ts
 * import { viewBytes } from '@mechint/core';
 * viewBytes('float32', new Uint8Array(8), 2); // Float32Array [0, 0]
 * ```
 */
export function viewBytes<D extends DType>(dtype: D, bytes: Uint8Array, length: number): DTypeStorage[D] {
  const size = INFO[dtype].bytes;
  if (bytes.byteLength < length * size) {
    throw new MechintError('SHAPE_MISMATCH', `Need ${length * size} bytes for ${length} ${dtype} elements, got ${bytes.byteLength}.`);
  }
  if (bytes.byteOffset % size === 0) {
    return new INFO[dtype].array(bytes.buffer, bytes.byteOffset, length) as DTypeStorage[D];
  }
  // Node's Buffer#slice returns a view, not a copy: copy explicitly so the new buffer starts aligned.
  const copy = new Uint8Array(length * size);
  copy.set(bytes.subarray(0, length * size));
  return new INFO[dtype].array(copy.buffer, 0, length) as DTypeStorage[D];
}

/** The dtype a typed array stores by default (`Uint8Array` → `uint8`, `Uint16Array` → `uint16`). */
export function dtypeOfArray(array: TypedArray): DType {
  if (array instanceof Float32Array) return 'float32';
  if (array instanceof Float64Array) return 'float64';
  if (array instanceof Int8Array) return 'int8';
  if (array instanceof Uint8Array) return 'uint8';
  if (array instanceof Int16Array) return 'int16';
  if (array instanceof Uint16Array) return 'uint16';
  if (array instanceof Int32Array) return 'int32';
  if (array instanceof Uint32Array) return 'uint32';
  if (array instanceof BigInt64Array) return 'int64';
  return 'uint64';
}

/** True when `array` is the storage type of `dtype`. */
export function storesDType(array: TypedArray, dtype: DType): boolean {
  return array instanceof INFO[dtype].array;
}
