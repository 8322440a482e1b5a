/**
 * Where the graph kernels run: the caller's {@link Backend}, or one shared CPU backend created on
 * first use. Sessions are cached by the backend under a key per kernel variant.
 */
import { Backend, type ModelIR, type Session } from '@mechint/core';

/** Options every onnxruntime-backed function accepts. */
export interface BackendOption {
  /**
   * The backend running the graph kernels (Gram matrices, cross-covariances, pairwise distances).
   * Defaults to one CPU backend shared by the package; pass `await Backend.create({ ep: ['cuda', 'cpu'] })`
   * to use a GPU.
   */
  backend?: Backend;
}

let shared: Promise<Backend> | undefined;

/** The session of kernel `key`, built by `build` on first use on this backend. @internal */
export async function kernelSession(options: BackendOption, key: string, build: () => ModelIR): Promise<Session> {
  const backend = options.backend ?? (await (shared ??= Backend.create({ ep: 'cpu' })));
  return backend.session(build, { key: `@mechint/alignment:${key}` });
}
