/**
 * Jest's node environment with the host realm's typed arrays and ArrayBuffer. onnxruntime's
 * native binding and `fs` hand back buffers of the host realm, while jest gives each test file a
 * fresh realm; `instanceof Float32Array` checks (onnxruntime-common's among them) then fail.
 * Sharing the constructors makes typed arrays from both sides the same kind.
 */
import { TestEnvironment } from 'jest-environment-node';

const SHARED = [
  'ArrayBuffer', 'SharedArrayBuffer', 'DataView', 'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array',
  'Uint16Array', 'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
];

export default class SharedTypedArrayEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
  }
}
