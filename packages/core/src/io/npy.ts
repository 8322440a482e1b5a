/**
 * `.npy` files: numpy's format for one array.
 *
 * @see https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
 */
import { MechintError } from '../errors.js';
import { dtypeBytes } from '../tensor/dtype.js';
import { Tensor, shapeSize } from '../tensor/tensor.js';
import { decodeElements, littleEndianBytes } from './byte-order.js';
import { descrOf } from './npy-descr.js';
import { formatNpyHeader, parseNpyHeader } from './npy-header.js';
import { ordersCoincide, reorder } from './memory-order.js';

/** Options of {@link writeNpy}. */
export interface WriteNpyOptions {
  /**
   * Store the elements in column-major order with `fortran_order: True`, as `np.save` does for a
   * Fortran-contiguous array. Like numpy, arrays whose two orders coincide (rank < 2, empty, or at
   * most one axis longer than 1) are still written with `fortran_order: False`. Default `false`.
   */
  readonly fortranOrder?: boolean;
}

/**
 * Reads a `.npy` file (format 1.0, 2.0 or 3.0) into a C-ordered {@link Tensor}.
 *
 * Little- and big-endian data (`'<f4'`, `'>f4'`, …) of every tensor dtype is accepted; big-endian
 * elements are converted to the host's order and Fortran-ordered arrays are transposed to C
 * order. When the data is aligned, little-endian and C-ordered, the tensor is a view of `bytes`
 * (no copy): `clone()` it before reusing the buffer. Bytes after the data are ignored, as numpy
 * ignores them.
 *
 * Throws `INVALID_FILE` for a bad magic string, an unknown version, a malformed header or
 * truncated data, and `UNSUPPORTED_DTYPE` for object, structured, string, complex and other
 * arrays a tensor cannot hold.
 *
 * @example
 * ```ts
 * import { readNpy, writeNpy, Tensor } from '@mechint/core';
 * const t = readNpy(writeNpy(Tensor.from([[1, 2], [3, 4]])));
 * t.dtype; // 'float32'
 * t.shape; // [2, 2]
 * ```
 */
export function readNpy(bytes: Uint8Array): Tensor {
  const { dtype, shape, littleEndian, fortranOrder, dataOffset } = parseNpyHeader(bytes);
  const count = shapeSize(shape);
  const needed = count * dtypeBytes(dtype);
  const available = bytes.length - dataOffset;
  if (needed > available) {
    throw new MechintError(
      'INVALID_FILE',
      `The .npy data is truncated: a ${dtype} array of shape [${shape.join(', ')}] needs ${needed} bytes after the header, but only ${available} remain.`,
      { details: { needed, available } },
    );
  }
  const stored = decodeElements(dtype, bytes.subarray(dataOffset, dataOffset + needed), count, littleEndian);
  const data = fortranOrder && !ordersCoincide(shape) ? reorder(dtype, stored, shape, 'F') : stored;
  return new Tensor(dtype, data, shape);
}

/**
 * Writes a tensor as a `.npy` file, byte-identical to what `np.save` writes for the same array:
 * format 1.0 (2.0 when the header exceeds 65535 bytes), little-endian, C order unless
 * `fortranOrder` is set.
 *
 * @example
 * ```ts
 * import { writeNpy, Tensor } from '@mechint/core';
 * const bytes = writeNpy(Tensor.from([1, 2, 3], [3], 'int32'));
 * bytes.length; // 140: a 128-byte header and 12 bytes of data
 * ```
 */
export function writeNpy(tensor: Tensor, options: WriteNpyOptions = {}): Uint8Array {
  const fortran = (options.fortranOrder ?? false) && !ordersCoincide(tensor.shape);
  const header = formatNpyHeader(descrOf(tensor.dtype), fortran, tensor.shape);
  const body = littleEndianBytes(fortran ? reorder(tensor.dtype, tensor.data, tensor.shape, 'C') : tensor.data);
  const out = new Uint8Array(header.length + body.length);
  out.set(header);
  out.set(body, header.length);
  return out;
}
