/**
 * `Session`: one loaded model variant on one execution provider, run on host tensors (and on
 * device tensors that earlier runs left on the device).
 */
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-common';
import { MechintError } from '../errors.js';
import { isDType } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import type { ExecutionProvider, OrtModule } from './binding.js';
import { DeviceTensor } from './device-tensor.js';
import { ownNodeError } from './own-nodes.js';

/** What a session is fed: host tensors, or device tensors from an earlier {@link Session.runResident}. */
export type SessionFeeds = Readonly<Record<string, Tensor | DeviceTensor>>;

/** The result of {@link Session.runResident}. */
export interface ResidentResult {
  /** The outputs the session was not asked to keep on the device, as host tensors. */
  readonly host: Record<string, Tensor>;
  /** The session's `deviceOutputs`, left on the device. */
  readonly device: Record<string, DeviceTensor>;
}

/** Options of {@link Session.run}. */
export interface RunOptions {
  /** Outputs to fetch (default: all graph outputs). Fetching fewer saves copies. */
  outputs?: readonly string[];
}

/**
 * A loaded model variant. Get one from `Backend.session`; feeds are checked against the model's
 * declared inputs before anything runs.
 *
 * @example
 * ```ts
 * import { Backend, Tensor, loadModel } from '@mechint/core';
 * const backend = await Backend.create();
 * const session = await backend.session(await loadModel('packages/core/test/fixtures/tiny_mlp.onnx'));
 * console.log(session.inputNames, session.outputNames);
 * const outputs = await session.run({ x: Tensor.from([[1, 2, 3, 4]]) });
 * ```
 */
export class Session {
  /** The execution provider this session runs on. */
  readonly ep: ExecutionProvider;
  /** Outputs that {@link runResident} leaves on the device (see `SessionRequest.deviceOutputs`). */
  readonly deviceOutputs: readonly string[];
  readonly #session: InferenceSession;
  readonly #ort: OrtModule;
  readonly #download: (value: OrtTensor) => Promise<Tensor>;
  readonly #opset: number | undefined;

  /** @internal Made by `Backend.session`; `opset` is the model's default-domain opset, for error messages. */
  constructor(session: InferenceSession, ort: OrtModule, ep: ExecutionProvider, deviceOutputs: readonly string[] = [], download?: (value: OrtTensor) => Promise<Tensor>, opset?: number) {
    this.#opset = opset;
    this.#session = session;
    this.#ort = ort;
    this.ep = ep;
    this.deviceOutputs = deviceOutputs;
    this.#download = download ?? (async (value) => Tensor.fromOrt(value));
  }

  /** Names of the inputs to feed. */
  get inputNames(): readonly string[] {
    return this.#session.inputNames;
  }

  /** Names of the outputs a run can return. */
  get outputNames(): readonly string[] {
    return this.#session.outputNames;
  }

  /**
   * Runs the model and returns every fetched output on the host. Throws `INVALID_ARGUMENT` for
   * missing or unknown feeds, `DTYPE_MISMATCH` and `SHAPE_MISMATCH` for feeds that contradict the
   * declared inputs, `RUNTIME_ERROR` when onnxruntime fails (`INTERNAL_ERROR` when it fails on a node `@mechint` added).
   */
  async run(feeds: SessionFeeds, options: RunOptions = {}): Promise<Record<string, Tensor>> {
    const results = await this.execute(feeds, options);
    const out: Record<string, Tensor> = {};
    for (const [name, value] of Object.entries(results)) out[name] = await this.#download(value);
    return out;
  }

  /**
   * Runs the model, leaving the session's `deviceOutputs` on the device as {@link DeviceTensor}s
   * (feed them to the next run: parameters and optimizer state of a training loop never leave
   * the GPU) and returning the other outputs on the host. Checks and errors as {@link run}.
   *
   * @example
   * ```ts
   * import { Backend, GraphBuilder, Tensor } from '@mechint/core';
   * const g = new GraphBuilder({ name: 'double' });
   * const x = g.input('x', 'float32', [2]);
   * g.output(g.add(x, x), 'y');
   * g.output(g.reduceSum(x, { keepdims: false }), 'sum');
   * const session = await (await Backend.create()).session(g.build(), { deviceOutputs: ['y'] });
   * const { host, device } = await session.runResident({ x: Tensor.from([1, 2]) });
   * console.log(host['sum']!.item(), (await device['y']!.toHost()).toArray()); // 3 [2, 4]
   * ```
   */
  async runResident(feeds: SessionFeeds, options: RunOptions = {}): Promise<ResidentResult> {
    const results = await this.execute(feeds, options);
    const host: Record<string, Tensor> = {};
    const device: Record<string, DeviceTensor> = {};
    for (const [name, value] of Object.entries(results)) {
      if (this.deviceOutputs.includes(name)) device[name] = new DeviceTensor(value, this.#download);
      else host[name] = await this.#download(value);
    }
    return { host, device };
  }

  /** Frees the onnxruntime session. */
  async release(): Promise<void> {
    await this.#session.release();
  }

  private async execute(feeds: SessionFeeds, options: RunOptions): Promise<Record<string, OrtTensor>> {
    this.checkFeeds(feeds);
    const fetches = options.outputs ?? this.outputNames;
    for (const name of fetches) {
      if (!this.outputNames.includes(name)) {
        throw new MechintError('UNKNOWN_VALUE', `'${name}' is not an output of this model; outputs: ${this.outputNames.join(', ')}.`);
      }
    }
    const ortFeeds: Record<string, OrtTensor> = {};
    for (const [name, tensor] of Object.entries(feeds)) {
      ortFeeds[name] = tensor instanceof DeviceTensor ? tensor.ortValue : new this.#ort.Tensor(tensor.dtype, tensor.data as Float32Array, [...tensor.shape]);
    }
    try {
      const results = await this.#session.run(ortFeeds, [...fetches]);
      return Object.fromEntries(fetches.map((name) => [name, results[name] as OrtTensor]));
    } catch (cause) {
      throw ownNodeError((cause as Error).message, this.ep, this.#opset, cause) ?? new MechintError('RUNTIME_ERROR', `onnxruntime (${this.ep}) failed: ${(cause as Error).message}`, { cause });
    }
  }

  private checkFeeds(feeds: SessionFeeds): void {
    const missing = this.inputNames.filter((n) => !(n in feeds));
    const unknown = Object.keys(feeds).filter((n) => !this.inputNames.includes(n));
    if (missing.length > 0 || unknown.length > 0) {
      throw new MechintError(
        'INVALID_ARGUMENT',
        `Feeds do not match the model's inputs [${this.inputNames.join(', ')}]:${missing.length ? ` missing ${missing.join(', ')};` : ''}${unknown.length ? ` unknown ${unknown.join(', ')};` : ''} pass exactly the inputs the model declares.`,
      );
    }
    for (const meta of this.#session.inputMetadata) {
      if (!meta.isTensor) continue;
      const tensor = feeds[meta.name]!;
      if (isDType(meta.type) && tensor.dtype !== meta.type) {
        throw new MechintError('DTYPE_MISMATCH', `Input '${meta.name}' takes ${meta.type}, got ${tensor.dtype}; convert with tensor.clone('${meta.type}').`);
      }
      const declared = meta.shape;
      const fits = declared.length === 0 || (declared.length === tensor.rank && declared.every((d, i) => typeof d !== 'number' || d < 0 || d === tensor.shape[i]));
      if (!fits) {
        throw new MechintError('SHAPE_MISMATCH', `Input '${meta.name}' takes shape [${declared.join(', ')}], got [${tensor.shape.join(', ')}].`, {
          details: { input: meta.name, declared, got: tensor.shape },
        });
      }
    }
  }
}
