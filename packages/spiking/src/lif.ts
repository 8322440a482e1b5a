/**
 * The leaky integrate-and-fire neuron, with Norse's update order by default and snnTorch's
 * `Leaky` as an option.
 */
import { MechintError, type Tensor } from '@mechint/core';
import { outputLike, timeMajor } from './signal.js';
import { requireCount, requireFinite, requireNonNegative, requirePositive, requireStep } from './validate.js';

/** How the membrane is reset after a spike: set to `reset`, or lowered by `threshold`. @example `'subtract'` */
export type ResetMode = 'zero' | 'subtract';

/**
 * Which library's discrete update a {@link LeakyIntegrateFireNeuron} follows.
 * - `'norse'`: `v ← v + dt/τ · (v_leak − v + I)` (or its exact exponential form), then
 *   `z = H(v − θ)` and the reset, in the same step (Norse's `lif_feed_forward_step` without its
 *   synaptic current).
 * - `'snntorch'`: `U_t = β U_{t−1} + I_t − S_{t−1} · θ` with `β = e^{−dt/τ}` and the input added
 *   unscaled, `S_t = H(U_t − θ)`: the reset of a spike lands on the next step (snnTorch's `Leaky`;
 *   its `'zero'` reset zeroes `U_{t−1}` before the update, so `U_t = I_t`).
 *
 * @example `new LeakyIntegrateFireNeuron({ nNeurons: 4, convention: 'snntorch', resetMode: 'subtract' })`
 */
export type LifConvention = 'norse' | 'snntorch';

/** Integration of the Norse-convention membrane equation. @example `'exact'` */
export type LifScheme = 'euler' | 'exact';

/** Options of {@link LeakyIntegrateFireNeuron}; defaults are Norse's `LIFParameters` (in ms). @example `{ nNeurons: 10, tau: 20, threshold: 1 }` */
export interface LifOptions {
  /** Neurons per batch item. */
  nNeurons: number;
  /** Membrane time constant in ms. Defaults to 10 (Norse: `tau_mem_inv = 1 / 1e-2` s⁻¹). */
  tau?: number;
  /** Firing threshold θ. Defaults to 1 (Norse `v_th`, snnTorch `threshold`). */
  threshold?: number;
  /** Reset potential for `resetMode: 'zero'`. Defaults to 0 (Norse `v_reset`). */
  reset?: number;
  /** Resting (leak) potential. Defaults to 0 (Norse `v_leak`). */
  rest?: number;
  /** Absolute refractory period in ms, during which `v` is held at `reset` (Norse's `LIFRefrac`). Defaults to 0. Norse convention only. */
  refractory?: number;
  /** `'zero'` (Norse, default in the Norse convention) or `'subtract'` (snnTorch, default in the snnTorch convention). */
  resetMode?: ResetMode;
  /** The discrete update to follow. Defaults to `'norse'`. */
  convention?: LifConvention;
  /**
   * Norse convention only: `'euler'` (forward Euler, as Norse; needs `dt ≤ τ`, above which the
   * decay factor `1 − dt/τ` turns negative and the membrane oscillates — an error) or `'exact'`
   * (the exact solution for input constant over the step, `v ← I + (v − I) e^{−dt/τ}`, stable
   * for any `dt`, as Brian2's `exact` method). Defaults to `'euler'`.
   */
  scheme?: LifScheme;
}

/** Options of {@link LeakyIntegrateFireNeuron.run}. @example `{ dt: 0.1 }` */
export interface RunOptions {
  /** Time step in ms. */
  dt: number;
}

/** What a neuron run returns: spikes (0 / 1) and membrane voltages after each step, in the input's shape. @example `const { spikes, voltages } = neuron.run(current, { dt: 0.1 })` */
export interface NeuronRun {
  /** 1 where a neuron spiked at that step, else 0. */
  spikes: Tensor<'float32'>;
  /** The membrane potential at the end of each step (after any reset). */
  voltages: Tensor<'float32'>;
}

/**
 * Leaky integrate-and-fire neurons: `τ dv/dt = v_rest − v + R·I` with `R = 1`, a spike when `v`
 * crosses `threshold`, then a reset. State is `[batch, nNeurons]` and every run starts at rest.
 *
 * By default the update follows Norse (integrate, spike, reset to `reset` in the same step,
 * forward Euler); `convention: 'snntorch'` follows snnTorch's `Leaky` instead (see
 * {@link LifConvention}). With constant `I > θ` (rest 0, reset 0, no refractory) the neuron fires
 * at `1 / (τ ln(I / (I − θ)))`.
 *
 * @see Lapicque (1907); Gerstner, Kistler, Naud & Paninski, *Neuronal Dynamics* (2014), ch. 1.3.
 * @see Norse `norse.torch.functional.lif`; snnTorch `snntorch.Leaky`.
 *
 * @example
 * ```ts
 * import { Tensor } from '@mechint/core';
 * import { LeakyIntegrateFireNeuron } from '@mechint/spiking';
 * const lif = new LeakyIntegrateFireNeuron({ nNeurons: 2, tau: 10 });
 * const current = Tensor.from(new Float32Array(1000 * 2).fill(2), [1000, 2]);
 * const { spikes, voltages } = lif.run(current, { dt: 0.1 });
 * ```
 */
export class LeakyIntegrateFireNeuron {
  /** Neurons per batch item. */
  readonly nNeurons: number;
  /** Membrane time constant (ms). */
  readonly tau: number;
  /** Firing threshold. */
  readonly threshold: number;
  /** Reset potential. */
  readonly reset: number;
  /** Resting potential. */
  readonly rest: number;
  /** Refractory period (ms). */
  readonly refractory: number;
  /** Reset rule. */
  readonly resetMode: ResetMode;
  /** Discrete update followed. */
  readonly convention: LifConvention;
  /** Integration scheme (Norse convention). */
  readonly scheme: LifScheme;

  constructor(options: LifOptions) {
    requireCount(options.nNeurons, 'nNeurons');
    this.nNeurons = options.nNeurons;
    this.tau = options.tau ?? 10;
    this.threshold = options.threshold ?? 1;
    this.reset = options.reset ?? 0;
    this.rest = options.rest ?? 0;
    this.refractory = options.refractory ?? 0;
    this.convention = options.convention ?? 'norse';
    this.resetMode = options.resetMode ?? (this.convention === 'norse' ? 'zero' : 'subtract');
    this.scheme = options.scheme ?? 'euler';
    requirePositive(this.tau, 'tau');
    requireFinite(this.threshold, 'threshold');
    requireFinite(this.reset, 'reset');
    requireFinite(this.rest, 'rest');
    requireNonNegative(this.refractory, 'refractory');
    if (!['norse', 'snntorch'].includes(this.convention)) throw new MechintError('INVALID_ARGUMENT', `convention must be 'norse' or 'snntorch'; got '${String(this.convention)}'.`);
    if (!['zero', 'subtract'].includes(this.resetMode)) throw new MechintError('INVALID_ARGUMENT', `resetMode must be 'zero' or 'subtract'; got '${String(this.resetMode)}'.`);
    if (!['euler', 'exact'].includes(this.scheme)) throw new MechintError('INVALID_ARGUMENT', `scheme must be 'euler' or 'exact'; got '${String(this.scheme)}'.`);
    if (this.convention === 'snntorch' && this.refractory > 0) {
      throw new MechintError('INVALID_ARGUMENT', "snnTorch's Leaky has no refractory period; use convention: 'norse' with refractory, or refractory: 0.");
    }
  }

  /**
   * Simulates `current` (`[T, batch, nNeurons]` or `[T, nNeurons]`, one value per step) from rest.
   * Throws `INVALID_ARGUMENT` for a non-positive `dt`, for `dt > τ` with the Euler scheme, or
   * for NaN input, and `SHAPE_MISMATCH` for a current of the wrong shape.
   *
   * @example
   * ```ts
   * import { Tensor } from '@mechint/core';
   * import { LeakyIntegrateFireNeuron } from '@mechint/spiking';
   * const out = new LeakyIntegrateFireNeuron({ nNeurons: 1 }).run(Tensor.from([[1.5], [1.5]]), { dt: 1 });
   * out.voltages.toArray(); // ≈ [[0.15], [0.285]] (float32)
   * ```
   */
  run(current: Tensor, options: RunOptions): NeuronRun {
    const { dt } = options;
    if (this.convention === 'norse' && this.scheme === 'euler') requireStep(dt, this.tau, 'the forward-Euler LIF update (dt ≤ tau)');
    else requirePositive(dt, 'dt');
    const input = timeMajor(current, 'current', this.nNeurons);
    const spikes = outputLike(input);
    const voltages = outputLike(input);
    const width = input.batch * this.nNeurons;
    const v = new Float64Array(width).fill(this.rest);
    const { threshold, reset, rest } = this;
    const subtract = this.resetMode === 'subtract';
    const I = input.data;
    const s = spikes.data;
    const out = voltages.data;
    if (this.convention === 'snntorch') {
      const beta = Math.exp(-dt / this.tau);
      const fired = new Uint8Array(width);
      for (let t = 0, o = 0; t < input.steps; t++) {
        for (let k = 0; k < width; k++, o++) {
          const u = fired[k] === 1 ? (subtract ? beta * v[k]! + I[o]! - threshold : I[o]!) : beta * v[k]! + I[o]!;
          const z = u - threshold > 0 ? 1 : 0;
          fired[k] = z;
          v[k] = u;
          s[o] = z;
          out[o] = u;
        }
      }
      return { spikes, voltages };
    }
    const exact = this.scheme === 'exact';
    const decay = exact ? Math.exp(-dt / this.tau) : 1 - dt / this.tau;
    const refractorySteps = Math.round(this.refractory / dt);
    const refractoryLeft = new Int32Array(width);
    for (let t = 0, o = 0; t < input.steps; t++) {
      for (let k = 0; k < width; k++, o++) {
        if (refractoryLeft[k]! > 0) {
          refractoryLeft[k]! -= 1;
          out[o] = v[k]!;
          continue;
        }
        const target = rest + I[o]!;
        let u = target + (v[k]! - target) * decay;
        if (u - threshold > 0) {
          s[o] = 1;
          u = subtract ? u - threshold : reset;
          refractoryLeft[k] = refractorySteps;
        }
        v[k] = u;
        out[o] = u;
      }
    }
    return { spikes, voltages };
  }
}
