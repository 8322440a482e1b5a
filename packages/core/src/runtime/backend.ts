/**
 * `Backend`: picks an execution provider, creates and caches onnxruntime sessions per model
 * variant, and runs them on host {@link Tensor}s.
 */
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-common';
import { GraphBuilder } from '../builder/graph-builder.js';
import { MechintError } from '../errors.js';
import type { DType } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { encodeModel } from '../onnx/codec.js';
import type { ModelIR } from '../onnx/model.js';
import { loadOrt, ortBinding, type ExecutionProvider, type OrtModule } from './binding.js';
import { DeviceTensor } from './device-tensor.js';
import { ownNodeError } from './own-nodes.js';
import { probeModel } from './probe-model.js';
import { Session } from './session.js';

/** Options of {@link Backend.create}. */
export interface BackendOptions {
  /**
   * The execution provider, or providers in order of preference (the first available one is
   * used), or `'auto'` for the platform's order (Node: cuda, webgpu, cpu; browser: webgpu, wasm).
   * A single provider that is unavailable raises `EP_UNAVAILABLE`. Defaults to `'cpu'` in Node and
   * `'wasm'` in browsers.
   */
  ep?: ExecutionProvider | readonly ExecutionProvider[] | 'auto';
  /**
   * onnxruntime graph optimisation level for every session. Defaults to `'all'`, onnxruntime's
   * default. Values you ask to see stay visible: a hooked value is a graph output, so fusions
   * across it are skipped.
   */
  graphOptimizationLevel?: InferenceSession.SessionOptions['graphOptimizationLevel'];
  /** Threads onnxruntime uses inside one operator on the CPU provider (0: onnxruntime decides). */
  intraOpNumThreads?: number;
  /** Most sessions kept; the least recently used is released beyond this. Defaults to 16. */
  maxSessions?: number;
  /**
   * onnxruntime's log level for sessions: 0 verbose … 4 fatal. Defaults to 3 (errors), since
   * exposing values makes onnxruntime warn about the optimisations it then skips.
   */
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
}

/** Options of {@link Backend.session}. */
export interface SessionRequest {
  /** A cache key naming this variant. Without one, the cache is keyed by the model object. */
  key?: string;
  /**
   * Outputs that `Session.runResident` leaves on the device, to be fed back without a round trip
   * through host memory (e.g. a training loop's parameters). On WebGPU they stay in GPU buffers;
   * on the CPU provider host memory is the device; onnxruntime-node's CUDA provider returns
   * outputs on the host.
   */
  deviceOutputs?: readonly string[];
}

const probes = new Map<ExecutionProvider, Promise<string | undefined>>();

/**
 * Runs ONNX models on one execution provider, caching a session per model variant.
 *
 * @example
 * ```ts
 * import { Backend, Tensor, loadModel } from '@mechint/core';
 * const backend = await Backend.create({ ep: ['cuda', 'cpu'] });
 * const model = await loadModel('packages/core/test/fixtures/tiny_mlp.onnx');
 * const session = await backend.session(model);
 * const { probs } = await session.run({ x: Tensor.from([[0.1, 0.2, 0.3, 0.4]]) });
 * console.log(backend.ep, probs!.shape);
 * ```
 */
export class Backend {
  /** The execution provider every session of this backend uses. */
  readonly ep: ExecutionProvider;
  readonly #ort: OrtModule;
  readonly #options: BackendOptions;
  readonly #byKey = new Map<string, Promise<Session>>();
  readonly #byObject = new WeakMap<object, Promise<Session>>();
  readonly #unkeyed = new Set<Promise<Session>>();

  private constructor(ort: OrtModule, ep: ExecutionProvider, options: BackendOptions) {
    this.#ort = ort;
    this.ep = ep;
    this.#options = options;
  }

  /**
   * Resolves the execution provider (probing it with a one-node model) and returns a backend.
   * Throws `EP_UNAVAILABLE` with install instructions when no requested provider works.
   */
  static async create(options: BackendOptions = {}): Promise<Backend> {
    const binding = ortBinding();
    const requested = options.ep ?? (binding.platform === 'node' ? 'cpu' : 'wasm');
    const order = requested === 'auto' ? binding.providers : typeof requested === 'string' ? [requested] : requested;
    if (order.length === 0) throw new MechintError('INVALID_ARGUMENT', "ep lists no execution provider; pass e.g. ['webgpu', 'cpu'].");
    const ort = await loadOrt();
    const failures: string[] = [];
    for (const ep of order) {
      const failure = await probe(ort, ep);
      if (failure === undefined) return new Backend(ort, ep, options);
      failures.push(`${ep}: ${failure}. ${binding.installHint(ep)}`);
    }
    throw new MechintError('EP_UNAVAILABLE', `No requested execution provider is available on ${binding.platform}.\n${failures.join('\n')}`, {
      details: { requested: order, failures },
    });
  }

  /**
   * The session for `model`, created once per variant and reused: keyed by `request.key` when
   * given, else by the model object itself (a `ModelIR` or its bytes). `model` may be a function
   * that builds the variant, called only when no session is cached for the key (a key is then
   * required).
   */
  session(model: ModelIR | Uint8Array | (() => ModelIR | Uint8Array), request: SessionRequest = {}): Promise<Session> {
    const deviceOutputs = request.deviceOutputs ?? [];
    if (deviceOutputs.length > 0 && request.key !== undefined && !request.key.includes('#device:')) {
      return this.session(model, { ...request, key: `${request.key}#device:${deviceOutputs.join(',')}` });
    }
    if (typeof model === 'function') {
      if (request.key === undefined) throw new MechintError('INVALID_ARGUMENT', 'A session built on demand needs a key; pass { key }.');
      const cached = this.#byKey.get(request.key);
      if (cached !== undefined) {
        this.touch(request.key, cached);
        return cached;
      }
      return this.session(model(), request);
    }
    const cached = request.key === undefined ? this.#byObject.get(model) : this.#byKey.get(request.key);
    if (cached !== undefined) {
      if (request.key !== undefined) this.touch(request.key, cached);
      return cached;
    }
    const created = this.createSession(model, deviceOutputs);
    created.catch(() => {
      if (request.key === undefined) {
        this.#byObject.delete(model);
        this.#unkeyed.delete(created);
      } else {
        this.#byKey.delete(request.key);
      }
    });
    if (request.key === undefined) {
      this.#byObject.set(model, created);
      this.#unkeyed.add(created);
    } else {
      this.touch(request.key, created);
    }
    return created;
  }

  /** Releases every cached session. */
  async dispose(): Promise<void> {
    const sessions = [...this.#byKey.values(), ...this.#unkeyed];
    this.#byKey.clear();
    this.#unkeyed.clear();
    await Promise.all(sessions.map(async (s) => (await s.catch(() => undefined))?.release()));
  }

  private touch(key: string, session: Promise<Session>): void {
    this.#byKey.delete(key);
    this.#byKey.set(key, session);
    const limit = this.#options.maxSessions ?? 16;
    while (this.#byKey.size > limit) {
      const [oldest, evicted] = this.#byKey.entries().next().value as [string, Promise<Session>];
      this.#byKey.delete(oldest);
      void evicted.then((s) => s.release()).catch(() => undefined);
    }
  }

  private async createSession(model: ModelIR | Uint8Array, deviceOutputs: readonly string[]): Promise<Session> {
    const bytes = model instanceof Uint8Array ? model : encodeModel(model);
    const onGpu = this.ep === 'webgpu' && deviceOutputs.length > 0;
    const options: InferenceSession.SessionOptions = {
      executionProviders: [this.ep],
      graphOptimizationLevel: this.#options.graphOptimizationLevel ?? 'all',
      logSeverityLevel: this.#options.logSeverityLevel ?? 3,
      ...(this.#options.intraOpNumThreads === undefined ? {} : { intraOpNumThreads: this.#options.intraOpNumThreads }),
      ...(onGpu ? { preferredOutputLocation: Object.fromEntries(deviceOutputs.map((name) => [name, 'gpu-buffer' as const])) } : {}),
    };
    let session: InferenceSession;
    try {
      session = await this.#ort.InferenceSession.create(bytes, options);
    } catch (cause) {
      throw sessionError(cause as Error, this.ep, model instanceof Uint8Array ? undefined : model);
    }
    const unknown = deviceOutputs.filter((name) => !session.outputNames.includes(name));
    if (unknown.length > 0) {
      await session.release();
      throw new MechintError('UNKNOWN_VALUE', `deviceOutputs names ${unknown.join(', ')}, which the model does not output; outputs: ${session.outputNames.join(', ')}.`);
    }
    return new Session(session, this.#ort, this.ep, deviceOutputs, (value) => this.download(value), model instanceof Uint8Array ? undefined : model.opset());
  }

  /**
   * A host copy of an output. GPU buffers are read by running them through an Identity model on
   * this backend with host outputs: onnxruntime-node's own downloader aborts the process.
   */
  private async download(value: OrtTensor): Promise<Tensor> {
    if (value.location === 'cpu' || value.location === 'cpu-pinned') return Tensor.fromOrt(value);
    if (value.location !== 'gpu-buffer') return Tensor.fromOrt(new this.#ort.Tensor(value.type as 'float32', (await value.getData()) as Float32Array, value.dims));
    const dtype = value.type as DType;
    const rank = value.dims.length;
    const session = await this.session(() => identityModel(dtype, rank), { key: `@mechint/core:download/${dtype}/${rank}` });
    const { y } = await session.run({ x: new DeviceTensor(value, (v) => this.download(v)) });
    return y!;
  }
}

/** `y = Identity(x)` for one dtype and rank, with symbolic dimensions. */
function identityModel(dtype: DType, rank: number): ModelIR {
  const g = new GraphBuilder({ name: 'download' });
  const x = g.input('x', dtype, Array.from({ length: rank }, (_, i) => `d${i}`));
  g.output(g.identity(x), 'y');
  return g.build();
}

/**
 * The error for a model onnxruntime refused: `INTERNAL_ERROR` when it is about a node @mechint
 * added (see {@link ownNodeError}), `UNSUPPORTED_OP` naming the operator and its nodes
 * when onnxruntime has no kernel or schema for it, `INVALID_MODEL` otherwise.
 */
function sessionError(cause: Error, ep: ExecutionProvider, model: ModelIR | undefined): MechintError {
  const message = cause.message;
  const ours = ownNodeError(message, ep, model?.opset(), cause);
  if (ours !== undefined) return ours;
  const unknownOp = /No Op registered for (\S+) with domain/.exec(message)?.[1] ?? /Could not find an implementation for (\w+)\(/.exec(message)?.[1];
  if (unknownOp !== undefined) {
    const nodes = model?.graph.nodes.filter((n) => n.opType === unknownOp).map((n) => n.name) ?? [];
    return new MechintError(
      'UNSUPPORTED_OP',
      `onnxruntime (${ep}) has no kernel for operator '${unknownOp}'${nodes.length ? ` (nodes ${nodes.slice(0, 3).join(', ')})` : ''}; check the opset and domain, or re-export the model with supported operators. onnxruntime said: ${message.split('\n')[0]}`,
      { cause, details: { opType: unknownOp, nodes } },
    );
  }
  return new MechintError('INVALID_MODEL', `onnxruntime (${ep}) rejected the model: ${message}`, { cause });
}

/**
 * Whether `ep` runs the probe model: `undefined` if so, else the reason. GPU providers are probed
 * through the binding's `probeIsolated` where it has one, so a provider the machine lacks prints
 * nothing; the reason reaches the user only in `EP_UNAVAILABLE`, when no requested provider works.
 */
function probe(ort: OrtModule, ep: ExecutionProvider): Promise<string | undefined> {
  let pending = probes.get(ep);
  if (pending === undefined) {
    pending = (async () => {
      const binding = ortBinding();
      if (!binding.providers.includes(ep)) return `not offered by onnxruntime on ${binding.platform}`;
      if (binding.probeIsolated !== undefined && ep !== 'cpu' && ep !== 'wasm') return binding.probeIsolated(ep, probeModel());
      try {
        const session = await ort.InferenceSession.create(probeModel(), { executionProviders: [ep] });
        const x = new ort.Tensor('float32', new Float32Array([2]), [1]);
        const out = await session.run({ x });
        const y = out['y'];
        const value = y === undefined ? undefined : ((await y.getData()) as Float32Array)[0];
        await session.release();
        return value === 4 ? undefined : `a test run gave ${value} instead of 4`;
      } catch (cause) {
        return (cause as Error).message.split('\n')[0];
      }
    })();
    probes.set(ep, pending);
  }
  return pending;
}
