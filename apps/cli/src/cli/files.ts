/**
 * Reading the command line's input files: `.onnx` models and `.npy` / `.npz` / `.safetensors`
 * arrays, with one-line errors that say what to pass instead.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { HookedModel, MechintError, readNpy, readNpz, readSafetensors, type ExecutionProvider, type Tensor } from '@mechint/core';

const ARRAY_TYPES = ['.npy', '.npz', '.safetensors'];

/** `path` resolved against `cwd`, after checking that it names a readable file with one of `extensions`. */
export function inputPath(cwd: string, path: string, extensions: readonly string[], what: string): string {
  const full = resolve(cwd, path);
  if (!existsSync(full)) throw new MechintError('INVALID_FILE', `${what} '${path}' does not exist; check the path (relative paths start at ${cwd}).`, { details: { path } });
  if (!statSync(full).isFile()) throw new MechintError('INVALID_FILE', `${what} '${path}' is a folder; pass a file.`, { details: { path } });
  const ext = extname(full).toLowerCase();
  if (!extensions.includes(ext)) {
    throw new MechintError('INVALID_FILE', `${what} '${path}' is not a ${extensions.join(' / ')} file; pass one of those (got '${ext || 'no extension'}').`, { details: { path } });
  }
  return full;
}

/** Reads every array of a `.npy` (key `'x'`, or `name`), `.npz` or `.safetensors` file. */
export function readArrays(cwd: string, path: string, what = 'Input file'): Record<string, Tensor> {
  const full = inputPath(cwd, path, ARRAY_TYPES, what);
  const bytes = readFileSync(full);
  const ext = extname(full).toLowerCase();
  try {
    if (ext === '.npy') return { x: readNpy(bytes) };
    if (ext === '.npz') return readNpz(bytes);
    return readSafetensors(bytes).tensors;
  } catch (cause) {
    if (MechintError.isInstance(cause)) throw new MechintError(cause.code, `${what} '${path}': ${cause.message}`, { cause });
    throw new MechintError('INVALID_FILE', `${what} '${path}' is not a valid ${ext} file (${(cause as Error).message}); write it with numpy / safetensors.`, { cause });
  }
}

/**
 * One array of a file: the only one, or the one named `key` (`file.npz:key` also names it).
 * Throws `INVALID_ARGUMENT` naming the keys when the choice is ambiguous or the key is absent.
 */
export function readArray(cwd: string, spec: string, what = 'Input file'): { tensor: Tensor; key: string } {
  const match = /^(.*\.(?:npz|safetensors)):([^/\\]+)$/i.exec(spec);
  const path = match?.[1] ?? spec;
  const key = match?.[2];
  const arrays = readArrays(cwd, path, what);
  const keys = Object.keys(arrays);
  if (key !== undefined) {
    const tensor = arrays[key];
    if (tensor === undefined) throw new MechintError('INVALID_ARGUMENT', `${what} '${path}' has no array '${key}'; its arrays are ${keys.join(', ')}.`);
    return { tensor, key };
  }
  if (keys.length !== 1) throw new MechintError('INVALID_ARGUMENT', `${what} '${path}' holds ${keys.length} arrays (${keys.join(', ')}); pick one as '${path}:${keys[0] ?? 'name'}'.`);
  return { tensor: arrays[keys[0]!]!, key: keys[0]! };
}

/** Loads an `.onnx` model as a `HookedModel` on `ep`. */
export async function loadHookedModel(cwd: string, path: string, ep: ExecutionProvider): Promise<HookedModel> {
  const full = inputPath(cwd, path, ['.onnx'], 'Model');
  return HookedModel.load(full, { ep });
}
