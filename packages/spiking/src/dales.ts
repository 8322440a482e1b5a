/**
 * Dale's law: every presynaptic neuron is excitatory or inhibitory, so all its outgoing weights
 * share one sign. A linear layer that keeps the signs by construction, and a projection for any
 * weight matrix.
 */
import { GraphBuilder, MechintError, Tensor, type Value } from '@mechint/core';
import { seededRandom } from '@mechint/core';
import { requireCount } from './validate.js';

/** Options of {@link dalesSigns}. @example `{ n: 10, eiRatio: 0.8 }` */
export interface DalesSignsOptions {
  /** Number of presynaptic neurons. */
  n: number;
  /** Fraction of excitatory neurons, in [0, 1]. Defaults to 0.8 (Song, Yang & Wang 2016). */
  eiRatio?: number;
}

/**
 * The sign of each presynaptic neuron: the first `round(eiRatio · n)` are excitatory (+1), the rest
 * inhibitory (−1).
 *
 * @example
 * ```ts
 * import { dalesSigns } from '@mechint/spiking';
 * dalesSigns({ n: 5, eiRatio: 0.6 }); // Float32Array [1, 1, 1, -1, -1]
 * ```
 */
export function dalesSigns(options: DalesSignsOptions): Float32Array {
  requireCount(options.n, 'n');
  const ratio = options.eiRatio ?? 0.8;
  if (!(ratio >= 0 && ratio <= 1)) throw new MechintError('INVALID_ARGUMENT', `eiRatio is the excitatory fraction, in [0, 1]; got ${ratio}.`);
  const nE = Math.round(ratio * options.n);
  return Float32Array.from({ length: options.n }, (_, j) => (j < nE ? 1 : -1));
}

/**
 * Projects a weight matrix `[nPost, nPre]` onto Dale's law: entries whose sign disagrees with
 * their presynaptic neuron's (`signs[pre]`) become 0, the nearest matrix in Frobenius norm that
 * obeys the law. Returns a new float32 tensor. Throws `SHAPE_MISMATCH` when `signs` does not have
 * one entry per column.
 *
 * @see H. F. Song, G. R. Yang & X.-J. Wang, "Training excitatory-inhibitory recurrent neural
 * networks for cognitive tasks", PLoS Comput. Biol. 12 (2016).
 *
 * @example
 * ```ts
 * import { Tensor } from '@mechint/core';
 * import { applyDalesLaw } from '@mechint/spiking';
 * applyDalesLaw(Tensor.from([[0.5, 0.2], [-0.1, -0.3]]), [1, -1]).toArray(); // ≈ [[0.5, 0], [0, -0.3]]
 * ```
 */
export function applyDalesLaw(weights: Tensor, signs: ArrayLike<number>): Tensor<'float32'> {
  if (!(weights instanceof Tensor) || weights.rank !== 2) {
    throw new MechintError('SHAPE_MISMATCH', 'weights must be a matrix Tensor [nPost, nPre].');
  }
  const [rows, cols] = weights.shape as [number, number];
  if (signs.length !== cols) throw new MechintError('SHAPE_MISMATCH', `signs needs one entry per presynaptic neuron (${cols} columns); got ${signs.length}.`);
  const data = weights.data as ArrayLike<number>;
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const x = Number(data[i * cols + j]);
      if (Number.isNaN(x)) throw new MechintError('INVALID_ARGUMENT', `weights[${i}][${j}] is NaN; fix the weights before projecting.`);
      out[i * cols + j] = x * signs[j]! > 0 ? x : 0;
    }
  }
  return new Tensor('float32', out, [rows, cols]);
}

/** How {@link DalesLinear} maps raw parameters to magnitudes. @example `'relu'` */
export type DalesRectifier = 'relu' | 'abs';

/** Options of {@link DalesLinear}. @example `{ inFeatures: 10, outFeatures: 4, eiRatio: 0.8 }` */
export interface DalesLinearOptions {
  /** Presynaptic (input) neurons. */
  inFeatures: number;
  /** Postsynaptic (output) neurons. */
  outFeatures: number;
  /** Excitatory fraction of the inputs. Defaults to 0.8 (Song, Yang & Wang 2016). */
  eiRatio?: number;
  /** Magnitude map: `'relu'` (`[w]₊`, Song, Yang & Wang 2016, default) or `'abs'` (`|w|`). */
  rectifier?: DalesRectifier;
  /** Seed of the initial weights. Defaults to 0. */
  seed?: number;
}

/**
 * A linear layer whose effective weights `W = f(W_raw) · diag(signs)` (with `f` the rectifier)
 * keep every presynaptic neuron's sign whatever values training gives the raw parameters. Raw
 * weights start as `|U(−1/√in, 1/√in)|` (PyTorch's `Linear` scale), inhibitory columns scaled by
 * `nE / nI` so that excitation and inhibition balance on average (Song et al. 2016).
 *
 * Train `raw` with any optimiser: {@link DalesLinear.backward} maps a gradient with respect to
 * the effective weights to one with respect to `raw`.
 *
 * @see H. F. Song, G. R. Yang & X.-J. Wang, PLoS Comput. Biol. 12 (2016) e1004792.
 *
 * @example
 * ```ts
 * import { Tensor } from '@mechint/core';
 * import { DalesLinear } from '@mechint/spiking';
 * const layer = new DalesLinear({ inFeatures: 5, outFeatures: 2, eiRatio: 0.8, seed: 1 });
 * const y = layer.forward(Tensor.from([[1, 0, 0, 0, 1]])); // [1, 2]
 * ```
 */
export class DalesLinear {
  /** Input size. */
  readonly inFeatures: number;
  /** Output size. */
  readonly outFeatures: number;
  /** Sign of each input neuron (+1 excitatory, −1 inhibitory). */
  readonly signs: Float32Array;
  /** Magnitude map. */
  readonly rectifier: DalesRectifier;
  /** The trainable raw parameters `[outFeatures, inFeatures]`; update `raw.data` in place. */
  readonly raw: Tensor<'float32'>;

  constructor(options: DalesLinearOptions) {
    requireCount(options.inFeatures, 'inFeatures');
    requireCount(options.outFeatures, 'outFeatures');
    this.inFeatures = options.inFeatures;
    this.outFeatures = options.outFeatures;
    this.signs = dalesSigns({ n: options.inFeatures, ...(options.eiRatio === undefined ? {} : { eiRatio: options.eiRatio }) });
    this.rectifier = options.rectifier ?? 'relu';
    if (this.rectifier !== 'relu' && this.rectifier !== 'abs') throw new MechintError('INVALID_ARGUMENT', `rectifier must be 'relu' or 'abs'; got '${String(this.rectifier)}'.`);
    const nE = this.signs.filter((s) => s > 0).length;
    const nI = this.inFeatures - nE;
    const rand = seededRandom(options.seed ?? 0);
    const bound = 1 / Math.sqrt(this.inFeatures);
    const raw = new Float32Array(this.outFeatures * this.inFeatures);
    for (let i = 0; i < raw.length; i++) {
      const j = i % this.inFeatures;
      raw[i] = rand() * bound * (this.signs[j]! < 0 && nI > 0 ? nE / nI : 1);
    }
    this.raw = new Tensor('float32', raw, [this.outFeatures, this.inFeatures]);
  }

  /**
   * The effective weights `f(raw) · diag(signs)`, `[outFeatures, inFeatures]`.
   *
   * @example
   * ```ts
   * import { DalesLinear } from '@mechint/spiking';
   * const w = new DalesLinear({ inFeatures: 4, outFeatures: 3 }).effectiveWeights(); // column 3 ≤ 0
   * ```
   */
  effectiveWeights(): Tensor<'float32'> {
    const out = new Float32Array(this.raw.size);
    for (let i = 0; i < out.length; i++) out[i] = this.magnitude(this.raw.data[i]!) * this.signs[i % this.inFeatures]!;
    return new Tensor('float32', out, this.raw.shape);
  }

  /**
   * `x · Wᵀ` on the host for `x` `[batch, inFeatures]` (small layers; use {@link DalesLinear.emit}
   * to run it in a graph). Throws `SHAPE_MISMATCH` for another width.
   *
   * @example
   * ```ts
   * import { Tensor } from '@mechint/core';
   * import { DalesLinear } from '@mechint/spiking';
   * new DalesLinear({ inFeatures: 2, outFeatures: 1 }).forward(Tensor.from([[1, 1]])).shape; // [1, 1]
   * ```
   */
  forward(x: Tensor): Tensor<'float32'> {
    if (!(x instanceof Tensor) || x.rank !== 2 || x.shape[1] !== this.inFeatures) {
      throw new MechintError('SHAPE_MISMATCH', `DalesLinear.forward takes x of shape [batch, ${this.inFeatures}]; got [${x instanceof Tensor ? x.shape.join(', ') : typeof x}].`);
    }
    const w = this.effectiveWeights().data;
    const batch = x.shape[0]!;
    const xs = x.data as ArrayLike<number>;
    const out = new Float32Array(batch * this.outFeatures);
    for (let b = 0; b < batch; b++) {
      for (let i = 0; i < this.outFeatures; i++) {
        let sum = 0;
        for (let j = 0; j < this.inFeatures; j++) sum += Number(xs[b * this.inFeatures + j]) * w[i * this.inFeatures + j]!;
        out[b * this.outFeatures + i] = sum;
      }
    }
    return new Tensor('float32', out, [batch, this.outFeatures]);
  }

  /**
   * The gradient with respect to `raw` of a loss whose gradient with respect to the effective
   * weights is `gradEffective` (chain rule through the rectifier and the signs; the ReLU's
   * derivative at 0 is taken as 0). Throws `SHAPE_MISMATCH` for another shape.
   *
   * @example
   * ```ts
   * import { Tensor } from '@mechint/core';
   * import { DalesLinear } from '@mechint/spiking';
   * const layer = new DalesLinear({ inFeatures: 2, outFeatures: 1, eiRatio: 0.5 });
   * layer.backward(Tensor.from([[1, 1]])).toArray(); // [[1, -1]] (raw weights start positive)
   * ```
   */
  backward(gradEffective: Tensor): Tensor<'float32'> {
    if (!(gradEffective instanceof Tensor) || gradEffective.rank !== 2 || gradEffective.shape[0] !== this.outFeatures || gradEffective.shape[1] !== this.inFeatures) {
      throw new MechintError('SHAPE_MISMATCH', `gradEffective must have the weights' shape [${this.outFeatures}, ${this.inFeatures}].`);
    }
    const g = gradEffective.data as ArrayLike<number>;
    const out = new Float32Array(this.raw.size);
    for (let i = 0; i < out.length; i++) {
      const r = this.raw.data[i]!;
      const slope = this.rectifier === 'relu' ? (r > 0 ? 1 : 0) : Math.sign(r);
      out[i] = slope === 0 ? 0 : Number(g[i]) * slope * this.signs[i % this.inFeatures]!;
    }
    return new Tensor('float32', out, this.raw.shape);
  }

  /**
   * Emits the layer into a graph: `x · (f(W_raw) · diag(signs))ᵀ`, with the signs as a constant
   * and the raw weights either the parameter named `raw` (initialised from {@link DalesLinear.raw},
   * so gradient code can find them by name) or, given a value `[outFeatures, inFeatures]` (say a
   * graph input), that value — then one session serves every training step, fed `layer.raw`.
   *
   * @example
   * ```ts
   * import { GraphBuilder } from '@mechint/core';
   * import { DalesLinear } from '@mechint/spiking';
   * const g = new GraphBuilder();
   * const layer = new DalesLinear({ inFeatures: 3, outFeatures: 2 });
   * g.output(layer.emit(g, g.input('x', 'float32', ['batch', 3]), 'w_raw'), 'y');
   * const model = g.build();
   * // or with the raw weights as an input: layer.emit(g, x, g.input('w_raw', 'float32', [2, 3]))
   * ```
   */
  emit(g: GraphBuilder, x: Value<'float32'>, raw: string | Value<'float32'> = 'dales_raw'): Value<'float32'> {
    if (!(g instanceof GraphBuilder)) throw new MechintError('INVALID_ARGUMENT', 'emit takes the GraphBuilder that made x.');
    if (typeof raw !== 'string' && (raw.shape?.length !== 2 || raw.shape[0] !== this.outFeatures || raw.shape[1] !== this.inFeatures)) {
      throw new MechintError('SHAPE_MISMATCH', `The raw weights must be a value of shape [${this.outFeatures}, ${this.inFeatures}]; got ${String(raw)}.`);
    }
    const rawWeights = typeof raw === 'string' ? g.param(raw, this.raw.clone()) : raw;
    const magnitude = this.rectifier === 'relu' ? g.relu(rawWeights) : g.abs(rawWeights);
    const weights = g.mul(magnitude, new Tensor('float32', this.signs.slice(), [this.inFeatures]));
    return g.matmul(x, g.transpose(weights));
  }

  private magnitude(r: number): number {
    return this.rectifier === 'relu' ? Math.max(r, 0) : Math.abs(r);
  }
}
