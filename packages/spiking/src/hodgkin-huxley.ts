/**
 * The Hodgkin–Huxley model of the squid giant axon, with the 1952 parameters shifted to a
 * −65 mV resting potential, integrated by RK4 or exponential Euler.
 */
import { MechintError, type Tensor } from '@mechint/core';
import type { NeuronRun, RunOptions } from './lif.js';
import { outputLike, timeMajor } from './signal.js';
import { requireCount, requireFinite, requirePositive, requireStep } from './validate.js';

/** Integration scheme of {@link HodgkinHuxleyNeuron}. @example `'rk4'` */
export type HodgkinHuxleyScheme = 'rk4' | 'exponential-euler';

/** Options of {@link HodgkinHuxleyNeuron}: conductances in mS/cm², potentials in mV, capacitance in µF/cm². @example `{ nNeurons: 1, scheme: 'exponential-euler' }` */
export interface HodgkinHuxleyOptions {
  /** Neurons per batch item. */
  nNeurons: number;
  /** `'rk4'` (classic fourth-order Runge–Kutta, default) or `'exponential-euler'` (gates and voltage each advanced by their exact linear solution over the step, Brian2's `exponential_euler`). */
  scheme?: HodgkinHuxleyScheme;
  /** Sodium conductance. Defaults to 120 (Hodgkin & Huxley 1952). */
  gNa?: number;
  /** Potassium conductance. Defaults to 36. */
  gK?: number;
  /** Leak conductance. Defaults to 0.3. */
  gL?: number;
  /** Sodium reversal. Defaults to 50. */
  eNa?: number;
  /** Potassium reversal. Defaults to −77. */
  eK?: number;
  /** Leak reversal. Defaults to −54.387 (so that rest is −65 mV). */
  eL?: number;
  /** Membrane capacitance. Defaults to 1. */
  capacitance?: number;
  /** A spike is an upward crossing of this voltage (mV). Defaults to 0. */
  spikeThreshold?: number;
}

/** A run of {@link HodgkinHuxleyNeuron}: spikes, voltages and the gating variables after each step. @example `const { m, h, n } = hh.run(current, { dt: 0.01 })` */
export interface HodgkinHuxleyRun extends NeuronRun {
  /** Sodium activation. */
  m: Tensor<'float32'>;
  /** Sodium inactivation. */
  h: Tensor<'float32'>;
  /** Potassium activation. */
  n: Tensor<'float32'>;
}

/** `x / (1 − e^{−x/y})`, continuous at `x = 0` (where it is `y`). */
function vtrap(x: number, y: number): number {
  const r = x / y;
  return Math.abs(r) < 1e-6 ? y * (1 + r / 2) : x / (1 - Math.exp(-r));
}

const alphaM = (v: number) => 0.1 * vtrap(v + 40, 10);
const betaM = (v: number) => 4 * Math.exp(-(v + 65) / 18);
const alphaH = (v: number) => 0.07 * Math.exp(-(v + 65) / 20);
const betaH = (v: number) => 1 / (1 + Math.exp(-(v + 35) / 10));
const alphaN = (v: number) => 0.01 * vtrap(v + 55, 10);
const betaN = (v: number) => 0.125 * Math.exp(-(v + 65) / 80);

/**
 * Hodgkin–Huxley neurons (current in µA/cm², time in ms). Every run starts at the resting state
 * (−65 mV, gates at their steady state). `dt` may be at most 0.1 ms: beyond it RK4 leaves its
 * stability region on the sodium activation (time constant ≈ 0.1 ms near the spike peak) and the
 * exponential Euler scheme misplaces spikes; larger steps throw `INVALID_ARGUMENT`. With these
 * parameters the neuron fires repetitively only above about 6.2 µA/cm², at about 68 Hz for
 * 10 µA/cm².
 *
 * @see A. L. Hodgkin & A. F. Huxley, J. Physiol. 117 (1952) 500–544; the −65 mV convention of
 * Brian2's and NEURON's `hh`.
 *
 * @example
 * ```ts
 * import { Tensor } from '@mechint/core';
 * import { HodgkinHuxleyNeuron } from '@mechint/spiking';
 * const hh = new HodgkinHuxleyNeuron({ nNeurons: 1 });
 * const { spikes } = hh.run(Tensor.from(new Float32Array(10000).fill(10), [10000, 1]), { dt: 0.01 });
 * ```
 */
export class HodgkinHuxleyNeuron {
  /** Neurons per batch item. */
  readonly nNeurons: number;
  /** Integration scheme. */
  readonly scheme: HodgkinHuxleyScheme;
  /** Conductances, reversals, capacitance and spike threshold in use. */
  readonly parameters: Readonly<Required<Omit<HodgkinHuxleyOptions, 'nNeurons' | 'scheme'>>>;

  constructor(options: HodgkinHuxleyOptions) {
    requireCount(options.nNeurons, 'nNeurons');
    this.nNeurons = options.nNeurons;
    this.scheme = options.scheme ?? 'rk4';
    if (this.scheme !== 'rk4' && this.scheme !== 'exponential-euler') {
      throw new MechintError('INVALID_ARGUMENT', `scheme must be 'rk4' or 'exponential-euler'; got '${String(this.scheme)}'.`);
    }
    this.parameters = {
      gNa: options.gNa ?? 120,
      gK: options.gK ?? 36,
      gL: options.gL ?? 0.3,
      eNa: options.eNa ?? 50,
      eK: options.eK ?? -77,
      eL: options.eL ?? -54.387,
      capacitance: options.capacitance ?? 1,
      spikeThreshold: options.spikeThreshold ?? 0,
    };
    for (const [key, value] of Object.entries(this.parameters)) requireFinite(value, key);
    requirePositive(this.parameters.capacitance, 'capacitance');
  }

  /**
   * Simulates `current` (`[T, batch, n]` or `[T, n]`, µA/cm²) from rest.
   *
   * @example
   * ```ts
   * import { Tensor } from '@mechint/core';
   * import { HodgkinHuxleyNeuron } from '@mechint/spiking';
   * const { voltages } = new HodgkinHuxleyNeuron({ nNeurons: 1 }).run(Tensor.zeros([100, 1]), { dt: 0.05 });
   * voltages.get(99, 0); // ≈ −65 (rest)
   * ```
   */
  run(current: Tensor, options: RunOptions): HodgkinHuxleyRun {
    const { dt } = options;
    requireStep(dt, 0.1, `Hodgkin–Huxley ${this.scheme} (dt ≤ 0.1 ms)`);
    const input = timeMajor(current, 'current', this.nNeurons);
    const [spikes, voltages, mOut, hOut, nOut] = [0, 1, 2, 3, 4].map(() => outputLike(input)) as [Tensor<'float32'>, Tensor<'float32'>, Tensor<'float32'>, Tensor<'float32'>, Tensor<'float32'>];
    const { gNa, gK, gL, eNa, eK, eL, capacitance: C, spikeThreshold } = this.parameters;
    const width = input.batch * this.nNeurons;
    const v0 = -65;
    const state: number[] = new Array<number>(4 * width).fill(0);
    for (let k = 0; k < width; k++) {
      state.splice(4 * k, 4, v0, alphaM(v0) / (alphaM(v0) + betaM(v0)), alphaH(v0) / (alphaH(v0) + betaH(v0)), alphaN(v0) / (alphaN(v0) + betaN(v0)));
    }
    const [k1, k2, k3, k4] = [0, 1, 2, 3].map(() => [0, 0, 0, 0]) as [number[], number[], number[], number[]];
    const derivative = (v: number, m: number, h: number, n: number, i: number, out: number[]): void => {
      const n2 = n * n;
      out[0] = (i - gNa * m * m * m * h * (v - eNa) - gK * n2 * n2 * (v - eK) - gL * (v - eL)) / C;
      out[1] = alphaM(v) * (1 - m) - betaM(v) * m;
      out[2] = alphaH(v) * (1 - h) - betaH(v) * h;
      out[3] = alphaN(v) * (1 - n) - betaN(v) * n;
    };
    const gate = (x: number, alpha: number, beta: number): number => {
      const inf = alpha / (alpha + beta);
      return inf + (x - inf) * Math.exp(-dt * (alpha + beta));
    };
    const I = input.data;
    const rk4 = this.scheme === 'rk4';
    const half = dt / 2;
    for (let t = 0, o = 0; t < input.steps; t++) {
      for (let k = 0; k < width; k++, o++) {
        const s = 4 * k;
        const v = state[s]!;
        const m = state[s + 1]!;
        const h = state[s + 2]!;
        const n = state[s + 3]!;
        const i = I[o]!;
        if (rk4) {
          derivative(v, m, h, n, i, k1);
          derivative(v + half * k1[0]!, m + half * k1[1]!, h + half * k1[2]!, n + half * k1[3]!, i, k2);
          derivative(v + half * k2[0]!, m + half * k2[1]!, h + half * k2[2]!, n + half * k2[3]!, i, k3);
          derivative(v + dt * k3[0]!, m + dt * k3[1]!, h + dt * k3[2]!, n + dt * k3[3]!, i, k4);
          for (let j = 0; j < 4; j++) state[s + j] = state[s + j]! + (dt / 6) * (k1[j]! + 2 * k2[j]! + 2 * k3[j]! + k4[j]!);
        } else {
          const n2 = n * n;
          const gNaNow = gNa * m * m * m * h;
          const gKNow = gK * n2 * n2;
          const gTotal = gNaNow + gKNow + gL;
          const vInf = (gNaNow * eNa + gKNow * eK + gL * eL + i) / gTotal;
          state[s] = vInf + (v - vInf) * Math.exp((-dt * gTotal) / C);
          state[s + 1] = gate(m, alphaM(v), betaM(v));
          state[s + 2] = gate(h, alphaH(v), betaH(v));
          state[s + 3] = gate(n, alphaN(v), betaN(v));
        }
        if (v < spikeThreshold && state[s]! >= spikeThreshold) spikes.data[o] = 1;
        voltages.data[o] = state[s]!;
        mOut.data[o] = state[s + 1]!;
        hOut.data[o] = state[s + 2]!;
        nOut.data[o] = state[s + 3]!;
      }
    }
    return { spikes, voltages, m: mOut, h: hOut, n: nOut };
  }
}
