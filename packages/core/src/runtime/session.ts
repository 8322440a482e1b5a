/**
 * `Session`: one loaded model variant on one execution provider, run on host tensors.
 */
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-common';
import { MechintError } from '../errors.js';
import { isDType } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import type { ExecutionProvider, OrtModule } from './binding.js';

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
  readonly #session: InferenceSession;
  readonly #ort: OrtModule;

  constructor(session: InferenceSession, ort: OrtModule, ep: ExecutionProvider) {
    this.#session = session;
    this.#ort = ort;
    this.ep = ep;
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
   * Runs the model. Throws `INVALID_ARGUMENT` for missing or unknown feeds, `DTYPE_MISMATCH` and
   * `SHAPE_MISMATCH` for feeds that contradict the declared inputs, `RUNTIME_ERROR` when
   * onnxruntime fails.
   */
  async run(feeds: Readonly<Record<string, Tensor>>, options: RunOptions = {}): Promise<Record<string, Tensor>> {
    this.checkFeeds(feeds);
    const fetches = options.outputs ?? this.outputNames;
    for (const name of fetches) {
      if (!this.outputNames.includes(name)) {
        throw new MechintError('UNKNOWN_VALUE', `'${name}' is not an output of this model; outputs: ${this.outputNames.join(', ')}.`);
      }
    }
    const ortFeeds: Record<string, OrtTensor> = {};
    for (const [name, tensor] of Object.entries(feeds)) ortFeeds[name] = new this.#ort.Tensor(tensor.dtype, tensor.data as Float32Array, [...tensor.shape]);
    let results: InferenceSession.ReturnType;
    try {
      results = await this.#session.run(ortFeeds, [...fetches]);
    } catch (cause) {
      throw new MechintError('RUNTIME_ERROR', `onnxruntime (${this.ep}) failed: ${(cause as Error).message}`, { cause });
    }
    const out: Record<string, Tensor> = {};
    for (const name of fetches) {
      const value = results[name] as OrtTensor;
      const host = value.location === 'cpu' || value.location === 'cpu-pinned' ? value : new this.#ort.Tensor(value.type as 'float32', (await value.getData(true)) as Float32Array, value.dims);
      out[name] = Tensor.fromOrt(host);
    }
    return out;
  }

  /** Frees the onnxruntime session. */
  async release(): Promise<void> {
    await this.#session.release();
  }

  private checkFeeds(feeds: Readonly<Record<string, Tensor>>): void {
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
