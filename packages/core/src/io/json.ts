/**
 * JSON for result objects: plain data with {@link Tensor}s, bigints and non-finite numbers inside,
 * written so that {@link fromJson} gives back what {@link toJson} was given.
 */
import { MechintError } from '../errors.js';
import { allocate, isDType, type DType } from '../tensor/dtype.js';
import { float32ToHalf, halfToFloat32 } from '../tensor/half.js';
import { Tensor, shapeSize } from '../tensor/tensor.js';

/** Options of {@link toJson}. */
export interface ToJsonOptions {
  /** Spaces of indentation per level; default none (compact). */
  readonly indent?: number;
}

const SPECIAL: Readonly<Record<string, number>> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity, '-0': -0 };
const INTEGER = /^-?\d+$/;

/**
 * Serializes a result object to JSON. Everything plain JSON can hold is written as JSON.stringify
 * would (including `toJSON()`, so Dates become ISO strings, and `undefined` properties are
 * dropped); besides:
 * - a {@link Tensor} becomes `{"$tensor": {"dtype", "shape", "data"}}` with `data` a flat C-order
 *   array: numbers, decimal strings for 64-bit integers, `0`/`1` for bools, values (not bits) for
 *   float16, and the strings `"NaN"`, `"Infinity"`, `"-Infinity"`, `"-0"` for those floats;
 * - a bigint becomes `{"$bigint": "123"}`;
 * - NaN, ±Infinity and -0 outside tensors become `{"$number": "NaN"}` etc.
 *
 * Throws `INVALID_ARGUMENT` for typed arrays (wrap them in a Tensor), Maps, Sets, cycles and a
 * top-level value JSON cannot hold (`undefined`, a function). Objects whose only key is
 * `$tensor`, `$bigint` or `$number` are reserved for these encodings.
 *
 * @example
 * ```ts
 * import { toJson, Tensor } from '@mechint/core';
 * toJson({ score: NaN, acts: Tensor.from([1, 2]) });
 * // '{"score":{"$number":"NaN"},"acts":{"$tensor":{"dtype":"float32","shape":[2],"data":[1,2]}}}'
 * ```
 */
export function toJson(result: unknown, options: ToJsonOptions = {}): string {
  const text: string | undefined = JSON.stringify(encode(result, new Set()), null, options.indent);
  if (text === undefined) throw new MechintError('INVALID_ARGUMENT', `toJson cannot serialize a top-level ${typeof result}; pass an object, array or primitive.`);
  return text;
}

/**
 * Parses JSON written by {@link toJson}, reviving tensors, bigints and non-finite numbers.
 * Throws `INVALID_FILE` when the text is not JSON or an encoded tensor is malformed.
 *
 * @example
 * ```ts
 * import { fromJson, toJson, Tensor } from '@mechint/core';
 * const back = fromJson(toJson({ acts: Tensor.from([1, 2]) })) as { acts: Tensor };
 * back.acts.shape; // [2]
 * ```
 */
export function fromJson(text: string): unknown {
  try {
    return JSON.parse(text, (_key, value: unknown) => revive(value));
  } catch (cause) {
    if (MechintError.isInstance(cause)) throw cause;
    throw new MechintError('INVALID_FILE', `Not valid JSON: ${cause instanceof Error ? cause.message : String(cause)}.`, { cause });
  }
}

function encode(value: unknown, ancestors: Set<object>): unknown {
  if (typeof value === 'number') {
    const token = numberOrToken(value);
    return typeof token === 'number' ? token : { $number: token };
  }
  if (typeof value === 'bigint') return { $bigint: value.toString() };
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Tensor) return { $tensor: { dtype: value.dtype, shape: [...value.shape], data: tensorValues(value) } };
  if (ArrayBuffer.isView(value) || value instanceof Map || value instanceof Set) {
    throw new MechintError('INVALID_ARGUMENT', `toJson cannot write a ${value.constructor.name}: wrap typed arrays in a Tensor and convert Maps/Sets to objects or arrays.`);
  }
  const toJSON: unknown = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return encode(toJSON.call(value), ancestors);
  if (ancestors.has(value)) throw new MechintError('INVALID_ARGUMENT', 'toJson cannot write a cyclic structure.');
  ancestors.add(value);
  const out = Array.isArray(value) ? value.map((v) => encode(v, ancestors)) : Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encode(v, ancestors)]));
  ancestors.delete(value);
  return out;
}

function tensorValues(tensor: Tensor): (number | string)[] {
  const { dtype, data } = tensor;
  if (dtype === 'int64' || dtype === 'uint64') return Array.from(data as BigInt64Array, String);
  const values = dtype === 'float16' ? halfToFloat32(data as Uint16Array) : (data as Exclude<typeof data, BigInt64Array | BigUint64Array>);
  return Array.from(values, numberOrToken);
}

/** The number itself when JSON holds it exactly, else its token ("NaN", "Infinity", "-Infinity", "-0"). */
function numberOrToken(value: number): number | string {
  if (Object.is(value, -0)) return '-0';
  return Number.isFinite(value) ? value : String(value);
}

function revive(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  if (keys.length !== 1) return value;
  const payload = (value as Record<string, unknown>)[keys[0]!];
  if (keys[0] === '$tensor') return decodeTensor(payload);
  if (keys[0] === '$bigint' && typeof payload === 'string' && INTEGER.test(payload)) return BigInt(payload);
  if (keys[0] === '$number' && typeof payload === 'string' && Object.hasOwn(SPECIAL, payload)) return SPECIAL[payload];
  if (keys[0] === '$bigint' || keys[0] === '$number') malformed(`${keys[0]} holds ${JSON.stringify(payload)}`);
  return value;
}

function decodeTensor(payload: unknown): Tensor {
  const { dtype, shape, data } = (typeof payload === 'object' && payload !== null ? payload : {}) as Record<string, unknown>;
  if (!isDType(dtype)) return malformed(`$tensor has dtype ${JSON.stringify(dtype)}`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) return malformed('$tensor shape is not a list of non-negative integers');
  if (!Array.isArray(data) || data.length !== shapeSize(shape as number[])) return malformed(`$tensor data does not hold the ${shapeSize(shape as number[])} elements of its shape`);
  return new Tensor(dtype, decodeValues(dtype, data), shape as number[]);
}

function decodeValues(dtype: DType, data: unknown[]): Tensor['data'] {
  if (dtype === 'float32' || dtype === 'float64' || dtype === 'float16') {
    const values = data.map((v) => (typeof v === 'number' ? v : typeof v === 'string' && Object.hasOwn(SPECIAL, v) ? SPECIAL[v]! : malformed(`$tensor ${dtype} data holds ${JSON.stringify(v)}`)));
    return dtype === 'float16' ? float32ToHalf(values) : dtype === 'float32' ? Float32Array.from(values) : Float64Array.from(values);
  }
  const out = allocate(dtype, data.length);
  const target = out as unknown as (number | bigint)[];
  const wide = dtype === 'int64' || dtype === 'uint64';
  data.forEach((v, i) => {
    const value = wide ? (typeof v === 'string' && INTEGER.test(v) ? BigInt(v) : null) : typeof v === 'number' ? v : null;
    if (value !== null) target[i] = value;
    if (value === null || target[i] !== value || (dtype === 'bool' && value !== 0 && value !== 1)) {
      malformed(`$tensor ${dtype} data holds ${JSON.stringify(v)}, which is not a ${dtype} value`);
    }
  });
  return out;
}

function malformed(what: string): never {
  throw new MechintError('INVALID_FILE', `Malformed result JSON: ${what}. Write it with toJson().`);
}
