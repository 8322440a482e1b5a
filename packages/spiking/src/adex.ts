/**
 * The adaptive exponential integrate-and-fire neuron of Brette & Gerstner (2005).
 */
import type { Tensor } from '@mechint/core';
import type { NeuronRun, RunOptions } from './lif.js';
import { outputLike, timeMajor } from './signal.js';
import { requireCount, requireFinite, requirePositive, requireStep } from './validate.js';

/** Options of {@link AdExNeuron}: pF, nS, mV, ms, pA; defaults are Brette & Gerstner (2005), Table 1, as in Brian2's AdEx example. @example `{ nNeurons: 1, a: 0, b: 60 }` */
export interface AdExOptions {
  /** Neurons per batch item. */
  nNeurons: number;
  /** Membrane capacitance (pF). Defaults to 281. */
  capacitance?: number;
  /** Leak conductance (nS). Defaults to 30. */
  gL?: number;
  /** Leak reversal (mV). Defaults to −70.6. */
  eL?: number;
  /** Threshold potential of the exponential (mV). Defaults to −50.4. */
  vT?: number;
  /** Slope factor (mV). Defaults to 2. */
  deltaT?: number;
  /** Adaptation time constant (ms). Defaults to 144. */
  tauW?: number;
  /** Subthreshold adaptation (nS). Defaults to 4. */
  a?: number;
  /** Spike-triggered adaptation (pA). Defaults to 80.5. */
  b?: number;
  /** Reset potential (mV). Defaults to `eL`. */
  vReset?: number;
  /** Spike cutoff (mV). Defaults to `vT + 5 · deltaT` (Brian2's `Vcut`). */
  vPeak?: number;
}

/** A run of {@link AdExNeuron}: spikes, voltages (after reset) and the adaptation current `w` (pA). @example `const { adaptation } = adex.run(current, { dt: 0.05 })` */
export interface AdExRun extends NeuronRun {
  /** The adaptation current after each step (pA). */
  adaptation: Tensor<'float32'>;
}

/**
 * AdEx neurons: `C V' = −g_L (V − E_L) + g_L Δ_T e^{(V − V_T)/Δ_T} − w + I`,
 * `τ_w w' = a (V − E_L) − w`; at `V ≥ vPeak`, `V ← vReset`, `w ← w + b`. Forward Euler (Brian2's
 * `euler`), from `V = E_L`, `w = 0`. `dt` may be at most `C / g_L` (the membrane time constant,
 * 9.4 ms by default), the stability bound of Euler on the leak; spike times need `dt ≲ 0.1` ms.
 *
 * @see R. Brette & W. Gerstner, "Adaptive exponential integrate-and-fire model as an effective
 * description of neuronal activity", J. Neurophysiol. 94 (2005) 3637–3642.
 *
 * @example
 * ```ts
 * import { Tensor } from '@mechint/core';
 * import { AdExNeuron } from '@mechint/spiking';
 * const adex = new AdExNeuron({ nNeurons: 1 });
 * const { spikes, adaptation } = adex.run(Tensor.from(new Float32Array(10000).fill(1000), [10000, 1]), { dt: 0.05 });
 * ```
 */
export class AdExNeuron {
  /** Neurons per batch item. */
  readonly nNeurons: number;
  /** Parameters in use. */
  readonly parameters: Readonly<Required<Omit<AdExOptions, 'nNeurons'>>>;

  constructor(options: AdExOptions) {
    requireCount(options.nNeurons, 'nNeurons');
    this.nNeurons = options.nNeurons;
    const eL = options.eL ?? -70.6;
    const vT = options.vT ?? -50.4;
    const deltaT = options.deltaT ?? 2;
    this.parameters = {
      capacitance: options.capacitance ?? 281,
      gL: options.gL ?? 30,
      eL,
      vT,
      deltaT,
      tauW: options.tauW ?? 144,
      a: options.a ?? 4,
      b: options.b ?? 80.5,
      vReset: options.vReset ?? eL,
      vPeak: options.vPeak ?? vT + 5 * deltaT,
    };
    for (const [key, value] of Object.entries(this.parameters)) requireFinite(value, key);
    for (const key of ['capacitance', 'gL', 'deltaT', 'tauW'] as const) requirePositive(this.parameters[key], key);
  }

  /**
   * Simulates `current` (`[T, batch, n]` or `[T, n]`, pA) from rest.
   *
   * @example
   * ```ts
   * import { Tensor } from '@mechint/core';
   * import { AdExNeuron } from '@mechint/spiking';
   * const { voltages } = new AdExNeuron({ nNeurons: 1 }).run(Tensor.zeros([10, 1]), { dt: 0.1 });
   * voltages.get(9, 0); // ≈ −70.6 (rest)
   * ```
   */
  run(current: Tensor, options: RunOptions): AdExRun {
    const { dt } = options;
    const { capacitance: C, gL, eL, vT, deltaT, tauW, a, b, vReset, vPeak } = this.parameters;
    requireStep(dt, C / gL, 'forward Euler on the AdEx membrane (dt ≤ C / gL)');
    const input = timeMajor(current, 'current', this.nNeurons);
    const spikes = outputLike(input);
    const voltages = outputLike(input);
    const adaptation = outputLike(input);
    const width = input.batch * this.nNeurons;
    const v = new Float64Array(width).fill(eL);
    const w = new Float64Array(width);
    const I = input.data;
    for (let t = 0, o = 0; t < input.steps; t++) {
      for (let k = 0; k < width; k++, o++) {
        const vk = v[k]!;
        const wk = w[k]!;
        let vNext = vk + (dt / C) * (-gL * (vk - eL) + gL * deltaT * Math.exp((vk - vT) / deltaT) - wk + I[o]!);
        let wNext = wk + (dt / tauW) * (a * (vk - eL) - wk);
        if (vNext >= vPeak) {
          spikes.data[o] = 1;
          vNext = vReset;
          wNext += b;
        }
        v[k] = vNext;
        w[k] = wNext;
        voltages.data[o] = vNext;
        adaptation.data[o] = wNext;
      }
    }
    return { spikes, voltages, adaptation };
  }
}
