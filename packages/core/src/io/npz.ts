/**
 * `.npz` archives: a zip of `.npy` files, as written by `np.savez` (stored) and
 * `np.savez_compressed` (deflated).
 */
import { unzipSync, zipSync, type UnzipFileInfo, type Zippable } from 'fflate';
import { MechintError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { readNpy, writeNpy } from './npy.js';

/** Options of {@link writeNpz}. */
export interface WriteNpzOptions {
  /** Deflate the members, as `np.savez_compressed` does; default `false` (stored, as `np.savez`). */
  readonly compress?: boolean;
}

const ZIP_LIMIT = 0xffffffff;
const ZIP_MAX_ENTRIES = 0xffff;
/** Largest output/input ratio a deflate stream can reach (258-byte matches in 2-bit codes). */
const MAX_DEFLATE_RATIO = 1032;
/** Smallest central-directory entry of a zip file, in bytes. */
const CENTRAL_ENTRY_BYTES = 46;
/** Fixed member date, so that the same arrays always give the same bytes (zip's own epoch). */
const MEMBER_DATE = new Date(1980, 0, 1);

/**
 * Reads every array of an `.npz` archive, keyed by member name without the `.npy` suffix (as
 * `np.load(...)[key]` names them), in archive order.
 *
 * The result is a plain object (a record) rather than a `Map`, so `arrays.weights` and
 * destructuring work; names such as `'layer.0/attn'` stay as they are. Members are read with
 * {@link readNpy} (every dtype and byte order it supports; Fortran order is transposed). numpy's
 * zip64 extra fields are understood. Zip CRC-32 checksums are not verified (fflate does not
 * expose them); damaged data is still caught when a member's `.npy` structure is broken.
 *
 * Throws `INVALID_FILE` for a corrupt or truncated zip and for a member that is not a valid
 * `.npy` file (the message names the member), and `UNSUPPORTED_DTYPE` when a member holds a
 * dtype a tensor cannot.
 *
 * @example
 * ```ts
 * import { readNpz, writeNpz, Tensor } from '@mechint/core';
 * const { weights } = readNpz(writeNpz({ weights: Tensor.from([[1, 2]]) }));
 * weights?.shape; // [1, 2]
 * ```
 */
export function readNpz(bytes: Uint8Array): Record<string, Tensor> {
  const members = unzip(bytes);
  return Object.fromEntries(
    Object.entries(members)
      .filter(([name]) => !name.endsWith('/'))
      .map(([name, data]) => [name.endsWith('.npy') ? name.slice(0, -4) : name, readMember(name, data)]),
  );
}

/**
 * Writes tensors as an `.npz` archive that `np.load` reads back: one `<name>.npy` member per
 * entry (written by {@link writeNpy}), stored like `np.savez` or deflated (level 6, zlib's
 * default, as `np.savez_compressed`) with `{ compress: true }`. Member dates are fixed at
 * 1980-01-01, so the output is deterministic. Archives over 4 GiB or 65535 members would need
 * zip64, which is not written: split the arrays over several files (`INVALID_ARGUMENT`).
 *
 * @example
 * ```ts
 * import { writeNpz, Tensor } from '@mechint/core';
 * const bytes = writeNpz({ x: Tensor.from([1, 2, 3]), y: Tensor.from([1n]) }, { compress: true });
 * ```
 */
export function writeNpz(arrays: Readonly<Record<string, Tensor>>, options: WriteNpzOptions = {}): Uint8Array {
  const level = options.compress === true ? 6 : 0;
  const entries = Object.entries(arrays).map(([name, tensor]) => [`${name}.npy`, writeNpy(tensor)] as const);
  const total = entries.reduce((sum, [, data]) => sum + data.length, 0);
  if (total >= ZIP_LIMIT || entries.length > ZIP_MAX_ENTRIES) {
    throw new MechintError(
      'INVALID_ARGUMENT',
      `${entries.length} arrays of ${total} bytes in all: .npz archives over 4 GiB or ${ZIP_MAX_ENTRIES} members need zip64, which is not written. Split them over several files.`,
    );
  }
  const members: Zippable = Object.fromEntries(entries.map(([name, data]) => [name, [data, { level }]]));
  return zipSync(members, { mtime: MEMBER_DATE });
}

function unzip(bytes: Uint8Array): Record<string, Uint8Array> {
  let entries = 0;
  const guard = (file: UnzipFileInfo): boolean => {
    entries++;
    const stored = file.compression === 0;
    const plausible =
      entries * CENTRAL_ENTRY_BYTES <= bytes.length &&
      (stored || file.compression === 8) &&
      file.size <= bytes.length &&
      (stored ? file.originalSize === file.size : file.originalSize <= file.size * MAX_DEFLATE_RATIO + 1024);
    if (!plausible) {
      throw new MechintError('INVALID_FILE', `The .npz archive is corrupt: member '${file.name}' has an impossible size or compression method ${file.compression}.`, {
        details: { member: file.name, size: file.size, originalSize: file.originalSize, compression: file.compression },
      });
    }
    return true;
  };
  try {
    return unzipSync(bytes, { filter: guard });
  } catch (cause) {
    if (MechintError.isInstance(cause)) throw cause;
    throw new MechintError(
      'INVALID_FILE',
      `Not a readable .npz archive (${cause instanceof Error ? cause.message : String(cause)}); pass the bytes of a file written by np.savez or np.savez_compressed.`,
      { cause },
    );
  }
}

function readMember(name: string, data: Uint8Array): Tensor {
  try {
    return readNpy(data);
  } catch (cause) {
    if (!MechintError.isInstance(cause)) throw cause;
    throw new MechintError(cause.code, `In .npz member '${name}': ${cause.message}`, { cause, details: { member: name, ...cause.details } });
  }
}
