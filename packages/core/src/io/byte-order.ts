/**
 * Byte-order helpers shared by the file readers and writers: files store little- or big-endian
 * elements, typed arrays use the host's order.
 */
import { dtypeBytes, viewBytes, type DType, type DTypeStorage } from '../tensor/dtype.js';

/** True on little-endian hosts (every mainstream JavaScript engine today). */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * A typed array of `length` elements of `dtype` read from `bytes`, stored in little-endian order
 * when `littleEndian` is true and big-endian otherwise. Shares memory with `bytes` when the order
 * matches the host and the offset is aligned; copies otherwise.
 *
 * @example
 * ```ts
 * decodeElements('uint16', new Uint8Array([0, 1]), 1, false); // Uint16Array [1]
 * ```
 */
export function decodeElements<D extends DType>(dtype: D, bytes: Uint8Array, length: number, littleEndian: boolean): DTypeStorage[D] {
  const size = dtypeBytes(dtype);
  if (size === 1 || littleEndian === HOST_LITTLE_ENDIAN) return viewBytes(dtype, bytes, length);
  const copy = bytes.slice(0, length * size);
  swapInPlace(copy, size);
  return viewBytes(dtype, copy, length);
}

/**
 * The bytes of a typed array in little-endian order: a view of its memory on little-endian
 * hosts, a byte-swapped copy elsewhere.
 *
 * @example
 * ```ts
 * littleEndianBytes(new Uint16Array([1])); // Uint8Array [1, 0]
 * ```
 */
export function littleEndianBytes(data: ArrayBufferView & { readonly BYTES_PER_ELEMENT: number }): Uint8Array {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (HOST_LITTLE_ENDIAN || data.BYTES_PER_ELEMENT === 1) return bytes;
  const copy = bytes.slice();
  swapInPlace(copy, data.BYTES_PER_ELEMENT);
  return copy;
}

function swapInPlace(bytes: Uint8Array, size: number): void {
  for (let i = 0; i + size <= bytes.length; i += size) bytes.subarray(i, i + size).reverse();
}
