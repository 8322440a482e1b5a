/**
 * The header of a `.npy` file (format versions 1.0, 2.0 and 3.0): magic string, version, header
 * length, and a Python dict literal `{'descr': ..., 'fortran_order': ..., 'shape': ...}` padded
 * so that the data starts at a multiple of 64 bytes.
 *
 * @see https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
 */
import { MechintError } from '../errors.js';
import type { DType } from '../tensor/dtype.js';
import { dtypeFromDescr } from './npy-descr.js';
import { parsePythonLiteral, type PyLiteral } from './python-literal.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
const ARRAY_ALIGN = 64;
const GROWTH_AXIS_MAX_DIGITS = 21;
const KEYS = ['descr', 'fortran_order', 'shape'];

/** What a `.npy` header says about the array that follows it. */
export interface NpyHeader {
  /** Format version `[major, minor]`. */
  readonly version: readonly [number, number];
  readonly dtype: DType;
  /** Byte order of the stored elements. */
  readonly littleEndian: boolean;
  /** True when the elements are stored in column-major order. */
  readonly fortranOrder: boolean;
  readonly shape: readonly number[];
  /** Offset of the first data byte. */
  readonly dataOffset: number;
}

/**
 * Parses and validates the header at the start of `bytes`. Throws `INVALID_FILE` for a bad magic
 * string, an unknown version, a truncated or malformed header, and `UNSUPPORTED_DTYPE` for
 * object, structured and other dtypes a tensor cannot hold.
 *
 * @example
 * ```ts
 * parseNpyHeader(writeNpy(Tensor.from([1, 2]))).shape; // [2]
 * ```
 */
export function parseNpyHeader(bytes: Uint8Array): NpyHeader {
  if (bytes.length < 8 || !MAGIC.every((b, i) => bytes[i] === b)) {
    throw new MechintError(
      'INVALID_FILE',
      'Not a .npy file: it does not start with the magic string "\\x93NUMPY". Pass the bytes of a file written by numpy.save (use readNpz for .npz archives).',
    );
  }
  const major = bytes[6]!;
  const minor = bytes[7]!;
  if (major < 1 || major > 3 || minor !== 0) {
    throw new MechintError('INVALID_FILE', `The .npy format version ${major}.${minor} is not supported; this reader understands 1.0, 2.0 and 3.0.`, {
      details: { version: [major, minor] },
    });
  }
  const start = major === 1 ? 10 : 12;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = bytes.length < start ? -1 : major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (headerLength < 0 || start + headerLength > bytes.length) {
    throw new MechintError('INVALID_FILE', `The .npy file is truncated: it ends at byte ${bytes.length}, inside its ${major}.0 header.`, {
      details: { length: bytes.length },
    });
  }
  const text = decodeHeader(bytes.subarray(start, start + headerLength), major === 3);
  const fields = headerFields(parsePythonLiteral(text, '.npy header'));
  return { version: [major, minor], ...fields, dataOffset: start + headerLength };
}

/**
 * The header numpy writes for an array, byte for byte: keys sorted, 21 columns of room for the
 * growth axis, padded with spaces and a newline to a multiple of 64 bytes; format 1.0 unless the
 * header exceeds 65535 bytes, then 2.0.
 *
 * @example
 * ```ts
 * new TextDecoder().decode(formatNpyHeader('<f4', false, [2, 3]).subarray(10, 69));
 * // "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
 * ```
 */
export function formatNpyHeader(descr: string, fortranOrder: boolean, shape: readonly number[]): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${descr}', 'fortran_order': ${fortranOrder ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  if (shape.length > 0) dict += ' '.repeat(GROWTH_AXIS_MAX_DIGITS - String(shape[fortranOrder ? shape.length - 1 : 0]).length);
  const padded = (prefix: number) => {
    const length = dict.length + 1;
    return length + ARRAY_ALIGN - ((prefix + length) % ARRAY_ALIGN);
  };
  const major = padded(10) <= 0xffff ? 1 : 2;
  const start = major === 1 ? 10 : 12;
  const headerLength = padded(start);
  const out = new Uint8Array(start + headerLength).fill(0x20);
  out.set(MAGIC);
  out[6] = major;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, headerLength, true);
  else view.setUint32(8, headerLength, true);
  for (let i = 0; i < dict.length; i++) out[start + i] = dict.charCodeAt(i);
  out[out.length - 1] = 0x0a;
  return out;
}

function decodeHeader(bytes: Uint8Array, utf8: boolean): string {
  if (utf8) {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch (cause) {
      throw new MechintError('INVALID_FILE', 'The .npy 3.0 header is not valid UTF-8; the file is corrupt.', { cause });
    }
  }
  let text = '';
  for (let i = 0; i < bytes.length; i += 8192) text += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return text;
}

function headerFields(literal: PyLiteral): Omit<NpyHeader, 'version' | 'dataOffset'> {
  const keys = literal.kind === 'dict' ? [...literal.entries.keys()].sort() : [];
  if (literal.kind !== 'dict' || keys.join() !== KEYS.join()) {
    throw new MechintError(
      'INVALID_FILE',
      `Malformed .npy header: it must be a dict with exactly the keys 'descr', 'fortran_order' and 'shape'${literal.kind === 'dict' ? `; found ${keys.map((k) => `'${k}'`).join(', ') || 'none'}` : ''}.`,
    );
  }
  const descr = literal.entries.get('descr')!;
  const fortran = literal.entries.get('fortran_order')!;
  const shape = literal.entries.get('shape')!;
  if (descr.kind === 'list') {
    throw new MechintError(
      'UNSUPPORTED_DTYPE',
      'The .npy file holds a structured (record) array; save each field as its own array, e.g. np.savez(path, **{n: arr[n] for n in arr.dtype.names}).',
    );
  }
  if (descr.kind !== 'str') throw new MechintError('INVALID_FILE', "Malformed .npy header: 'descr' must be a string such as '<f4'.");
  if (fortran.kind !== 'bool') throw new MechintError('INVALID_FILE', "Malformed .npy header: 'fortran_order' must be True or False.");
  const dims = shape.kind === 'tuple' ? shape.items.map((d) => (d.kind === 'int' ? d.value : -1n)) : [-1n];
  if (dims.some((d) => d < 0n || d > BigInt(Number.MAX_SAFE_INTEGER))) {
    throw new MechintError('INVALID_FILE', "Malformed .npy header: 'shape' must be a tuple of non-negative integers such as (2, 3).");
  }
  return {
    ...dtypeFromDescr(descr.value),
    fortranOrder: fortran.value,
    shape: dims.map(Number),
  };
}
