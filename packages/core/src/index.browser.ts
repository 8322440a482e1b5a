/**
 * Browser entry point of `@mechint/core`: onnxruntime-web provides WebGPU and wasm (CPU).
 *
 * @packageDocumentation
 * @module browser
 */
import { registerOrtBinding, type ExecutionProvider } from './runtime/binding.js';

const HINTS: Record<ExecutionProvider, string> = {
  cpu: "In browsers the CPU provider is 'wasm'.",
  cuda: 'CUDA is not available in browsers; use webgpu.',
  webgpu: 'This browser exposes no WebGPU adapter (navigator.gpu); use a browser with WebGPU enabled, or wasm.',
  wasm: 'onnxruntime-web could not start its wasm backend; serve its .wasm files (ort.env.wasm.wasmPaths).',
};

registerOrtBinding({
  platform: 'browser',
  providers: ['webgpu', 'wasm'],
  load: async () => await import('onnxruntime-web'),
  installHint: (ep) => HINTS[ep],
});

export * from './index.common.js';
