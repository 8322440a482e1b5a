/**
 * The header of a `.safetensors` file: an 8-byte little-endian length N, then N bytes of UTF-8
 * JSON describing each tensor's dtype, shape and byte range, plus optional string metadata.
 *
 * @see https://github.com/huggingface/safetensors#format
 */
import { MechintError } from '../errors.js';
import type { DType } from '../tensor/dtype.js';

/** Element types of the safetensors format that have a tensor representation here. */
export type SafetensorsDType = 'BOOL' | 'U8' | 'I8' | 'I16' | 'U16' | 'F16' | 'BF16' | 'I32' | 'U32' | 'F32' | 'F64' | 'I64' | 'U64';

/**
 * The supported dtypes in the order of the reference implementation's `Dtype` enum
 * ("increasing alignment order"), which its writer sorts tensors by.
 */
export const SAFETENSORS_DTYPES: readonly SafetensorsDType[] = ['BOOL', 'U8', 'I8', 'I16', 'U16', 'F16', 'BF16', 'I32', 'U32', 'F32', 'F64', 'I64', 'U64'];

/** Storage dtype of each safetensors dtype; BF16 travels as its raw `uint16` bits. */
export const SAFETENSORS_STORAGE: Readonly<Record<SafetensorsDType, DType>> = {
  BOOL: 'bool', U8: 'uint8', I8: 'int8', I16: 'int16', U16: 'uint16', F16: 'float16', BF16: 'uint16',
  I32: 'int32', U32: 'uint32', F32: 'float32', F64: 'float64', I64: 'int64', U64: 'uint64',
};

const ELEMENT_BYTES: Readonly<Record<SafetensorsDType, number>> = {
  BOOL: 1, U8: 1, I8: 1, I16: 2, U16: 2, F16: 2, BF16: 2, I32: 4, U32: 4, F32: 4, F64: 8, I64: 8, U64: 8,
};

/** The header size limit of the reference implementation (`MAX_HEADER_SIZE`, 100 MB). */
const MAX_HEADER_BYTES = 100_000_000;

/** One tensor of a safetensors header; `begin`/`end` are offsets into the data buffer. */
export interface SafetensorsEntry {
  readonly name: string;
  readonly dtype: SafetensorsDType;
  readonly shape: readonly number[];
  readonly begin: number;
  readonly end: number;
}

/** A validated safetensors header. */
export interface SafetensorsHeader {
  /** The tensors, in data-buffer order. */
  readonly entries: readonly SafetensorsEntry[];
  readonly metadata: Readonly<Record<string, string>>;
  /** Offset of the data buffer in the file (8 + header length). */
  readonly dataOffset: number;
}

/**
 * Parses the header of `bytes` and checks it against the file as the reference implementation
 * does: the header fits the file, is UTF-8 JSON of the right form, and the tensors' byte ranges
 * match their shapes and tile the data buffer exactly, with no gap, overlap or trailing byte.
 * Nothing is allocated in proportion to the values found, so random bytes fail cheaply.
 * Throws `INVALID_FILE`, or `UNSUPPORTED_DTYPE` for dtypes such as `F8_E4M3`.
 *
 * @example
 * ```ts
 * parseSafetensorsHeader(writeSafetensors({ x: Tensor.from([1, 2]) })).entries[0]?.end; // 8
 * ```
 */
export function parseSafetensorsHeader(bytes: Uint8Array): SafetensorsHeader {
  if (bytes.length < 8) invalid(`it has ${bytes.length} bytes, fewer than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const low = view.getUint32(0, true);
  const high = view.getUint32(4, true);
  if (high !== 0 || low > MAX_HEADER_BYTES) invalid(`its header length ${high * 2 ** 32 + low} exceeds the 100 MB limit`);
  const dataOffset = 8 + low;
  if (dataOffset > bytes.length) invalid(`its header length ${low} runs past the end of the ${bytes.length}-byte file (truncated?)`);
  const json = parseJson(bytes.subarray(8, dataOffset));
  const entries: SafetensorsEntry[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(json)) {
    if (name === '__metadata__') metadata = parseMetadata(value);
    else entries.push(parseEntry(name, value));
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  const dataLength = bytes.length - dataOffset;
  let position = 0;
  for (const entry of entries) {
    if (entry.begin !== position || entry.end < entry.begin) {
      invalid(`tensor '${entry.name}' has data_offsets [${entry.begin}, ${entry.end}] but the previous tensor ends at ${position}; the byte ranges must tile the data buffer without gaps or overlaps`);
    }
    const size = byteSize(entry, dataLength);
    if (size !== entry.end - entry.begin) {
      invalid(`tensor '${entry.name}' of dtype ${entry.dtype} and shape [${entry.shape.join(', ')}] needs ${size} bytes but its data_offsets span ${entry.end - entry.begin}`);
    }
    position = entry.end;
  }
  if (position !== dataLength) invalid(`its tensors cover ${position} bytes of data but ${dataLength} follow the header (truncated, or trailing bytes?)`);
  return { entries, metadata, dataOffset };
}

function invalid(reason: string): never {
  throw new MechintError('INVALID_FILE', `Not a valid .safetensors file: ${reason}. Pass the bytes of a file written by safetensors (save_file / save_model).`);
}

function parseJson(bytes: Uint8Array): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return invalid('its header is not valid UTF-8');
  }
  if (!text.startsWith('{')) invalid("its header does not start with '{'");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    return invalid(`its header is not valid JSON (${cause instanceof Error ? cause.message : String(cause)})`);
  }
  if (!isRecord(parsed)) invalid('its header is not a JSON object');
  return parsed;
}

function parseMetadata(value: unknown): Record<string, string> {
  if (value === null) return {};
  if (!isRecord(value) || !Object.values(value).every((v) => typeof v === 'string')) {
    invalid('__metadata__ must be an object of string values');
  }
  return { ...(value as Record<string, string>) };
}

function parseEntry(name: string, value: unknown): SafetensorsEntry {
  if (!isRecord(value)) return invalid(`the entry of tensor '${name}' is not an object`);
  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== 'string') invalid(`tensor '${name}' has no dtype string`);
  if (!Object.hasOwn(SAFETENSORS_STORAGE, dtype)) {
    throw new MechintError(
      'UNSUPPORTED_DTYPE',
      `Tensor '${name}' has safetensors dtype ${dtype}, which has no tensor type here; supported: ${SAFETENSORS_DTYPES.join(', ')}. Convert it before saving, e.g. tensor.to(torch.float32).`,
      { details: { name, dtype } },
    );
  }
  if (!isIndexList(shape)) invalid(`tensor '${name}' has a shape that is not a list of non-negative integers`);
  if (!isIndexList(offsets) || offsets.length !== 2) invalid(`tensor '${name}' has data_offsets that are not two non-negative integers`);
  return { name, dtype: dtype as SafetensorsDType, shape, begin: offsets[0]!, end: offsets[1]! };
}

function byteSize(entry: SafetensorsEntry, limit: number): number {
  if (entry.shape.includes(0)) return 0;
  let size = ELEMENT_BYTES[entry.dtype];
  for (const d of entry.shape) {
    size *= d;
    if (size > limit) return Infinity;
  }
  return size;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isIndexList(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((v) => Number.isSafeInteger(v) && (v as number) >= 0);
}
