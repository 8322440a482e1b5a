/**
 * Exponentially decaying synapses, current- or conductance-based.
 */
import { MechintError, type Tensor } from '@mechint/core';
import { outputLike, timeMajor } from './signal.js';
import { requireCount, requireFinite, requirePositive } from './validate.js';

/** Current-based (`I = s`) or conductance-based (`I = g (E − v)`). @example `'conductance'` */
export type SynapseKind = 'current' | 'conductance';

/** Options of {@link ExponentialSynapse}. @example `{ nSynapses: 10, tau: 5, kind: 'conductance', reversal: 0 }` */
export interface ExponentialSynapseOptions {
  /** Synapses (postsynaptic targets) per batch item. */
  nSynapses: number;
  /** Decay time constant in ms. Defaults to 5 (Norse `tau_syn_inv = 1 / 5e-3` s⁻¹). */
  tau?: number;
  /** `'current'` (default, Norse's current-based LIF) or `'conductance'` (Brian2's COBA example). */
  kind?: SynapseKind;
  /** Reversal potential of a conductance synapse. Defaults to 0 (excitatory; Brian2's COBA uses 0 mV and −80 mV). */
  reversal?: number;
  /** Weight added to the synaptic variable by each presynaptic spike. Defaults to 1. */
  weight?: number;
}

/** Options of {@link ExponentialSynapse.run}. @example `{ dt: 0.1, voltages }` */
export interface SynapseRunOptions {
  /** Time step in ms. */
  dt: number;
  /** Postsynaptic voltages, the shape of the spikes; required by conductance synapses. */
  voltages?: Tensor;
}

/** What a synapse run returns. @example `const { current, state } = syn.run(spikes, { dt: 1 })` */
export interface SynapseRun {
  /** The synaptic variable (current or conductance) after each step. */
  state: Tensor<'float32'>;
  /** The postsynaptic current: `state`, or `state · (reversal − v)`. */
  current: Tensor<'float32'>;
}

/**
 * Synapses whose variable `s` jumps by `weight` at each presynaptic spike and decays as
 * `τ ds/dt = −s` (exactly: `s ← s e^{−dt/τ} + weight · spike`, stable for any `dt`). A
 * current-based synapse injects `s`; a conductance-based one `s · (reversal − v)`.
 *
 * @see A. Destexhe, Z. Mainen & T. Sejnowski, "Kinetic models of synaptic transmission" (1998);
 * Norse `lif` synaptic current; Brian2's COBA example.
 *
 * @example
 * ```ts
 * import { Tensor } from '@mechint/core';
 * import { ExponentialSynapse } from '@mechint/spiking';
 * const syn = new ExponentialSynapse({ nSynapses: 1, tau: 5 });
 * const { current } = syn.run(Tensor.from([[1], [0], [0]]), { dt: 1 });
 * current.toArray(); // ≈ [[1], [0.819], [0.670]]
 * ```
 */
export class ExponentialSynapse {
  /** Synapses per batch item. */
  readonly nSynapses: number;
  /** Decay time constant (ms). */
  readonly tau: number;
  /** Current- or conductance-based. */
  readonly kind: SynapseKind;
  /** Reversal potential (conductance synapses). */
  readonly reversal: number;
  /** Jump per spike. */
  readonly weight: number;

  constructor(options: ExponentialSynapseOptions) {
    requireCount(options.nSynapses, 'nSynapses');
    this.nSynapses = options.nSynapses;
    this.tau = options.tau ?? 5;
    this.kind = options.kind ?? 'current';
    this.reversal = options.reversal ?? 0;
    this.weight = options.weight ?? 1;
    requirePositive(this.tau, 'tau');
    requireFinite(this.reversal, 'reversal');
    requireFinite(this.weight, 'weight');
    if (this.kind !== 'current' && this.kind !== 'conductance') throw new MechintError('INVALID_ARGUMENT', `kind must be 'current' or 'conductance'; got '${String(this.kind)}'.`);
  }

  /**
   * Filters presynaptic `spikes` (`[T, batch, n]` or `[T, n]`, any non-negative spike counts).
   * Throws `INVALID_ARGUMENT` when a conductance synapse gets no `voltages`, `SHAPE_MISMATCH`
   * when they do not match the spikes.
   *
   * @example
   * ```ts
   * import { Tensor } from '@mechint/core';
   * import { ExponentialSynapse } from '@mechint/spiking';
   * const syn = new ExponentialSynapse({ nSynapses: 1, kind: 'conductance', reversal: 0 });
   * syn.run(Tensor.from([[1]]), { dt: 1, voltages: Tensor.from([[-65]]) }).current.toArray(); // [[65]]
   * ```
   */
  run(spikes: Tensor, options: SynapseRunOptions): SynapseRun {
    requirePositive(options.dt, 'dt');
    const input = timeMajor(spikes, 'spikes', this.nSynapses);
    let voltages: ArrayLike<number> | undefined;
    if (this.kind === 'conductance') {
      if (options.voltages === undefined) throw new MechintError('INVALID_ARGUMENT', 'A conductance synapse needs the postsynaptic voltages: pass { voltages } of the spikes\' shape.');
      const v = timeMajor(options.voltages, 'voltages', this.nSynapses);
      if (v.steps !== input.steps || v.batch !== input.batch) {
        throw new MechintError('SHAPE_MISMATCH', `voltages [${v.shape.join(', ')}] must have the spikes' shape [${input.shape.join(', ')}].`);
      }
      voltages = v.data;
    }
    const state = outputLike(input);
    const current = outputLike(input);
    const decay = Math.exp(-options.dt / this.tau);
    const width = input.batch * this.nSynapses;
    const s = new Float64Array(width);
    for (let t = 0, o = 0; t < input.steps; t++) {
      for (let k = 0; k < width; k++, o++) {
        const x = s[k]! * decay + this.weight * input.data[o]!;
        s[k] = x;
        state.data[o] = x;
        current.data[o] = voltages === undefined ? x : x * (this.reversal - voltages[o]!);
      }
    }
    return { state, current };
  }
}
