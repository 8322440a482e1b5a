/**
 * File helpers for Node: load and save ONNX models (with their external-data files) by path.
 * Only the Node entry point exports this module.
 */
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { MechintError } from '../errors.js';
import { decodeModel, encodeModelChunks, encodeModelWithExternalData } from '../onnx/codec.js';
import type { ModelIR } from '../onnx/model.js';

/**
 * Reads and decodes an `.onnx` file; external-data files named by the model are read from the
 * model's folder. Throws `INVALID_FILE` when the file cannot be read, `INVALID_MODEL` when it is
 * not a valid model.
 *
 * @example
 * ```ts
 * import { loadModel } from '@mechint/core';
 * const model = await loadModel('packages/core/test/fixtures/gpt2l.onnx');
 * console.log(model.graph.nodes.length);
 * ```
 */
export async function loadModel(path: string): Promise<ModelIR> {
  let bytes: Uint8Array;
  try {
    bytes = await readWholeFile(path);
  } catch (cause) {
    throw new MechintError('INVALID_FILE', `Cannot read model file '${path}': ${(cause as Error).message}.`, { cause });
  }
  const folder = dirname(resolve(path));
  return decodeModel(bytes, {
    externalData: (location) => {
      const file = join(folder, location);
      if (!resolve(file).startsWith(folder)) throw new MechintError('INVALID_MODEL', `External data location '${location}' points outside the model's folder.`);
      try {
        return readFileSync(file);
      } catch (cause) {
        throw new MechintError('INVALID_FILE', `Cannot read external data '${file}' named by '${path}': ${(cause as Error).message}.`, { cause });
      }
    },
  });
}

/** Options of {@link saveModel}. */
export interface SaveModelOptions {
  /** Move initializers of at least `sizeThreshold` bytes (default 1024) to `<file>.data` beside the model. */
  externalData?: boolean | { sizeThreshold?: number };
}

/**
 * Encodes and writes a model; with `externalData`, weights go to `<name>.data` beside it.
 *
 * @example
 * ```ts
 * import { loadModel, saveModel } from '@mechint/core';
 * const model = await loadModel('packages/core/test/fixtures/tiny_mlp.onnx');
 * await saveModel('/tmp/tiny-copy.onnx', model);
 * ```
 */
export async function saveModel(path: string, model: ModelIR, options: SaveModelOptions = {}): Promise<void> {
  if (options.externalData === undefined || options.externalData === false) {
    await writeAtomically(path, encodeModelChunks(model).chunks);
    return;
  }
  const location = `${basename(path)}.data`;
  const threshold = options.externalData === true ? {} : options.externalData;
  const encoded = encodeModelWithExternalData(model, { location, ...threshold });
  await writeAtomically(join(dirname(path), location), [encoded.data]);
  await writeAtomically(path, [encoded.model]);
}

/**
 * Writes `chunks` to a temporary file beside `path` and renames it over `path`, so a failure
 * part-way (a full disk, a crash) never leaves a half-written model where a good one was.
 */
async function writeAtomically(path: string, chunks: readonly Uint8Array[]): Promise<void> {
  const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
  let file: FileHandle | undefined;
  try {
    file = await open(temporary, 'w');
    await file.writev([...chunks]);
    await file.close();
    file = undefined;
    await rename(temporary, path);
  } catch (cause) {
    await file?.close().catch(() => undefined);
    await rm(temporary, { force: true });
    throw new MechintError('INVALID_FILE', `Cannot write '${path}': ${(cause as Error).message}.`, { cause });
  }
}

/**
 * Reads a whole file with one read request into a buffer of its size (`fs.promises.readFile`
 * reads in 512 KiB pieces, which is markedly slower for model-sized files).
 */
async function readWholeFile(path: string): Promise<Uint8Array> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const bytes = new Uint8Array(size);
    let offset = 0;
    while (offset < size) {
      const { bytesRead } = await file.read(bytes, offset, size - offset, offset);
      if (bytesRead === 0) break;
      offset += bytesRead;
    }
    return offset === size ? bytes : bytes.subarray(0, offset);
  } finally {
    await file.close();
  }
}
