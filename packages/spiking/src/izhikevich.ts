/**
 * Izhikevich's simple model with the seven cortical and thalamic presets of the 2003 paper.
 */
import { MechintError, type Tensor } from '@mechint/core';
import type { NeuronRun, RunOptions } from './lif.js';
import { outputLike, timeMajor } from './signal.js';
import { requireCount, requireFinite, requireStep } from './validate.js';

/** Parameters `a, b, c, d` of the Izhikevich model. @example `{ a: 0.02, b: 0.2, c: -65, d: 8 }` */
export interface IzhikevichParameters {
  /** Time scale of the recovery variable `u` (1/ms). */
  a: number;
  /** Sensitivity of `u` to the subthreshold voltage. */
  b: number;
  /** After-spike reset of `v` (mV). */
  c: number;
  /** After-spike increment of `u`. */
  d: number;
}

/**
 * The presets of Izhikevich (2003), Fig. 2: regular spiking (RS), intrinsically bursting (IB),
 * chattering (CH), fast spiking (FS), low-threshold spiking (LTS), thalamo-cortical (TC) and
 * resonator (RZ).
 *
 * @see E. M. Izhikevich, "Simple model of spiking neurons", IEEE Trans. Neural Networks 14 (2003).
 *
 * @example
 * ```ts
 * import { IZHIKEVICH_PRESETS } from '@mechint/spiking';
 * IZHIKEVICH_PRESETS.CH; // { a: 0.02, b: 0.2, c: -50, d: 2 }
 * ```
 */
export const IZHIKEVICH_PRESETS = {
  RS: { a: 0.02, b: 0.2, c: -65, d: 8 },
  IB: { a: 0.02, b: 0.2, c: -55, d: 4 },
  CH: { a: 0.02, b: 0.2, c: -50, d: 2 },
  FS: { a: 0.1, b: 0.2, c: -65, d: 2 },
  LTS: { a: 0.02, b: 0.25, c: -65, d: 2 },
  TC: { a: 0.02, b: 0.25, c: -65, d: 0.05 },
  RZ: { a: 0.1, b: 0.26, c: -65, d: 2 },
} as const satisfies Record<string, IzhikevichParameters>;

/** A preset name of {@link IZHIKEVICH_PRESETS}. @example `'RS'` */
export type IzhikevichPreset = keyof typeof IZHIKEVICH_PRESETS;

/** Options of {@link IzhikevichNeuron}. @example `{ nNeurons: 1, preset: 'CH' }` */
export interface IzhikevichOptions {
  /** Neurons per batch item. */
  nNeurons: number;
  /** A named preset, or explicit parameters. Defaults to `'RS'`. */
  preset?: IzhikevichPreset | IzhikevichParameters;
  /** Initial membrane potential (mV); `u` starts at `b · v0`. Defaults to −65, as in the paper's code. */
  v0?: number;
  /** Spike cutoff (mV): `v ≥ peak` is a spike, then `v ← c`, `u ← u + d`. Defaults to 30, as in the paper. */
  peak?: number;
}

/** A run of {@link IzhikevichNeuron}: spikes, voltages (after reset) and the recovery variable `u`. @example `const { recovery } = izh.run(current, { dt: 0.25 })` */
export interface IzhikevichRun extends NeuronRun {
  /** The recovery variable `u` after each step. */
  recovery: Tensor<'float32'>;
}

/**
 * Izhikevich neurons: `v' = 0.04 v² + 5 v + 140 − u + I`, `u' = a (b v − u)`; at `v ≥ 30` mV,
 * `v ← c`, `u ← u + d`. Integration is semi-implicit Euler as in the paper's code (`v` first,
 * then `u` from the new `v`); `dt` may be at most 1 ms (the paper's step, which it takes as two
 * 0.5-ms `v` updates) — larger steps throw `INVALID_ARGUMENT`.
 *
 * @see E. M. Izhikevich, "Simple model of spiking neurons", IEEE Trans. Neural Networks 14 (2003).
 *
 * @example
 * ```ts
 * import { Tensor } from '@mechint/core';
 * import { IzhikevichNeuron } from '@mechint/spiking';
 * const izh = new IzhikevichNeuron({ nNeurons: 1, preset: 'FS' });
 * const { spikes } = izh.run(Tensor.from(new Float32Array(4000).fill(10), [4000, 1]), { dt: 0.25 });
 * ```
 */
export class IzhikevichNeuron {
  /** Neurons per batch item. */
  readonly nNeurons: number;
  /** The model parameters. */
  readonly parameters: IzhikevichParameters;
  /** Initial voltage (mV). */
  readonly v0: number;
  /** Spike cutoff (mV). */
  readonly peak: number;

  constructor(options: IzhikevichOptions) {
    requireCount(options.nNeurons, 'nNeurons');
    const preset = options.preset ?? 'RS';
    if (typeof preset === 'string' && !(preset in IZHIKEVICH_PRESETS)) {
      throw new MechintError('INVALID_ARGUMENT', `Unknown Izhikevich preset '${preset}'; use one of ${Object.keys(IZHIKEVICH_PRESETS).join(', ')} or pass { a, b, c, d }.`);
    }
    this.nNeurons = options.nNeurons;
    this.parameters = { ...(typeof preset === 'string' ? IZHIKEVICH_PRESETS[preset] : preset) };
    for (const key of ['a', 'b', 'c', 'd'] as const) requireFinite(this.parameters[key], key);
    this.v0 = options.v0 ?? -65;
    this.peak = options.peak ?? 30;
    requireFinite(this.v0, 'v0');
    requireFinite(this.peak, 'peak');
  }

  /**
   * Simulates `current` (`[T, batch, n]` or `[T, n]`) from `v = v0`, `u = b · v0`.
   *
   * @example
   * ```ts
   * import { Tensor } from '@mechint/core';
   * import { IzhikevichNeuron } from '@mechint/spiking';
   * const run = new IzhikevichNeuron({ nNeurons: 1 }).run(Tensor.zeros([10, 1]), { dt: 1 });
   * run.spikes.toArray(); // ten zeros: no input, no spike
   * ```
   */
  run(current: Tensor, options: RunOptions): IzhikevichRun {
    const { dt } = options;
    requireStep(dt, 1, "Izhikevich's semi-implicit Euler (dt ≤ 1 ms)");
    const input = timeMajor(current, 'current', this.nNeurons);
    const spikes = outputLike(input);
    const voltages = outputLike(input);
    const recovery = outputLike(input);
    const { a, b, c, d } = this.parameters;
    const width = input.batch * this.nNeurons;
    const v = new Float64Array(width).fill(this.v0);
    const u = new Float64Array(width).fill(b * this.v0);
    const I = input.data;
    for (let t = 0, o = 0; t < input.steps; t++) {
      for (let k = 0; k < width; k++, o++) {
        let vk = v[k]!;
        let uk = u[k]!;
        vk += dt * (0.04 * vk * vk + 5 * vk + 140 - uk + I[o]!);
        uk += dt * a * (b * vk - uk);
        if (vk >= this.peak) {
          spikes.data[o] = 1;
          vk = c;
          uk += d;
        }
        v[k] = vk;
        u[k] = uk;
        voltages.data[o] = vk;
        recovery.data[o] = uk;
      }
    }
    return { spikes, voltages, recovery };
  }
}
