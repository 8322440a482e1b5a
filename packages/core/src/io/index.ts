/**
 * File formats: `.npy` / `.npz` (numpy), `.safetensors` (Hugging Face) and JSON results. Every
 * function takes and returns bytes or strings, so the same code runs in Node and in browsers.
 */
export { readNpy, writeNpy, type WriteNpyOptions } from './npy.js';
export { readNpz, writeNpz, type WriteNpzOptions } from './npz.js';
export {
  readSafetensors,
  writeSafetensors,
  type ReadSafetensorsOptions,
  type SafetensorsContents,
  type WriteSafetensorsOptions,
} from './safetensors.js';
export type { SafetensorsDType } from './safetensors-header.js';
export { fromJson, toJson, type ToJsonOptions } from './json.js';
