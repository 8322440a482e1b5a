/**
 * Sparse connectivity in compressed sparse row form, indexed by the presynaptic neuron, so that a
 * spike costs one pass over its own outgoing synapses.
 */
import { MechintError, Tensor } from '@mechint/core';
import { seededRandom } from '@mechint/core';
import { requireCount, requireFinite } from './validate.js';

/**
 * Connectivity in CSR form by presynaptic neuron: the synapses of presynaptic neuron `j` are
 * `targets[offsets[j] .. offsets[j + 1])` with weights `weights[…]`.
 *
 * @example
 * ```ts
 * import { sparseFromDense } from '@mechint/spiking';
 * const c = sparseFromDense([[0, 0.5], [2, 0]]); // post × pre: neuron 1 → 0 with 0.5, 0 → 1 with 2
 * c.targets; // Int32Array [1, 0]
 * ```
 */
export interface SparseConnectivity {
  /** Number of presynaptic neurons. */
  readonly nPre: number;
  /** Number of postsynaptic neurons. */
  readonly nPost: number;
  /** `nPre + 1` offsets into `targets` / `weights`. */
  readonly offsets: Int32Array;
  /** Postsynaptic index of each synapse. */
  readonly targets: Int32Array;
  /** Weight of each synapse. */
  readonly weights: Float32Array;
}

/** Options of {@link randomConnectivity}. @example `{ nPre: 100, nPost: 100, p: 0.1, weight: 0.05, seed: 1 }` */
export interface RandomConnectivityOptions {
  /** Presynaptic neurons. */
  nPre: number;
  /** Postsynaptic neurons. */
  nPost: number;
  /** Connection probability of each pair, as Brian2's `connect(p=…)`. */
  p: number;
  /** Weight of every synapse, or one per presynaptic neuron (e.g. signed by Dale's law). */
  weight: number | ((pre: number) => number);
  /** Leave out self-connections when `nPre === nPost`. Defaults to true. */
  noSelf?: boolean;
  /** Seed of the generator. Defaults to 0. */
  seed?: number;
}

/**
 * Random (Erdős–Rényi) connectivity: each pair is connected with probability `p`.
 *
 * @example
 * ```ts
 * import { randomConnectivity } from '@mechint/spiking';
 * const c = randomConnectivity({ nPre: 1000, nPost: 1000, p: 0.01, weight: (j) => (j < 800 ? 0.1 : -0.4), seed: 3 });
 * ```
 */
export function randomConnectivity(options: RandomConnectivityOptions): SparseConnectivity {
  const { nPre, nPost, p, weight } = options;
  requireCount(nPre, 'nPre');
  requireCount(nPost, 'nPost');
  if (!(p >= 0 && p <= 1)) throw new MechintError('INVALID_ARGUMENT', `p must be a probability in [0, 1]; got ${p}.`);
  const noSelf = (options.noSelf ?? true) && nPre === nPost;
  const rand = seededRandom(options.seed ?? 0);
  const offsets = new Int32Array(nPre + 1);
  const targets: number[] = [];
  const weights: number[] = [];
  for (let j = 0; j < nPre; j++) {
    const w = typeof weight === 'number' ? weight : weight(j);
    requireFinite(w, 'weight');
    for (let i = 0; i < nPost; i++) {
      if (rand() < p && !(noSelf && i === j)) {
        targets.push(i);
        weights.push(w);
      }
    }
    offsets[j + 1] = targets.length;
  }
  return { nPre, nPost, offsets, targets: Int32Array.from(targets), weights: Float32Array.from(weights) };
}

/**
 * The non-zero entries of a dense weight matrix `[nPost, nPre]` (PyTorch's `Linear` layout) as
 * {@link SparseConnectivity}.
 *
 * @example
 * ```ts
 * import { sparseFromDense } from '@mechint/spiking';
 * sparseFromDense([[0, 1], [1, 0]]).offsets; // Int32Array [0, 1, 2]
 * ```
 */
export function sparseFromDense(weights: Tensor | readonly (readonly number[])[]): SparseConnectivity {
  const w = weights instanceof Tensor ? weights : Tensor.from(weights.map((row) => [...row]), undefined, 'float64');
  if (w.rank !== 2) throw new MechintError('SHAPE_MISMATCH', `weights must be a matrix [nPost, nPre]; got shape [${w.shape.join(', ')}].`);
  const [nPost, nPre] = w.shape as [number, number];
  const offsets = new Int32Array(nPre + 1);
  const targets: number[] = [];
  const values: number[] = [];
  const data = w.data as ArrayLike<number>;
  for (let j = 0; j < nPre; j++) {
    for (let i = 0; i < nPost; i++) {
      const x = Number(data[i * nPre + j]);
      requireFinite(x, `weights[${i}][${j}]`);
      if (x !== 0) {
        targets.push(i);
        values.push(x);
      }
    }
    offsets[j + 1] = targets.length;
  }
  return { nPre, nPost, offsets, targets: Int32Array.from(targets), weights: Float32Array.from(values) };
}
