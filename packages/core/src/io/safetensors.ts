/**
 * `.safetensors` files (Hugging Face): named tensors and string metadata behind a JSON header.
 *
 * @see https://github.com/huggingface/safetensors#format
 */
import { MechintError } from '../errors.js';
import type { DType } from '../tensor/dtype.js';
import { bfloat16ToFloat32 } from '../tensor/half.js';
import { Tensor, shapeSize } from '../tensor/tensor.js';
import { float32ToBfloat16 } from '../tensor/half.js';
import { decodeElements, littleEndianBytes } from './byte-order.js';
import { SAFETENSORS_DTYPES, SAFETENSORS_STORAGE, parseSafetensorsHeader, type SafetensorsDType } from './safetensors-header.js';

/** Options of {@link readSafetensors}. */
export interface ReadSafetensorsOptions {
  /**
   * How `BF16` tensors come back: `'float32'` (default) decodes them to a float32 tensor (exact,
   * bfloat16 is the upper half of a float32); `'bits'` returns the raw bit patterns as a `uint16`
   * tensor, zero-copy where possible.
   */
  readonly bf16?: 'float32' | 'bits';
}

/** Options of {@link writeSafetensors}. */
export interface WriteSafetensorsOptions {
  /**
   * Names of tensors to store as `BF16`: a `float32` tensor is rounded to bfloat16 (nearest even,
   * as torch does), a `uint16` tensor is taken as raw bfloat16 bits (what
   * `readSafetensors(bytes, { bf16: 'bits' })` returns). Default: none.
   */
  readonly bf16?: readonly string[];
}

/** The contents of a `.safetensors` file. */
export interface SafetensorsContents {
  /** The tensors, in the order of their data in the file. */
  readonly tensors: Record<string, Tensor>;
  /** The `__metadata__` string map (empty when the file has none). */
  readonly metadata: Record<string, string>;
}

const DTYPE_OF: Readonly<Record<DType, SafetensorsDType>> = {
  bool: 'BOOL', uint8: 'U8', int8: 'I8', int16: 'I16', uint16: 'U16', float16: 'F16', int32: 'I32',
  uint32: 'U32', float32: 'F32', float64: 'F64', int64: 'I64', uint64: 'U64',
};

const utf8 = new TextEncoder();

/**
 * Reads a `.safetensors` file. Every header field is validated before any tensor is built (see
 * the format's reference implementation): the header length fits the file, the JSON is well
 * formed, and the byte ranges match shape × dtype and tile the data buffer exactly.
 *
 * `BF16` tensors become `float32` tensors by default (or raw `uint16` bits with
 * `{ bf16: 'bits' }`). Other tensors are views of `bytes` when their offset is aligned (always
 * true for files written by safetensors, which pads the header to 8 bytes): `clone()` them before
 * reusing the buffer.
 *
 * Throws `INVALID_FILE` for a corrupt or truncated file and `UNSUPPORTED_DTYPE` for dtypes such
 * as `F8_E4M3`.
 *
 * @example
 * ```ts
 * import { readSafetensors, writeSafetensors, Tensor } from '@mechint/core';
 * const bytes = writeSafetensors({ 'lm_head.weight': Tensor.from([[1, 2]]) }, { format: 'pt' });
 * const { tensors, metadata } = readSafetensors(bytes);
 * tensors['lm_head.weight']?.shape; // [1, 2]
 * metadata.format;                  // 'pt'
 * ```
 */
export function readSafetensors(bytes: Uint8Array, options: ReadSafetensorsOptions = {}): SafetensorsContents {
  const { entries, metadata, dataOffset } = parseSafetensorsHeader(bytes);
  const tensors = entries.map(({ name, dtype, shape, begin, end }): [string, Tensor] => {
    const storage = SAFETENSORS_STORAGE[dtype];
    const data = decodeElements(storage, bytes.subarray(dataOffset + begin, dataOffset + end), shapeSize(shape), true);
    if (dtype === 'BF16' && options.bf16 !== 'bits') return [name, new Tensor('float32', bfloat16ToFloat32(data as Uint16Array), shape)];
    return [name, new Tensor(storage, data, shape)];
  });
  return { tensors: Object.fromEntries(tensors), metadata: { ...metadata } };
}

/**
 * Writes tensors and optional string metadata as a `.safetensors` file, byte-identical to the
 * reference implementation's `serialize` (huggingface/safetensors): tensors sorted by dtype
 * (largest alignment first, in the reference's `Dtype` order) then by name, `__metadata__` first
 * in the compact JSON header, the header padded with spaces to a multiple of 8 bytes, and the data
 * little-endian and contiguous. The reference keeps metadata in a hash map (arbitrary order);
 * here its keys are sorted, so the output is deterministic.
 *
 * Throws `INVALID_ARGUMENT` for a tensor named `__metadata__`, non-string metadata values, or a
 * `bf16` name that is missing or neither `float32` nor `uint16`.
 *
 * @example
 * ```ts
 * import { writeSafetensors, Tensor } from '@mechint/core';
 * const bytes = writeSafetensors(
 *   { w: Tensor.from([0.1, 0.2]), b: Tensor.from([1, 2], [2], 'int64') },
 *   { format: 'pt' },
 *   { bf16: ['w'] },
 * );
 * ```
 */
export function writeSafetensors(
  tensors: Readonly<Record<string, Tensor>>,
  metadata?: Readonly<Record<string, string>>,
  options: WriteSafetensorsOptions = {},
): Uint8Array {
  const bf16 = new Set(options.bf16 ?? []);
  for (const name of bf16) {
    if (!Object.hasOwn(tensors, name)) throw new MechintError('INVALID_ARGUMENT', `bf16 names '${name}', which is not one of the tensors to write.`);
  }
  const items = Object.entries(tensors).map(([name, tensor]) => {
    if (name === '__metadata__') throw new MechintError('INVALID_ARGUMENT', "A tensor cannot be named '__metadata__': safetensors reserves that key; rename it.");
    const dtype = bf16.has(name) ? 'BF16' : DTYPE_OF[tensor.dtype];
    const data = bf16.has(name) ? bfloat16Bits(name, tensor) : littleEndianBytes(tensor.data);
    return { name, key: utf8.encode(name), dtype, shape: tensor.shape, data };
  });
  items.sort((a, b) => SAFETENSORS_DTYPES.indexOf(b.dtype) - SAFETENSORS_DTYPES.indexOf(a.dtype) || compareBytes(a.key, b.key));

  const fields: string[] = [];
  if (metadata !== undefined) fields.push(`"__metadata__":${metadataJson(metadata)}`);
  let offset = 0;
  for (const { name, dtype, shape, data } of items) {
    fields.push(`${JSON.stringify(name)}:{"dtype":"${dtype}","shape":[${shape.join(',')}],"data_offsets":[${offset},${offset + data.length}]}`);
    offset += data.length;
  }
  const json = utf8.encode(`{${fields.join(',')}}`);
  const headerLength = json.length + ((8 - (json.length % 8)) % 8);

  const out = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerLength % 2 ** 32, true);
  view.setUint32(4, Math.floor(headerLength / 2 ** 32), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let position = 8 + headerLength;
  for (const { data } of items) {
    out.set(data, position);
    position += data.length;
  }
  return out;
}

function bfloat16Bits(name: string, tensor: Tensor): Uint8Array {
  if (tensor.dtype === 'float32') return littleEndianBytes(float32ToBfloat16(tensor.data as Float32Array));
  if (tensor.dtype === 'uint16') return littleEndianBytes(tensor.data as Uint16Array);
  throw new MechintError('INVALID_ARGUMENT', `Tensor '${name}' is listed in bf16 but is ${tensor.dtype}; pass float32 values or uint16 bfloat16 bits.`);
}

function metadataJson(metadata: Readonly<Record<string, string>>): string {
  const keys = Object.keys(metadata).sort((a, b) => compareBytes(utf8.encode(a), utf8.encode(b)));
  const fields = keys.map((key) => {
    const value: unknown = metadata[key];
    if (typeof value !== 'string') throw new MechintError('INVALID_ARGUMENT', `Metadata '${key}' must be a string (safetensors metadata is a string map); got ${typeof value}.`);
    return `${JSON.stringify(key)}:${JSON.stringify(value)}`;
  });
  return `{${fields.join(',')}}`;
}

/** Byte-wise comparison of UTF-8 names: the order of Rust's `String::cmp` and Python's `sorted`. */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}
