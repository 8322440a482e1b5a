/**
 * Jest's node environment, adjusted for onnxruntime-node:
 * - the host realm's typed arrays and ArrayBuffer: the native binding and `fs` hand back buffers
 *   of the host realm, while jest gives each test file a fresh realm, so `instanceof
 *   Float32Array` checks (onnxruntime-common's among them) would fail;
 * - one onnxruntime-node per process: its native addon registers a cleanup hook once per process
 *   and aborts when jest's per-file module registry loads its JavaScript a second time. The
 *   environment loads it once, outside the registry, and `jest-ort-node.cjs` hands that copy to
 *   every test file.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { TestEnvironment } from 'jest-environment-node';

const SHARED = [
  'ArrayBuffer', 'SharedArrayBuffer', 'DataView', 'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array',
  'Uint16Array', 'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
];

export default class OnnxruntimeEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
    const requireFromPackage = createRequire(join(config.projectConfig.rootDir, 'package.json'));
    this.global.__mechintOnnxruntimeNode = loadOnce(requireFromPackage);
  }
}

function loadOnce(requireFromPackage) {
  try {
    return requireFromPackage('onnxruntime-node');
  } catch {
    return undefined;
  }
}
