/**
 * Node entry point of `@mechint/core`: onnxruntime-node provides CPU, CUDA and WebGPU (Dawn on
 * Vulkan).
 *
 * @packageDocumentation
 * @module node
 */
import { registerModelPathReader } from './hooks/model-source.js';
import { loadModel } from './io/node.js';
import { registerOrtBinding, type ExecutionProvider, type OrtModule } from './runtime/binding.js';
import { probeInChildProcess } from './runtime/isolated-probe.js';

const HINTS: Record<ExecutionProvider, string> = {
  cpu: 'The CPU provider ships with onnxruntime-node; reinstall it (pnpm install).',
  cuda:
    'onnxruntime-node ships without its CUDA provider libraries. Install them for onnxruntime-node 1.29.0 with the repository script ' +
    '`tools/install-cuda-ep` (official route: `ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js`; offline route: ' +
    'the npm package com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9), and make the CUDA 13 runtime and cuDNN 9 libraries findable (LD_LIBRARY_PATH).',
  webgpu:
    'The WebGPU provider needs a Vulkan driver. With a GPU, install its Vulkan driver; without one, `apt-get install -y chromium libvulkan1` and run with ' +
    'VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json (SwiftShader: correct, but far slower than the CPU provider).',
  wasm: "The wasm provider belongs to onnxruntime-web in browsers; in Node use 'cpu'.",
};

registerOrtBinding({
  platform: 'node',
  providers: ['cuda', 'webgpu', 'cpu'],
  load: async () => {
    const ort: OrtModule & { default?: OrtModule } = await import('onnxruntime-node');
    return ort.default ?? ort;
  },
  installHint: (ep) => HINTS[ep],
  probeIsolated: probeInChildProcess,
});

registerModelPathReader(loadModel);

export * from './index.common.js';
export * from './io/node.js';
