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
    this.global.__mechintOnnxruntimeNode = loadOnnxruntime(config.projectConfig.rootDir);
  }
}

/**
 * onnxruntime-node as the package under test resolves it: its own dependency (core), or else the
 * one of the @mechint/core it depends on (domain packages reach onnxruntime only through core).
 */
function loadOnnxruntime(rootDir) {
  const fromPackage = createRequire(join(rootDir, 'package.json'));
  try {
    return fromPackage('onnxruntime-node');
  } catch {
    try {
      return createRequire(fromPackage.resolve('@mechint/core/package.json'))('onnxruntime-node');
    } catch {
      return undefined;
    }
  }
}
