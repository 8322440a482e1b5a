/**
 * A regulariser pulling the spectral exponent β of activations towards a target.
 */
import { MechintError, type GraphBuilder, type Tensor, type Value } from '@mechint/core';
import { fft } from '../math/fft.js';
import { slopeWeights } from '../math/regression.js';
import { checkInteger, checkNumber, type Signal } from '../math/signal.js';
import { constantLike, hostSignals, signalLength } from './prior-input.js';

/** Options of {@link SpectralPrior}. @example `{ targetBeta: 1, weight: 0.1, bins: [2, 100] }` */
export interface SpectralPriorOptions {
  /** The spectral exponent to pull towards (1 for 1/f). */
  targetBeta: number;
  /** Multiplier of the loss. Defaults to 1. */
  weight?: number;
  /**
   * Frequency bins `[lo, hi]` (inclusive, of the n-point DFT; bin k is frequency k/n) in the fit.
   * Defaults to 1 … ⌊n/2⌋ − 1 (DC and Nyquist left out).
   */
  bins?: readonly [number, number];
  /** Added to the power before the logarithm, so silent bins stay finite. Defaults to 1e-12. */
  epsilon?: number;
}

/**
 * A loss `weight · mean_b (β̂_b − targetBeta)²` on the spectral exponent of each signal (row), with
 * β̂ = −(least-squares slope of ln P(k) against ln(k/n)) over `bins`, and P the periodogram
 * `|DFT(x − mean x)|² / n`. `loss(g, x)` builds it inside a training graph with the core
 * `GraphBuilder` from standard ops only (`ReduceMean`, `Sub`, `MatMul` with cosine and sine
 * matrices, `Mul`, `Add`, `Log`), so core's `gradients` differentiates it with the rest of the
 * graph; `evaluate(x)` computes the same loss on the host.
 *
 * @see K. J. Miller et al., "Power-law scaling in the brain surface electric potential", PLoS Comput. Biol. 5 (2009) e1000609 (1/f^β spectra of neural activity).
 * @example
 * ```ts
 * import { Backend, GraphBuilder, Tensor } from '@mechint/core';
 * import { SpectralPrior, coloredNoise } from '@mechint/fractals';
 * const prior = new SpectralPrior({ targetBeta: 1, weight: 0.5 });
 * const g = new GraphBuilder();
 * const h = g.input('h', 'float32', ['batch', 256]);
 * g.output(prior.loss(g, h), 'prior');
 * const session = await (await Backend.create()).session(g.build());
 * const x = coloredNoise(256, 1, { seed: 1 });
 * const { prior: loss } = await session.run({ h: Tensor.from(Float32Array.from(x), [1, 256]) });
 * loss!.item(); // ≈ prior.evaluate(x)
 * ```
 */
export class SpectralPrior {
  /** The target exponent. */
  readonly targetBeta: number;
  /** The loss multiplier. */
  readonly weight: number;
  readonly #bins: readonly [number, number] | undefined;
  readonly #epsilon: number;

  /** Throws `INVALID_ARGUMENT` for a non-finite target or weight, or bad bins. */
  constructor(options: SpectralPriorOptions) {
    checkNumber(options?.targetBeta, 'SpectralPrior: targetBeta');
    this.targetBeta = options.targetBeta;
    this.weight = options.weight ?? 1;
    checkNumber(this.weight, 'SpectralPrior: weight');
    this.#epsilon = options.epsilon ?? 1e-12;
    checkNumber(this.#epsilon, 'SpectralPrior: epsilon', { ge: 0 });
    this.#bins = options.bins;
  }

  /** The loss subgraph on `x` (`[batch, n]` or `[n]`, float32 / float64): a scalar of x's dtype. */
  loss(g: GraphBuilder, x: Value): Value {
    const n = signalLength(x, 'SpectralPrior');
    const [lo, hi] = this.binsFor(n);
    const k = hi - lo + 1;
    const cos = new Float64Array(n * k);
    const sin = new Float64Array(n * k);
    for (let t = 0; t < n; t++) {
      for (let j = 0; j < k; j++) {
        const angle = (2 * Math.PI * t * (lo + j)) / n;
        cos[t * k + j] = Math.cos(angle);
        sin[t * k + j] = Math.sin(angle);
      }
    }
    const centred = g.sub(x, g.reduceMean(x, { axes: [-1] }));
    const re = g.matmul(centred, g.constant(constantLike(x, cos, [n, k])));
    const im = g.matmul(centred, g.constant(constantLike(x, sin, [n, k])));
    const power = g.div(g.add(g.mul(re, re), g.mul(im, im)), g.constant(constantLike(x, Float64Array.of(n), [])));
    const logPower = g.log(g.add(power, g.constant(constantLike(x, Float64Array.of(this.#epsilon), []))));
    const slope = g.matmul(logPower, g.constant(constantLike(x, this.slopeWeights(n, lo, hi), [k])));
    const diff = g.sub(g.neg(slope), g.constant(constantLike(x, Float64Array.of(this.targetBeta), [])));
    return g.mul(g.reduceMean(g.mul(diff, diff), { keepdims: false }), g.constant(constantLike(x, Float64Array.of(this.weight), [])));
  }

  /** The same loss on the host: one signal, several, or a Tensor `[batch, n]`. */
  evaluate(x: Signal | readonly Signal[] | Tensor): number {
    const signals = hostSignals(x, 'SpectralPrior', 8);
    let total = 0;
    for (const s of signals) total += (this.exponent(s) - this.targetBeta) ** 2;
    return (this.weight * total) / signals.length;
  }

  /** β̂ of one signal, as the loss defines it (periodogram slope over the bins). */
  exponent(x: Signal): number {
    const [signal] = hostSignals(x, 'SpectralPrior', 8) as [Float64Array];
    const n = signal.length;
    const [lo, hi] = this.binsFor(n);
    let mean = 0;
    for (const v of signal) mean += v;
    mean /= n;
    const re = Float64Array.from(signal, (v) => v - mean);
    const im = new Float64Array(n);
    fft(re, im);
    const c = this.slopeWeights(n, lo, hi);
    let slope = 0;
    for (let j = 0; j <= hi - lo; j++) slope += c[j]! * Math.log((re[lo + j]! ** 2 + im[lo + j]! ** 2) / n + this.#epsilon);
    return -slope;
  }

  private binsFor(n: number): [number, number] {
    const [lo, hi] = this.#bins ?? [1, Math.floor(n / 2) - 1];
    checkInteger(lo, 'SpectralPrior: bins[0]', 1);
    checkInteger(hi, 'SpectralPrior: bins[1]', lo + 1, Math.floor(n / 2), `Bins run from 1 to n/2 = ${Math.floor(n / 2)} for n = ${n}.`);
    if (hi - lo < 1) throw new MechintError('INVALID_ARGUMENT', 'SpectralPrior: bins must hold at least two frequencies.');
    return [lo, hi];
  }

  private slopeWeights(n: number, lo: number, hi: number): Float64Array {
    return slopeWeights(Float64Array.from({ length: hi - lo + 1 }, (_, j) => Math.log((lo + j) / n)));
  }
}
