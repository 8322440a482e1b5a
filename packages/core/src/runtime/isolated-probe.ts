/**
 * Probing an execution provider in a child Node process (Node only): onnxruntime's native code
 * prints to the process's stderr when a provider cannot start (the CUDA provider's missing shared
 * libraries, Dawn's "Couldn't load Vulkan"), which a command like `mechint inspect` must not show
 * for providers nobody asked for. The child's output is captured and becomes the reason instead.
 */
import { execFile } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutionProvider } from './binding.js';

/** The child: loads onnxruntime-node, runs the probe model (y = x + x at x = 2) on one provider. */
const CHILD = `
const [from, modelBase64, ep] = process.argv.slice(1);
const ort = require(require.resolve('onnxruntime-node', { paths: [from] }));
(async () => {
  const session = await ort.InferenceSession.create(Buffer.from(modelBase64, 'base64'), { executionProviders: [ep], logSeverityLevel: 3 });
  const out = await session.run({ x: new ort.Tensor('float32', new Float32Array([2]), [1]) });
  const y = (await out.y.getData())[0];
  process.stdout.write(y === 4 ? 'ok' : 'a test run gave ' + y + ' instead of 4');
})().catch((e) => process.stdout.write(String(e && e.message).split('\\n')[0]));
`;

/**
 * Runs `model` (the probe model) on `ep` in a child process: `undefined` when it gives 4, else the
 * reason, with the first native lines the child printed to stderr. Never prints.
 *
 * @example
 * ```ts
 * import { Backend } from '@mechint/core';
 * // Node's entry point registers this as the binding's probeIsolated: CUDA is probed in a child
 * // process, and a machine without it prints nothing before falling back to the CPU.
 * const backend = await Backend.create({ ep: ['cuda', 'cpu'] });
 * console.log(backend.ep); // 'cuda' or 'cpu'
 * ```
 */
export function probeInChildProcess(ep: ExecutionProvider, model: Uint8Array): Promise<string | undefined> {
  // the child resolves onnxruntime-node from this file's folder, as this package does (a test runner's
  // module mapping of this process does not reach it)
  const args = ['-e', CHILD, dirname(fileURLToPath(import.meta.url)), Buffer.from(model).toString('base64'), ep];
  return new Promise((resolve) => {
    execFile(process.execPath, args, { timeout: 120_000, maxBuffer: 1 << 20, env: process.env }, (error, stdout, stderr) => {
      if (stdout === 'ok') return resolve(undefined);
      const native = stderr
        .replace(/\u001b\[[0-9;]*m/g, '')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== '' && !l.startsWith('at '))
        .slice(0, 2);
      const reason = stdout !== '' ? stdout : error !== null ? `the probe process failed (${error.message.split('\n')[0]})` : 'no answer from the probe process';
      resolve(native.length > 0 ? `${reason} (onnxruntime printed: ${native.join(' | ')})` : reason);
    });
  });
}
