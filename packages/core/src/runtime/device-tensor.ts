/**
 * `DeviceTensor`: a session output left where the execution provider computed it, to be fed to the
 * next run without a round trip through host memory.
 */
import type { Tensor as OrtTensor } from 'onnxruntime-common';
import { MechintError } from '../errors.js';
import type { DType } from '../tensor/dtype.js';
import type { Tensor } from '../tensor/tensor.js';

/** Where a {@link DeviceTensor}'s data lives: host memory, or a WebGPU buffer. */
export type DeviceLocation = 'cpu' | 'gpu-buffer';

/**
 * An output of {@link Session.runResident} that stays on the execution provider's device. On
 * WebGPU it is a GPU buffer; on providers whose outputs are host memory anyway (CPU, and CUDA in
 * onnxruntime-node, which offers no device outputs) it wraps the host tensor at no cost. Feed it to
 * any session of the same backend as you would a {@link Tensor}; read it with {@link toHost}.
 *
 * @example
 * ```ts
 * import { Backend, DeviceTensor, GraphBuilder, Tensor } from '@mechint/core';
 * const g = new GraphBuilder({ name: 'step' });
 * const state = g.input('state', 'float32', [2]);
 * g.output(g.add(state, g.constant(Tensor.from([1, 2]))), 'next');
 * const backend = await Backend.create();
 * const session = await backend.session(g.build(), { deviceOutputs: ['next'] });
 * let state: Tensor | DeviceTensor = Tensor.from([0, 0]);
 * for (let i = 0; i < 3; i++) state = (await session.runResident({ state })).device['next']!;
 * if (state instanceof DeviceTensor) console.log((await state.toHost()).toArray()); // [3, 6]
 * ```
 */
export class DeviceTensor {
  /** Element type. */
  readonly dtype: DType;
  /** Dimensions. */
  readonly shape: readonly number[];
  /** Where the data lives. */
  readonly location: DeviceLocation;
  readonly #value: OrtTensor;
  readonly #download: (value: OrtTensor) => Promise<Tensor>;
  #disposed = false;

  /** @internal Made by {@link Session.runResident}. */
  constructor(value: OrtTensor, download: (value: OrtTensor) => Promise<Tensor>) {
    this.#value = value;
    this.#download = download;
    this.dtype = value.type as DType;
    this.shape = Object.freeze([...value.dims]);
    this.location = value.location === 'gpu-buffer' ? 'gpu-buffer' : 'cpu';
  }

  /** Number of dimensions. */
  get rank(): number {
    return this.shape.length;
  }

  /** The onnxruntime tensor to feed. Throws `INVALID_ARGUMENT` once disposed. @internal */
  get ortValue(): OrtTensor {
    this.checkAlive();
    return this.#value;
  }

  /** Copies the data to a host {@link Tensor} (free when it already lives on the host). */
  async toHost(): Promise<Tensor> {
    this.checkAlive();
    return this.#download(this.#value);
  }

  /** Frees the device memory now instead of when the tensor is garbage-collected. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    if (this.location === 'gpu-buffer') this.#value.dispose();
  }

  private checkAlive(): void {
    if (this.#disposed) throw new MechintError('INVALID_ARGUMENT', `This ${this.dtype} [${this.shape.join(', ')}] device tensor was disposed; keep it alive until its last use.`);
  }
}
