/**
 * The quadratic integrate-and-fire neuron in its normal form.
 */
import type { Tensor } from '@mechint/core';
import { MechintError } from '@mechint/core';
import type { NeuronRun, RunOptions } from './lif.js';
import { outputLike, timeMajor } from './signal.js';
import { requireCount, requireFinite, requirePositive, requireStep } from './validate.js';

/** Options of {@link QuadraticIFNeuron} (dimensionless voltage, ms). @example `{ nNeurons: 1, tau: 10, vPeak: 10, vReset: -10 }` */
export interface QuadraticIFOptions {
  /** Neurons per batch item. */
  nNeurons: number;
  /** Time constant (ms). Defaults to 10. */
  tau?: number;
  /** Spike cutoff. Defaults to 10. */
  vPeak?: number;
  /** Reset value, below `vPeak`. Defaults to −10. */
  vReset?: number;
  /** Initial voltage. Defaults to `vReset`. */
  v0?: number;
}

/**
 * Quadratic integrate-and-fire neurons in the normal form of the saddle-node-on-invariant-circle
 * bifurcation: `τ v' = v² + I`; at `v ≥ vPeak`, `v ← vReset`. With constant `I > 0` the period is
 * `τ / √I · (atan(vPeak / √I) − atan(vReset / √I))`, which tends to `π τ / √I` (the theta neuron)
 * as the cutoffs go to ±∞. Forward Euler; `dt` may be at most `τ / max(|vPeak|, |vReset|)`, the
 * Euler stability bound of the linearisation `2 v / τ` at the cutoffs.
 *
 * The model has no single reference implementation; the defaults (τ = 10 ms, cutoffs ±10) are
 * chosen so that the period is within 7 % of the theta neuron's for `I ≤ 1`.
 *
 * @see G. B. Ermentrout & N. Kopell, SIAM J. Appl. Math. 46 (1986) 233–253; E. M. Izhikevich,
 * *Dynamical Systems in Neuroscience* (2007), §8.1.
 *
 * @example
 * ```ts
 * import { Tensor } from '@mechint/core';
 * import { QuadraticIFNeuron } from '@mechint/spiking';
 * const qif = new QuadraticIFNeuron({ nNeurons: 1 });
 * const { spikes } = qif.run(Tensor.from(new Float32Array(10000).fill(1), [10000, 1]), { dt: 0.01 });
 * ```
 */
export class QuadraticIFNeuron {
  /** Neurons per batch item. */
  readonly nNeurons: number;
  /** Time constant (ms). */
  readonly tau: number;
  /** Spike cutoff. */
  readonly vPeak: number;
  /** Reset value. */
  readonly vReset: number;
  /** Initial voltage. */
  readonly v0: number;

  constructor(options: QuadraticIFOptions) {
    requireCount(options.nNeurons, 'nNeurons');
    this.nNeurons = options.nNeurons;
    this.tau = options.tau ?? 10;
    this.vPeak = options.vPeak ?? 10;
    this.vReset = options.vReset ?? -10;
    this.v0 = options.v0 ?? this.vReset;
    requirePositive(this.tau, 'tau');
    requireFinite(this.vPeak, 'vPeak');
    requireFinite(this.vReset, 'vReset');
    requireFinite(this.v0, 'v0');
    if (this.vReset >= this.vPeak) throw new MechintError('INVALID_ARGUMENT', `vReset (${this.vReset}) must be below vPeak (${this.vPeak}).`);
  }

  /**
   * Simulates `current` (`[T, batch, n]` or `[T, n]`) from `v0`.
   *
   * @example
   * ```ts
   * import { Tensor } from '@mechint/core';
   * import { QuadraticIFNeuron } from '@mechint/spiking';
   * const { spikes } = new QuadraticIFNeuron({ nNeurons: 1 }).run(Tensor.from(new Float32Array(100).fill(-1), [100, 1]), { dt: 0.1 });
   * // I < 0: v settles at −√−I, no spike
   * ```
   */
  run(current: Tensor, options: RunOptions): NeuronRun {
    const { dt } = options;
    requireStep(dt, this.tau / Math.max(Math.abs(this.vPeak), Math.abs(this.vReset)), 'forward Euler on the QIF (dt ≤ tau / max(|vPeak|, |vReset|))');
    const input = timeMajor(current, 'current', this.nNeurons);
    const spikes = outputLike(input);
    const voltages = outputLike(input);
    const width = input.batch * this.nNeurons;
    const v = new Float64Array(width).fill(this.v0);
    const I = input.data;
    const rate = dt / this.tau;
    for (let t = 0, o = 0; t < input.steps; t++) {
      for (let k = 0; k < width; k++, o++) {
        let vk = v[k]!;
        vk += rate * (vk * vk + I[o]!);
        if (vk >= this.vPeak) {
          spikes.data[o] = 1;
          vk = this.vReset;
        }
        v[k] = vk;
        voltages.data[o] = vk;
      }
    }
    return { spikes, voltages };
  }
}
