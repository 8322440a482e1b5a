/**
 * The onnxruntime binding in use: `onnxruntime-node` in Node, `onnxruntime-web` in browsers.
 * Each entry point registers its binding; nothing else in the codebase imports onnxruntime.
 */
import type { Env, InferenceSession, Tensor as OrtTensor } from 'onnxruntime-common';
import { MechintError } from '../errors.js';

/** Execution providers `@mechint` knows how to use. */
export type ExecutionProvider = 'cpu' | 'cuda' | 'webgpu' | 'wasm';

/** The parts of an onnxruntime package that the runtime uses. */
export interface OrtModule {
  /** onnxruntime's session class (`ort.InferenceSession`). */
  InferenceSession: typeof InferenceSession;
  /** onnxruntime's tensor class (`ort.Tensor`). */
  Tensor: typeof OrtTensor;
  /** onnxruntime's global settings (`ort.env`). */
  env: Env;
}

/** How an entry point provides onnxruntime. */
export interface OrtBinding {
  /** `'node'` for onnxruntime-node, `'browser'` for onnxruntime-web. */
  readonly platform: 'node' | 'browser';
  /** Providers this binding can offer, in the order `ep: 'auto'` tries them. */
  readonly providers: readonly ExecutionProvider[];
  /** Loads the onnxruntime module (lazily, on first use). */
  load(): Promise<OrtModule>;
  /** How to make `ep` available on this platform, for `EP_UNAVAILABLE` messages. */
  installHint(ep: ExecutionProvider): string;
  /**
   * Runs the probe model on `ep` away from this process (Node: a child process), so the native
   * messages of a provider that cannot start never reach its stderr; resolves to `undefined` when
   * `ep` works, else the reason. Without it, providers are probed in-process.
   */
  probeIsolated?(ep: ExecutionProvider, model: Uint8Array): Promise<string | undefined>;
}

let registered: OrtBinding | undefined;
let loaded: Promise<OrtModule> | undefined;

/**
 * Registers the onnxruntime binding. `@mechint/core`'s Node and browser entry points call this;
 * call it yourself only to supply a custom build of onnxruntime.
 *
 * @example
 * ```ts
 * import { registerOrtBinding } from '@mechint/core';
 * registerOrtBinding({
 *   platform: 'node',
 *   providers: ['cpu'],
 *   load: () => import('onnxruntime-node'),
 *   installHint: () => 'only the CPU provider is available in this build',
 * });
 * ```
 */
export function registerOrtBinding(binding: OrtBinding): void {
  registered = binding;
  loaded = undefined;
}

/** The registered binding; throws `EP_UNAVAILABLE` when no entry point registered one. */
export function ortBinding(): OrtBinding {
  if (registered === undefined) {
    throw new MechintError('EP_UNAVAILABLE', 'No onnxruntime binding is registered; import @mechint/core through its package entry point (node or browser condition).');
  }
  return registered;
}

/**
 * onnxruntime's global settings (`ort.env`) of the registered binding, loading onnxruntime on
 * first use. Set them before the first `Backend.create`: onnxruntime reads most of them (the
 * location of onnxruntime-web's `.wasm` / `.mjs` files, wasm threads) once, when its first session
 * starts. In browsers, point `wasm.wasmPaths` at where your app serves
 * `onnxruntime-web/dist/ort-wasm-*` when your bundler does not emit those files next to the bundle.
 *
 * @example
 * ```ts
 * import { Backend, ortEnv } from '@mechint/core';
 * const env = await ortEnv();
 * env.logLevel = 'error';
 * env.wasm.wasmPaths = '/assets/ort/'; // browsers only: where onnxruntime-web's dist files are served
 * const backend = await Backend.create();
 * ```
 */
export async function ortEnv(): Promise<Env> {
  return (await loadOrt()).env;
}

/** The loaded onnxruntime module of the registered binding. */
export function loadOrt(): Promise<OrtModule> {
  const binding = ortBinding();
  loaded ??= binding.load().catch((cause: unknown) => {
    loaded = undefined;
    throw new MechintError('EP_UNAVAILABLE', `onnxruntime could not be loaded for ${binding.platform} (${(cause as Error).message}); reinstall the dependencies.`, { cause });
  });
  return loaded;
}
