/**
 * Reading a model named by a string: a file path in Node (the Node entry point registers its file
 * reader), a URL fetched with `fetch` everywhere else.
 */
import { MechintError } from '../errors.js';
import { decodeModel } from '../onnx/codec.js';
import type { ModelIR } from '../onnx/model.js';

/** @inline Reads the model at a path. */
type PathReader = (path: string) => Promise<ModelIR>;
let pathReader: PathReader | undefined;

/**
 * Registers how to read a model from a file path (the Node entry point passes `loadModel`).
 *
 * @example
 * ```ts
 * import { loadModel, registerModelPathReader } from '@mechint/core';
 * registerModelPathReader(loadModel);
 * ```
 */
export function registerModelPathReader(reader: PathReader): void {
  pathReader = reader;
}

/** The model at `source`: a URL (`http:`, `https:`, `blob:`, `data:`) is fetched, anything else is a path. */
export async function readModelSource(source: string | URL): Promise<ModelIR> {
  const url = source instanceof URL ? source : /^(https?|blob|data):/.test(source) ? new URL(source) : undefined;
  if (url === undefined) {
    if (pathReader === undefined) throw new MechintError('INVALID_ARGUMENT', `Cannot read the path '${String(source)}' here; pass a URL or the model's bytes.`);
    return pathReader(source as string);
  }
  if (url.protocol === 'file:') {
    if (pathReader === undefined) throw new MechintError('INVALID_ARGUMENT', `Cannot read '${url.href}' here; pass the model's bytes.`);
    return pathReader(decodeURIComponent(url.pathname));
  }
  const response = await fetch(url);
  if (!response.ok) throw new MechintError('INVALID_FILE', `Fetching ${url.href} failed with HTTP ${response.status}.`);
  return decodeModel(new Uint8Array(await response.arrayBuffer()));
}
