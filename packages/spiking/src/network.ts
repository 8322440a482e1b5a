/**
 * A recurrent population of LIF neurons coupled by sparse, current-based exponential synapses,
 * simulated event by event: each spike adds its outgoing weights, so a step costs
 * `O(neurons + spikes · fan-out)`.
 */
import { MechintError, type Tensor } from '@mechint/core';
import { LeakyIntegrateFireNeuron, type LifOptions, type NeuronRun, type RunOptions } from './lif.js';
import { outputLike, timeMajor } from './signal.js';
import type { SparseConnectivity } from './sparse.js';
import { requirePositive, requireStep } from './validate.js';

/** Options of {@link RecurrentLIFNetwork}. @example `{ connectivity, neuron: { tau: 20 }, synapseTau: 5 }` */
export interface RecurrentLIFNetworkOptions {
  /** Recurrent synapses (`nPre === nPost`, the population size). */
  connectivity: SparseConnectivity;
  /** LIF parameters (Norse convention; `nNeurons` is the connectivity's size). Defaults as {@link LeakyIntegrateFireNeuron}. */
  neuron?: Omit<LifOptions, 'nNeurons' | 'convention'>;
  /** Synaptic decay time constant in ms. Defaults to 5 (Norse `tau_syn`). */
  synapseTau?: number;
}

/** A run of {@link RecurrentLIFNetwork}: spikes, voltages and the recurrent synaptic current. @example `const { spikes } = net.run(current, { dt: 0.5 })` */
export interface RecurrentRun extends NeuronRun {
  /** The recurrent synaptic current each neuron received at each step. */
  synapticCurrent: Tensor<'float32'>;
}

/**
 * A recurrent LIF population: at each step the synaptic current decays
 * (`s ← s e^{−dt/τ_s}`) and receives the weights of the previous step's spikes
 * (`s ← s + W z_{t−1}`), then each neuron integrates `I_ext + s` with the Norse LIF update (integrate,
 * spike, reset). Spikes are propagated event by event through the CSR connectivity, as Brian2's
 * `Synapses(on_pre=…)` does.
 *
 * @see N. Brunel, "Dynamics of sparsely connected networks of excitatory and inhibitory spiking
 * neurons", J. Comput. Neurosci. 8 (2000); Brian2 `Synapses`.
 *
 * @example
 * ```ts
 * import { Tensor } from '@mechint/core';
 * import { RecurrentLIFNetwork, randomConnectivity } from '@mechint/spiking';
 * const connectivity = randomConnectivity({ nPre: 100, nPost: 100, p: 0.1, weight: (j) => (j < 80 ? 0.05 : -0.2), seed: 1 });
 * const net = new RecurrentLIFNetwork({ connectivity, neuron: { tau: 20 } });
 * const { spikes } = net.run(Tensor.from(new Float32Array(200 * 100).fill(1.1), [200, 100]), { dt: 0.5 });
 * ```
 */
export class RecurrentLIFNetwork {
  /** Population size. */
  readonly nNeurons: number;
  /** The recurrent synapses. */
  readonly connectivity: SparseConnectivity;
  /** The neuron model (its parameters). */
  readonly neuron: LeakyIntegrateFireNeuron;
  /** Synaptic time constant (ms). */
  readonly synapseTau: number;

  constructor(options: RecurrentLIFNetworkOptions) {
    const c = options.connectivity;
    if (c === undefined || c.nPre !== c.nPost || c.offsets.length !== c.nPre + 1 || c.targets.length !== c.weights.length) {
      throw new MechintError('SHAPE_MISMATCH', 'connectivity must be square (nPre === nPost) CSR data with nPre + 1 offsets; build it with randomConnectivity or sparseFromDense.');
    }
    this.nNeurons = c.nPre;
    this.connectivity = c;
    this.neuron = new LeakyIntegrateFireNeuron({ ...options.neuron, nNeurons: c.nPre });
    this.synapseTau = options.synapseTau ?? 5;
    requirePositive(this.synapseTau, 'synapseTau');
  }

  /**
   * Simulates the network driven by `current` (`[T, batch, n]` or `[T, n]`) from rest.
   *
   * @example
   * ```ts
   * import { Tensor } from '@mechint/core';
   * import { RecurrentLIFNetwork, sparseFromDense } from '@mechint/spiking';
   * const net = new RecurrentLIFNetwork({ connectivity: sparseFromDense([[0, 1], [1, 0]]) });
   * const run = net.run(Tensor.zeros([5, 2]), { dt: 1 }); // silent: no input, no spike
   * ```
   */
  run(current: Tensor, options: RunOptions): RecurrentRun {
    const { dt } = options;
    const lif = this.neuron;
    if (lif.scheme === 'euler') requireStep(dt, lif.tau, 'the forward-Euler LIF update (dt ≤ tau)');
    else requirePositive(dt, 'dt');
    const n = this.nNeurons;
    const input = timeMajor(current, 'current', n);
    const spikes = outputLike(input);
    const voltages = outputLike(input);
    const synapticCurrent = outputLike(input);
    const decay = lif.scheme === 'exact' ? Math.exp(-dt / lif.tau) : 1 - dt / lif.tau;
    const synDecay = Math.exp(-dt / this.synapseTau);
    const refractorySteps = Math.round(lif.refractory / dt);
    const { offsets, targets, weights } = this.connectivity;
    const { threshold, reset, rest } = lif;
    const subtract = lif.resetMode === 'subtract';
    const I = input.data;
    for (let b = 0; b < input.batch; b++) {
      const v = new Float64Array(n).fill(rest);
      const syn = new Float64Array(n);
      const refractoryLeft = new Int32Array(n);
      let fired = new Int32Array(n);
      let firedCount = 0;
      let next = new Int32Array(n);
      for (let t = 0; t < input.steps; t++) {
        for (let k = 0; k < n; k++) syn[k]! *= synDecay;
        for (let f = 0; f < firedCount; f++) {
          const j = fired[f]!;
          for (let e = offsets[j]!; e < offsets[j + 1]!; e++) syn[targets[e]!]! += weights[e]!;
        }
        let nextCount = 0;
        const base = (t * input.batch + b) * n;
        for (let k = 0; k < n; k++) {
          const o = base + k;
          synapticCurrent.data[o] = syn[k]!;
          if (refractoryLeft[k]! > 0) {
            refractoryLeft[k]! -= 1;
            voltages.data[o] = v[k]!;
            continue;
          }
          const target = rest + I[o]! + syn[k]!;
          let u = target + (v[k]! - target) * decay;
          if (u - threshold > 0) {
            spikes.data[o] = 1;
            u = subtract ? u - threshold : reset;
            refractoryLeft[k] = refractorySteps;
            next[nextCount++] = k;
          }
          v[k] = u;
          voltages.data[o] = u;
        }
        [fired, next] = [next, fired];
        firedCount = nextCount;
      }
    }
    return { spikes, voltages, synapticCurrent };
  }
}
