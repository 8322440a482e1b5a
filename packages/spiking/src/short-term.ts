/**
 * Short-term synaptic plasticity: the Tsodyks–Markram model of depression and facilitation.
 */
import { MechintError, type Tensor } from '@mechint/core';
import { outputLike, timeMajor } from './signal.js';
import { requireCount, requireFinite, requireNonNegative, requirePositive } from './validate.js';

/** Options of {@link TsodyksMarkram}; defaults are the depressing synapse of Tsodyks & Markram (1997). @example `{ nSynapses: 1, U: 0.1, tauRec: 100, tauFacil: 1000 }` */
export interface TsodyksMarkramOptions {
  /** Synapses per batch item. */
  nSynapses: number;
  /** Utilisation of synaptic efficacy `U` (release probability at rest), in (0, 1]. Defaults to 0.5. */
  U?: number;
  /** Recovery time constant of resources (ms). Defaults to 800. */
  tauRec?: number;
  /** Facilitation time constant (ms); 0 for none (pure depression). Defaults to 0. */
  tauFacil?: number;
  /** Absolute efficacy `A`, the response to a spike with all resources and `u = 1`. Defaults to 1. */
  amplitude?: number;
}

/** What a Tsodyks–Markram run returns, each in the spikes' shape. @example `const { efficacy } = tm.run(spikes, { dt: 1 })` */
export interface TsodyksMarkramRun {
  /** `A · u · R` at each spike (the postsynaptic response), 0 between spikes. */
  efficacy: Tensor<'float32'>;
  /** The available resources `R` just before each step's spike. */
  resources: Tensor<'float32'>;
  /** The utilisation `u` used at each step. */
  utilisation: Tensor<'float32'>;
}

/**
 * Tsodyks–Markram synapses, event by event with exact recovery between spikes (Markram, Wang &
 * Tsodyks 1998): the n-th spike releases `A · u_n R_n`, then
 * `R_{n+1} = 1 − (1 − R_n (1 − u_n)) e^{−Δ/τ_rec}` and, with facilitation,
 * `u_{n+1} = U + u_n (1 − U) e^{−Δ/τ_facil}` (`u = U` without), starting from `R = 1`, `u = U`.
 * For a regular train of period Δ without facilitation, `R` tends to
 * `(1 − e^{−Δ/τ_rec}) / (1 − (1 − U) e^{−Δ/τ_rec})`.
 *
 * @see M. Tsodyks & H. Markram, PNAS 94 (1997) 719–723; H. Markram, Y. Wang & M. Tsodyks,
 * PNAS 95 (1998) 5323–5328.
 *
 * @example
 * ```ts
 * import { Tensor } from '@mechint/core';
 * import { TsodyksMarkram } from '@mechint/spiking';
 * const spikes = Tensor.from(Array.from({ length: 200 }, (_, t) => [t % 50 === 0 ? 1 : 0]));
 * const { efficacy } = new TsodyksMarkram({ nSynapses: 1 }).run(spikes, { dt: 1 }); // 0.5, then smaller
 * ```
 */
export class TsodyksMarkram {
  /** Synapses per batch item. */
  readonly nSynapses: number;
  /** Parameters in use. */
  readonly parameters: Readonly<Required<Omit<TsodyksMarkramOptions, 'nSynapses'>>>;

  constructor(options: TsodyksMarkramOptions) {
    requireCount(options.nSynapses, 'nSynapses');
    this.nSynapses = options.nSynapses;
    this.parameters = { U: options.U ?? 0.5, tauRec: options.tauRec ?? 800, tauFacil: options.tauFacil ?? 0, amplitude: options.amplitude ?? 1 };
    const { U, tauRec, tauFacil, amplitude } = this.parameters;
    if (!(U > 0 && U <= 1)) throw new MechintError('INVALID_ARGUMENT', `U is a release probability in (0, 1]; got ${U}.`);
    requirePositive(tauRec, 'tauRec');
    requireNonNegative(tauFacil, 'tauFacil');
    requireFinite(amplitude, 'amplitude');
  }

  /**
   * Runs presynaptic `spikes` (`[T, batch, n]` or `[T, n]`, 0 / 1) through the synapses.
   *
   * @example
   * ```ts
   * import { Tensor } from '@mechint/core';
   * import { TsodyksMarkram } from '@mechint/spiking';
   * new TsodyksMarkram({ nSynapses: 1 }).run(Tensor.from([[1], [1]]), { dt: 1 }).efficacy.toArray(); // ≈ [[0.5], [0.2503]]
   * ```
   */
  run(spikes: Tensor, options: { dt: number }): TsodyksMarkramRun {
    requirePositive(options.dt, 'dt');
    const input = timeMajor(spikes, 'spikes', this.nSynapses);
    const efficacy = outputLike(input);
    const resources = outputLike(input);
    const utilisation = outputLike(input);
    const { U, tauRec, tauFacil, amplitude } = this.parameters;
    const recover = Math.exp(-options.dt / tauRec);
    const facilDecay = tauFacil > 0 ? Math.exp(-options.dt / tauFacil) : 0;
    const width = input.batch * this.nSynapses;
    const R = new Float64Array(width).fill(1);
    const u = new Float64Array(width).fill(U);
    for (let t = 0, o = 0; t < input.steps; t++) {
      for (let k = 0; k < width; k++, o++) {
        if (t > 0) {
          R[k] = 1 - (1 - R[k]!) * recover;
          u[k] = U + (u[k]! - U) * facilDecay;
        }
        resources.data[o] = R[k]!;
        utilisation.data[o] = u[k]!;
        if (input.data[o]! !== 0) {
          efficacy.data[o] = amplitude * u[k]! * R[k]!;
          R[k] = R[k]! * (1 - u[k]!);
          if (tauFacil > 0) u[k] = u[k]! + U * (1 - u[k]!);
        }
      }
    }
    return { efficacy, resources, utilisation };
  }
}
