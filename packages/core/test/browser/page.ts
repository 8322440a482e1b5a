/**
 * The page side of `test/browser.test.ts`. Bundled at test time with the browser entry point of
 * `@mechint/core`, loaded by `index.html`, and driven from the test through `window.mechint`.
 * Everything here runs in the browser: fetching the fixtures, decoding the models, reading the
 * npz references, running onnxruntime-web and measuring the errors.
 */
import { Backend, MechintError, decodeModel, ortEnv, readNpz, type ExecutionProvider, type Tensor } from '../../src/index.browser.js';

/** Fixture models the page can run (`test/fixtures/<model>.onnx` and its `.reference.npz`). */
export type BrowserFixture = 'tiny_mlp' | 'cnn';

/** How far a tensor computed in the page is from its torch reference. */
export interface Deviation {
  /** Largest |ours − reference| / |reference|, counting exact matches (zeros included) as 0. */
  maxRelativeError: number;
  /** Largest |ours − reference|. */
  maxAbsoluteError: number;
  /** Shape of our tensor, to check against the reference's. */
  shape: readonly number[];
  /** Shape of the reference tensor. */
  referenceShape: readonly number[];
}

/** What one run of a fixture model in the page gave. */
export interface RunReport {
  /** The provider the backend settled on. */
  ep: ExecutionProvider;
  /** Per graph output (or exposed value): its deviation from the reference. */
  deviations: Record<string, Deviation>;
  /** Milliseconds from fetching the model to having the outputs, backend creation included. */
  ms: number;
}

/** The functions `window.mechint` offers the test. */
export interface Harness {
  /** The WebGPU adapter's architecture (e.g. `swiftshader`), or why there is none. */
  webgpuAdapter(): Promise<{ architecture: string } | { missing: string }>;
  /** Runs `model` on the reference inputs with `ep` and compares every output to `output.<name>`. */
  runFixture(model: BrowserFixture, ep: ExecutionProvider): Promise<RunReport>;
  /**
   * Exposes tiny_mlp's ReLU activation with `graph.addOutput` and compares it to `act.relu`,
   * next to the unchanged `probs`.
   */
  runWithExposedActivation(ep: ExecutionProvider): Promise<RunReport>;
  /** The `code` of the `MechintError` that `Backend.create({ ep })` rejects with, or `'resolved'`. */
  createError(ep: ExecutionProvider): Promise<string>;
}

/** The part of WebGPU (absent from TypeScript's DOM library) that the page uses. */
interface WebGpu {
  requestAdapter(): Promise<{ readonly info: { readonly architecture: string } } | null>;
}

declare global {
  interface Window {
    /** Set by the page script once it has loaded. */
    mechint?: Harness;
  }
}

async function fetchBytes(file: string): Promise<Uint8Array> {
  const response = await fetch(`/fixtures/${file}`);
  if (!response.ok) throw new Error(`GET /fixtures/${file}: ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

function deviation(ours: Tensor, reference: Tensor): Deviation {
  let maxRelativeError = 0;
  let maxAbsoluteError = 0;
  for (let i = 0; i < reference.size; i++) {
    const expected = Number(reference.data[i]);
    const error = Math.abs(Number(ours.data[i]) - expected);
    maxAbsoluteError = Math.max(maxAbsoluteError, error);
    maxRelativeError = Math.max(maxRelativeError, error === 0 ? 0 : error / Math.abs(expected));
  }
  return { maxRelativeError, maxAbsoluteError, shape: ours.shape, referenceShape: reference.shape };
}

/**
 * Runs `fixture` on `ep` and compares its outputs, and the values in `expose` (graph value →
 * reference key) made outputs with `graph.addOutput`, to the torch references.
 */
async function runAgainst(fixture: BrowserFixture, ep: ExecutionProvider, expose: Record<string, string>): Promise<RunReport> {
  const start = performance.now();
  const [modelBytes, npzBytes] = await Promise.all([fetchBytes(`${fixture}.onnx`), fetchBytes(`${fixture}.reference.npz`)]);
  const model = decodeModel(modelBytes);
  const reference = readNpz(npzBytes);
  const compared: Record<string, string> = Object.fromEntries(model.graph.outputs.map((o) => [o.name, `output.${o.name}`]));
  for (const [value, key] of Object.entries(expose)) {
    model.graph.addOutput(value);
    compared[value] = key;
  }
  const backend = await Backend.create({ ep });
  try {
    const session = await backend.session(model, { key: fixture }); // keyed sessions are what dispose() releases
    const feeds = Object.fromEntries(session.inputNames.map((name) => [name, reference[`input.${name}`]!]));
    const outputs = await session.run(feeds);
    const ms = performance.now() - start;
    const deviations = Object.fromEntries(Object.entries(compared).map(([value, key]) => [value, deviation(outputs[value]!, reference[key]!)]));
    return { ep: backend.ep, deviations, ms };
  } finally {
    await backend.dispose();
  }
}

const harness: Harness = {
  async webgpuAdapter() {
    const gpu = (navigator as Navigator & { gpu?: WebGpu }).gpu;
    if (gpu === undefined) return { missing: 'navigator.gpu is undefined' };
    const adapter = await gpu.requestAdapter();
    return adapter === null ? { missing: 'navigator.gpu.requestAdapter() gave null' } : { architecture: adapter.info.architecture };
  },
  runFixture: (model, ep) => runAgainst(model, ep, {}),
  runWithExposedActivation: (ep) => runAgainst('tiny_mlp', ep, { '/relu/Relu_output_0': 'act.relu' }),
  async createError(ep) {
    try {
      await Backend.create({ ep });
      return 'resolved';
    } catch (e) {
      return MechintError.isInstance(e) ? e.code : `not a MechintError: ${String(e)}`;
    }
  },
};

// onnxruntime-web's .wasm / .mjs files are served under /ort/, not next to this bundle.
(await ortEnv()).wasm.wasmPaths = new URL('/ort/', location.href).href;
window.mechint = harness;
